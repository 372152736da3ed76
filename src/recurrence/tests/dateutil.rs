//! Reads the cases `scripts/dateutil_diff.py` computed with python-dateutil
//! (path in `DATEUTIL_CASES`) and compares the evaluator on each.
//! Without the variable the test has nothing to compare: it says so on
//! stderr and skips, or fails when `SIEVE_IMIP_REQUIRE_DATEUTIL=1` (CI sets
//! both when python-dateutil is installed).

use crate::recurrence::InstanceCount;
use chrono::Duration;
use serde_json::Value;

use super::support::{at, value, SeriesCase};

fn time(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value.as_str().map(at)
}

#[test]
fn evaluator_agrees_with_python_dateutil() {
    let Ok(path) = std::env::var("DATEUTIL_CASES") else {
        crate::test_support::skip_unless_required(
            "SIEVE_IMIP_REQUIRE_DATEUTIL",
            "DATEUTIL_CASES not set: run scripts/dateutil_diff.py to compare with python-dateutil",
        );
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let case: Value = serde_json::from_str(line).unwrap();
        let mut series = SeriesCase::new(
            value(case["dtstart"].as_str().unwrap(), None),
            time(&case["now"]).unwrap(),
            Duration::seconds(case["horizon_seconds"].as_i64().unwrap()),
        );
        // One RRULE, or a set of several (dateutil's rruleset: a union).
        match case["rrules"].as_array() {
            Some(rules) => {
                for rule in rules {
                    series = series.rule(rule.as_str().unwrap());
                }
            }
            None => series = series.rule(case["rrule"].as_str().unwrap()),
        }
        let evaluation = series.evaluate();
        let Some(profile) = evaluation.profile else {
            failures.push(format!("{line}\n  no profile: {:?}", evaluation.findings));
            continue;
        };
        let total = |count: InstanceCount| match count {
            InstanceCount::Exact(n) => Value::from(n),
            InstanceCount::Unbounded => Value::Null,
        };
        // A rule RFC 5545 and dateutil read differently: dateutil's reading
        // is the evaluator's other reading (its first starts are not kept).
        let got = match &profile.other_reading {
            Some(other) => (
                total(other.instances_total),
                other.instances_in_horizon,
                None,
                None,
            ),
            None => (
                total(profile.instances_total),
                profile.instances_in_horizon,
                profile.first_start,
                profile.first_start_in_horizon,
            ),
        };
        let keep_starts = profile.other_reading.is_none();
        let want = (
            case["instances_total"].clone(),
            case["instances_in_horizon"].as_u64().unwrap(),
            time(&case["first_start"]).filter(|_| keep_starts),
            time(&case["first_start_in_horizon"]).filter(|_| keep_starts),
        );
        if got != want {
            failures.push(format!("{line}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    eprintln!("{count} dateutil cases, {} disagreements", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
