//! Issue 4 and 6 figures: the full analysis of a typical Outlook-shaped
//! invitation against sieve-rs's own cost of parsing the same message
//! (mail-parser, which every Sieve run pays anyway).
//!
//! Two messages: the crate's own sample, and a real Outlook invitation from
//! the shared corpus (read at run time, skipped when the corpus is absent).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sieve_imip::{Analysis, Config, Depth};

const OUTLOOK: &[u8] = include_bytes!("../samples/invitation-outlook.eml");

/// A real Outlook REQUEST, relative to the crate root.
const CORPUS_OUTLOOK: &str = "../shared/corpus/001-outlook-request.eml";

fn full_analysis_vs_parse(c: &mut Criterion) {
    bench_message(c, "outlook-invitation", OUTLOOK);
    let corpus_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS_OUTLOOK);
    match std::fs::read(&corpus_path) {
        Ok(bytes) => bench_message(c, "corpus-001-outlook-request", &bytes),
        Err(error) => eprintln!(
            "skipping the corpus case: {} not readable ({error})",
            corpus_path.display()
        ),
    }
}

fn bench_message(c: &mut Criterion, name: &str, raw: &[u8]) {
    let config = Config {
        now: "2026-11-20T12:00:00Z".parse().ok(),
        ..Config::default()
    };
    let mut group = c.benchmark_group(name);
    group.bench_function("mail-parser parse alone", |b| {
        b.iter(|| {
            mail_parser::MessageParser::new()
                .parse(black_box(raw))
                .map(|message| message.parts.len())
        })
    });
    // The analysis proper runs on the message sieve-rs already parsed, so
    // it is measured on a parsed message; the ratio to the parse above is
    // what `imip` adds to a run.
    let message = mail_parser::MessageParser::new()
        .parse(raw)
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
            .risk()
        })
    });
    group.finish();
}

criterion_group!(benches, full_analysis_vs_parse);
criterion_main!(benches);
