//! The event loop's answers: what the engine does with each event sieve-rs
//! raises while a script runs (record an action, ask the host, compile an
//! included script).

use sieve::runtime::RuntimeError;
use sieve::{Event, Input, Mailbox, Recipient};

use super::calendar::{changed_calendar, lowered_call};
use super::items::{answerable_at, fill_items};
use super::message_diff::{header_edit, is_reply};
use super::outcome::{Action, Failure, Outcome};
use super::{CompiledScript, Engine, Envelope};
use crate::analysis::Analysis;
use crate::process::CalendarProcessing;

impl Engine {
    /// Run the script to its end, answering each event; a failure keeps the
    /// message and lists what the script had done.
    ///
    /// `raw` is the message this script runs on (in a chain, as the scripts
    /// before it edited it); `received` is the message as delivered, the
    /// only one the analysis ever reads.
    pub(super) fn drive(
        &self,
        script: &CompiledScript,
        raw: &[u8],
        received: &[u8],
        envelope: &Envelope,
        context: &mut sieve::Context<'_>,
        mut analysis: Option<Analysis>,
    ) -> Outcome {
        let mut run = RunState::new(raw, received, envelope.to.as_deref());
        run.calls_allowed = script.processes_calendar();
        let mut input = Input::script("main", script.sieve.clone());
        while let Some(result) = context.run(input) {
            input = match result {
                Ok(event) => match self.answer(event, &mut run, context, &mut analysis) {
                    Ok(input) => input,
                    Err(failure) => {
                        return Outcome::kept_after(failure, run.actions, analysis)
                            .with_calendar(run.calendar);
                    }
                },
                Err(error) => {
                    let failure = runtime_failure(&error);
                    if let RuntimeError::ScriptErrorMessage(message) = error {
                        run.actions.push(Action::Error { message });
                    }
                    return Outcome::kept_after(failure, run.actions, analysis)
                        .with_calendar(run.calendar);
                }
            };
        }

        Outcome {
            actions: run.actions,
            failure: None,
            abandoned: Vec::new(),
            edited_message: run.edited_message,
            analysis,
            calendar: run.calendar,
        }
    }

    /// Answer one engine event: record actions, ask the host what it decides.
    pub(super) fn answer(
        &self,
        event: Event,
        run: &mut RunState,
        context: &mut sieve::Context<'_>,
        analysis: &mut Option<Analysis>,
    ) -> Result<Input, Failure> {
        let input = match event {
            Event::IncludeScript { name, optional } => {
                self.include(name, optional, run, context, analysis)?
            }
            Event::MailboxExists {
                mailboxes,
                special_use,
            } => {
                if let Some(call) = lowered_call(&mailboxes) {
                    if !run.calls_allowed {
                        return Ok(Input::False);
                    }
                    self.process_calendar(call, run, context, analysis)?;
                    // The lowered test guards an empty block: its answer
                    // changes nothing.
                    return Ok(Input::False);
                }
                let names: Vec<String> = mailboxes
                    .into_iter()
                    .map(|mailbox| match mailbox {
                        Mailbox::Name(name) | Mailbox::Id(name) => name,
                    })
                    .collect();
                self.host.mailbox_exists(&names, &special_use).into()
            }
            Event::ListContains { lists, values, .. } => {
                (self.config.list_contains(&lists, &values)
                    || self.host.list_contains(&lists, &values))
                .into()
            }
            Event::DuplicateId { id, expiry, last } => {
                self.host.is_duplicate(&id, expiry, last).into()
            }
            Event::SetEnvelope { .. } => Input::True,
            // No external function is registered, so none is ever called;
            // an answer that is a value keeps the expression well formed.
            Event::Function { .. } => Input::result(sieve::runtime::Variable::default()),
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
                if changed_calendar(run) {
                    return Err(Failure::RuntimeError {
                        detail: "reject after processcalendar changed the calendar: the two are incompatible (RFC 9671 section 4.9)".to_owned(),
                    });
                }
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

    /// An `include` (RFC 6609): the host gives the text, the front-end
    /// compiles it, and the analysis is deepened when the included script
    /// asks for more items than the ones filled so far.
    ///
    /// The deeper analysis reads the message as received, never the
    /// context's: sieve-rs edits its parsed message in place, so by now it
    /// holds whatever the including script added or deleted with
    /// editheader (a forged Authentication-Results, a removed
    /// DKIM-Signature). Every script of a run answers from one analysis of
    /// one message.
    fn include(
        &self,
        name: sieve::Script,
        optional: bool,
        run: &mut RunState,
        context: &mut sieve::Context<'_>,
        analysis: &mut Option<Analysis>,
    ) -> Result<Input, Failure> {
        let (text, global) = match &name {
            sieve::Script::Personal(name) => (self.host.include(name, false), false),
            sieve::Script::Global(name) => (self.host.include(name, true), true),
        };
        let label = name.as_str().to_string();
        let Some(text) = text else {
            // RFC 6609: a missing optional script is skipped; a missing
            // required one is a runtime error.
            return if optional {
                Ok(Input::False)
            } else {
                Err(Failure::RuntimeError {
                    detail: format!("included script {label:?} does not exist"),
                })
            };
        };
        let included = self.compile(&text).map_err(|error| Failure::RuntimeError {
            detail: format!(
                "included {}script {label:?} does not compile: {error}",
                if global { "global " } else { "" }
            ),
        })?;
        run.calls_allowed |= included.processes_calendar();
        if included.uses_imip() {
            let answerable = analysis
                .as_ref()
                .map(|done| answerable_at(done.depth()))
                .unwrap_or_default();
            let needed = included.items.union(answerable);
            if needed != answerable {
                let received = self.runtime.filter(run.received);
                let deeper = self.analyse(&received, needed, analysis.take(), run.recipient)?;
                *analysis = Some(deeper);
            }
            if let Some(done) = analysis.as_ref() {
                fill_items(context, done, needed);
            }
        }
        Ok(Input::script(name, included.sieve))
    }
}

/// What the event loop has gathered so far.
pub(super) struct RunState<'m> {
    /// The message this script started from: sieve-rs edits its parsed
    /// copy in place, so header edits are measured against these bytes.
    original: &'m [u8],
    /// The message as delivered, before any script of the run edited it:
    /// what an analysis an included script asks for reads.
    received: &'m [u8],
    /// The envelope recipient, for analyses an included script asks for.
    pub(super) recipient: Option<&'m str>,
    pub(super) actions: Vec<Action>,
    /// Messages the engine built (edited main message, vacation replies,
    /// mailto notifications), by message id.
    created: Vec<(usize, Vec<u8>)>,
    pub(super) edited_message: Option<Vec<u8>>,
    /// What each `processcalendar` the script reached did.
    pub(super) calendar: Vec<CalendarProcessing>,
    /// Whether a script of this run (the main one or an included one) was
    /// lowered from a `processcalendar` action: only then is a
    /// `mailboxidexists` event carrying the reserved call name a call. In
    /// any other run such an event is a string the script built at run
    /// time, and is answered as the test it is written as (no mailbox has
    /// that id).
    pub(super) calls_allowed: bool,
}

impl<'m> RunState<'m> {
    pub(super) fn new(
        original: &'m [u8],
        received: &'m [u8],
        recipient: Option<&'m str>,
    ) -> RunState<'m> {
        RunState {
            original,
            received,
            recipient,
            actions: Vec::new(),
            created: Vec::new(),
            edited_message: None,
            calendar: Vec::new(),
            calls_allowed: false,
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

pub(super) fn runtime_failure(error: &RuntimeError) -> Failure {
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
    Failure::RuntimeError { detail }
}
