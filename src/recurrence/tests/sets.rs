//! Recurrence sets beyond one rule: several RRULEs as one set, instants in
//! DST gaps, RFC 7529 RSCALE, rules the implementations read two ways, and
//! the limits that keep one object's cost bounded.

use crate::finding::Reason;
use crate::recurrence::counter::Budget;
use crate::recurrence::series::{evaluate_within, Evaluation, MAX_RULES_PER_SERIES};
use crate::recurrence::{
    risk_findings, EvalOptions, InstanceCount, RecurrenceProfile, RecurrenceThresholds, Series,
};
use chrono::Duration;

use super::support::{at, value, SeriesCase};

fn profile(evaluation: &Evaluation) -> &RecurrenceProfile {
    match &evaluation.profile {
        Some(profile) => profile,
        None => panic!("no profile: {:?}", evaluation.findings),
    }
}

fn reasons(evaluation: &Evaluation) -> Vec<Reason> {
    evaluation.findings.iter().map(|f| f.reason).collect()
}

// --- Several RRULEs are one set --------------------------------------------

#[test]
fn a_rule_written_twice_counts_once() {
    let one = SeriesCase::new(
        value("20260105T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .duration(Some("PT1H"))
    .rule("FREQ=DAILY;COUNT=10");
    let twice = one.clone().rule("FREQ=DAILY;COUNT=10").evaluate();
    let once = one.evaluate();
    assert_eq!(profile(&twice), profile(&once));
    assert_eq!(profile(&twice).instances_total, InstanceCount::Exact(10));
    assert_eq!(profile(&twice).max_overlap, 1, "no invented overlap");
}

#[test]
fn overlapping_rules_are_a_union() {
    // Monday 5 January 2026. Rule 1: MO,WE x10 = Jan 5..Feb 4. Rule 2: WE,FR,
    // ten occurrences counting DTSTART (RFC 5545 3.8.5.3), so nine of its
    // own from Jan 7 to Feb 4. Shared Wednesdays count once: 14, not 19.
    let evaluation = SeriesCase::new(
        value("20260105T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .duration(Some("PT1H"))
    .rule("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")
    .rule("FREQ=WEEKLY;BYDAY=WE,FR;COUNT=10")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_total, InstanceCount::Exact(14));
    assert_eq!(p.instances_in_horizon, 14);
    assert_eq!(p.last_start, Some(at("2026-02-04T09:00:00Z")));
    assert_eq!(p.max_per_day, 1);
    assert_eq!(p.max_overlap, 1);
}

#[test]
fn rules_producing_the_same_instants_do_not_flood() {
    // Three spellings of one hourly series: 200 instances, not 600.
    let evaluation = SeriesCase::new(
        value("20260105T000000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .rule("FREQ=HOURLY;COUNT=200")
    .rule("FREQ=HOURLY;INTERVAL=1;COUNT=200")
    .rule("FREQ=HOURLY;BYMINUTE=0;COUNT=200")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_total, InstanceCount::Exact(200));
    assert_eq!(p.instances_in_horizon, 200);
    assert_eq!(p.max_per_day, 24);
    let findings = risk_findings(
        p,
        &RecurrenceThresholds::default(),
        at("2026-01-01T00:00:00Z"),
    );
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn an_unbounded_union_is_counted_in_the_window_only() {
    // Daily since 1990 plus Sundays: the window is counted without walking
    // 36 years of instances.
    let evaluation = SeriesCase::new(
        value("19900101T080000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(7),
    )
    .rule("FREQ=DAILY")
    .rule("FREQ=WEEKLY;BYDAY=SU;BYHOUR=8,20")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_total, InstanceCount::Unbounded);
    // 1..7 January 2026: 7 mornings, one Sunday (4 January) evening.
    assert_eq!(p.instances_in_horizon, 8);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-01-01T08:00:00Z")));
    assert_eq!(p.max_per_day, 2);
}

#[test]
fn rrule_lines_past_the_limit_are_reported_not_counted() {
    let mut series = SeriesCase::new(
        value("20260105T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    );
    for n in 0..3000 {
        series = series.rule(&format!("FREQ=YEARLY;COUNT={}", n + 2));
    }
    let evaluation = series.evaluate();
    assert!(reasons(&evaluation).contains(&Reason::Oversized));
    let detail = &evaluation.findings[0].detail;
    assert!(
        detail.contains(&format!("only the first {MAX_RULES_PER_SERIES}")),
        "{detail}"
    );
    // The counted rules: COUNT=2..=9 of one yearly series.
    assert_eq!(
        profile(&evaluation).instances_total,
        InstanceCount::Exact(9)
    );
}

// --- Instants in DST gaps (RFC 5545 3.3.5) ---------------------------------

/// DAILY at 02:30 in a zone whose clocks skip 02:00-03:00 on `gap_day`,
/// read in `[from, to)`.
fn gap_daily(tzid: &str, dtstart: &str, from: &str, to: &str) -> RecurrenceProfile {
    let (from, to) = (at(from), at(to));
    let evaluation = SeriesCase::new(value(dtstart, Some(tzid)), from, to - from)
        .rule("FREQ=DAILY")
        .evaluate();
    profile(&evaluation).clone()
}

#[test]
fn zurich_gap_instance_is_read_with_the_offset_before_the_gap() {
    // 29 March 2026, 01:00Z: 02:00 CET becomes 03:00 CEST. 02:30 that day
    // does not exist; it is the instant 01:30Z (02:30 at +01:00).
    let start = "20260320T023000";
    let zone = "Europe/Zurich";
    // A window ending exactly at the gap instance's instant leaves it out.
    let p = gap_daily(zone, start, "2026-03-28T00:00:00Z", "2026-03-29T01:30:00Z");
    assert_eq!(p.instances_in_horizon, 1);
    // A window starting exactly there has it first.
    let p = gap_daily(zone, start, "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z");
    assert_eq!(p.instances_in_horizon, 2);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-29T01:30:00Z")));
    // One second later it is gone; the next day's 02:30 CEST is 00:30Z.
    let p = gap_daily(zone, start, "2026-03-29T01:30:01Z", "2026-03-30T01:30:01Z");
    assert_eq!(p.instances_in_horizon, 1);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-30T00:30:00Z")));
    // Not an hour early (02:30 at +02:00 would be 00:30Z), not skipped.
    let p = gap_daily(zone, start, "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z");
    assert_eq!(p.instances_in_horizon, 0);
    let p = gap_daily(zone, start, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
    assert_eq!(p.instances_in_horizon, 1);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-29T01:30:00Z")));
}

#[test]
fn new_york_gap_instance_is_read_with_the_offset_before_the_gap() {
    // 8 March 2026, 07:00Z: 02:00 EST becomes 03:00 EDT; 02:30 is 07:30Z.
    let start = "20260301T023000";
    let zone = "America/New_York";
    let p = gap_daily(zone, start, "2026-03-07T12:00:00Z", "2026-03-08T07:30:00Z");
    assert_eq!(p.instances_in_horizon, 0);
    let p = gap_daily(zone, start, "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z");
    assert_eq!(p.instances_in_horizon, 0, "not an hour early");
    let p = gap_daily(zone, start, "2026-03-08T07:30:00Z", "2026-03-09T07:30:00Z");
    assert_eq!(p.instances_in_horizon, 2);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-08T07:30:00Z")));
}

#[test]
fn sub_daily_instances_in_a_gap_share_the_instants_after_it() {
    // Every 30 minutes from local midnight, 12 instances: 02:00 and 02:30
    // do not exist and read as 01:00Z and 01:30Z, the instants of 03:00 and
    // 03:30 CEST.
    let run = |from: &str, to: &str| {
        let (from, to) = (at(from), at(to));
        let evaluation = SeriesCase::new(
            value("20260329T000000", Some("Europe/Zurich")),
            from,
            to - from,
        )
        .rule("FREQ=MINUTELY;INTERVAL=30;COUNT=12")
        .evaluate();
        profile(&evaluation).clone()
    };
    let p = run("2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z");
    assert_eq!(p.instances_in_horizon, 2);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-29T01:00:00Z")));
    let p = run("2026-03-29T01:15:00Z", "2026-03-29T02:00:00Z");
    assert_eq!(p.instances_in_horizon, 2);
    assert_eq!(p.first_start_in_horizon, Some(at("2026-03-29T01:30:00Z")));
    let p = run("2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z");
    assert_eq!(p.instances_in_horizon, 12);
    assert_eq!(p.max_per_day, 12, "all on the local day of 29 March");
    assert_eq!(p.last_start, Some(at("2026-03-29T03:30:00Z")));
}

#[test]
fn hourly_over_the_gap_day_counts_every_local_hour() {
    // HOURLY in New York over 8 March 2026: 24 local hours, one of them
    // (02:00) in the gap and read as 03:00 EDT.
    let evaluation = SeriesCase::new(
        value("20260308T000000", Some("America/New_York")),
        at("2026-03-08T00:00:00Z"),
        Duration::days(2),
    )
    .rule("FREQ=HOURLY;COUNT=24")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_in_horizon, 24);
    assert_eq!(p.max_per_day, 24);
}

// --- RFC 7529 RSCALE ----------------------------------------------------

#[test]
fn a_calendar_scale_not_implemented_is_not_evaluated_nor_malformed() {
    let evaluation = SeriesCase::new(
        value("20260217T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .rule("RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=1")
    .evaluate();
    assert!(
        !reasons(&evaluation).contains(&Reason::Malformed),
        "{:?}",
        evaluation.findings
    );
    let p = profile(&evaluation);
    let note = p.rule_note.as_deref().unwrap_or_default();
    assert!(
        note.contains("RSCALE=CHINESE") && note.contains("not evaluated"),
        "{note}"
    );
    assert_eq!(p.instances_total, InstanceCount::Exact(1), "DTSTART alone");
}

#[test]
fn gregorian_rscale_with_skip_is_evaluated() {
    let last = |rule: &str| {
        let evaluation = SeriesCase::new(
            value("20260131T090000Z", None),
            at("2026-01-01T00:00:00Z"),
            Duration::days(365),
        )
        .rule(rule)
        .evaluate();
        assert!(
            evaluation.findings.is_empty(),
            "{rule}: {:?}",
            evaluation.findings
        );
        let p = profile(&evaluation);
        assert!(p.rule_note.is_none(), "{rule}");
        (p.instances_total, p.last_start)
    };
    // Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30.
    assert_eq!(
        last("RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=BACKWARD;COUNT=6"),
        (InstanceCount::Exact(6), Some(at("2026-06-30T09:00:00Z")))
    );
    // Jan 31, Mar 1, Mar 31, May 1, May 31, Jul 1.
    assert_eq!(
        last("RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=FORWARD;COUNT=6"),
        (InstanceCount::Exact(6), Some(at("2026-07-01T09:00:00Z")))
    );
    // OMIT is RFC 5545's behaviour: Jan, Mar, May, Jul, Aug, Oct 31.
    assert_eq!(
        last("RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=OMIT;COUNT=6"),
        last("FREQ=MONTHLY;COUNT=6")
    );
    assert_eq!(
        last("FREQ=MONTHLY;COUNT=6").1,
        Some(at("2026-10-31T09:00:00Z"))
    );
}

#[test]
fn skip_without_rscale_is_malformed() {
    let evaluation = SeriesCase::new(
        value("20260131T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .rule("FREQ=MONTHLY;SKIP=BACKWARD")
    .evaluate();
    assert!(reasons(&evaluation).contains(&Reason::Malformed));
}

// --- Rules read two ways ---------------------------------------------------

#[test]
fn weekno_without_byday_takes_dtstart_weekday_and_reports_the_expansion() {
    // Monday 11 May 2026 is in ISO week 20.
    let evaluation = SeriesCase::new(
        value("20260511T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(3 * 365),
    )
    .rule("FREQ=YEARLY;BYWEEKNO=20")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(
        p.instances_in_horizon, 3,
        "the Monday of week 20, 2026-2028"
    );
    let other = p.other_reading.as_ref().expect("the expanded reading");
    assert_eq!(other.instances_in_horizon, 21, "every day of week 20");
    assert!(p
        .rule_note
        .as_deref()
        .unwrap_or_default()
        .contains("DTSTART"));
}

#[test]
fn monthday_without_bymonth_takes_dtstart_month() {
    let evaluation = SeriesCase::new(
        value("20260315T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .rule("FREQ=YEARLY;BYMONTHDAY=15")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_in_horizon, 1);
    assert_eq!(
        p.other_reading.as_ref().map(|o| o.instances_in_horizon),
        Some(10)
    );
}

#[test]
fn a_flood_holds_under_either_reading() {
    let days: Vec<String> = (1..=31).map(|d| d.to_string()).collect();
    let rule = format!("FREQ=YEARLY;BYMONTHDAY={}", days.join(","));
    let evaluation = SeriesCase::new(
        value("20260301T090000Z", None),
        at("2026-01-01T00:00:00Z"),
        Duration::days(730),
    )
    .rule(&rule)
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_in_horizon, 62, "March 2026 and 2027");
    let findings = risk_findings(
        p,
        &RecurrenceThresholds::default(),
        at("2026-01-01T00:00:00Z"),
    );
    let flood = findings
        .iter()
        .find(|f| f.reason == Reason::RecurrenceFlood)
        .expect("a flood under the expanded reading");
    assert!(flood.detail.contains("other reading"), "{}", flood.detail);
}

// --- One budget for the object -------------------------------------------

#[test]
fn series_of_one_object_share_one_budget() {
    let dtstart = value("20260105T090000Z", None);
    let rules = ["FREQ=MINUTELY;INTERVAL=7;BYSETPOS=3,-1;BYHOUR=1,5,9".to_string()];
    let series = Series {
        dtstart: &dtstart,
        dtend: None,
        duration: None,
        rrules: &rules,
        rdates: &[],
        exdates: &[],
    };
    let options = EvalOptions::new(at("2026-01-01T00:00:00Z"));
    let budget = Budget::new(crate::recurrence::counter::WORK_BUDGET);
    let first = evaluate_within(&series, &options, &budget);
    assert!(first.profile.is_some());
    let left = budget.left();
    assert!(
        left < crate::recurrence::counter::WORK_BUDGET,
        "the first series spent"
    );
    // A budget that is nearly spent makes the next series oversized.
    let small = Budget::new(3);
    let starved = evaluate_within(&series, &options, &small);
    assert!(starved.profile.is_none());
    assert!(reasons(&starved).contains(&Reason::Oversized));
}

#[test]
fn a_week_straddling_new_year_belongs_to_the_year_it_is_numbered_in() {
    // Week 1 of 2026 starts on Monday 29 December 2025. Every other year's
    // week 1: under RFC 5545's week numbering those days are 2026's (a
    // skipped year), so 2025 has 1-5 January only; counted over calendar
    // years (python-dateutil) 2025 also has 29-31 December.
    let evaluation = SeriesCase::new(
        value("20250101T090000Z", None),
        at("2025-01-01T00:00:00Z"),
        Duration::days(365),
    )
    .rule("FREQ=YEARLY;INTERVAL=2;BYWEEKNO=1;BYDAY=MO,TU,WE,TH,FR,SA,SU")
    .evaluate();
    let p = profile(&evaluation);
    assert_eq!(p.instances_in_horizon, 5);
    assert_eq!(
        p.other_reading.as_ref().map(|o| o.instances_in_horizon),
        Some(8)
    );
}
