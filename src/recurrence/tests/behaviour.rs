//! Time zones, all-day values, hostile rules and the risk findings.

use crate::calendar::values::ObservanceKind;
use crate::calendar::{DateValue, Observance, TimeZoneDefinition};
use crate::finding::Reason;
use crate::recurrence::series::Evaluation;
use crate::recurrence::{risk_findings, InstanceCount, RecurrenceThresholds};
use chrono::Duration;

use super::support::{at, value, SeriesCase};

/// `rule` (none when empty) from `dtstart`, read from `now` for
/// `horizon_days`, with the object's `zones`.
fn run(
    dtstart: &DateValue,
    duration: Option<&str>,
    rule: &str,
    now: &str,
    horizon_days: i64,
    zones: &[TimeZoneDefinition],
) -> Evaluation {
    let mut series = SeriesCase::new(dtstart.clone(), at(now), Duration::days(horizon_days))
        .duration(duration)
        .timezones(zones);
    if !rule.is_empty() {
        series = series.rule(rule);
    }
    series.evaluate()
}

fn windows_zone() -> TimeZoneDefinition {
    TimeZoneDefinition {
        tzid: "W. Europe Standard Time".to_string(),
        observances: vec![
            Observance {
                kind: ObservanceKind::Standard,
                dtstart: "16010101T030000".to_string(),
                offset_from: "+0200".to_string(),
                offset_to: "+0100".to_string(),
                rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10".to_string()),
                rdates: vec![],
            },
            Observance {
                kind: ObservanceKind::Daylight,
                dtstart: "16010101T020000".to_string(),
                offset_from: "+0100".to_string(),
                offset_to: "+0200".to_string(),
                rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3".to_string()),
                rdates: vec![],
            },
        ],
    }
}

#[test]
fn vtimezone_of_the_object_resolves_windows_names() {
    let start = value("20260105T090000", Some("W. Europe Standard Time"));
    let evaluation = run(
        &start,
        None,
        "FREQ=WEEKLY;COUNT=30",
        "2026-01-01T00:00:00Z",
        365,
        &[windows_zone()],
    );
    let p = evaluation.profile.unwrap();
    assert_eq!(p.timezone_note, None);
    // 09:00 CET in January, 09:00 CEST from 29 March.
    assert_eq!(p.first_start, Some(at("2026-01-05T08:00:00Z")));
    assert_eq!(p.last_start, Some(at("2026-07-27T07:00:00Z")));
}

#[test]
fn iana_zone_and_unknown_zone() {
    let start = value("20260105T090000", Some("Europe/Berlin"));
    let p = run(
        &start,
        None,
        "FREQ=WEEKLY;COUNT=30",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.last_start, Some(at("2026-07-27T07:00:00Z")));
    let start = value("20260105T090000", Some("Mars/Olympus"));
    let p = run(
        &start,
        None,
        "FREQ=WEEKLY;COUNT=30",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.last_start, Some(at("2026-07-27T09:00:00Z")));
    assert!(p.timezone_note.unwrap().contains("Mars/Olympus"));
}

#[test]
fn dst_gap_moves_forward_and_fold_takes_the_first() {
    // 02:30 does not exist on 2026-03-29 in Berlin: read with +01:00, i.e. 01:30Z.
    let start = value("20260328T023000", Some("Europe/Berlin"));
    let p = run(
        &start,
        None,
        "FREQ=DAILY;COUNT=3",
        "2026-03-01T00:00:00Z",
        60,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.last_start, Some(at("2026-03-30T00:30:00Z")));
    assert_eq!(p.instances_in_horizon, 3);
    // 02:30 on 2026-10-25 happens twice: the first (CEST, 00:30Z).
    let start = value("20261025T023000", Some("Europe/Berlin"));
    let p = run(
        &start,
        None,
        "FREQ=DAILY;COUNT=1",
        "2026-10-01T00:00:00Z",
        60,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.first_start, Some(at("2026-10-25T00:30:00Z")));
}

#[test]
fn all_day_series_default_to_one_day() {
    let start = DateValue {
        value: "20260101".to_string(),
        tzid: None,
        value_type: Some("DATE".to_string()),
    };
    let p = run(
        &start,
        None,
        "FREQ=DAILY;UNTIL=20260110",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.instances_total, InstanceCount::Exact(10));
    assert_eq!(p.max_overlap, 1);
    let p = run(
        &start,
        Some("P2D"),
        "FREQ=DAILY;UNTIL=20260110",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.max_overlap, 2);
}

