//! No script can read, test, set or forge the reserved items the `imip`
//! test is lowered to (`environment` tests on names built from
//! `vnd.sieve-imip` and a per-process secret), and no script can change
//! what the analysis reads.
//!
//! Two levels:
//!
//! - the text: the front-end refuses every spelling of the stem sieve-rs
//!   would decode (escapes, `${hex:}`, `${unicode:}`), wherever it stands;
//! - the compiled script: in sieve-rs 0.7.3 every environment name a
//!   running script can read is a constant of the compiled program (the
//!   `environment` test takes a constant string only, `${env.NAME}` names a
//!   constant and is not expanded inside another `${...}`, expressions
//!   compile `env.NAME` the same way). So the names a script can reach are
//!   exactly the `Environment("...")` constants of its compiled program.
//!   The tests read them from what sieve-rs compiled (its `Debug` output)
//!   and show that the ones equal to reserved names all come from the
//!   lowering: plain sieve-rs compiling the author's own text yields none.
//!
//! The `processcalendar` action is lowered to a `mailboxidexists` test
//! whose first mailbox id is a reserved name (the call), the same guard:
//! the text cannot spell it, the compiled program holds it only where the
//! lowering put it, and a run whose scripts have no `processcalendar` never
//! takes a `mailboxidexists` for a call, even one whose id was built at
//! run time with the secret itself.
//!
//! And the message: the analysis reads the message as received, so
//! `editheader` before an `imip` test, an `include`, or the next script of
//! a chain changes nothing `imip` answers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sieve::Runtime;
use sieve_imip::{CompiledScript, Config, Engine, Envelope, Host, Outcome, ScriptErrorKind};

const STEM: &str = "vnd.sieve-imip";

fn config() -> Config {
    let now = Utc
        .with_ymd_and_hms(2025, 1, 14, 10, 5, 0)
        .single()
        .expect("a valid date");
    Config::builder()
        .now(now)
        .recipient("bob@example.org")
        .trust_authserv_id("mx.example.org")
        .build()
}

/// Scripts the host supplies to `include`, by name.
#[derive(Default)]
struct Includes(BTreeMap<String, String>);

impl Host for Includes {
    fn include(&self, name: &str, _global: bool) -> Option<String> {
        self.0.get(name).cloned()
    }
}

fn engine_with(includes: &[(&str, &str)]) -> Engine {
    let host = Includes(
        includes
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect(),
    );
    Engine::new()
        .with_config(config())
        .with_host(Arc::new(host))
}

fn compile(engine: &Engine, source: &str) -> CompiledScript {
    engine
        .compile(source)
        .unwrap_or_else(|error| panic!("{error}\n{source}"))
}

/// The Google invitation of the fixtures, as our border saw it: DKIM and
/// DMARC failed for the From domain example.com (a spoof), so the trusted
/// results give `unauthenticated-sender`.
fn spoofed_invitation() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validation/google-request.eml");
    let text = std::fs::read_to_string(path).expect("fixture");
    text.replace(
        "dkim=pass header.i=@example.com",
        "dkim=fail header.i=@example.com",
    )
    .replace("dmarc=pass (p=QUARANTINE", "dmarc=fail (p=QUARANTINE")
    .into_bytes()
}

/// The forgery a script could add: our authserv-id passing the From domain.
const FORGED_PASS: &str =
    "mx.example.org; dkim=pass header.d=example.com; dmarc=pass header.from=example.com";

fn run(engine: &Engine, script: &CompiledScript, message: &[u8]) -> Outcome {
    engine
        .run(script, message, &Envelope::default())
        .expect("a valid envelope")
}

fn actions(outcome: &Outcome) -> Vec<String> {
    outcome.actions.iter().map(ToString::to_string).collect()
}

