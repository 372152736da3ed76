//! Concurrency soak: one compiled script shared by 8 threads, run many
//! times over every fixture message and every corpus message, each result
//! identical to the sequential run of the same message.
//!
//! Ignored by default (it is long): `cargo test --release --test soak --
//! --ignored`. `SIEVE_IMIP_SOAK_RUNS` sets the number of runs (default
//! 100,000; `.ci/run` uses fewer). It prints the throughput and the peak
//! resident memory (`VmHWM`) when it ends; nothing is timed in an assert.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use sieve_imip::{CompiledScript, Config, Engine, Envelope};

const THREADS: usize = 8;
const DEFAULT_RUNS: usize = 100_000;
const RUNS_VARIABLE: &str = "SIEVE_IMIP_SOAK_RUNS";

/// Asks for every item and edits the message, so every stage runs: the
/// analysis, the event loop and the header edits.
const SCRIPT: &str = r#"require ["imip", "fileinto", "relational", "variables", "editheader", "imap4flags"];
set "risk" "none";
if imip :matches :risk "*" { set "risk" "${1}"; }
if imip :matches :uid "*" { set "uid" "${1}"; }
if imip :matches :organizer "*" { set "organizer" "${1}"; }
if imip :count "ge" :comparator "i;ascii-numeric" :reason "2" { addflag "\\Flagged"; }
addheader "X-Imip-Risk" "${risk}";
if imip :reason "oversized" { fileinto "Oversized"; stop; }
if imip :suspicious { fileinto "Junk"; stop; }
if imip :matches :method "*" { fileinto "Calendar/${1}"; }
"#;

/// Every message the soak mixes: the fixtures, then the corpus when it is
/// there.
fn inputs() -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths = Vec::new();
    collect_eml(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut paths,
    );
    if let Some(corpus) = common::shared_path("corpus") {
        collect_eml(&corpus, &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (path, bytes)
        })
        .collect()
}

fn collect_eml(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for path in entries.map(|entry| entry.expect("a directory entry").path()) {
        if path.is_dir() {
            collect_eml(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "eml") {
            out.push(path);
        }
    }
}

/// Everything a run decided, as text: the actions, the failure, the edited
/// message and the analysis the items were answered from.
fn signature(engine: &Engine, script: &CompiledScript, message: &[u8]) -> String {
    let outcome = engine
        .run(script, message, &Envelope::default())
        .expect("a valid envelope");
    let analysis = outcome.analysis.as_ref().map(|analysis| {
        (
            analysis.risk(),
            analysis.is_suspicious(),
            analysis.method().map(str::to_owned),
            format!("{:?}", analysis.findings()),
        )
    });
    format!(
        "{}\n{:?}\n{:?}",
        serde_json::to_string(&outcome).expect("an outcome serializes"),
        outcome.edited_message,
        analysis
    )
}

/// Peak resident set size of this process, from `/proc` (Linux only).
fn peak_rss() -> Option<String> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|value| value.trim().to_owned())
}

#[test]
#[ignore = "long: run with --ignored (SIEVE_IMIP_SOAK_RUNS sets the count)"]
fn eight_threads_agree_with_a_sequential_run() {
    let runs = match std::env::var(RUNS_VARIABLE) {
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .unwrap_or_else(|_| panic!("{RUNS_VARIABLE}={text} is not a number")),
        Err(_) => DEFAULT_RUNS,
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("a valid date");
    let engine = Engine::new().with_config(Config::builder().now(now).build());
    let script = engine
        .compile(SCRIPT)
        .unwrap_or_else(|error| panic!("{error}"));
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no fixture messages found");

    // The sequential run: each message once, on this thread.
    let expected: Vec<String> = inputs
        .iter()
        .map(|(_, message)| signature(&engine, &script, message))
        .collect();

    // The concurrent run: the threads take run numbers from one counter,
    // run `n` being message `n % inputs`, so every thread meets every kind
    // of message and the same message runs on several threads at once.
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mismatches: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    let mut wrong = Vec::new();
                    loop {
                        let run = next.fetch_add(1, Ordering::Relaxed);
                        if run >= runs {
                            return wrong;
                        }
                        let index = run % inputs.len();
                        let got = signature(&engine, &script, &inputs[index].1);
                        if got != expected[index] {
                            wrong.push((index, got));
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a soak thread panicked"))
            .collect()
    });
    let elapsed = started.elapsed();

    eprintln!(
        "soak: {runs} runs over {} messages on {THREADS} threads in {:.2} s ({:.0} runs/s), peak RSS {}",
        inputs.len(),
        elapsed.as_secs_f64(),
        runs as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
        peak_rss().unwrap_or_else(|| "unknown".to_owned()),
    );
    if let Some((index, got)) = mismatches.first() {
        panic!(
            "{} of {runs} concurrent runs differ from the sequential run; first: {}\nsequential:\n{}\nconcurrent:\n{got}",
            mismatches.len(),
            inputs[*index].0.display(),
            expected[*index],
        );
    }
}