#[test]
fn hostile_rules_are_answered_exactly() {
    let start = value("20260105T090000Z", None);
    let p = run(
        &start,
        Some("PT1H"),
        "FREQ=SECONDLY",
        "2026-01-01T00:00:00Z",
        3653,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.instances_total, InstanceCount::Unbounded);
    // From DTSTART to the end of the 3653-day horizon.
    let seconds = (at("2026-01-01T00:00:00Z") + Duration::days(3653) - at("2026-01-05T09:00:00Z"))
        .num_seconds();
    assert_eq!(p.instances_in_horizon, seconds as u64);
    assert_eq!(p.max_per_day, 86_400);
    assert_eq!(p.max_overlap, 3600);
    let p = run(
        &start,
        None,
        "FREQ=YEARLY;COUNT=1000000000;BYMONTH=2;BYMONTHDAY=29",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.instances_total, InstanceCount::Exact(1_000_000_000));
    assert_eq!(p.last_start, None, "beyond chrono's years");
    // Never produces anything: only DTSTART.
    let p = run(
        &start,
        None,
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.instances_total, InstanceCount::Exact(1));
    let p = run(
        &start,
        None,
        "FREQ=MINUTELY;INTERVAL=7;BYSECOND=1,2;COUNT=1000000000",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert_eq!(p.instances_total, InstanceCount::Exact(1_000_000_000));
}

#[test]
fn malformed_rules_name_their_part() {
    let start = value("20260105T090000Z", None);
    let evaluation = run(
        &start,
        None,
        "FREQ=WEEKLY;BYDAY=2MO",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    );
    assert_eq!(evaluation.findings.len(), 1);
    assert_eq!(evaluation.findings[0].reason, Reason::Malformed);
    assert!(evaluation.findings[0].detail.contains("BYDAY"));
    // The series is still DTSTART alone.
    assert_eq!(
        evaluation.profile.unwrap().instances_total,
        InstanceCount::Exact(1)
    );
    let bad = value("2026-01-05", None);
    let evaluation = run(&bad, None, "FREQ=DAILY", "2026-01-01T00:00:00Z", 365, &[]);
    assert!(evaluation.profile.is_none());
    assert_eq!(evaluation.findings[0].reason, Reason::Malformed);
}

#[test]
fn risk_findings_follow_the_thresholds() {
    let start = value("20270105T090000Z", None);
    let p = run(
        &start,
        Some("PT2H"),
        "FREQ=HOURLY",
        "2026-01-01T00:00:00Z",
        730,
        &[],
    )
    .profile
    .unwrap();
    let findings = risk_findings(
        &p,
        &RecurrenceThresholds::default(),
        at("2026-01-01T00:00:00Z"),
    );
    let reasons: Vec<Reason> = findings.iter().map(|f| f.reason).collect();
    assert_eq!(
        reasons,
        vec![
            Reason::RecurrenceFlood,
            Reason::RecurrenceOverlap,
            Reason::FarFuture
        ],
        "{findings:?}"
    );
    let start = value("20260105T090000Z", None);
    let p = run(
        &start,
        Some("PT1H"),
        "FREQ=WEEKLY;COUNT=10",
        "2026-01-01T00:00:00Z",
        365,
        &[],
    )
    .profile
    .unwrap();
    assert!(risk_findings(
        &p,
        &RecurrenceThresholds::default(),
        at("2026-01-01T00:00:00Z")
    )
    .is_empty());
    let p = run(
        &start,
        None,
        "FREQ=MINUTELY;BYHOUR=9",
        "2026-01-01T00:00:00Z",
        3,
        &[],
    )
    .profile
    .unwrap();
    let findings = risk_findings(
        &p,
        &RecurrenceThresholds::default(),
        at("2026-01-01T00:00:00Z"),
    );
    assert_eq!(findings.len(), 1);
    assert!(findings[0].detail.contains("60 instances on one day"));
}

#[test]
fn huge_intervals_and_long_lists_stay_bounded() {
    let start = value("20260105T090000Z", None);
    for rule in [
        "FREQ=DAILY;INTERVAL=18446744073709551615;BYMONTH=1",
        "FREQ=SECONDLY;INTERVAL=18446744073709551615",
        "FREQ=MONTHLY;INTERVAL=18446744073709551615;BYSETPOS=1;BYDAY=MO",
        "FREQ=WEEKLY;INTERVAL=9223372036854775808;BYMONTH=1,2",
        "FREQ=YEARLY;INTERVAL=4000000000;COUNT=3",
        "FREQ=SECONDLY;INTERVAL=86399;BYMONTH=2;COUNT=1000000000",
    ] {
        let evaluation = run(&start, Some("PT1H"), rule, "2026-01-01T00:00:00Z", 365, &[]);
        if let Some(p) = evaluation.profile {
            assert!(
                p.instances_in_horizon <= 1 || rule.contains("86399"),
                "{rule}: {p:?}"
            );
        } else {
            assert_eq!(evaluation.findings[0].reason, Reason::Oversized, "{rule}");
        }
    }
}
