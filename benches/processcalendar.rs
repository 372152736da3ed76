//! Issue 13 figure: the time `processcalendar` adds to a message, on an
//! in-memory store (the store's own cost, a file or an HTTP round trip,
//! comes on top and is measured with each store). The same script runs
//! with and without the action; each iteration starts from a fresh store
//! and engine, built outside the timing.

#[path = "../tests/processcalendar/memory_store.rs"]
mod memory_store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use memory_store::MemoryStore;
use sieve_imip::{CompiledScript, Config, Engine, Envelope};

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

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A fresh engine on an empty store, or on one holding `message`'s event
/// (processed once for `recipient`), with `script` compiled. Both scripts
/// see the same store, so the validation's stored-copy lookups (a REPLY's
/// party-crash check) cost the same with and without the action.
fn fresh(script: &str, stored_first: Option<(&[u8], &str)>) -> (Engine, CompiledScript) {
    let store = Arc::new(MemoryStore::new(&["personal"]));
    let engine = Engine::new().with_config(Config::builder().now(now()).store(store).build());
    if let Some((message, recipient)) = stored_first {
        let envelope = Envelope {
            to: Some(recipient.to_owned()),
            ..Envelope::default()
        };
        let loader = engine.compile(WITH).expect("compiles");
        let _ = engine.run(&loader, message, &envelope);
    }
    let compiled = engine.compile(script).expect("compiles");
    (engine, compiled)
}

fn added_time(c: &mut Criterion) {
    let bob = Envelope {
        to: Some("bob@example.org".to_owned()),
        ..Envelope::default()
    };
    let alice = Envelope {
        to: Some("alice@example.com".to_owned()),
        ..Envelope::default()
    };
    let mut group = c.benchmark_group("processcalendar");
    group.bench_function("invitation/without processcalendar", |b| {
        b.iter_batched(
            || fresh(WITHOUT, None),
            |(engine, script)| {
                engine
                    .run(&script, black_box(INVITATION), &bob)
                    .map(|o| o.actions.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("invitation/with processcalendar (added)", |b| {
        b.iter_batched(
            || fresh(WITH, None),
            |(engine, script)| {
                engine
                    .run(&script, black_box(INVITATION), &bob)
                    .map(|o| o.actions.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("invitation/with processcalendar (already stored)", |b| {
        b.iter_batched(
            || fresh(WITH, Some((INVITATION, "bob@example.org"))),
            |(engine, script)| {
                engine
                    .run(&script, black_box(INVITATION), &bob)
                    .map(|o| o.actions.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("reply/without processcalendar", |b| {
        b.iter_batched(
            || fresh(WITHOUT, Some((INVITATION, "bob@example.org"))),
            |(engine, script)| {
                engine
                    .run(&script, black_box(REPLY), &alice)
                    .map(|o| o.actions.len())
            },
            BatchSize::SmallInput,
        )
    });
    // Alice's calendar holds the event (stored from the invitation, which
    // names her as ORGANIZER): bob's reply updates it.
    group.bench_function("reply/with processcalendar (updated)", |b| {
        b.iter_batched(
            || fresh(WITH, Some((INVITATION, "bob@example.org"))),
            |(engine, script)| {
                engine
                    .run(&script, black_box(REPLY), &alice)
                    .map(|o| o.actions.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, added_time);
criterion_main!(benches);
