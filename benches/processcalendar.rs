//! Issue 13 figures: the time `processcalendar` adds to a message.
//!
//! - `processcalendar-local`: the issue's figure. A whole delivery
//!   (`deliver::Delivery`: the script chain, then the message written into a
//!   Maildir) on the local vdir store (`store::VdirStore`, what
//!   `deliver --calendar DIR` opens), with the action and without it; the
//!   store's files are written, renamed and locked for real (on the
//!   machine's temporary folder).
//! - `processcalendar`: the engine run alone on an in-memory store, which
//!   isolates the action's own work (the validation, the iTIP plan, the
//!   object read and written back) from any store.
//!
//! Each iteration starts from a fresh store, Maildir and engine, built
//! outside the timing and removed after it. Both scripts see the same
//! store, so the validation's stored-copy lookups (a REPLY's party-crash
//! check) cost the same with and without the action.

#[path = "../tests/processcalendar/local_store.rs"]
mod local_store;
#[path = "../tests/processcalendar/memory_store.rs"]
mod memory_store;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use local_store::LocalStore;
use memory_store::MemoryStore;
use sieve_imip::deliver::{Delivery, Maildir};
use sieve_imip::{CalendarStore, CompiledScript, Config, Engine, Envelope};

const INVITATION: &[u8] = include_bytes!("../samples/invitation-outlook.eml");
const REPLY: &[u8] = include_bytes!("../samples/reply-thunderbird.eml");

const WITHOUT: &str = r#"require ["imip", "fileinto", "variables"];
if imip :suspicious { fileinto "Junk/Invitations"; stop; }
if imip :present { fileinto "Calendar"; }
"#;
const WITH: &str = r#"require ["imip", "processcalendar", "fileinto", "variables"];
if imip :suspicious { fileinto "Junk/Invitations"; stop; }
if imip :present { processcalendar :outcome "outcome"; fileinto "Calendar/${outcome}"; }
"#;

const BOB: &str = "bob@example.org";
const ALICE: &str = "alice@example.com";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_default()
}

fn envelope(to: &str) -> Envelope {
    Envelope {
        to: Some(to.to_owned()),
        ..Envelope::default()
    }
}

/// Where a fixture's store lives; a local store is held for its `Drop`,
/// which removes the folder after the timing.
enum Backing {
    Memory,
    Local(#[allow(dead_code)] LocalStore),
}

/// One iteration's engine, compiled script and (for deliveries) Maildir.
struct Fixture {
    engine: Engine,
    script: CompiledScript,
    maildir: PathBuf,
    _store: Backing,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// A fresh engine on an empty store, or on one holding `message`'s event
/// (processed once for `recipient`), with `script` compiled.
fn fresh(local: bool, script: &str, stored_first: Option<(&[u8], &str)>) -> Fixture {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let (store, backing): (Arc<dyn CalendarStore>, Backing) = if local {
        let local = LocalStore::new(&["personal"]);
        (local.store(), Backing::Local(local))
    } else {
        (Arc::new(MemoryStore::new(&["personal"])), Backing::Memory)
    };
    let engine = Engine::new().with_config(Config::builder().now(now()).store(store).build());
    if let Some((message, recipient)) = stored_first {
        let loader = engine.compile(WITH).expect("compiles");
        let _ = engine.run(&loader, message, &envelope(recipient));
    }
    let script = engine.compile(script).expect("compiles");
    let maildir = std::env::temp_dir().join(format!(
        "sieve-imip-bench-maildir-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    if local {
        // What the set-up wrote (folders, lock files, a first delivery's
        // event) must reach the disk now: left in the file system's
        // journal, it would be flushed by the first fsync of the timed
        // delivery and counted there.
        let _ = std::process::Command::new("sync").status();
    }
    Fixture {
        engine,
        script,
        maildir,
        _store: backing,
    }
}

/// The cases both groups measure: name, script, message, recipient, and
/// whether the store first holds the invitation.
const CASES: &[(&str, &str, &[u8], &str, bool)] = &[
    (
        "invitation/without processcalendar",
        WITHOUT,
        INVITATION,
        BOB,
        false,
    ),
    (
        "invitation/with processcalendar (added)",
        WITH,
        INVITATION,
        BOB,
        false,
    ),
    (
        "invitation/with processcalendar (already stored)",
        WITH,
        INVITATION,
        BOB,
        true,
    ),
    ("reply/without processcalendar", WITHOUT, REPLY, ALICE, true),
    // Alice's calendar holds the event (stored from the invitation, which
    // names her as ORGANIZER): bob's reply updates it.
    (
        "reply/with processcalendar (updated)",
        WITH,
        REPLY,
        ALICE,
        true,
    ),
];

/// What the action did in each case, checked once before measuring: a
/// benchmark of an action that does nothing would measure nothing.
fn check_cases() {
    let expected = [
        None,
        Some("added"),
        Some("no_action"),
        None,
        Some("updated"),
    ];
    for (&(name, script, message, recipient, stored), expected) in CASES.iter().zip(expected) {
        let fixture = fresh(true, script, stored.then_some((INVITATION, BOB)));
        let outcome = fixture
            .engine
            .run(&fixture.script, message, &envelope(recipient))
            .expect("runs");
        let did = outcome.calendar.first().map(|done| done.outcome.as_str());
        assert_eq!(did, expected, "{name}: {:?}", outcome.calendar);
    }
}

fn local_delivery(c: &mut Criterion) {
    check_cases();
    let mut group = c.benchmark_group("processcalendar-local");
    for &(name, script, message, recipient, stored) in CASES {
        let first = stored.then_some((INVITATION, BOB));
        group.bench_function(name, |b| {
            b.iter_batched(
                || fresh(true, script, first),
                |fixture| {
                    let delivery = Delivery {
                        maildir: Maildir::new(fixture.maildir.clone()),
                        create_folders: true,
                        sendmail: None,
                        calendar: None,
                    };
                    let report = delivery.deliver(
                        &fixture.engine,
                        &[&fixture.script],
                        black_box(message),
                        &envelope(recipient),
                    );
                    (fixture, report.stored.len())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn engine_alone(c: &mut Criterion) {
    let mut group = c.benchmark_group("processcalendar");
    for &(name, script, message, recipient, stored) in CASES {
        let first = stored.then_some((INVITATION, BOB));
        group.bench_function(name, |b| {
            b.iter_batched(
                || fresh(false, script, first),
                |fixture| {
                    let actions = fixture
                        .engine
                        .run(&fixture.script, black_box(message), &envelope(recipient))
                        .map(|outcome| outcome.actions.len());
                    (fixture, actions)
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, local_delivery, engine_alone);
criterion_main!(benches);
