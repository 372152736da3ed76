//! Drives sieve-rs: compile a script through the front-end once, then run it
//! on messages, answering every event the engine raises and collecting the
//! actions into a typed [`Outcome`].
//!
//! The `imip` items are filled into reserved environment items before the
//! run, from an [`Analysis`] computed once per message and only as deep as
//! the script's items need; a script without `imip` costs nothing extra.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use sieve::runtime::RuntimeError;
use sieve::{Compiler, Event, Input, Mailbox, Recipient, Runtime, Sieve};

use crate::analysis::{Analysis, Depth};
use crate::message::normalize_line_endings;
use crate::script::{self, Item, ItemSet, ReservedNames, ScriptError};
use crate::validate::Config;

/// A script that failed to compile: the author's 1-based line and column and
/// what was expected there.
pub type CompileError = ScriptError;

/// A script compiled once, reusable for any number of messages from any
/// number of threads.
#[derive(Debug, Clone)]
pub struct CompiledScript {
    sieve: Arc<Sieve>,
    items: ItemSet,
}

impl CompiledScript {
    /// The `imip` items the script reads (empty for a plain Sieve script).
    pub fn items(&self) -> ItemSet {
        self.items
    }

    /// True when the script contains at least one `imip` test.
    pub fn uses_imip(&self) -> bool {
        !self.items.is_empty()
    }
}

/// The SMTP envelope and the recipient the message is delivered for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM` (empty for a bounce).
    pub from: Option<String>,
    /// `RCPT TO` of the user whose script runs.
    pub to: Option<String>,
    /// Original recipient (RFC 3461 ORCPT), if known.
    pub orcpt: Option<String>,
    /// Envelope id (RFC 3461 ENVID), if known.
    pub envid: Option<String>,
}

/// Everything the embedder decides about the world outside the message:
/// mailboxes, duplicate tracking, lists and included scripts. The defaults
/// answer as a server with every mailbox, no history, no lists and no
/// included scripts would.
pub trait Host: Send + Sync {
    /// `mailboxexists` / `fileinto :create` checks (RFC 5490, RFC 8579).
    fn mailbox_exists(&self, mailboxes: &[String], special_use: &[String]) -> bool {
        let _ = (mailboxes, special_use);
        true
    }

    /// `duplicate` (RFC 7352) and vacation's response tracking: true when
    /// `id` was seen within `expiry` seconds. `last` asks to record it.
    fn is_duplicate(&self, id: &str, expiry: u64, last: bool) -> bool {
        let _ = (id, expiry, last);
        false
    }

    /// `:list` match type (RFC 6134): does any list contain any value?
    fn list_contains(&self, lists: &[String], values: &[String]) -> bool {
        let _ = (lists, values);
        false
    }

    /// The source of an `include`d script (RFC 6609), personal or global.
    fn include(&self, name: &str, global: bool) -> Option<String> {
        let _ = (name, global);
        None
    }
}

/// The default [`Host`]: every mailbox exists, nothing is a duplicate, lists
/// are empty, no script can be included.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultHost;

impl Host for DefaultHost {}

/// A header field the script added or deleted (editheader, RFC 5293).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

/// One action the script took, in the order the engine reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Deliver to the default mailbox, with the IMAP flags in effect.
    Keep { flags: Vec<String> },
    /// Deliver to `folder`.
    #[serde(rename = "fileinto")]
    FileInto {
        folder: String,
        flags: Vec<String>,
        create: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        mailbox_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        special_use: Option<String>,
    },
    /// Forward the message to `address` (`list` when it names a list).
    Redirect { address: String, list: bool },
    /// Drop the message silently.
    Discard,
    /// Refuse the message (`extended` for `ereject`).
    Reject { reason: String, extended: bool },
    /// Send an automatic reply.
    Vacation { to: String, message: String },
    /// Send a notification (enotify, RFC 5435).
    Notify {
        method: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        importance: String,
        options: Vec<String>,
        message: String,
    },
    /// The script edited the message's header (addheader / deleteheader).
    #[serde(rename = "editheader")]
    EditHeader {
        added: Vec<HeaderField>,
        deleted: Vec<HeaderField>,
    },
    /// The script called `error` (RFC 5463); the run stopped there.
    Error { message: String },
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

/// Why the script could not run to its end; the message is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// A short, stable category: `runtime-error`, `analysis-failed`, `unparsable-message`.
    pub kind: &'static str,
    /// What happened, for a person.
    pub detail: String,
}

