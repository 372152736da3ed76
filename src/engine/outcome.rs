//! What a run decided: the actions, in the order the engine reported them,
//! or the failure that kept the message.

use serde::Serialize;

use crate::analysis::Analysis;
use crate::process::CalendarProcessing;

/// A header field the script added or deleted (editheader, RFC 5293).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderField {
    /// The field name as written.
    pub name: String,
    /// The raw field value, trimmed.
    pub value: String,
}

/// One action the script took, in the order the engine reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Deliver to the default mailbox, with the IMAP flags in effect.
    Keep {
        /// The IMAP flags (imap4flags, RFC 5232).
        flags: Vec<String>,
    },
    /// Deliver to `folder`.
    #[serde(rename = "fileinto")]
    FileInto {
        /// The mailbox name, `/`-separated as the script wrote it.
        folder: String,
        /// The IMAP flags (imap4flags, RFC 5232).
        flags: Vec<String>,
        /// `:create`: make the mailbox when it does not exist (RFC 5490).
        create: bool,
        /// `:mailboxid` (RFC 9042): the mailbox's object id, preferred over the name.
        #[serde(skip_serializing_if = "Option::is_none")]
        mailbox_id: Option<String>,
        /// `:specialuse` (RFC 8579): the special-use flag of the mailbox to use.
        #[serde(skip_serializing_if = "Option::is_none")]
        special_use: Option<String>,
    },
    /// Forward the message to `address` (`list` when it names a list).
    Redirect {
        /// Where to.
        address: String,
        /// True when `address` names a list (`redirect :list`, RFC 6134).
        list: bool,
    },
    /// Drop the message silently.
    Discard,
    /// Refuse the message (`extended` for `ereject`).
    Reject {
        /// The text given to the sender.
        reason: String,
        /// True for `ereject` (RFC 5429: refuse in the SMTP transaction).
        extended: bool,
    },
    /// Send an automatic reply.
    Vacation {
        /// The reply's recipient.
        to: String,
        /// The whole reply as sieve-rs built it (RFC 5322).
        message: String,
    },
    /// Send a notification (enotify, RFC 5435).
    Notify {
        /// The notification method URI (`mailto:...`, ...).
        method: String,
        /// `:from`, when given.
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// `high`, `normal` or `low`.
        importance: String,
        /// `:options`.
        options: Vec<String>,
        /// The notification text.
        message: String,
    },
    /// The script edited the message's header (addheader / deleteheader).
    #[serde(rename = "editheader")]
    EditHeader {
        /// Fields the edited message has and the original had not.
        added: Vec<HeaderField>,
        /// Fields the original had and the edited message has not.
        deleted: Vec<HeaderField>,
    },
    /// The script called `error` (RFC 5463); the run stopped there.
    Error {
        /// The script's message.
        message: String,
    },
}

impl std::fmt::Display for Action {
    /// The action as a Sieve author would write it, e.g.
    /// `fileinto :create "Calendar/REQUEST"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Keep { flags } => write!(f, "keep{}", FlagsTag(flags)),
            Action::FileInto {
                folder,
                flags,
                create,
                ..
            } => write!(
                f,
                "fileinto{}{} {}",
                if *create { " :create" } else { "" },
                FlagsTag(flags),
                Quoted(folder)
            ),
            Action::Redirect { address, list } => {
                let tag = if *list { " :list" } else { "" };
                write!(f, "redirect{tag} {}", Quoted(address))
            }
            Action::Discard => f.write_str("discard"),
            Action::Reject { reason, extended } => {
                let name = if *extended { "ereject" } else { "reject" };
                write!(f, "{name} {}", Quoted(reason))
            }
            Action::Vacation { to, .. } => write!(f, "vacation reply to {}", Quoted(to)),
            Action::Notify { method, .. } => write!(f, "notify {}", Quoted(method)),
            Action::EditHeader { added, deleted } => {
                let mut first = true;
                for field in added {
                    let sep = if first { "" } else { "; " };
                    write!(
                        f,
                        "{sep}addheader {} {}",
                        Quoted(&field.name),
                        Quoted(&field.value)
                    )?;
                    first = false;
                }
                for field in deleted {
                    let sep = if first { "" } else { "; " };
                    write!(f, "{sep}deleteheader {}", Quoted(&field.name))?;
                    first = false;
                }
                Ok(())
            }
            Action::Error { message } => write!(f, "error {}", Quoted(message)),
        }
    }
}

/// A Sieve quoted string.
struct Quoted<'a>(&'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"")?;
        for ch in self.0.chars() {
            if matches!(ch, '"' | '\\') {
                f.write_str("\\")?;
            }
            write!(f, "{ch}")?;
        }
        f.write_str("\"")
    }
}

/// ` :flags [...]`, or nothing when there are no flags.
struct FlagsTag<'a>(&'a [String]);

impl std::fmt::Display for FlagsTag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" :flags [")?;
        for (index, flag) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Quoted(flag))?;
        }
        f.write_str("]")
    }
}

