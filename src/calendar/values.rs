//! Property values the calendar model hands to later stages unchanged, as
//! the object wrote them, so the recurrence evaluator can interpret them.

/// A DATE, DATE-TIME or PERIOD property value with the parameters that give
/// it meaning (DTSTART, DTEND, DUE, RECURRENCE-ID, RDATE, EXDATE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DateValue {
    /// The raw value text, e.g. `20261124T090000Z`, `20261124`, or for
    /// RDATE/EXDATE one element of the comma-separated list.
    pub value: String,
    /// The `TZID` parameter, if any.
    pub tzid: Option<String>,
    /// The `VALUE` parameter (`DATE`, `DATE-TIME`, `PERIOD`), upper-cased, if any.
    pub value_type: Option<String>,
}

/// A VTIMEZONE component of the object: how its TZID maps to UTC offsets.
/// Outlook names zones the Windows way ("W. Europe Standard Time"), so the
/// object's own definition is the first place to resolve a TZID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeZoneDefinition {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

/// Whether an observance is the zone's standard or daylight-saving time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservanceKind {
    Standard,
    Daylight,
}

/// One STANDARD or DAYLIGHT sub-component of a VTIMEZONE, values as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub kind: ObservanceKind,
    /// Local DATE-TIME at which the observance first takes effect.
    pub dtstart: String,
    /// `TZOFFSETFROM`, e.g. `+0200`.
    pub offset_from: String,
    /// `TZOFFSETTO`, e.g. `+0100`.
    pub offset_to: String,
    /// `RRULE` value text, if any.
    pub rrule: Option<String>,
    /// `RDATE` values, one element each.
    pub rdates: Vec<String>,
}
