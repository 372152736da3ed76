//! Acting on calendar mail: the RFC 9671 `processcalendar` action carries
//! out a message's iTIP method (RFC 5546) on the user's calendar store,
//! with the validation in front of it.
//!
//! - `gate.rs`: what the analysis found decides whether to act at all;
//! - `methods.rs`: what REQUEST, PUBLISH, ADD, CANCEL and REPLY do to the
//!   stored copy of a UID, as a plan;
//! - `itip.rs`: instances, versions, people, as iTIP reads them;
//! - `ical.rs`: the iCalendar object read whole and written back.
//!
//! Every write names the version of the item it replaces; when another
//! delivery changed the item meanwhile, the item is read again and the plan
//! made anew, a bounded number of times
//! (`conflict_retries` of the configuration's processing policy).

mod gate;
mod ical;
mod itip;
mod methods;

use std::hash::BuildHasher;
use std::time::Duration;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::calendar::CalAddress;
use crate::finding::{quote_untrusted, Quote};
use crate::validate::{CalendarStore, Config, StoreError};
use ical::Component;
use methods::{Context, Incoming, Plan};

/// The outcome of one `processcalendar` action (RFC 9671 section 4.7):
/// the values a script's `:outcome` variable receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessOutcome {
    /// Nothing was changed (the reason says why).
    NoAction,
    /// A new event was added to a calendar.
    Added,
    /// A stored event was updated (or, with `:deletecancelled`, removed).
    Updated,
    /// The action failed (the reason says why).
    Error,
}

impl ProcessOutcome {
    /// `no_action`, `added`, `updated` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessOutcome::NoAction => "no_action",
            ProcessOutcome::Added => "added",
            ProcessOutcome::Updated => "updated",
            ProcessOutcome::Error => "error",
        }
    }

    fn changed(self) -> bool {
        matches!(self, ProcessOutcome::Added | ProcessOutcome::Updated)
    }
}

/// What one `processcalendar` action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarProcessing {
    /// The outcome, as the script's `:outcome` variable receives it.
    pub outcome: ProcessOutcome,
    /// Why, for a person, when the outcome is `no_action` or `error` (what
    /// the script's `:reason` variable receives, RFC 9671 section 4.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The UIDs the message is about.
    pub uids: Vec<String>,
}

impl CalendarProcessing {
    fn refused(outcome: ProcessOutcome, reason: String) -> CalendarProcessing {
        CalendarProcessing {
            outcome,
            reason: Some(reason),
            uids: Vec::new(),
        }
    }
}

/// The arguments of one `processcalendar` action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Options {
    /// `:allowpublic` (RFC 9671 section 4.1): PUBLISH is processed too.
    pub allow_public: bool,
    /// `:updatesonly` (section 4.3): no event is added.
    pub updates_only: bool,
    /// `:deletecancelled` (section 4.5): a cancelled event is removed.
    pub delete_cancelled: bool,
    /// `:calendarid` (section 4.4): where new events go.
    pub calendar_id: Option<String>,
    /// `:organizers` (section 4.6): the list ORGANIZERs must be in.
    pub organizers: Option<String>,
}

/// Everything one action needs.
pub(crate) struct Request<'a> {
    /// The message's analysis, validated ([`crate::analysis::Depth::Validate`]).
    pub analysis: &'a Analysis,
    pub options: &'a Options,
    /// The user's addresses (`:addresses`, the configured recipients, the
    /// envelope recipient).
    pub user: &'a [CalAddress],
    pub config: &'a Config,
    /// Whether an external list holds a value (the Host's answer).
    pub in_list: &'a dyn Fn(&str, &str) -> bool,
}

/// The most UIDs one message may carry for the action to process it (a
/// PUBLISH of a whole calendar may carry many; an iTIP invitation one).
pub(crate) const MAX_UIDS_PER_MESSAGE: usize = 64;

