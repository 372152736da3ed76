//! `processcalendar` (RFC 9671) where the script reaches it: the lowered
//! action raises a `mailboxidexists` event carrying its arguments; the
//! engine validates the message (once), carries out the method on the
//! store, and leaves the outcome and reason in the reserved environment
//! items the `set` commands after the test read.

use std::panic::{catch_unwind, AssertUnwindSafe};

use sieve::Mailbox;

use super::events::RunState;
use super::Engine;
use crate::analysis::{Analysis, Depth};
use crate::calendar::CalAddress;
use crate::process::{self, CalendarProcessing, Options, ProcessOutcome, Request};
use crate::script::{decode_call, Item, ItemSet, ProcessCall, ReservedNames};

use super::outcome::{Action, Failure};

/// The longest reason handed to a script's `:reason` variable, in
/// characters: sieve-rs truncates variables (4096 bytes by default), and a
/// reason is for a person.
const MAX_REASON_CHARS: usize = 1000;

/// The call a `mailboxidexists` event carries, when it is a lowered
/// `processcalendar` and not the author's own test.
pub(super) fn lowered_call(mailboxes: &[Mailbox]) -> Option<ProcessCall> {
    let ids: Vec<&str> = mailboxes
        .iter()
        .map(|mailbox| match mailbox {
            Mailbox::Id(id) => Some(id.as_str()),
            Mailbox::Name(_) => None,
        })
        .collect::<Option<_>>()?;
    decode_call(&ids, ReservedNames::global())
}

impl Engine {
    /// Carry out one `processcalendar` call.
    pub(super) fn process_calendar(
        &self,
        call: ProcessCall,
        run: &mut RunState<'_>,
        context: &mut sieve::Context<'_>,
        analysis: &mut Option<Analysis>,
    ) -> Result<(), Failure> {
        // RFC 9671 section 4.9: once per script, and not beside `reject`.
        let refusal = if !run.calendar.is_empty() {
            Some("processcalendar runs once per script (RFC 9671 section 4.9): this second one did nothing")
        } else if run
            .actions
            .iter()
            .any(|action| matches!(action, Action::Reject { .. }))
        {
            Some("processcalendar cannot follow reject or ereject (RFC 9671 section 4.9): it did nothing")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let result = CalendarProcessing {
                outcome: ProcessOutcome::Error,
                reason: Some(reason.to_owned()),
                uids: Vec::new(),
            };
            set_results(context, &result);
            run.calendar.push(result);
            return Ok(());
        }
        let validated = match analysis.take() {
            Some(done) if done.depth() >= Depth::Validate => done,
            previous => {
                let mut items = ItemSet::default();
                items.insert(Item::Reason);
                self.analyse(context, items, previous, run.recipient)?
            }
        };
        let user = user_addresses(&call, &self.config.recipients, run.recipient);
        let options = Options {
            allow_public: call.allow_public,
            updates_only: call.updates_only,
            delete_cancelled: call.delete_cancelled,
            calendar_id: call.calendar_id,
            organizers: call.organizers,
        };
        let in_list = |list: &str, value: &str| {
            let (lists, values) = ([list.to_owned()], [value.to_owned()]);
            self.config.list_contains(&lists, &values) || self.host.list_contains(&lists, &values)
        };
        let request = Request {
            analysis: &validated,
            options: &options,
            user: &user,
            config: &self.config,
            in_list: &in_list,
        };
        // A defect in the processing must not lose the message: the run
        // goes on, and the script sees an error outcome.
        let result =
            catch_unwind(AssertUnwindSafe(|| process::process(&request))).unwrap_or_else(|_| {
                CalendarProcessing {
                    outcome: ProcessOutcome::Error,
                    reason: Some(
                        "processcalendar failed unexpectedly (a defect, contained)".into(),
                    ),
                    uids: Vec::new(),
                }
            });
        *analysis = Some(validated);
        set_results(context, &result);
        run.calendar.push(result);
        Ok(())
    }
}

/// Leave the outcome and reason where the `set` commands after the
/// lowered test read them.
fn set_results(context: &mut sieve::Context<'_>, result: &CalendarProcessing) {
    let names = ReservedNames::global();
    context.set_env_variable(
        names.process_outcome().to_owned(),
        result.outcome.as_str().to_owned(),
    );
    let reason: String = result
        .reason
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(MAX_REASON_CHARS)
        .collect();
    context.set_env_variable(names.process_reason().to_owned(), reason);
}

/// Whether a `processcalendar` of this run changed the calendar: a
/// `reject` after it is then an error (RFC 9671 section 4.9), since the
/// sender would be told the message was refused while its event stands.
pub(super) fn changed_calendar(run: &RunState<'_>) -> bool {
    run.calendar.iter().any(|done| {
        matches!(
            done.outcome,
            ProcessOutcome::Added | ProcessOutcome::Updated
        )
    })
}

/// The user's addresses: `:addresses` (RFC 9671 section 4.2), then the
/// configured recipients, then the envelope recipient; each once.
fn user_addresses(
    call: &ProcessCall,
    configured: &[String],
    envelope: Option<&str>,
) -> Vec<CalAddress> {
    let mut user: Vec<CalAddress> = Vec::new();
    let written = call
        .addresses
        .iter()
        .map(String::as_str)
        .chain(configured.iter().map(String::as_str))
        .chain(envelope);
    for address in written.filter_map(CalAddress::parse) {
        if !user.iter().any(|known| known.matches(&address)) {
            user.push(address);
        }
    }
    user
}