/// What a script decided for one message.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The actions to carry out, implicit keep included (RFC 5228 2.10.2).
    pub actions: Vec<Action>,
    /// Set when the run could not complete: the actions are then a single
    /// keep (RFC 5228 2.10.6) and `abandoned` lists what the script had done.
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
    /// used `imip`.
    #[serde(skip)]
    pub analysis: Option<Analysis>,
}

impl Outcome {
    fn kept_after(failure: Failure, abandoned: Vec<Action>, analysis: Option<Analysis>) -> Outcome {
        Outcome {
            actions: vec![Action::Keep { flags: Vec::new() }],
            failure: Some(failure),
            abandoned,
            edited_message: None,
            analysis,
        }
    }

    /// True when the message ends up in the default mailbox.
    pub fn is_kept(&self) -> bool {
        self.actions
            .iter()
            .any(|action| matches!(action, Action::Keep { .. }))
    }
}

/// Errors in what the embedder passed to [`run`]; problems with the message
/// or the script never surface here (they end in keep with a [`Failure`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// An envelope address that is not an RFC 5321 path.
    #[error("envelope {field} address {value:?} is not a valid address")]
    InvalidEnvelope { field: &'static str, value: String },
}

/// Compiles and runs scripts with one configuration and one [`Host`].
/// `Send + Sync`: share one engine between threads.
pub struct Engine {
    compiler: Compiler,
    runtime: Runtime,
    config: Config,
    host: Arc<dyn Host>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with the default configuration and [`DefaultHost`].
    pub fn new() -> Engine {
        Engine {
            compiler: Compiler::new(),
            runtime: Runtime::new().with_capability("imip"),
            config: Config::default(),
            host: Arc::new(DefaultHost),
        }
    }

    /// Use this validation configuration.
    pub fn with_config(mut self, config: Config) -> Engine {
        self.config = config;
        self
    }

    /// Use this host for mailboxes, duplicates, lists and includes.
    pub fn with_host(mut self, host: Arc<dyn Host>) -> Engine {
        self.host = host;
        self
    }

    /// Tune sieve-rs's runtime (limits, hostname, vacation defaults...).
    /// The `imip` capability stays enabled.
    pub fn with_runtime(mut self, runtime: Runtime) -> Engine {
        self.runtime = runtime.with_capability("imip");
        self
    }

    /// The validation configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Compile a script (Sieve source text) through the `imip` front-end.
    pub fn compile(&self, source: &str) -> Result<CompiledScript, CompileError> {
        let parts = script::compile(&self.compiler, source)?;
        Ok(CompiledScript {
            sieve: Arc::new(parts.sieve),
            items: parts.items,
        })
    }

    /// Run a compiled script on one raw RFC 5322 message.
    pub fn run(
        &self,
        script: &CompiledScript,
        message: &[u8],
        envelope: &Envelope,
    ) -> Result<Outcome, RunError> {
        // mail-parser does not split bare-CR messages; normalising here
        // makes sieve-rs and the analysis see the same structure.
        let raw: Cow<'_, [u8]> = normalize_line_endings(message);
        let mut context = self.runtime.filter(&raw);
        apply_envelope(&mut context, envelope)?;

        let mut analysis = None;
        if script.uses_imip() {
            if !is_rfc5322(context.message()) {
                return Ok(Outcome::kept_after(
                    Failure {
                        kind: "unparsable-message",
                        detail: "the message could not be parsed as RFC 5322 mail, so the imip test cannot be answered".into(),
                    },
                    Vec::new(),
                    None,
                ));
            }
            match self.analyse(&context, script.items, None, envelope.to.as_deref()) {
                Ok(done) => {
                    fill_items(&mut context, &done, script.items);
                    analysis = Some(done);
                }
                Err(failure) => return Ok(Outcome::kept_after(failure, Vec::new(), None)),
            }
        }

        let mut run = RunState::new(&raw, envelope.to.as_deref());
        let mut input = Input::script("main", script.sieve.clone());
        while let Some(result) = context.run(input) {
            input = match result {
                Ok(event) => match self.answer(event, &mut run, &mut context, &mut analysis) {
                    Ok(input) => input,
                    Err(failure) => {
                        return Ok(Outcome::kept_after(failure, run.actions, analysis));
                    }
                },
                Err(error) => {
                    let failure = runtime_failure(&error);
                    if let RuntimeError::ScriptErrorMessage(message) = error {
                        run.actions.push(Action::Error { message });
                    }
                    return Ok(Outcome::kept_after(failure, run.actions, analysis));
                }
            };
        }

        Ok(Outcome {
            actions: run.actions,
            failure: None,
            abandoned: Vec::new(),
            edited_message: run.edited_message,
            analysis,
        })
    }