/// What an analysis says, for comparing two runs.
fn verdict(outcome: &Outcome) -> (u32, Vec<String>, Option<String>) {
    let analysis = outcome.analysis.as_ref().expect("analysed");
    let findings = analysis
        .findings()
        .iter()
        .map(|finding| format!("{finding:?}"))
        .collect();
    (
        analysis.risk(),
        findings,
        analysis.method().map(str::to_owned),
    )
}

/// Every environment name a compiled program reads (`Environment("...")`
/// in sieve-rs's `Debug` of it).
fn environment_names(compiled_debug: &str) -> BTreeSet<String> {
    let marker = "Environment(\"";
    let mut names = BTreeSet::new();
    let mut rest = compiled_debug;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let Some(end) = after.find('"') else { break };
        names.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    names
}

fn is_reserved(name: &str) -> bool {
    name.to_lowercase().contains(STEM)
}

/// The secret part of this process's reserved names, read from a lowered
/// `imip` test.
fn reserved_prefix() -> String {
    let engine = engine_with(&[]);
    let probe = compile(&engine, "require \"imip\";\nif imip :present {}\n");
    let names = environment_names(&format!("{probe:?}"));
    let name = names
        .iter()
        .find(|name| is_reserved(name))
        .expect("the lowering reads a reserved name");
    let secret_end = STEM.len() + 1 + 16;
    name[..secret_end].to_owned()
}

// ---------------------------------------------------------------------------
// The text: every spelling of the stem is refused

#[track_caller]
fn assert_all_refused_by_name(engine: &Engine, scripts: &[String]) {
    for script in scripts {
        let error = engine
            .compile(script)
            .expect_err(&format!("must be refused:\n{script}"));
        assert!(
            matches!(error.kind, ScriptErrorKind::ReservedName),
            "{:?}\n{script}",
            error.kind
        );
    }
}

#[test]
fn every_spelling_of_a_reserved_name_is_refused() {
    let prefix = reserved_prefix();
    let engine = engine_with(&[]);
    let method = format!("{prefix}.method");
    let scripts = [
        format!("require \"environment\";\nif environment :matches \"{method}\" \"*\" {{ discard; }}\n"),
        "require \"environment\";\nif environment :matches \"VND.Sieve-IMIP.x\" \"*\" { discard; }\n".to_owned(),
        format!("require [\"variables\", \"fileinto\"];\nfileinto \"${{env.{method}}}\";\n"),
        "require [\"variables\", \"encoded-character\", \"fileinto\"];\nfileinto \"${env.${hex:76 6e 64}.sieve-imip.x}\";\n".to_owned(),
        "require [\"variables\", \"encoded-character\", \"fileinto\"];\nfileinto \"${env.vnd.sieve-${unicode:69}mip.x}\";\n".to_owned(),
        "require [\"variables\", \"fileinto\"];\nfileinto \"${env.vnd\\.sieve\\-imip.x}\";\n".to_owned(),
        // Setting one: sieve-rs has no way to set env.*, and the name is refused anyway.
        format!("require \"variables\";\nset \"env.{method}\" \"REQUEST\";\n"),
        format!("require \"variables\";\nset \"{method}\" \"REQUEST\";\n"),
        // Forging one through a header is a header, not an item: refused by name too.
        format!("require \"editheader\";\naddheader \"{method}\" \"1\";\n"),
        // In an expression (vnd.stalwart.expressions).
        format!("require [\"variables\", \"vnd.stalwart.expressions\"];\nlet \"x\" \"env.{method}\";\n"),
        format!("require \"vnd.stalwart.expressions\";\nif eval \"env.{method} == 'REQUEST'\" {{ discard; }}\n"),
        // In a comment or a heredoc: refused wherever it stands.
        format!("# {method}\nkeep;\n"),
        format!("require \"fileinto\";\nfileinto text:\n{method}\n.\n;\n"),
    ];
    assert_all_refused_by_name(&engine, &scripts);
}

// ---------------------------------------------------------------------------
// The compiled script: no name the author's strings reach is reserved

