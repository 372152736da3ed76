//! One way to state a recurring series and evaluate it, for the recurrence
//! tests: the owned values a `Series` borrows, built one part at a time.

use crate::calendar::{DateValue, TimeZoneDefinition};
use crate::recurrence::series::Evaluation;
use crate::recurrence::{evaluate, EvalOptions, Series};
use chrono::{DateTime, Duration, Utc};

/// An RFC 3339 time as UTC.
pub fn at(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => time.to_utc(),
        Err(err) => panic!("{text:?} is not RFC 3339: {err}"),
    }
}

/// A DATE-TIME value as written, with an optional TZID.
pub fn value(text: &str, tzid: Option<&str>) -> DateValue {
    DateValue {
        value: text.to_owned(),
        tzid: tzid.map(str::to_owned),
        value_type: None,
    }
}

/// A series: DTSTART plus what the tests vary, and the window it is read in.
#[derive(Clone)]
pub struct SeriesCase {
    dtstart: DateValue,
    duration: Option<String>,
    rrules: Vec<String>,
    rdates: Vec<DateValue>,
    exdates: Vec<DateValue>,
    timezones: Vec<TimeZoneDefinition>,
    now: DateTime<Utc>,
    horizon: Duration,
}

impl SeriesCase {
    /// DTSTART alone, read from `now` over `horizon`.
    pub fn new(dtstart: DateValue, now: DateTime<Utc>, horizon: Duration) -> SeriesCase {
        SeriesCase {
            dtstart,
            duration: None,
            rrules: Vec::new(),
            rdates: Vec::new(),
            exdates: Vec::new(),
            timezones: Vec::new(),
            now,
            horizon,
        }
    }

    /// An RRULE.
    pub fn rule(mut self, rule: &str) -> SeriesCase {
        self.rrules.push(rule.to_owned());
        self
    }

    pub fn duration(mut self, duration: Option<&str>) -> SeriesCase {
        self.duration = duration.map(str::to_owned);
        self
    }

    pub fn rdates(mut self, rdates: Vec<DateValue>) -> SeriesCase {
        self.rdates = rdates;
        self
    }

    pub fn exdates(mut self, exdates: Vec<DateValue>) -> SeriesCase {
        self.exdates = exdates;
        self
    }

    /// The object's VTIMEZONEs.
    pub fn timezones(mut self, timezones: &[TimeZoneDefinition]) -> SeriesCase {
        self.timezones = timezones.to_vec();
        self
    }

    pub fn evaluate(&self) -> Evaluation {
        let series = Series {
            dtstart: &self.dtstart,
            dtend: None,
            duration: self.duration.as_deref(),
            rrules: &self.rrules,
            rdates: &self.rdates,
            exdates: &self.exdates,
        };
        evaluate(
            &series,
            &EvalOptions {
                now: self.now,
                horizon: self.horizon,
                timezones: &self.timezones,
                limits: crate::recurrence::RecurrenceLimits::default(),
            },
        )
    }
}
