//! Every script in scripts-examples/ runs on the shipped samples with the
//! actions listed in scripts-examples/expected.tsv.

use std::collections::BTreeSet;
use std::path::Path;

use sieve_imip::{compile, run, Envelope};

#[test]
fn examples_give_the_expected_actions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table =
        std::fs::read_to_string(root.join("scripts-examples/expected.tsv")).expect("expected.tsv");
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for line in table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [script_name, sample, expected] = fields[..] else {
            panic!("bad row: {line}");
        };
        let source = std::fs::read_to_string(root.join("scripts-examples").join(script_name))
            .expect("script");
        let script = compile(&source).unwrap_or_else(|error| panic!("{script_name}:{error}"));
        let message = std::fs::read(root.join("samples").join(sample)).expect("sample");
        let envelope = Envelope {
            to: Some("bob@example.org".into()),
            ..Envelope::default()
        };
        let outcome = run(&script, &message, &envelope).expect("run");
        let actual: Vec<String> = outcome.actions.iter().map(ToString::to_string).collect();
        let actual = actual.join("; ");
        if actual != expected {
            failures.push(format!(
                "{script_name} on {sample}:\n  expected {expected}\n  actual   {actual}"
            ));
        }
        covered.insert(script_name.to_string());
    }
    let scripts: BTreeSet<String> = std::fs::read_dir(root.join("scripts-examples"))
        .expect("dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".sieve"))
        .collect();
    assert_eq!(
        scripts, covered,
        "every example script needs rows in expected.tsv"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The administrator's global script before the user's, as one chain (what
/// `sieve-imip deliver --before global-admin.sieve route-by-method.sieve`
/// runs): the global script stamps and quarantines, the user's routes what
/// is left.
#[test]
fn global_and_user_examples_run_as_one_chain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = sieve_imip::Engine::new();
    let load = |name: &str| {
        let source =
            std::fs::read_to_string(root.join("scripts-examples").join(name)).expect("script");
        engine
            .compile(&source)
            .unwrap_or_else(|error| panic!("{name}: {error}"))
    };
    let global = load("global-admin.sieve");
    let user = load("route-by-method.sieve");
    let envelope = Envelope {
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    };
    let cases = [
        (
            "invitation-outlook.eml",
            "addheader \"X-iMIP-Risk\" \"0\"; fileinto :create \"Calendar/REQUEST\"",
        ),
        (
            "cancel-google.eml",
            "addheader \"X-iMIP-Risk\" \"0\"; fileinto :create \"Calendar/CANCEL\"",
        ),
        (
            "suspicious-flood.eml",
            "addheader \"X-iMIP-Risk\" \"100\"; fileinto :create \"Junk/Invitations\"",
        ),
        ("newsletter.eml", "keep"),
    ];
    for (sample, expected) in cases {
        let message = std::fs::read(root.join("samples").join(sample)).expect("sample");
        let outcome = engine
            .run_chain(&[&global, &user], &message, &envelope)
            .expect("run");
        let actual: Vec<String> = outcome.actions.iter().map(ToString::to_string).collect();
        assert_eq!(actual.join("; "), expected, "{sample}");
    }
}

/// The METHOD is the sender's to write, and it reaches folder names: a
/// value that is no RFC 5545 token is never a method (not through
/// `:method`, not as the effective method), and the shipped routing
/// scripts file only the methods they name, so no sender picks a path or
/// makes a mailbox per invented method.
#[test]
fn a_sender_does_not_choose_folder_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = |name: &str| std::fs::read(root.join("tests/fixtures").join(name)).expect(name);
    let traversal = fixture("method-not-a-token.eml");
    let traversal_in_object = fixture("method-not-a-token-parameter-is.eml");
    let invented = String::from_utf8(fixture("parameter-disagrees-with-object.eml"))
        .expect("utf-8")
        .replace("method=REQUEST", "method=X-MAILBOX-7")
        .replace("METHOD:PUBLISH", "METHOD:X-MAILBOX-7")
        .into_bytes();
    let envelope = Envelope::default();
    let actions = |script_name: &str, message: &[u8]| {
        let source = std::fs::read_to_string(root.join("scripts-examples").join(script_name))
            .expect("script");
        let script = compile(&source).expect("compiles");
        let outcome = run(&script, message, &envelope).expect("run");
        let actions: Vec<String> = outcome.actions.iter().map(ToString::to_string).collect();
        actions.join("; ")
    };
    for script_name in ["route-by-method.sieve", "quarantine-and-route.sieve"] {
        assert_eq!(actions(script_name, &traversal), "keep", "{script_name}");
        assert_eq!(actions(script_name, &invented), "keep", "{script_name}");
        // The object's METHOD is no token, so the parameter's REQUEST is
        // the method: a name the script lists.
        assert_eq!(
            actions(script_name, &traversal_in_object),
            "fileinto :create \"Calendar/REQUEST\"",
            "{script_name}"
        );
    }

    // What any script sees: the message is iMIP and malformed, with no method.
    let probe = compile(
        r#"require ["imip", "variables", "fileinto"];
           if imip :present { fileinto "present"; }
           if imip :matches :method "*" { fileinto "method ${1}"; }
           if imip :reason "malformed" { fileinto "malformed"; }"#,
    )
    .expect("compiles");
    let outcome = run(&probe, &traversal, &envelope).expect("run");
    let folders: Vec<String> = outcome.actions.iter().map(ToString::to_string).collect();
    assert_eq!(
        folders,
        ["fileinto \"present\"", "fileinto \"malformed\""],
        "no method reaches the script"
    );
    let analysis = outcome.analysis.expect("analysed");
    assert_eq!(analysis.method(), None);
}
