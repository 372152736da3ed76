//! What locating costs next to what sieve-rs already does.
//!
//! - `non-imip/*`: a typical non-iMIP message (newsletter-like alternative
//!   plus a PDF and an inline image). The budget: `imip :present` may cost at
//!   most 10% more than sieve-rs running
//!   `header :mime :anychild :contains "content-type" "text/calendar"`.
//! - `large/*`: a 10 MB message with 200 parts; locate time, and the peak
//!   memory locate adds (printed once, from a counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mail_parser::MessageParser;
use sieve::{Compiler, Input, Runtime, Sieve};
use sieve_imip::internals::{locate_imip, repair_raw_message};

/// Counts live and peak heap bytes so the bench can report locate's peak.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn base64_lines(bytes: usize, seed: u8) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes + bytes / 76 * 2);
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761);
    for index in 0..bytes {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.push(char::from(ALPHABET[(state >> 16) as usize % 64]));
        if index % 76 == 75 {
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out
}

fn typical_non_imip() -> Vec<u8> {
    let text = "Hello,\r\n\r\nthe minutes of Tuesday's meeting are attached.\r\n".repeat(40);
    let html = format!(
        "<html><body>{}</body></html>\r\n",
        "<p>The minutes of Tuesday's meeting are attached.</p>\r\n".repeat(150)
    );
    format!(
        "From: Alice Martin <alice@example.org>\r\nTo: Bob Stone <bob@example.net>\r\nSubject: Minutes\r\n\
Date: Tue, 11 Jun 2024 11:15:00 +0200\r\nMessage-ID: <minutes-1@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n\
Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}\r\n--alt\r\n\
Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{html}\r\n--alt--\r\n\r\n--rel\r\n\
Content-Type: image/png; name=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <logo@example.org>\r\n\r\n{png}\r\n--rel--\r\n\r\n--outer\r\n\
Content-Type: application/pdf; name=\"minutes.pdf\"\r\nContent-Disposition: attachment; filename=\"minutes.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--outer--\r\n",
        png = base64_lines(6_000, 1),
        pdf = base64_lines(24_000, 2),
    )
    .into_bytes()
}

/// 200 base64 attachments of about 50 KB each, one of them an invitation.
fn large_message() -> Vec<u8> {
    let mut raw = String::from(
        "From: Alice Martin <alice@example.org>\r\nTo: Bob Stone <bob@example.net>\r\nSubject: Archive\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n",
    );
    for index in 0..200u8 {
        if index == 150 {
            raw.push_str(
                "--big\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n\
BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:big-1@example.org\r\n\
DTSTART:20240620T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n\r\n",
            );
            continue;
        }
        raw.push_str(&format!(
            "--big\r\nContent-Type: application/octet-stream; name=\"file{index}.bin\"\r\n\
Content-Disposition: attachment; filename=\"file{index}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64_lines(52_000, index)
        ));
    }
    raw.push_str("--big--\r\n");
    raw.into_bytes()
}

fn run_to_end(runtime: &Runtime, raw: &[u8], script: &Arc<Sieve>, env: Option<&str>) {
    let normalized = repair_raw_message(raw);
    let mut context = runtime.filter(normalized.as_ref());
    if let Some(name) = env {
        let present = locate_imip(context.message()).object.is_some();
        context.set_env_variable(name.to_owned(), if present { "1" } else { "" });
    }
    let mut input = Input::script("bench", script.clone());
    while let Some(result) = context.run(input) {
        match result {
            Ok(_) => input = Input::False,
            Err(_) => break,
        }
    }
    black_box(context);
}

fn compile(script: &str) -> Arc<Sieve> {
    match Compiler::new().compile(script.as_bytes()) {
        Ok(compiled) => Arc::new(compiled),
        Err(err) => panic!("bench script does not compile: {err:?}"),
    }
}

fn non_imip(c: &mut Criterion) {
    let raw = typical_non_imip();
    let runtime = Runtime::new();
    let header_test = compile(
        "require [\"mime\"];\nif header :mime :anychild :contains \"content-type\" \"text/calendar\" { keep; }\n",
    );
    let present_test = compile(
        "require [\"environment\"];\nif environment :is \"bench.present\" \"1\" { keep; }\n",
    );

    let mut group = c.benchmark_group("non-imip");
    group.bench_function("sieve header :mime :anychild text/calendar", |b| {
        b.iter(|| run_to_end(&runtime, black_box(&raw), &header_test, None));
    });
    group.bench_function("environment test alone (the lowering, no locate)", |b| {
        b.iter(|| run_to_end(&runtime, black_box(&raw), &present_test, None));
    });
    group.bench_function(
        "imip :present (normalize + locate + environment test)",
        |b| {
            b.iter(|| {
                run_to_end(
                    &runtime,
                    black_box(&raw),
                    &present_test,
                    Some("bench.present"),
                )
            });
        },
    );
    let parsed = MessageParser::new().parse(&raw);
    let Some(parsed) = parsed else {
        panic!("bench message does not parse");
    };
    group.bench_function("locate alone", |b| {
        b.iter(|| black_box(locate_imip(black_box(&parsed))))
    });
    group.bench_function("normalize alone", |b| {
        b.iter(|| black_box(repair_raw_message(black_box(&raw)).len()))
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    let raw = large_message();
    let Some(parsed) = MessageParser::new().parse(&raw) else {
        panic!("bench message does not parse");
    };
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let located = locate_imip(&parsed);
    let peak_added = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    eprintln!(
        "large: {} bytes, {} parts, located part {:?}; peak heap added by locate: {} bytes",
        raw.len(),
        parsed.parts.len(),
        located.object.as_ref().map(|object| object.part.as_str()),
        peak_added
    );

    let mut group = c.benchmark_group("large");
    group.sample_size(20);
    group.bench_function("locate 10 MB / 200 parts", |b| {
        b.iter(|| black_box(locate_imip(black_box(&parsed))))
    });
    group.bench_function("mail-parser parse 10 MB / 200 parts", |b| {
        b.iter(|| {
            black_box(
                MessageParser::new()
                    .parse(black_box(&raw))
                    .map(|m| m.parts.len()),
            )
        })
    });
    group.finish();
}

/// An Outlook-shaped invitation (alternative: plain, HTML, text/calendar) and a
/// Google-shaped one (the same object again as an .ics attachment).
fn invitation(c: &mut Criterion) {
    let mut group = c.benchmark_group("imip");
    for fixture in ["shape-alternative", "duplicate-inline-and-ics"] {
        let path = format!(
            "{}/tests/fixtures/{fixture}.eml",
            env!("CARGO_MANIFEST_DIR")
        );
        let Ok(raw) = std::fs::read(&path) else {
            eprintln!("skipped: {path} unreadable");
            continue;
        };
        let Some(parsed) = MessageParser::new().parse(&raw) else {
            panic!("{path} does not parse");
        };
        group.bench_function(format!("locate {fixture}"), |b| {
            b.iter(|| black_box(locate_imip(black_box(&parsed))))
        });
        group.bench_function(format!("mail-parser parse {fixture}"), |b| {
            b.iter(|| {
                black_box(
                    MessageParser::new()
                        .parse(black_box(&raw))
                        .map(|m| m.parts.len()),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, non_imip, large, invitation);
criterion_main!(benches);
