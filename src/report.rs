//! The analysis as `sieve-imip analyze` shows it: a stable JSON shape (one
//! object per input) and a short human-readable block. Field names are
//! documented in the README.

use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::calendar::{Attendee, CalAddress, DateValue, Organizer, SchedulingComponent};
use crate::recurrence::InstanceCount;
use crate::validate::SeriesProfile;
use crate::validate::{AuthResultsEntry, ScoredFinding};

/// One analysed input, ready to serialise.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// The input's name as given on the command line.
    pub file: &'a str,
    /// Why the input was not examined, when it could not be:
    /// `{"kind": "unparsable-message", "detail"}` for input that is neither
    /// RFC 5322 mail nor an iCalendar object; `None` otherwise.
    pub failure: Option<InputFailure<'a>>,
    /// True when the input carries an iMIP object.
    pub imip: bool,
    /// Which rule located it: `imip-content-id-top`, `imip-content-id-part`,
    /// `structure`, or `file` for a bare iCalendar file.
    pub located_by: Option<&'a str>,
    /// IMAP-style MIME part path of the object ("1", "1.2", ...).
    pub part: Option<&'a str>,
    /// The effective iTIP METHOD.
    pub method: Option<&'a str>,
    /// The scheduled components of the object.
    pub components: Vec<ComponentReport<'a>>,
    /// Calendars inside attached messages (forwards, bounces): not this
    /// message's iMIP object.
    pub embedded: Vec<EmbeddedReport<'a>>,
    /// One recurrence profile per series (component with a DTSTART).
    pub recurrence: Vec<RecurrenceReport<'a>>,
    /// Every finding with its weight and explanation.
    pub findings: &'a [ScoredFinding],
    /// Sum of the weights, capped at 100.
    pub risk: u32,
    /// Whether the risk reaches the configured threshold.
    pub suspicious: bool,
    /// Every Authentication-Results header the validation read:
    /// `{authserv_id, results: [{method, result, reason, properties:
    /// [{type, name, value}]}]}`, or `{error}` for one that does not parse.
    pub authentication_results: &'a [AuthResultsEntry],
}

/// Why an input was not examined, in the shape of the engine's failures
/// (`test --json`, `filter --json`).
#[derive(Debug, Serialize)]
pub struct InputFailure<'a> {
    /// The category: `unparsable-message`.
    pub kind: &'static str,
    /// What was wrong, for a person.
    pub detail: &'a str,
}

/// One VEVENT / VTODO / VJOURNAL / VFREEBUSY.
#[derive(Debug, Serialize)]
pub struct ComponentReport<'a> {
    /// `VEVENT`, `VTODO`, `VJOURNAL` or `VFREEBUSY`.
    pub kind: &'static str,
    /// Its UID.
    pub uid: Option<&'a str>,
    /// Its SEQUENCE, when a non-negative integer.
    pub sequence: Option<u32>,
    /// Its RECURRENCE-ID (an overridden instance), as written.
    pub recurrence_id: Option<DateReport<'a>>,
    /// Its DTSTART, as written.
    pub dtstart: Option<DateReport<'a>>,
    /// Its ORGANIZER.
    pub organizer: Option<OrganizerReport<'a>>,
    /// Its ATTENDEEs, in order.
    pub attendees: Vec<AttendeeReport<'a>>,
}

/// A date or date-time as written, with its zone.
#[derive(Debug, Serialize)]
pub struct DateReport<'a> {
    /// The value as written (`20261201T120000`, `20261201`, ...).
    pub value: &'a str,
    /// The TZID parameter.
    pub tzid: Option<&'a str>,
}

/// A component's ORGANIZER; addresses without `mailto:`, domain lower-cased.
#[derive(Debug, Serialize)]
pub struct OrganizerReport<'a> {
    /// The organizer's address.
    pub address: &'a str,
    /// Its CN parameter (display name).
    pub cn: Option<&'a str>,
    /// Its SENT-BY parameter: who sends on the organizer's behalf.
    pub sent_by: Option<&'a str>,
}

/// One ATTENDEE; addresses without `mailto:`, domain lower-cased.
#[derive(Debug, Serialize)]
pub struct AttendeeReport<'a> {
    /// The attendee's address.
    pub address: &'a str,
    /// Its CN parameter (display name).
    pub cn: Option<&'a str>,
    /// Its PARTSTAT parameter (`ACCEPTED`, `NEEDS-ACTION`, ...).
    pub partstat: Option<&'a str>,
    /// Its ROLE parameter.
    pub role: Option<&'a str>,
    /// Its RSVP parameter.
    pub rsvp: Option<bool>,
    /// Its SENT-BY parameter.
    pub sent_by: Option<&'a str>,
    /// The addresses of its DELEGATED-TO parameter.
    pub delegated_to: Vec<&'a str>,
    /// The addresses of its DELEGATED-FROM parameter.
    pub delegated_from: Vec<&'a str>,
}