/// Carry out the message's method on the store, or say why not.
pub(crate) fn process(request: &Request<'_>) -> CalendarProcessing {
    let Some(store) = request.config.store.as_deref() else {
        return CalendarProcessing::refused(
            ProcessOutcome::Error,
            "no calendar store is configured, so processcalendar cannot act".to_owned(),
        );
    };
    let analysis = request.analysis;
    let (Some(text), Some(method)) = (analysis.object_text(), analysis.method()) else {
        return CalendarProcessing::refused(
            ProcessOutcome::NoAction,
            "the message carries no iMIP object".to_owned(),
        );
    };
    let method = method.to_ascii_uppercase();
    if let Some(reason) = gate::refusal(analysis, &method, &request.config.processing) {
        return CalendarProcessing::refused(ProcessOutcome::NoAction, reason);
    }
    match method.as_str() {
        "REQUEST" | "ADD" | "CANCEL" | "REPLY" => {}
        "PUBLISH" if request.options.allow_public => {}
        "PUBLISH" => {
            return CalendarProcessing::refused(
                ProcessOutcome::NoAction,
                "a PUBLISH is processed only with :allowpublic".to_owned(),
            )
        }
        "REFRESH" | "COUNTER" | "DECLINECOUNTER" => {
            return CalendarProcessing::refused(
                ProcessOutcome::NoAction,
                format!(
                    "a {method} changes nothing in the calendar: it asks the user's calendar client for an answer"
                ),
            )
        }
        other => {
            return CalendarProcessing::refused(
                ProcessOutcome::Error,
                format!("METHOD {} is not an iTIP method", quote_untrusted(other, Quote::Value)),
            )
        }
    }
    let calendar = match ical::stored_object(text, &request.config.calendar_limits) {
        Ok(calendar) => calendar,
        Err(error) => {
            return CalendarProcessing::refused(
                ProcessOutcome::Error,
                format!("the calendar object cannot be read: {}", error.0),
            )
        }
    };
    let groups = match by_uid(&calendar) {
        Ok(groups) => groups,
        Err(refusal) => return refusal,
    };
    // Each UID costs a look-up and a write (on CalDAV, a REPORT whose
    // text-match is a substring match, so a short UID brings back much of
    // the calendar): a message is processed only up to this many.
    if groups.len() > MAX_UIDS_PER_MESSAGE {
        return CalendarProcessing::refused(
            ProcessOutcome::NoAction,
            format!(
                "the message carries {} UIDs; at most {MAX_UIDS_PER_MESSAGE} are processed from one message, so none is",
                groups.len()
            ),
        );
    }
    let context = Context {
        options: request.options,
        user: request.user,
        in_list: request.in_list,
        from: &request.analysis.from,
        unverified_allowed: request.config.processing.act_on_unverified_sender,
    };
    let results: Vec<(String, ProcessOutcome, Option<String>)> = groups
        .into_iter()
        .map(|(uid, components)| {
            let incoming = Incoming {
                method: &method,
                calendar: &calendar,
                uid: &uid,
                components,
            };
            let (outcome, reason) = carry_out(store, request, &context, &incoming);
            (uid.clone(), outcome, reason)
        })
        .collect();
    combine(results)
}

/// The components a store keeps, by UID in message order.
fn by_uid(calendar: &Component) -> Result<Vec<(String, Vec<&Component>)>, CalendarProcessing> {
    let mut groups: Vec<(String, Vec<&Component>)> = Vec::new();
    let mut free_busy = false;
    for component in &calendar.components {
        if component.is("VFREEBUSY") {
            free_busy = true;
            continue;
        }
        if !itip::is_stored_kind(component) {
            continue;
        }
        let Some(uid) = component.value_of("UID").filter(|uid| !uid.is_empty()) else {
            return Err(CalendarProcessing::refused(
                ProcessOutcome::Error,
                format!("a {} has no UID", component.name),
            ));
        };
        match groups.iter_mut().find(|(known, _)| known == uid) {
            Some((_, members)) => members.push(component),
            None => groups.push((uid.to_owned(), vec![component])),
        }
    }
    if groups.is_empty() {
        let reason = if free_busy {
            "free/busy information is not stored in a calendar".to_owned()
        } else {
            "the calendar object has no VEVENT, VTODO or VJOURNAL".to_owned()
        };
        let outcome = if free_busy {
            ProcessOutcome::NoAction
        } else {
            ProcessOutcome::Error
        };
        return Err(CalendarProcessing::refused(outcome, reason));
    }
    Ok(groups)
}