/// Why a message was not handled the ordinary way. Every kind but
/// `unparsable-message` means the script could not run to its end, and the
/// message is kept in its place ([`Failure::keeps_message`]).
///
/// Serializes as `{"kind": "runtime-error", "detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// sieve-rs stopped the script (an `error` command, a CPU limit, a
    /// missing or broken `include`, ...).
    RuntimeError {
        /// What happened, for a person.
        detail: String,
    },
    /// The analysis of the message failed unexpectedly (a bug, contained).
    AnalysisFailed {
        /// What happened, for a person.
        detail: String,
    },
    /// The input is not RFC 5322 mail (it has no header field), so nothing
    /// in it could be examined for iMIP. The script still ran to its end,
    /// with `imip` failing closed (no iMIP object, risk 100), and its
    /// actions stand.
    UnparsableMessage {
        /// What happened, for a person.
        detail: String,
    },
    /// sieve-rs or mail-parser panicked on the message (a defect in them
    /// that hostile input reaches, contained).
    EngineFailed {
        /// What happened, for a person.
        detail: String,
    },
}

impl Failure {
    /// The short, stable category: `runtime-error`, `analysis-failed`,
    /// `unparsable-message`, `engine-failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::RuntimeError { .. } => "runtime-error",
            Failure::AnalysisFailed { .. } => "analysis-failed",
            Failure::UnparsableMessage { .. } => "unparsable-message",
            Failure::EngineFailed { .. } => "engine-failed",
        }
    }

    /// True when the script could not run to its end, so the outcome's
    /// actions are a single keep in place of the script's (every kind but
    /// `unparsable-message`).
    pub fn keeps_message(&self) -> bool {
        !matches!(self, Failure::UnparsableMessage { .. })
    }

    /// What happened, for a person.
    pub fn detail(&self) -> &str {
        match self {
            Failure::RuntimeError { detail }
            | Failure::AnalysisFailed { detail }
            | Failure::UnparsableMessage { detail }
            | Failure::EngineFailed { detail } => detail,
        }
    }
}

impl Failure {
    /// The same failure, saying it happened in script `index` (0-based) of
    /// a chain of `total`.
    pub(super) fn in_script(self, index: usize, total: usize) -> Failure {
        let place =
            |detail: String| format!("script {} of {total}: {detail}", index.saturating_add(1));
        match self {
            Failure::RuntimeError { detail } => Failure::RuntimeError {
                detail: place(detail),
            },
            Failure::AnalysisFailed { detail } => Failure::AnalysisFailed {
                detail: place(detail),
            },
            Failure::UnparsableMessage { detail } => Failure::UnparsableMessage {
                detail: place(detail),
            },
            Failure::EngineFailed { detail } => Failure::EngineFailed {
                detail: place(detail),
            },
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind(), self.detail())
    }
}

/// What a script decided for one message.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The actions to carry out, implicit keep included (RFC 5228 2.10.2).
    pub actions: Vec<Action>,
    /// Set when the run could not complete: the actions are then a single
    /// keep (RFC 5228 2.10.6) and `abandoned` lists what the script had done.
    /// Also set, to `unparsable-message`, when a script using `imip` ran on
    /// input that is not mail: it ran to its end and the actions are its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Actions the script took before a failure, not to be carried out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub abandoned: Vec<Action>,
    /// The message as the script edited it, when it used editheader; the
    /// keep / fileinto / redirect actions then apply to this version.
    #[serde(skip)]
    pub edited_message: Option<Vec<u8>>,
    /// The analysis the `imip` items were answered from, when the script
    /// used `imip` or `processcalendar`.
    #[serde(skip)]
    pub analysis: Option<Analysis>,
    /// What each `processcalendar` action the script reached did to the
    /// calendar store, in script order. These changes are made: they stand
    /// whatever `failure` says.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calendar: Vec<CalendarProcessing>,
}

impl Outcome {
    pub(super) fn kept_after(
        failure: Failure,
        abandoned: Vec<Action>,
        analysis: Option<Analysis>,
    ) -> Outcome {
        Outcome {
            actions: vec![Action::Keep { flags: Vec::new() }],
            failure: Some(failure),
            abandoned,
            edited_message: None,
            analysis,
            calendar: Vec::new(),
        }
    }

    /// The same outcome, with what the `processcalendar` actions did.
    pub(super) fn with_calendar(mut self, calendar: Vec<CalendarProcessing>) -> Outcome {
        self.calendar = calendar;
        self
    }

    /// A run on input that is not mail says so in `failure`, unless the
    /// run itself failed (that failure says more). The script ran to its
    /// end, so its actions stand.
    pub(super) fn noting_unparsable(mut self) -> Outcome {
        if self.failure.is_none() {
            if let Some(detail) = self.analysis.as_ref().and_then(Analysis::unparsable) {
                self.failure = Some(Failure::UnparsableMessage {
                    detail: detail.to_string(),
                });
            }
        }
        self
    }

    /// True when the message ends up in the default mailbox.
    pub fn is_kept(&self) -> bool {
        self.actions
            .iter()
            .any(|action| matches!(action, Action::Keep { .. }))
    }
}