/// Scripts the front-end accepts that try to reach the reserved items by
/// other means: variables, match variables, nested and runtime-built
/// names, the standard environment items, expressions.
const ACCEPTED_ATTEMPTS: &[&str] = &[
    // Every standard item, with :matches "*": none is reserved.
    r#"require ["imip", "environment", "variables", "fileinto"];
if imip :present {
  if environment :matches "location" "*" { fileinto "loc-${1}"; }
  if environment :matches "name" "*" { fileinto "name-${1}"; }
  if environment :matches "vnd" "*" { fileinto "vnd-${1}"; }
  if environment :matches "imip" "*" { fileinto "imip-${1}"; }
}"#,
    // A name built from pieces at run time: `${env.${n}}` is not expanded,
    // and `environment` takes only a constant name.
    r#"require ["imip", "variables", "fileinto"];
set "a" "vnd.sieve";
set "b" "-imip";
set "n" "${a}${b}.method";
if imip :matches :method "*" { fileinto "m-${1}"; }
fileinto "x-${env.${n}}";
fileinto "y-${env.${a}${b}}";
"#,
    // A match variable holding a name taken from the message.
    r#"require ["imip", "variables", "fileinto"];
if header :matches "subject" "*" { set "n" "${1}"; }
fileinto "s-${env.${n}}";
if imip :risk "0" { fileinto "clean"; }
"#,
    // Encoded characters that spell no reserved name.
    r#"require ["imip", "variables", "encoded-character", "fileinto"];
fileinto "e-${env.${hex:6c 6f 63}ation}";
if imip :reason "malformed" { fileinto "malformed"; }
"#,
];

#[test]
fn no_name_reachable_from_the_scripts_own_strings_is_reserved() {
    let engine = engine_with(&[]);
    let prefix = reserved_prefix();
    let message = spoofed_invitation();
    for script in ACCEPTED_ATTEMPTS {
        let compiled = compile(&engine, script);
        let lowered = environment_names(&format!("{compiled:?}"));
        // What the author's own strings compile to, without the lowering
        // (plain sieve-rs compiles the unknown `imip` test as an invalid
        // one, keeping every string around it).
        let plain = sieve::Compiler::new()
            .compile(script.as_bytes())
            .unwrap_or_else(|error| panic!("{error:?}\n{script}"));
        let plain_debug = format!("{plain:?}");
        assert!(
            !plain_debug.to_lowercase().contains(STEM),
            "the author's compiled strings name the stem:\n{script}"
        );
        let authors = environment_names(&plain_debug);
        assert!(authors.iter().all(|name| !is_reserved(name)), "{authors:?}");
        // The reserved names in the engine's program are the lowering's:
        // each is the secret prefix plus an item, and none is the author's.
        for name in lowered.iter().filter(|name| is_reserved(name)) {
            assert!(name.starts_with(&prefix), "{name}");
            assert!(!authors.contains(name), "{name}");
        }
        let authors_in_lowered: BTreeSet<&String> =
            lowered.iter().filter(|name| !is_reserved(name)).collect();
        assert_eq!(
            authors_in_lowered,
            authors.iter().collect::<BTreeSet<_>>(),
            "the lowering adds only reserved names:\n{script}"
        );

        // And at run time nothing of the secret leaks into what the
        // script does: a name built at run time stays text (`${env.${n}}`
        // gives the literal `${env.vnd.sieve-imip.method}`), never a lookup.
        let outcome = run(&engine, &compiled, &message);
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        for action in actions(&outcome) {
            assert!(!action.contains(&prefix[STEM.len() + 1..]), "{action}");
        }
    }
}

