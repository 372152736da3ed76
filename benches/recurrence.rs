//! Evaluator time whatever COUNT, UNTIL or the horizon, against the rrule
//! crate expanding the same 100k-instance rule (the peer figure).
//!
//! `cargo bench --bench recurrence -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sieve_imip::internals::DateValue;
use sieve_imip::internals::{evaluate, EvalOptions, RecurrenceLimits, Series};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

fn bench_rule(c: &mut Criterion, name: &str, rule: &str, horizon_days: i64) {
    let dtstart = DateValue {
        value: "20260302T090000Z".to_string(),
        ..Default::default()
    };
    let rrules = vec![rule.to_string()];
    let options = EvalOptions {
        now: now(),
        horizon: Duration::days(horizon_days),
        timezones: &[],
        limits: RecurrenceLimits::default(),
    };
    c.bench_function(name, |b| {
        b.iter(|| {
            let series = Series {
                dtstart: &dtstart,
                dtend: None,
                duration: Some("PT30M"),
                rrules: &rrules,
                rdates: &[],
                exdates: &[],
            };
            black_box(evaluate(black_box(&series), &options))
        })
    });
}

fn evaluator(c: &mut Criterion) {
    bench_rule(c, "evaluate COUNT=10", "FREQ=DAILY;COUNT=10", 365);
    bench_rule(c, "evaluate COUNT=10^9", "FREQ=DAILY;COUNT=1000000000", 365);
    bench_rule(
        c,
        "evaluate SECONDLY unbounded, 10-year horizon",
        "FREQ=SECONDLY",
        3653,
    );
    bench_rule(
        c,
        "evaluate MINUTELY;BYHOUR;BYDAY unbounded",
        "FREQ=MINUTELY;BYHOUR=9,10,11,14,15;BYDAY=MO,TU,WE,TH,FR",
        365,
    );
    bench_rule(
        c,
        "evaluate DAILY COUNT=100000",
        "FREQ=DAILY;COUNT=100000",
        365,
    );
}

fn peer(c: &mut Criterion) {
    let text = "DTSTART:20260302T090000Z\nRRULE:FREQ=DAILY;COUNT=100000";
    let Ok(set) = text.parse::<rrule::RRuleSet>() else {
        return;
    };
    let mut group = c.benchmark_group("peer");
    group.sample_size(10);
    group.bench_function("rrule crate expands DAILY COUNT=100000", |b| {
        b.iter(|| black_box((&set).into_iter().count()))
    });
    group.finish();
}

criterion_group!(benches, evaluator, peer);
criterion_main!(benches);