    /// Analyse the message as deep as `items` need, extending `previous`.
    /// A panic inside the analysis is a bug, but it must not lose mail: it
    /// becomes a failure that keeps the message.
    fn analyse(
        &self,
        context: &sieve::Context<'_>,
        items: ItemSet,
        previous: Option<Analysis>,
        recipient: Option<&str>,
    ) -> Result<Analysis, Failure> {
        let depth = Depth::for_items(items);
        let message = context.message();
        catch_unwind(AssertUnwindSafe(|| match previous {
            Some(mut analysis) => {
                analysis.deepen(message, &self.config, depth, recipient);
                analysis
            }
            None => Analysis::of(message, &self.config, depth, recipient),
        }))
        .map_err(|_| Failure {
            kind: "analysis-failed",
            detail: "the iMIP analysis of this message failed unexpectedly".into(),
        })
    }

    /// Answer one engine event: record actions, ask the host what it decides.
    fn answer(
        &self,
        event: Event,
        run: &mut RunState,
        context: &mut sieve::Context<'_>,
        analysis: &mut Option<Analysis>,
    ) -> Result<Input, Failure> {
        let input = match event {
            Event::IncludeScript { name, optional } => {
                let (text, global) = match &name {
                    sieve::Script::Personal(name) => (self.host.include(name, false), false),
                    sieve::Script::Global(name) => (self.host.include(name, true), true),
                };
                let label = name.as_str().to_string();
                match text {
                    Some(text) => {
                        let included = self.compile(&text).map_err(|error| Failure {
                            kind: "runtime-error",
                            detail: format!(
                                "included {}script {label:?} does not compile: {error}",
                                if global { "global " } else { "" }
                            ),
                        })?;
                        if !included.uses_imip() {
                            Input::script(name, included.sieve)
                        } else {
                            let needed = match analysis.as_ref() {
                                Some(done) => included.items.union(done.items()),
                                None => included.items,
                            };
                            let deeper =
                                self.analyse(context, needed, analysis.take(), run.recipient)?;
                            fill_items(context, &deeper, needed);
                            *analysis = Some(deeper);
                            Input::script(name, included.sieve)
                        }
                    }
                    // RFC 6609: a missing optional script is skipped; a
                    // missing required one is a runtime error.
                    None if optional => Input::False,
                    None => {
                        return Err(Failure {
                            kind: "runtime-error",
                            detail: format!("included script {label:?} does not exist"),
                        })
                    }
                }
            }
            Event::MailboxExists {
                mailboxes,
                special_use,
            } => {
                let names: Vec<String> = mailboxes
                    .into_iter()
                    .map(|mailbox| match mailbox {
                        Mailbox::Name(name) | Mailbox::Id(name) => name,
                    })
                    .collect();
                self.host.mailbox_exists(&names, &special_use).into()
            }
            Event::ListContains { lists, values, .. } => {
                self.host.list_contains(&lists, &values).into()
            }
            Event::DuplicateId { id, expiry, last } => {
                self.host.is_duplicate(&id, expiry, last).into()
            }
            Event::SetEnvelope { .. } | Event::Function { .. } => Input::True,
            Event::Keep { flags, message_id } => {
                run.note_message(message_id);
                run.actions.push(Action::Keep { flags });
                Input::True
            }
            Event::Discard => {
                run.actions.push(Action::Discard);
                Input::True
            }
            Event::Reject { extended, reason } => {
                run.actions.push(Action::Reject { reason, extended });
                Input::True
            }
            Event::FileInto {
                folder,
                flags,
                mailbox_id,
                special_use,
                create,
                message_id,
            } => {
                run.note_message(message_id);
                run.actions.push(Action::FileInto {
                    folder,
                    flags,
                    create,
                    mailbox_id,
                    special_use,
                });
                Input::True
            }
            Event::SendMessage {
                recipient,
                message_id,
                ..
            } => {
                run.send(recipient, message_id);
                Input::True
            }
            Event::Notify {
                from,
                importance,
                options,
                message,
                method,
            } => {
                run.actions.push(Action::Notify {
                    method,
                    from,
                    importance: format!("{importance:?}").to_lowercase(),
                    options,
                    message,
                });
                Input::True
            }
            Event::CreatedMessage {
                message_id,
                message,
            } => {
                run.created.push((message_id, message));
                Input::True
            }
        };
        Ok(input)
    }
}