/// Expressions (`vnd.stalwart.expressions`), where the embedder enables
/// them: `let` and `eval` read variables by constant name as the rest of
/// the language does, and no function is reachable.
#[test]
fn let_and_eval_reach_no_reserved_item_or_function() {
    let engine =
        engine_with(&[]).with_runtime(Runtime::new().with_capability("vnd.stalwart.expressions"));
    let message = spoofed_invitation();
    let script = r#"require ["imip", "variables", "fileinto", "vnd.stalwart.expressions"];
set "a" "vnd.sieve";
let "x" "a + '-imip.method'";
if imip :matches :risk "*" { set "r" "${1}"; let "r" "r * 2"; fileinto "twice-${r}"; }
fileinto "x-${x}";
fileinto "y-${env.${x}}";
"#;
    let compiled = compile(&engine, script);
    let debug = format!("{compiled:?}");
    let outcome = run(&engine, &compiled, &message);
    let done = actions(&outcome);
    assert!(
        done.iter().any(|action| action == "fileinto \"twice-100\""),
        "{done:?} {:?}",
        outcome.failure
    );
    assert!(
        done.iter()
            .any(|action| action.contains("x-vnd.sieve-imip.method")),
        "{done:?}"
    );
    // A string the script built is just a string: `${env.${x}}` is not
    // looked up, it stays the literal text.
    assert!(
        done.iter()
            .any(|action| action == "fileinto \"y-${env.vnd.sieve-imip.method}\""),
        "{done:?}"
    );
    // No function call is compiled: the engine registers none, so there is
    // no function to reach, reserved or not.
    assert!(!debug.contains("Function {"), "{debug}");

    // Calling a function by a reserved-looking name does not compile.
    for call in [
        "vnd_sieve_imip()",
        "vnd_sieve_imip_processcalendar('x')",
        "processcalendar()",
    ] {
        let attempt = format!(
            "require [\"variables\", \"vnd.stalwart.expressions\"];\nlet \"x\" \"{call}\";\n"
        );
        assert!(engine.compile(&attempt).is_err(), "{attempt}");
    }
}

// ---------------------------------------------------------------------------
// processcalendar: the call behind the action cannot be made or forged

/// The reserved call name a lowered `processcalendar` (no flags, no
/// arguments) passes as its first mailbox id.
fn call_name(prefix: &str) -> String {
    format!("{prefix}.processcalendar::0:0:0")
}

#[test]
fn no_spelling_of_the_call_compiles() {
    let prefix = reserved_prefix();
    let engine = engine_with(&[]);
    let call = call_name(&prefix);
    let scripts = [
        format!("require \"mailboxid\";\nif mailboxidexists \"{call}\" {{ }}\n"),
        format!("require \"mailboxid\";\nif mailboxidexists [\"{call}\", \"a@example.com\"] {{ }}\n"),
        "require [\"mailboxid\", \"encoded-character\"];\nif mailboxidexists \"${hex:76 6e 64}.sieve-imip.x.processcalendar::0:0:0\" { }\n".to_owned(),
        "require \"mailboxid\";\nif mailboxidexists \"VND.Sieve\\-IMIP.x.processcalendar::0:0:0\" { }\n".to_owned(),
        format!("require [\"fileinto\", \"mailboxid\"];\nfileinto :mailboxid \"{call}\" \"INBOX\";\n"),
        format!("require [\"variables\", \"vnd.stalwart.expressions\"];\nlet \"x\" \"'{call}'\";\n"),
        // The items its outcome and reason come back through.
        format!("require \"variables\";\nset \"o\" \"${{env.{prefix}.outcome}}\";\n"),
        format!("require \"environment\";\nif environment \"{prefix}.reason\" \"\" {{ }}\n"),
    ];
    assert_all_refused_by_name(&engine, &scripts);
}

