//! Issue 3 figures: what `imip :present` costs against what a plain-Sieve
//! user writes today, and what the front-end adds to compile time.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sieve::{Compiler, Event, Input, Runtime};
use sieve_imip::{Engine, Envelope};

const NON_IMIP: &[u8] = include_bytes!("../samples/newsletter.eml");
const INVITATION: &[u8] = include_bytes!("../samples/invitation-outlook.eml");

const PLAIN_SIEVE: &str = r#"require ["fileinto", "mime"];
if header :mime :anychild :contains "content-type" "text/calendar" { fileinto "Calendar"; }
"#;
const IMIP_SIEVE: &str = r#"require ["imip", "fileinto"];
if imip :present { fileinto "Calendar"; }
"#;

/// What an embedder of plain sieve-rs does per message.
fn run_plain(runtime: &Runtime, script: &std::sync::Arc<sieve::Sieve>, message: &[u8]) -> usize {
    let mut context = runtime.filter(message);
    let mut input = Input::script("main", script.clone());
    let mut actions = 0;
    while let Some(result) = context.run(input) {
        if let Ok(Event::FileInto { .. } | Event::Keep { .. }) = result {
            actions += 1;
        }
        input = Input::True;
    }
    actions
}

fn present_vs_header_mime(c: &mut Criterion) {
    let runtime = Runtime::new();
    let plain = std::sync::Arc::new(
        Compiler::new()
            .compile(PLAIN_SIEVE.as_bytes())
            .expect("plain"),
    );
    let engine = Engine::new();
    let imip = engine.compile(IMIP_SIEVE).expect("imip");
    let envelope = Envelope::default();

    let mut group = c.benchmark_group("present");
    for (name, message) in [("non-imip", NON_IMIP), ("invitation", INVITATION)] {
        group.bench_function(format!("{name}/sieve-rs header :mime :anychild"), |b| {
            b.iter(|| run_plain(&runtime, &plain, black_box(message)))
        });
        group.bench_function(format!("{name}/imip :present"), |b| {
            b.iter(|| {
                engine
                    .run(&imip, black_box(message), &envelope)
                    .map(|o| o.actions.len())
            })
        });
    }
    group.finish();
}

/// A 50-line script, with or without 5 `imip` tests (the others are
/// `header` tests of the same shape).
fn fifty_line_script(with_imip: bool) -> String {
    let mut script = String::from("require [\"imip\", \"fileinto\", \"variables\", \"relational\", \"comparator-i;ascii-numeric\"];\n");
    let imip_tests = [
        "imip :matches :method \"*\"",
        "imip :suspicious",
        "imip :value \"ge\" :comparator \"i;ascii-numeric\" :risk \"40\"",
        "imip :count \"ge\" :comparator \"i;ascii-numeric\" :reason \"2\"",
        "imip :component \"VTODO\"",
    ];
    let header_tests = [
        "header :matches \"subject\" \"*\"",
        "header :contains \"x-spam\" \"yes\"",
        "header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-score\" \"40\"",
        "header :count \"ge\" :comparator \"i;ascii-numeric\" \"received\" \"2\"",
        "header :is \"x-kind\" \"VTODO\"",
    ];
    for block in 0..7 {
        let test = if with_imip && block < 5 {
            imip_tests[block]
        } else {
            header_tests[block % 5]
        };
        script.push_str(&format!(
            "# rule {block}\nif {test} {{\n    set \"rule\" \"{block}\";\n    fileinto \"Folder/{block}\";\n    stop;\n}}\n"
        ));
    }
    while script.lines().count() < 50 {
        script.push_str("# padding comment\n");
    }
    script
}

fn compile_time(c: &mut Criterion) {
    let engine = Engine::new();
    let with = fifty_line_script(true);
    let without = fifty_line_script(false);
    let mut group = c.benchmark_group("compile-50-lines");
    group.bench_function("without imip", |b| {
        b.iter(|| engine.compile(black_box(&without)).is_ok())
    });
    group.bench_function("with 5 imip tests", |b| {
        b.iter(|| engine.compile(black_box(&with)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, present_vs_header_mime, compile_time);
criterion_main!(benches);
