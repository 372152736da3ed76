//! Several scripts for one delivery: the administrator's scripts before the
//! user's, the user's, and the administrator's after it, with the
//! multi-script semantics Pigeonhole implements for `sieve_before` /
//! `sieve_after` (draft-degener-sieve-multiscript):
//!
//! - the next script runs only when the one before ended with keep in
//!   force (its implicit keep not cancelled, or an explicit `keep`); `stop`
//!   ends only the script it is in;
//! - a keep inside the chain delivers nothing by itself: one keep is done at
//!   the end, when the last script that ran left keep in force, with that
//!   script's keep flags;
//! - actions of different scripts merge: one store per mailbox (the later
//!   flags win when given), one redirect per address, `fileinto "INBOX"`
//!   and the final keep are one delivery; a second vacation or reject is
//!   dropped, and a reject after a vacation reply becomes a silent discard;
//! - a script that fails at run time ends the chain: what the scripts
//!   before it decided stands, its own actions are abandoned, and the
//!   message is kept without flags;
//! - header edits (editheader) and the internal flags (imap4flags) carry
//!   from one script to the next; variables do not;
//! - the message is analysed once for the whole chain, as it was received.

use std::borrow::Cow;

use super::items::fill_items;
use super::message_diff::header_edit;
use super::outcome::{Action, Outcome};
use super::{apply_envelope, CompiledScript, Engine, Envelope, RunError};
use crate::analysis::Analysis;
use crate::message::repair_raw_message;
use crate::process::CalendarProcessing;
use crate::script::ItemSet;

/// sieve-rs keeps the imap4flags internal flags in this global variable.
const INTERNAL_FLAGS: &str = "__flags";

impl Engine {
    /// Run `scripts` as one chain on a message (see the module
    /// documentation for how one script's result carries to the next).
    /// A chain of one script is [`Engine::run`].
    pub fn run_chain(
        &self,
        scripts: &[&CompiledScript],
        message: &[u8],
        envelope: &Envelope,
    ) -> Result<Outcome, RunError> {
        if let [script] = scripts {
            return self.run(script, message, envelope);
        }
        super::contained(|| self.run_chain_unguarded(scripts, message, envelope))
    }

    fn run_chain_unguarded(
        &self,
        scripts: &[&CompiledScript],
        message: &[u8],
        envelope: &Envelope,
    ) -> Result<Outcome, RunError> {
        let raw: Cow<'_, [u8]> = repair_raw_message(message);
        let items = scripts
            .iter()
            .fold(ItemSet::default(), |all, script| all.union(script.items));
        let mut analysis = {
            let mut context = self.runtime.filter(&raw);
            apply_envelope(&mut context, envelope)?;
            match self.analysis_for(&context, items, envelope) {
                Ok(analysis) => analysis,
                Err(failure) => return Ok(Outcome::kept_after(failure, Vec::new(), None)),
            }
        };

        let mut merged = Merged::default();
        let mut current: Cow<'_, [u8]> = Cow::Borrowed(raw.as_ref());
        let mut internal_flags = None;
        // An empty chain keeps, as a script that does nothing does.
        let mut keep: Option<Vec<String>> = Some(Vec::new());
        for (index, script) in scripts.iter().enumerate() {
            let mut context = self.runtime.filter(&current);
            apply_envelope(&mut context, envelope)?;
            if let Some(done) = &analysis {
                fill_items(&mut context, done, items);
            }
            if let Some(flags) = internal_flags.take() {
                context.set_global_variable(INTERNAL_FLAGS, flags);
            }
            let outcome = self.drive(
                script,
                &current,
                &raw,
                envelope,
                &mut context,
                analysis.take(),
            );
            internal_flags = context.global_variable(INTERNAL_FLAGS).cloned();
            analysis = outcome.analysis;
            merged.calendar.extend(outcome.calendar);
            if let Some(failure) = outcome.failure {
                return Ok(Outcome {
                    failure: Some(failure.in_script(index, scripts.len())),
                    abandoned: outcome.abandoned,
                    ..merged.finish(&raw, Some(Vec::new()), analysis)
                });
            }
            keep = None;
            for action in outcome.actions {
                match action {
                    Action::Keep { flags } => keep = Some(flags),
                    other => merged.add(other),
                }
            }
            if let Some(edited) = outcome.edited_message {
                current = Cow::Owned(edited.clone());
                merged.edited = Some(edited);
            }
            if keep.is_none() {
                break;
            }
        }
        Ok(merged.finish(&raw, keep, analysis).noting_unparsable())
    }
}

