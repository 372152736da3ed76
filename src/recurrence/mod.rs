//! RRULE/RDATE/EXDATE parsing and the recurrence-risk evaluator.
//!
//! [`evaluate`] answers, for one recurrence set, how many instances there
//! are (exactly, or unbounded), how many fall in a horizon, the first and
//! last, the densest day and the largest overlap, without expanding the
//! instances: its cost does not grow with COUNT, UNTIL or the horizon.
//!
//! ```
//! use sieve_imip::calendar::DateValue;
//! use sieve_imip::recurrence::{evaluate, EvalOptions, InstanceCount, Series};
//!
//! let dtstart = DateValue { value: "20260105T090000Z".into(), ..Default::default() };
//! let rrules = vec!["FREQ=DAILY;COUNT=1000000000".to_string()];
//! let series = Series { dtstart: &dtstart, dtend: None, duration: Some("PT30M"),
//!                       rrules: &rrules, rdates: &[], exdates: &[] };
//! let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
//! let profile = evaluate(&series, &EvalOptions::new(now)).profile.unwrap();
//! assert_eq!(profile.instances_total, InstanceCount::Exact(1_000_000_000));
//! assert_eq!(profile.instances_in_horizon, 361);
//! ```

pub(crate) mod civil;
pub(crate) mod counter;
pub mod parse;
pub(crate) mod plan;
pub mod risk;
pub mod series;
pub(crate) mod zone;

#[cfg(test)]
mod tests;

pub use parse::{
    parse_date_or_date_time, parse_duration, parse_period, parse_recur, DateOrDateTime, Frequency,
    Recur, RecurError, Weekday, WeekdayNum,
};
pub use risk::{risk_findings, RecurrenceThresholds};
pub use series::{
    evaluate, EvalOptions, Evaluation, InstanceCount, RecurrenceProfile, Series,
    DEFAULT_HORIZON_DAYS,
};