/// Plan and write one UID, reading the stored copy again after each
/// conflict.
fn carry_out(
    store: &dyn CalendarStore,
    request: &Request<'_>,
    context: &Context<'_>,
    incoming: &Incoming<'_>,
) -> (ProcessOutcome, Option<String>) {
    let failed = |error: StoreError| (ProcessOutcome::Error, Some(error.to_string()));
    let attempts = request.config.processing.conflict_retries.saturating_add(1);
    for attempt in 0..attempts {
        if attempt > 0 {
            std::thread::sleep(backoff(attempt));
        }
        let stored = match store.find(incoming.uid) {
            Ok(stored) => stored,
            Err(error) => return failed(error),
        };
        let stored_tree = match &stored {
            Some(item) => match ical::stored_object(&item.text, &request.config.calendar_limits) {
                Ok(tree) => Some(tree),
                Err(error) => {
                    return (
                        ProcessOutcome::Error,
                        Some(format!(
                            "the stored copy of UID {} ({}/{}) cannot be read: {}",
                            quote_untrusted(incoming.uid, Quote::Value),
                            item.calendar,
                            item.href,
                            error.0
                        )),
                    )
                }
            },
            None => None,
        };
        let plan = methods::plan(context, incoming, stored_tree.as_ref());
        let text = match &plan {
            Plan::Create(object) | Plan::Update(object) => ical::write(object),
            Plan::Refuse(..) | Plan::Delete => String::new(),
        };
        // What is written must read back: an object over the read limit
        // would be refused by every later message and lookup of its UID.
        let limit = request.config.calendar_limits.max_bytes;
        if text.len() > limit {
            return (
                ProcessOutcome::Error,
                Some(format!(
                    "UID {} would be stored as {} bytes, over the {limit} bytes a stored copy may have (calendar_limits.max_bytes): nothing is written",
                    quote_untrusted(incoming.uid, Quote::Value),
                    text.len()
                )),
            );
        }
        let written = match (plan, &stored) {
            (Plan::Refuse(outcome, reason), _) => return (outcome, Some(reason)),
            (Plan::Create(_), _) => match target_calendar(store, request.options) {
                Ok(calendar) => store
                    .create(&calendar, incoming.uid, &text)
                    .map(|_| ProcessOutcome::Added),
                Err(refusal) => return refusal,
            },
            (Plan::Update(_), Some(item)) => {
                store.update(item, &text).map(|_| ProcessOutcome::Updated)
            }
            (Plan::Delete, Some(item)) => store.delete(item).map(|_| ProcessOutcome::Updated),
            (Plan::Update(_) | Plan::Delete, None) => Err(StoreError::Conflict),
        };
        match written {
            Ok(outcome) => return (outcome, None),
            Err(StoreError::Conflict) => continue,
            Err(error) => return failed(error),
        }
    }
    (
        ProcessOutcome::Error,
        Some(format!(
            "UID {} kept changing in the store: {attempts} attempts lost to other writers",
            quote_untrusted(incoming.uid, Quote::Value)
        )),
    )
}

/// The longest wait before one retry.
const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// How long to wait before the `retry`-th retry of a write that lost a
/// race: a random time up to 5 ms, doubling with each retry up to
/// [`MAX_BACKOFF`]. Writers that met on one item then come back at
/// different times instead of meeting again (eight deliveries answering
/// one event at once on a CalDAV server lost up to six rounds in a row
/// without it). Random from the standard library's randomly keyed hasher:
/// nothing here needs more than spread.
fn backoff(retry: u32) -> Duration {
    let ceiling = Duration::from_millis(5)
        .saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        )
        .min(MAX_BACKOFF);
    let random = std::collections::hash_map::RandomState::new().hash_one((
        retry,
        std::time::Instant::now(),
        std::thread::current().id(),
    ));
    let micros = u64::try_from(ceiling.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_micros(random.checked_rem(micros).unwrap_or(0))
}

