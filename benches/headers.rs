//! Cost of parsing one header field: a typical Gmail and Microsoft 365
//! `Authentication-Results` and a Gmail-style `DKIM-Signature`, the vectors
//! the header unit tests check (`src/headers/vectors.rs`).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sieve_imip::internals::{parse_authentication_results, parse_dkim_signature};

#[path = "../src/headers/vectors.rs"]
mod vectors;
use vectors::{GMAIL, GMAIL_DKIM_FULL_LENGTH, MICROSOFT};

fn header_parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    group.throughput(Throughput::Elements(1));
    group.bench_function("authentication_results_gmail", |b| {
        b.iter(|| parse_authentication_results(black_box(GMAIL)))
    });
    group.bench_function("authentication_results_microsoft", |b| {
        b.iter(|| parse_authentication_results(black_box(MICROSOFT)))
    });
    group.bench_function("dkim_signature", |b| {
        b.iter(|| parse_dkim_signature(black_box(GMAIL_DKIM_FULL_LENGTH)))
    });
    group.finish();
}

criterion_group!(benches, header_parsing);
criterion_main!(benches);