/// The actions of the scripts run so far, merged.
#[derive(Default)]
struct Merged {
    actions: Vec<Action>,
    /// The message as the last script that edited it left it.
    edited: Option<Vec<u8>>,
    /// What the `processcalendar` actions of the scripts did.
    calendar: Vec<CalendarProcessing>,
}

impl Merged {
    fn add(&mut self, action: Action) {
        match action {
            // One edit, from the message as received to the last edited
            // version, is added when the chain ends.
            Action::EditHeader { .. } => {}
            Action::FileInto {
                ref folder,
                ref flags,
                ..
            } => {
                let same = self.actions.iter_mut().find(|earlier| {
                    matches!(earlier, Action::FileInto { folder: other, .. } if same_mailbox(other, folder))
                });
                match same {
                    Some(Action::FileInto {
                        flags: earlier_flags,
                        ..
                    }) => {
                        if !flags.is_empty() {
                            earlier_flags.clone_from(flags);
                        }
                    }
                    _ => self.actions.push(action),
                }
            }
            Action::Redirect { ref address, .. } => {
                let sent = self.actions.iter().any(|earlier| {
                    matches!(earlier, Action::Redirect { address: other, .. } if other.eq_ignore_ascii_case(address))
                });
                if !sent {
                    self.actions.push(action);
                }
            }
            Action::Vacation { .. } => {
                if !self.has(|earlier| matches!(earlier, Action::Vacation { .. })) {
                    self.actions.push(action);
                }
            }
            Action::Reject { .. } => {
                if self.has(|earlier| matches!(earlier, Action::Vacation { .. })) {
                    // The sender already has a reply: refusing now would
                    // answer twice, so the message is dropped instead.
                    self.add(Action::Discard);
                } else if !self.has(|earlier| matches!(earlier, Action::Reject { .. })) {
                    self.actions.push(action);
                }
            }
            Action::Discard => {
                if !self.has(|earlier| matches!(earlier, Action::Discard)) {
                    self.actions.push(action);
                }
            }
            Action::Keep { .. } | Action::Notify { .. } | Action::Error { .. } => {
                self.actions.push(action)
            }
        }
    }

    fn has(&self, wanted: impl Fn(&Action) -> bool) -> bool {
        self.actions.iter().any(wanted)
    }

    /// The chain's outcome: the merged actions, the one header edit from
    /// `original` to the last edited message, and the final keep with
    /// these flags when keep is in force.
    fn finish(
        self,
        original: &[u8],
        keep: Option<Vec<String>>,
        analysis: Option<Analysis>,
    ) -> Outcome {
        let mut actions = self.actions;
        if let Some(edited) = &self.edited {
            actions.insert(0, header_edit(original, edited));
        }
        if let Some(flags) = keep {
            actions.retain(|action| !is_inbox(action));
            actions.push(Action::Keep { flags });
        }
        Outcome {
            actions,
            failure: None,
            abandoned: Vec::new(),
            edited_message: self.edited,
            analysis,
            calendar: self.calendar,
        }
    }
}

/// Mailbox names compare exactly, but `INBOX` in any case is INBOX
/// (RFC 3501 section 5.1).
fn same_mailbox(one: &str, other: &str) -> bool {
    one == other || (one.eq_ignore_ascii_case("INBOX") && other.eq_ignore_ascii_case("INBOX"))
}

/// A store into INBOX, which the final keep makes one delivery with.
fn is_inbox(action: &Action) -> bool {
    matches!(action, Action::FileInto { folder, .. } if folder.eq_ignore_ascii_case("INBOX"))
}