/// What one series amounts to; times in RFC 3339 UTC.
#[derive(Debug, Serialize)]
pub struct RecurrenceReport<'a> {
    /// The UID of the series' component.
    pub uid: Option<&'a str>,
    /// The RECURRENCE-ID of an overridden instance judged on its own.
    pub recurrence_id: Option<&'a str>,
    /// A number, or the string `"unbounded"`.
    pub instances_total: serde_json::Value,
    /// Instances starting in `[now, now + horizon)`.
    pub instances_in_horizon: u64,
    /// The first instance's start.
    pub first_start: Option<String>,
    /// The last instance's start; `None` when unbounded.
    pub last_start: Option<String>,
    /// The first start in the horizon.
    pub first_start_in_horizon: Option<String>,
    /// Most instances starting on one calendar day of the series' zone.
    pub max_per_day: u64,
    /// Most instances in progress at once (1: none overlap).
    pub max_overlap: u64,
    /// How the series' time zone was resolved, when not as written.
    pub timezone_note: Option<&'a str>,
    /// Rules not counted as written (RFC 7529 RSCALE, a rule read two ways).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_note: Option<&'a str>,
    /// The counts when the rule's missing part is expanded (python-dateutil's reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_reading: Option<OtherReadingReport>,
}

/// [`RecurrenceReport::other_reading`].
#[derive(Debug, Serialize)]
pub struct OtherReadingReport {
    /// A number, or the string `"unbounded"`.
    pub instances_total: serde_json::Value,
    /// Instances starting in `[now, now + horizon)`.
    pub instances_in_horizon: u64,
    /// Most instances starting on one calendar day.
    pub max_per_day: u64,
}

fn count_value(count: InstanceCount) -> serde_json::Value {
    match count {
        InstanceCount::Exact(count) => serde_json::Value::from(count),
        InstanceCount::Unbounded => serde_json::Value::from("unbounded"),
    }
}

impl<'a> RecurrenceReport<'a> {
    fn new(series: &'a SeriesProfile) -> RecurrenceReport<'a> {
        let profile = &series.profile;
        let time = |time: Option<chrono::DateTime<chrono::Utc>>| {
            time.map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        RecurrenceReport {
            uid: series.uid.as_deref(),
            recurrence_id: series.recurrence_id.as_deref(),
            instances_total: count_value(profile.instances_total),
            instances_in_horizon: profile.instances_in_horizon,
            first_start: time(profile.first_start),
            last_start: time(profile.last_start),
            first_start_in_horizon: time(profile.first_start_in_horizon),
            max_per_day: profile.max_per_day,
            max_overlap: profile.max_overlap,
            timezone_note: profile.timezone_note.as_deref(),
            rule_note: profile.rule_note.as_deref(),
            other_reading: profile
                .other_reading
                .as_ref()
                .map(|other| OtherReadingReport {
                    instances_total: count_value(other.instances_total),
                    instances_in_horizon: other.instances_in_horizon,
                    max_per_day: other.max_per_day,
                }),
        }
    }
}

/// A calendar inside an attached message (a forward, a bounce).
#[derive(Debug, Serialize)]
pub struct EmbeddedReport<'a> {
    /// IMAP section path, numbered inside the embedded message.
    pub part: &'a str,
    /// Its effective METHOD, if it has one.
    pub method: Option<&'a str>,
}

impl<'a> Report<'a> {
    /// The report of one analysis.
    pub fn new(file: &'a str, analysis: &'a Analysis) -> Report<'a> {
        let object = analysis.located.object.as_ref();
        let components = analysis
            .calendar
            .iter()
            .flat_map(|calendar| &calendar.components)
            .map(ComponentReport::new)
            .collect();
        Report {
            file,
            failure: analysis.unparsable().map(|detail| InputFailure {
                kind: "unparsable-message",
                detail,
            }),
            imip: analysis.is_imip(),
            located_by: object.map(|object| {
                if analysis.is_bare_calendar() {
                    "file"
                } else {
                    object.located_by.as_str()
                }
            }),
            part: object
                .filter(|_| !analysis.is_bare_calendar())
                .map(|object| object.part.as_str()),
            method: object.and_then(|object| object.method.as_deref()),
            components,
            embedded: analysis
                .located
                .embedded
                .iter()
                .map(|calendar| EmbeddedReport {
                    part: &calendar.part,
                    method: calendar.method.as_deref(),
                })
                .collect(),
            recurrence: analysis
                .recurrence
                .iter()
                .map(RecurrenceReport::new)
                .collect(),
            findings: &analysis.findings,
            risk: analysis.risk,
            suspicious: analysis.suspicious,
            authentication_results: &analysis.authentication_results,
        }
    }

