//! RRULE/RDATE/EXDATE parsing and the recurrence-risk evaluator.
//!
//! [`evaluate`] answers, for one recurrence set, how many instances there
//! are (exactly, or unbounded), how many fall in a horizon, the first and
//! last, the densest day and the largest overlap, without expanding the
//! instances: its cost does not grow with COUNT, UNTIL or the horizon.
//!
//! (The test `module_example` in `tests/rfc5545.rs` evaluates
//! `FREQ=DAILY;COUNT=1000000000` this way.)

pub(crate) mod civil;
pub(crate) mod counter;
pub mod parse;
pub(crate) mod plan;
pub mod risk;
pub mod series;
pub(crate) mod zone;

#[cfg(test)]
mod tests;

pub use risk::{risk_findings, RecurrenceThresholds};
#[cfg(any(test, feature = "internals"))]
pub use series::evaluate;
pub use series::{
    EvalOptions, InstanceCount, RecurrenceLimits, RecurrenceProfile, Series, DEFAULT_HORIZON_DAYS,
};
