//! Step 6, recurrence: which components form a series, how many are
//! evaluated, and against which reference date `far-future` is judged; the
//! counting itself is the recurrence evaluator's (`recurrence-flood`,
//! `recurrence-overlap`, `far-future`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use mail_parser::Message;

use super::Config;
use crate::calendar::CalendarObject;
use crate::finding::{Finding, Reason};
use crate::recurrence::counter::Budget;
use crate::recurrence::series::evaluate_within;
use crate::recurrence::{risk_findings, RecurrenceProfile, Series};

/// One series' recurrence profile, with the component it belongs to.
#[derive(Debug, Clone)]
pub struct SeriesProfile {
    /// The UID of the series' component.
    pub uid: Option<String>,
    /// The RECURRENCE-ID of an overridden instance, as written.
    pub recurrence_id: Option<String>,
    /// What the recurrence set amounts to.
    pub profile: RecurrenceProfile,
}

/// The reference for `far-future`: the message's Date when it is near the
/// clock, else the clock. The sender writes Date: trusted only near the
/// clock (`date_trust_days`), a Date far ahead cannot hide a far-future event, nor an old one
/// make an ordinary event look far away. A bare calendar has no Date.
pub(super) fn reference_date(message: Option<&Message<'_>>, config: &Config) -> DateTime<Utc> {
    let now = config.now();
    message
        .and_then(Message::date)
        .and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0))
        .filter(|date| {
            date.signed_duration_since(now).num_days().abs() <= i64::from(config.date_trust_days)
        })
        .unwrap_or(now)
}

/// The methods that put instances into the recipient's calendar. A REPLY
/// or CANCEL about a distant instance adds nothing, so `far-future` is not
/// theirs to carry.
const ADDS_INSTANCES: [&str; 3] = ["REQUEST", "PUBLISH", "ADD"];

/// Profile every series (each component with a DTSTART, up to the
/// configured number) and add its recurrence findings to `findings`;
/// `method` is the object's effective METHOD, upper-case.
pub(super) fn check(
    calendar: &CalendarObject,
    method: Option<&str>,
    config: &Config,
    reference: DateTime<Utc>,
    findings: &mut Vec<Finding>,
) -> Vec<SeriesProfile> {
    let options = config.eval_options(&calendar.timezones);
    // One work budget for the whole object: every series and every time
    // zone rule spends from it, so many rules cannot multiply the cost.
    let budget = Budget::new(config.recurrence_work_budget);
    let thresholds = config.recurrence_thresholds();
    // An overridden instance (RECURRENCE-ID) of a series whose master is in
    // the object is part of that series, not a series of its own: judging it
    // alone would flag a moved instance as far in the future.
    let masters: HashSet<Option<&str>> = calendar
        .components
        .iter()
        .filter(|component| component.recurrence_id.is_none())
        .map(|component| component.uid.as_deref())
        .collect();
    let series_components = calendar
        .components
        .iter()
        .filter(|component| {
            component.recurrence_id.is_none() || !masters.contains(&component.uid.as_deref())
        })
        .filter_map(|component| Some((component, component.dtstart.as_ref()?)));
    let mut profiles = Vec::new();
    for (evaluated, (component, dtstart)) in series_components.enumerate() {
        if evaluated >= config.max_recurrence_series {
            findings.push(Finding::new(
                Reason::Oversized,
                format!(
                    "more than {} series with a DTSTART: the rest were not evaluated (max_recurrence_series)",
                    config.max_recurrence_series
                ),
            ));
            break;
        }
        let series = Series {
            dtstart,
            dtend: component.dtend.as_ref().or(component.due.as_ref()),
            duration: component.duration.as_deref(),
            rrules: &component.rrules,
            rdates: &component.rdates,
            exdates: &component.exdates,
        };
        let evaluation = evaluate_within(&series, &options, &budget);
        findings.extend(evaluation.findings);
        if let Some(profile) = evaluation.profile {
            let adds_instances = method.is_some_and(|method| ADDS_INSTANCES.contains(&method));
            findings.extend(
                risk_findings(&profile, &thresholds, reference)
                    .into_iter()
                    .filter(|finding| adds_instances || finding.reason != Reason::FarFuture),
            );
            profiles.push(SeriesProfile {
                uid: component.uid.clone(),
                recurrence_id: component.recurrence_id.as_ref().map(|id| id.value.clone()),
                profile,
            });
        }
    }
    profiles
}