#[test]
fn the_call_stands_only_where_the_lowering_put_it() {
    let prefix = reserved_prefix();
    let engine = engine_with(&[]);
    let call_stem = format!("{prefix}.processcalendar");
    let count = |source: &str| {
        format!("{:?}", compile(&engine, source))
            .matches(&call_stem)
            .count()
    };
    // The author's own mailboxidexists and a :mailboxid tag carry no call.
    let plain = r#"require ["mailboxid", "mailbox", "fileinto", "imip"];
if mailboxidexists "F6352ae03-b7f5-463c-896f-d8b48ee3" { fileinto :mailboxid "F6352ae03" "INBOX"; }
if imip :present { keep; }
"#;
    assert_eq!(count(plain), 0);
    for script in ACCEPTED_ATTEMPTS {
        assert_eq!(count(script), 0, "{script}");
    }
    let two = r#"require ["processcalendar", "variables", "mailboxid"];
if mailboxidexists "F6352ae03" { processcalendar :outcome "first"; }
processcalendar :allowpublic :outcome "second" :reason "why";
if mailboxidexists "F0000" { keep; }
"#;
    assert_eq!(count(two), 2);
}

#[test]
fn a_call_built_at_run_time_is_not_a_call() {
    let prefix = reserved_prefix();
    let engine = engine_with(&[]);
    // The secret itself, in the message: a script that builds the call's
    // mailbox id from the Subject at run time.
    let forged = String::from_utf8_lossy(&spoofed_invitation())
        .replacen("Subject: ", &format!("Subject: {} ", call_name(&prefix)), 1)
        .into_bytes();
    let script = r#"require ["mailboxid", "variables", "fileinto"];
if header :matches "subject" "* *" {
  if mailboxidexists "${1}" { fileinto "called"; }
  fileinto "built-${1}";
}
"#;
    let compiled = compile(&engine, script);
    assert!(!compiled.processes_calendar());
    let outcome = run(&engine, &compiled, &forged);
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert!(outcome.calendar.is_empty(), "{:?}", outcome.calendar);
    let done = actions(&outcome);
    // The test ran (the string was built) and answered false.
    let built = format!("fileinto \"built-{}\"", call_name(&prefix));
    assert!(done.contains(&built), "{done:?}");
    assert!(
        !done.iter().any(|action| action == "fileinto \"called\""),
        "{done:?}"
    );
}

// ---------------------------------------------------------------------------
// editheader: the analysis reads the message as received

#[test]
fn header_edits_before_imip_do_not_change_what_the_analysis_trusts() {
    let engine = engine_with(&[]);
    let message = spoofed_invitation();
    let probe = r#"if imip :matches :risk "*" { fileinto "risk-${1}"; }
if imip :reason "unauthenticated-sender" { fileinto "spoof"; }
if imip :reason "imip-header-unsigned" { fileinto "unsigned"; }
if imip :matches :method "*" { fileinto "method-${1}"; }"#;
    let require = "require [\"imip\", \"editheader\", \"variables\", \"fileinto\"];\n";
    let unedited = run(
        &engine,
        &compile(&engine, &format!("{require}{probe}")),
        &message,
    );
    assert!(actions(&unedited).contains(&"fileinto \"spoof\"".to_owned()));
    let edits = [
        format!("addheader \"Authentication-Results\" \"{FORGED_PASS}\";"),
        format!("deleteheader \"Authentication-Results\";\naddheader \"Authentication-Results\" \"{FORGED_PASS}\";"),
        format!("addheader :last \"Authentication-Results\" \"{FORGED_PASS}\";"),
        "deleteheader \"DKIM-Signature\";".to_owned(),
        "addheader \"DKIM-Signature\" \"v=1; a=rsa-sha256; d=example.com; s=s1; h=from:imip-content-id; bh=YWJj; b=Rm9yZ2Vk\";".to_owned(),
        "addheader \"iMIP-Content-ID\" \"<forged@example.com>\";".to_owned(),
        "deleteheader \"iMIP-Content-ID\";".to_owned(),
        "deleteheader \"From\";\naddheader \"From\" \"alice@example.com\";".to_owned(),
    ];
    for edit in &edits {
        let script =
            format!("{require}{edit}\nif header :contains \"x-edited\" \"\" {{ }}\n{probe}");
        let outcome = run(&engine, &compile(&engine, &script), &message);
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        assert_eq!(verdict(&outcome), verdict(&unedited), "{edit}");
        let filed: Vec<String> = actions(&outcome)
            .into_iter()
            .filter(|action| action.starts_with("fileinto"))
            .collect();
        let filed_unedited: Vec<String> = actions(&unedited)
            .into_iter()
            .filter(|action| action.starts_with("fileinto"))
            .collect();
        assert_eq!(filed, filed_unedited, "{edit}");
        // The edit did happen: the message the actions apply to has it.
        if edit.contains("addheader") {
            assert!(outcome.edited_message.is_some(), "{edit}");
        }
    }
}