    /// A short block for people: what was found, where, and why it is risky.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = match (&self.failure, self.imip, self.method) {
            (Some(failure), _, _) => {
                writeln!(text, "{}: {}: {}", self.file, failure.kind, failure.detail)
            }
            (None, true, method) => writeln!(
                text,
                "{}: iMIP {} (located by {}{})",
                self.file,
                method.unwrap_or("without METHOD"),
                self.located_by.unwrap_or("?"),
                self.part
                    .map(|part| format!(", part {part}"))
                    .unwrap_or_default()
            ),
            (None, false, _) if !self.findings.is_empty() => {
                writeln!(
                    text,
                    "{}: no iMIP object found in what was examined",
                    self.file
                )
            }
            (None, false, _) => writeln!(text, "{}: not iMIP", self.file),
        };
        for component in &self.components {
            let _ = write!(text, "  {}", component.kind);
            if let Some(uid) = component.uid {
                let _ = write!(text, " uid={uid}");
            }
            if let Some(sequence) = component.sequence {
                let _ = write!(text, " sequence={sequence}");
            }
            if let Some(date) = &component.dtstart {
                let _ = write!(text, " dtstart={}", date.value);
                if let Some(tzid) = date.tzid {
                    let _ = write!(text, " ({tzid})");
                }
            }
            if let Some(organizer) = &component.organizer {
                let _ = write!(text, " organizer={}", organizer.address);
            }
            let _ = writeln!(text, " attendees={}", component.attendees.len());
        }
        for calendar in &self.embedded {
            let _ = writeln!(
                text,
                "  embedded calendar in part {} ({}), not this message's object",
                calendar.part,
                calendar.method.unwrap_or("no METHOD")
            );
        }
        for series in &self.recurrence {
            if let Some(note) = series.rule_note {
                let _ = writeln!(text, "  recurrence {}: {note}", series.uid.unwrap_or("?"));
            }
            if let Some(other) = &series.other_reading {
                let _ = writeln!(
                    text,
                    "  recurrence {} under the other reading: {} instances, {} in the horizon, at most {} a day",
                    series.uid.unwrap_or("?"),
                    other.instances_total,
                    other.instances_in_horizon,
                    other.max_per_day
                );
            }
            if series.instances_total == 1 {
                continue;
            }
            let _ = writeln!(
                text,
                "  recurrence {}: {} instances, {} in the horizon, at most {} a day, {} at once",
                series.uid.unwrap_or("?"),
                series.instances_total,
                series.instances_in_horizon,
                series.max_per_day,
                series.max_overlap
            );
        }
        for finding in self.findings {
            let _ = writeln!(
                text,
                "  {} (+{}): {}",
                finding.reason, finding.weight, finding.detail
            );
        }
        if self.imip || !self.findings.is_empty() || self.failure.is_some() {
            let verdict = if self.suspicious { ", suspicious" } else { "" };
            let _ = writeln!(text, "  risk {}{verdict}", self.risk);
        }
        text
    }
}

impl<'a> ComponentReport<'a> {
    fn new(component: &'a SchedulingComponent) -> ComponentReport<'a> {
        ComponentReport {
            kind: component.kind.as_str(),
            uid: component.uid.as_deref(),
            sequence: component.sequence,
            recurrence_id: component.recurrence_id.as_ref().map(DateReport::new),
            dtstart: component.dtstart.as_ref().map(DateReport::new),
            organizer: component.organizer.as_ref().map(OrganizerReport::new),
            attendees: component
                .attendees
                .iter()
                .map(AttendeeReport::new)
                .collect(),
        }
    }
}

impl<'a> DateReport<'a> {
    fn new(date: &'a DateValue) -> DateReport<'a> {
        DateReport {
            value: &date.value,
            tzid: date.tzid.as_deref(),
        }
    }
}

impl<'a> OrganizerReport<'a> {
    fn new(organizer: &'a Organizer) -> OrganizerReport<'a> {
        OrganizerReport {
            address: organizer.address.as_str(),
            cn: organizer.cn.as_deref(),
            sent_by: organizer.sent_by.as_ref().map(CalAddress::as_str),
        }
    }
}

impl<'a> AttendeeReport<'a> {
    fn new(attendee: &'a Attendee) -> AttendeeReport<'a> {
        AttendeeReport {
            address: attendee.address.as_str(),
            cn: attendee.cn.as_deref(),
            partstat: attendee.partstat.as_deref(),
            role: attendee.role.as_deref(),
            rsvp: attendee.rsvp,
            sent_by: attendee.sent_by.as_ref().map(CalAddress::as_str),
            delegated_to: attendee
                .delegated_to
                .iter()
                .map(CalAddress::as_str)
                .collect(),
            delegated_from: attendee
                .delegated_from
                .iter()
                .map(CalAddress::as_str)
                .collect(),
        }
    }
}