/// The calendar new events go to: `:calendarid` when it names one of the
/// user's calendars, the store's default otherwise.
fn target_calendar(
    store: &dyn CalendarStore,
    options: &Options,
) -> Result<String, (ProcessOutcome, Option<String>)> {
    let failed = |error: StoreError| (ProcessOutcome::Error, Some(error.to_string()));
    match &options.calendar_id {
        Some(named) => match store.has_calendar(named) {
            Ok(true) => Ok(named.clone()),
            Ok(false) => Err(failed(StoreError::NoSuchCalendar(named.clone()))),
            Err(error) => Err(failed(error)),
        },
        None => store.default_calendar().map_err(failed),
    }
}

/// One result for the message: a failure of any UID is the message's
/// error; otherwise a UID added, then a UID updated, is what happened.
fn combine(results: Vec<(String, ProcessOutcome, Option<String>)>) -> CalendarProcessing {
    let uids: Vec<String> = results.iter().map(|(uid, _, _)| uid.clone()).collect();
    let outcome = [
        ProcessOutcome::Error,
        ProcessOutcome::Added,
        ProcessOutcome::Updated,
    ]
    .into_iter()
    .find(|wanted| results.iter().any(|(_, outcome, _)| outcome == wanted))
    .unwrap_or(ProcessOutcome::NoAction);
    let reasons: Vec<&str> = results
        .iter()
        .filter(|(_, outcome, _)| !outcome.changed())
        .filter_map(|(_, _, reason)| reason.as_deref())
        .collect();
    CalendarProcessing {
        outcome,
        reason: (!outcome.changed() && !reasons.is_empty()).then(|| reasons.join("; ")),
        uids,
    }
}

/// The fuzz target's work (`fuzzing::processcalendar`): `text` read as an
/// object, written back (which must read back the same), then every method
/// planned with it as the message, against no stored copy and against
/// itself as the stored copy, every plan's object written and read again.
/// A breach panics, so the fuzzer reports it.
#[cfg(any(test, feature = "internals"))]
pub(crate) fn exercise(text: &str) {
    use crate::calendar::CalendarLimits;

    let limits = CalendarLimits::default();
    let roomy = CalendarLimits {
        max_bytes: usize::MAX,
        ..CalendarLimits::default()
    };
    let Ok(calendar) = ical::stored_object(text, &limits) else {
        return;
    };
    let written = ical::write(&calendar);
    let again = ical::stored_object(&written, &roomy);
    assert_eq!(
        again.as_ref().ok(),
        Some(&calendar),
        "written back: {written}"
    );
    let Ok(groups) = by_uid(&calendar) else {
        return;
    };
    let user = [
        CalAddress::parse("bob@example.org"),
        CalAddress::parse("alice@example.com"),
    ];
    let user: Vec<CalAddress> = user.into_iter().flatten().collect();
    let in_list = |_: &str, _: &str| true;
    for options in [
        Options::default(),
        Options {
            allow_public: true,
            updates_only: true,
            delete_cancelled: true,
            calendar_id: Some("work".to_owned()),
            organizers: Some("list".to_owned()),
        },
    ] {
        let context = Context {
            options: &options,
            user: &user,
            in_list: &in_list,
            from: &[],
            unverified_allowed: true,
        };
        for method in ["REQUEST", "PUBLISH", "ADD", "CANCEL", "REPLY"] {
            for (uid, components) in &groups {
                let incoming = Incoming {
                    method,
                    calendar: &calendar,
                    uid,
                    components: components.clone(),
                };
                for stored in [None, Some(&calendar)] {
                    if let Plan::Create(object) | Plan::Update(object) =
                        methods::plan(&context, &incoming, stored)
                    {
                        let text = ical::write(&object);
                        assert!(
                            ical::stored_object(&text, &roomy).is_ok(),
                            "{method} wrote what does not read back: {text}"
                        );
                    }
                }
            }
        }
    }
}
