//! Issue 4 and 6 figures: the full analysis of a typical Outlook-shaped
//! invitation against sieve-rs's own cost of parsing the same message
//! (mail-parser, which every Sieve run pays anyway).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sieve_imip::{Analysis, Config, Depth};

const OUTLOOK: &[u8] = include_bytes!("../samples/invitation-outlook.eml");

fn full_analysis_vs_parse(c: &mut Criterion) {
    let config = Config {
        now: "2026-11-20T12:00:00Z".parse().ok(),
        ..Config::default()
    };
    let mut group = c.benchmark_group("outlook-invitation");
    group.bench_function("mail-parser parse alone", |b| {
        b.iter(|| {
            mail_parser::MessageParser::new()
                .parse(black_box(OUTLOOK))
                .map(|message| message.parts.len())
        })
    });
    // The analysis proper runs on the message sieve-rs already parsed, so
    // it is measured on a parsed message; the ratio to the parse above is
    // what `imip` adds to a run.
    let message = mail_parser::MessageParser::new()
        .parse(OUTLOOK)
        .expect("parses");
    group.bench_function("locate", |b| {
        b.iter(|| {
            Analysis::of(
                black_box(&message),
                &config,
                Depth::Locate,
                Some("bob@example.org"),
            )
            .is_imip()
        })
    });
    group.bench_function("locate + parse + model", |b| {
        b.iter(|| {
            Analysis::of(
                black_box(&message),
                &config,
                Depth::Model,
                Some("bob@example.org"),
            )
            .is_imip()
        })
    });
    group.bench_function("all steps", |b| {
        b.iter(|| {
            Analysis::of(
                black_box(&message),
                &config,
                Depth::Validate,
                Some("bob@example.org"),
            )
            .risk
        })
    });
    group.finish();
}

criterion_group!(benches, full_analysis_vs_parse);
criterion_main!(benches);