// ---------------------------------------------------------------------------
// include: one analysis, of the message as received

const ADMIN: &str = r#"require ["imip", "fileinto", "variables"];
if imip :matches :risk "*" { fileinto "risk-${1}"; }
if imip :reason "unauthenticated-sender" { fileinto "spoof"; }
"#;

/// What the global script alone decides on the message as received.
fn admin_alone(message: &[u8]) -> Vec<String> {
    let engine = engine_with(&[]);
    actions(&run(&engine, &compile(&engine, ADMIN), message))
}

#[test]
fn an_included_script_sees_the_message_as_received() {
    let message = spoofed_invitation();
    let expected = admin_alone(&message);
    assert!(
        expected.contains(&"fileinto \"spoof\"".to_owned()),
        "{expected:?}"
    );
    let engine = engine_with(&[("admin", ADMIN)]);
    let forge = format!(
        "deleteheader \"Authentication-Results\";\naddheader \"Authentication-Results\" \"{FORGED_PASS}\";"
    );
    let mains = [
        // The main script uses no `imip`: the included one asks first.
        format!("require [\"include\", \"editheader\"];\n{forge}\ninclude :global \"admin\";\n"),
        // The main script needs less than the included one (locate only).
        format!("require [\"imip\", \"include\", \"editheader\", \"fileinto\"];\nif imip :present {{ fileinto \"present\"; }}\n{forge}\ninclude :global \"admin\";\n"),
        // Personal include, the forgery after an `imip` test on :method.
        format!("require [\"imip\", \"include\", \"editheader\"];\nif imip :method \"REQUEST\" {{ }}\n{forge}\ninclude :personal \"admin\";\n"),
        // Included twice, around a second edit.
        format!("require [\"include\", \"editheader\"];\ninclude :global \"admin\";\n{forge}\ninclude :global \"admin\";\n"),
    ];
    for main in &mains {
        let outcome = run(&engine, &compile(&engine, main), &message);
        assert!(outcome.failure.is_none(), "{:?}\n{main}", outcome.failure);
        let filed: Vec<String> = actions(&outcome)
            .into_iter()
            .filter(|action| {
                action.starts_with("fileinto \"risk") || action == "fileinto \"spoof\""
            })
            .collect();
        for wanted in &expected {
            assert!(filed.contains(wanted), "{filed:?} lacks {wanted}\n{main}");
        }
        assert!(
            !filed.contains(&"fileinto \"risk-0\"".to_owned()),
            "{filed:?}\n{main}"
        );
    }
}

#[test]
fn a_chain_is_analysed_once_as_received() {
    let message = spoofed_invitation();
    let expected = admin_alone(&message);
    let engine = engine_with(&[("admin", ADMIN)]);
    let forger = compile(
        &engine,
        &format!(
            "require \"editheader\";\ndeleteheader \"Authentication-Results\";\naddheader \"Authentication-Results\" \"{FORGED_PASS}\";\n"
        ),
    );
    let admin = compile(&engine, ADMIN);
    let including = compile(
        &engine,
        "require \"include\";\ninclude :global \"admin\";\n",
    );
    for second in [&admin, &including] {
        let outcome = engine
            .run_chain(&[&forger, second], &message, &Envelope::default())
            .expect("a valid envelope");
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        let filed: Vec<String> = actions(&outcome)
            .into_iter()
            .filter(|action| action.starts_with("fileinto"))
            .collect();
        assert_eq!(filed, expected);
    }
}