/// What the event loop has gathered so far.
struct RunState<'m> {
    /// The message as delivered: sieve-rs edits its parsed copy in place,
    /// so header edits are measured against these bytes.
    original: &'m [u8],
    /// The envelope recipient, for analyses an included script asks for.
    recipient: Option<&'m str>,
    actions: Vec<Action>,
    /// Messages the engine built (edited main message, vacation replies,
    /// mailto notifications), by message id.
    created: Vec<(usize, Vec<u8>)>,
    edited_message: Option<Vec<u8>>,
}

impl<'m> RunState<'m> {
    fn new(original: &'m [u8], recipient: Option<&'m str>) -> RunState<'m> {
        RunState {
            original,
            recipient,
            actions: Vec::new(),
            created: Vec::new(),
            edited_message: None,
        }
    }

    fn take_created(&mut self, message_id: usize) -> Option<Vec<u8>> {
        let index = self.created.iter().position(|(id, _)| *id == message_id)?;
        Some(self.created.swap_remove(index).1)
    }

    /// A keep / fileinto / redirect of message `message_id`: a non-zero id
    /// is the main message as the script edited it.
    fn note_message(&mut self, message_id: usize) {
        if message_id == 0 {
            return;
        }
        if let Some(edited) = self.take_created(message_id) {
            self.note_edited(edited);
        }
    }

    /// Record the edited main message and, once, what the edit changed.
    fn note_edited(&mut self, edited: Vec<u8>) {
        if !self
            .actions
            .iter()
            .any(|action| matches!(action, Action::EditHeader { .. }))
        {
            let edit = header_edit(self.original, &edited);
            self.actions.insert(0, edit);
        }
        self.edited_message = Some(edited);
    }

    fn send(&mut self, recipient: Recipient, message_id: usize) {
        let built = if message_id == 0 {
            None
        } else {
            self.take_created(message_id)
        };
        match (recipient, built) {
            // sieve-rs sends enotify's mailto notifications to a group.
            (Recipient::Group(addresses), built) => self.actions.push(Action::Notify {
                method: format!("mailto:{}", addresses.join(",")),
                from: None,
                importance: "normal".into(),
                options: Vec::new(),
                message: built
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default(),
            }),
            (Recipient::Address(to), Some(built)) if is_reply(&built, self.original) => {
                self.actions.push(Action::Vacation {
                    to,
                    message: String::from_utf8_lossy(&built).into_owned(),
                })
            }
            (recipient, built) => {
                if let Some(edited) = built {
                    self.note_edited(edited);
                }
                let (address, list) = match recipient {
                    Recipient::Address(address) => (address, false),
                    Recipient::List(address) => (address, true),
                    Recipient::Group(addresses) => (addresses.join(","), false),
                };
                self.actions.push(Action::Redirect { address, list });
            }
        }
    }
}

/// sieve-rs builds vacation replies and redirects of an edited message the
/// same way (a created message, then a send). The edited message is the
/// original with other header fields, so it keeps the original body; a
/// vacation reply has a body of its own. (Header fields cannot tell them
/// apart: the original may itself be auto-submitted, and a script may add
/// `Auto-Submitted` before a redirect.)
fn is_reply(built: &[u8], original: &[u8]) -> bool {
    body_of(built) != body_of(original)
}

/// The bytes after the header section (empty when there is none).
fn body_of(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|window| window == b"\r\n\r\n");
    let lf = raw.windows(2).position(|window| window == b"\n\n");
    let end = match (crlf, lf) {
        (Some(crlf), Some(lf)) if lf.saturating_add(1) < crlf => lf.saturating_add(2),
        (Some(crlf), _) => crlf.saturating_add(4),
        (None, Some(lf)) => lf.saturating_add(2),
        (None, None) => raw.len(),
    };
    raw.get(end..).unwrap_or_default()
}

/// The header fields an edited message gained and lost, as a multiset
/// difference of (name, raw value) pairs.
fn header_edit(original: &[u8], edited: &[u8]) -> Action {
    let fields = |message: &mail_parser::Message<'_>| -> Vec<HeaderField> {
        message
            .root_part()
            .headers()
            .iter()
            .map(|header| HeaderField {
                name: header.name().to_string(),
                value: message
                    .raw_message()
                    .get(header.offset_start() as usize..header.offset_end() as usize)
                    .map(|raw| String::from_utf8_lossy(raw).trim().to_string())
                    .unwrap_or_default(),
            })
            .collect()
    };
    let fields_of = |raw: &[u8]| {
        mail_parser::MessageParser::new()
            .parse_headers(raw)
            .map(|parsed| fields(&parsed))
            .unwrap_or_default()
    };
    let before = fields_of(original);
    let after = fields_of(edited);
    let mut deleted = before.clone();
    let mut added = Vec::new();
    for field in after {
        match deleted
            .iter()
            .position(|old| old.name.eq_ignore_ascii_case(&field.name) && old.value == field.value)
        {
            Some(index) => {
                deleted.remove(index);
            }
            None => added.push(field),
        }
    }
    Action::EditHeader { added, deleted }
}

/// sieve-rs runs on an empty stand-in when mail-parser cannot parse the
/// input at all, and bytes without a single header field are no mail
/// either (mail-parser turns any leading bytes into a header, so the name
/// is checked against RFC 5322's field-name): the `imip` test cannot be
/// answered for them.
fn is_rfc5322(message: &mail_parser::Message<'_>) -> bool {
    let field_name = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|byte| (33..=126).contains(&byte) && byte != b':')
    };
    !message.raw_message.is_empty()
        && message
            .root_part()
            .headers()
            .iter()
            .any(|header| field_name(header.name()))
}

fn runtime_failure(error: &RuntimeError) -> Failure {
    let detail = match error {
        RuntimeError::TooManyIncludes => "too many nested includes".to_string(),
        RuntimeError::InvalidInstruction(instruction) => format!(
            "invalid instruction {:?} at {}:{}",
            instruction.name(),
            instruction.line_num(),
            instruction.line_pos()
        ),
        RuntimeError::ScriptErrorMessage(message) => format!("the script called error: {message}"),
        RuntimeError::CapabilityNotAllowed(capability) => {
            format!("capability {capability:?} is not allowed")
        }
        RuntimeError::CapabilityNotSupported(capability) => {
            format!("capability {capability:?} is not supported")
        }
        RuntimeError::CPULimitReached => "the script exceeded its CPU limit".to_string(),
    };
    Failure {
        kind: "runtime-error",
        detail,
    }
}

fn apply_envelope(context: &mut sieve::Context<'_>, envelope: &Envelope) -> Result<(), RunError> {
    let fields = [
        ("from", sieve::Envelope::From, &envelope.from),
        ("to", sieve::Envelope::To, &envelope.to),
        ("orcpt", sieve::Envelope::Orcpt, &envelope.orcpt),
        ("envid", sieve::Envelope::Envid, &envelope.envid),
    ];
    for (field, kind, value) in fields {
        let Some(value) = value else { continue };
        if value.contains(['\r', '\n']) {
            return Err(RunError::InvalidEnvelope {
                field,
                value: value.clone(),
            });
        }
        context.set_envelope(kind, value.clone());
    }
    if let Some(to) = &envelope.to {
        context.set_user_address(to.clone());
    }
    Ok(())
}

/// Put the analysis into the reserved environment items the lowered
/// `imip` tests read. Only the items the script uses are filled.
fn fill_items(context: &mut sieve::Context<'_>, analysis: &Analysis, items: ItemSet) {
    // The names live as long as the process: borrowed, never allocated.
    let names: &'static ReservedNames = ReservedNames::global();
    for item in Item::ALL {
        if !items.contains(item) {
            continue;
        }
        let values = analysis.item_values(item);
        // `:count` counts every value (one per component or finding); the
        // match slots need each distinct value once.
        context.set_env_variable(names.count_name(item), values.len().to_string());
        if item.slots() == 1 {
            let value = values.into_iter().next().unwrap_or_default();
            context.set_env_variable(names.value_name(item), value);
        } else {
            for (index, value) in distinct(values).take(item.slots()).enumerate() {
                if let Some(name) = names.slot_name(item, index.saturating_add(1)) {
                    context.set_env_variable(name, value);
                }
            }
        }
    }
}

/// Values in first-seen order without exact repeats (UIDs are
/// case-sensitive, so no folding here; the comparator decides at match time).
fn distinct(values: Vec<String>) -> impl Iterator<Item = String> {
    let mut seen: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen.into_iter()
}

fn default_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::new)
}

/// Compile a script with the default engine.
pub fn compile(source: &str) -> Result<CompiledScript, CompileError> {
    default_engine().compile(source)
}

/// Run a compiled script on a message with the default engine.
pub fn run(
    script: &CompiledScript,
    message: &[u8],
    envelope: &Envelope,
) -> Result<Outcome, RunError> {
    default_engine().run(script, message, envelope)
}
