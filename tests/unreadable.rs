//! Input that is hard to read as mail: bytes without a single header field
//! still run the whole script (an envelope rule must not be skipped), with
//! `imip` failing closed and the reason reported; nothing is lost.

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{json_lines, sieve_imip, stdout};

use std::fs;
use std::path::PathBuf;

use sieve_imip::deliver::{Delivery, Maildir};
use sieve_imip::{compile, run, Action, Config, Engine, Envelope, Outcome};

/// What a user saved from a web client: an invitation's text, without the
/// message's header.
const NO_HEADER: &[u8] = b"Forwarded calendar entry, pasted from the web client:\r\n\r\n\
BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:k@example.org\r\n\
DTSTART:20261203T090000Z\r\nORGANIZER:mailto:mallory@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// Inputs with no header field: empty, binary, only line breaks, prose.
const NOT_MAIL: [&[u8]; 5] = [
    b"",
    b"\x00\x01\x02\xff\xfe",
    b"\r\n\r\n",
    b"this line is no header field\nneither is this one\n",
    NO_HEADER,
];

fn blocked_sender() -> Envelope {
    Envelope {
        from: Some("spam@blocked.example".into()),
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    }
}

fn run_on(script: &str, message: &[u8], envelope: &Envelope) -> Outcome {
    let compiled = compile(script).unwrap_or_else(|error| panic!("{script}\n{error}"));
    run(&compiled, message, envelope).expect("run")
}

fn failure_kind(outcome: &Outcome) -> Option<&'static str> {
    outcome.failure.as_ref().map(|failure| failure.kind())
}

/// Issue 11: the envelope rule of a script that also uses `imip` used to
/// be skipped (the message was kept before the script ran).
#[test]
fn an_envelope_rule_runs_on_a_message_without_header() {
    let script = "require [\"imip\", \"envelope\", \"fileinto\"];\n\
                  if envelope :is \"from\" \"spam@blocked.example\" { discard; stop; }\n\
                  if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n";
    for message in NOT_MAIL {
        let outcome = run_on(script, message, &blocked_sender());
        assert_eq!(outcome.actions, [Action::Discard], "{message:?}");
        assert_eq!(failure_kind(&outcome), Some("unparsable-message"));
        let failure = outcome.failure.as_ref().expect("failure");
        assert!(!failure.keeps_message(), "the script's own actions stand");
        assert!(outcome.abandoned.is_empty());
    }
}

/// Nothing is lost: a script that does not act on the message keeps it.
#[test]
fn the_implicit_keep_stands_when_the_script_does_not_act() {
    let script = "require [\"imip\", \"envelope\", \"fileinto\"];\n\
                  if envelope :is \"from\" \"spam@blocked.example\" { discard; stop; }\n\
                  if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n";
    let envelope = Envelope {
        from: Some("alice@example.com".into()),
        ..Envelope::default()
    };
    for message in NOT_MAIL {
        let outcome = run_on(script, message, &envelope);
        assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
        assert!(outcome.is_kept());
        let analysis = outcome.analysis.as_ref().expect("analysed");
        assert!(!analysis.is_imip());
        assert!(analysis.unparsable().is_some());
    }
}

/// What each item answers: no iMIP object, so no value items; the risk
/// items fail closed (risk 100, suspicious), and no finding names a reason.
#[test]
fn imip_fails_closed_on_a_message_without_header() {
    let holds = |test: &str| {
        let script = format!(
            "require [\"imip\", \"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
             if {test} {{ fileinto \"yes\"; }}\n"
        );
        let outcome = run_on(&script, NO_HEADER, &Envelope::default());
        assert_eq!(failure_kind(&outcome), Some("unparsable-message"), "{test}");
        matches!(&outcome.actions[..], [Action::FileInto { folder, .. }] if folder == "yes")
    };
    for test in [
        "imip :present",
        "imip :matches :method \"*\"",
        "imip :matches :component \"*\"",
        "imip :matches :uid \"*\"",
        "imip :matches :organizer \"*\"",
        "imip :matches :reason \"*\"",
    ] {
        assert!(!holds(test), "{test} holds");
    }
    for test in [
        "not imip :present",
        "imip :suspicious",
        "imip :risk \"100\"",
        "imip :value \"ge\" :comparator \"i;ascii-numeric\" :risk \"50\"",
        "imip :count \"eq\" :comparator \"i;ascii-numeric\" :reason \"0\"",
    ] {
        assert!(holds(test), "{test} does not hold");
    }
}

/// A threshold above 100 turns `:suspicious` off for every message, this
/// one too; the risk stays what it is.
#[test]
fn the_threshold_still_decides_suspicious() {
    let engine = Engine::new().with_config(Config::builder().suspicious_threshold(101).build());
    let script = engine
        .compile("require [\"imip\", \"fileinto\", \"imap4flags\"];\nif imip :suspicious { fileinto \"Junk\"; }\nif imip :risk \"100\" { addflag \"risk-100\"; }\n")
        .expect("compiles");
    let outcome = engine
        .run(&script, NO_HEADER, &Envelope::default())
        .expect("run");
    assert_eq!(
        outcome.actions,
        [Action::Keep {
            flags: vec!["risk-100".into()]
        }]
    );
}

/// A script without `imip` runs as in plain sieve-rs: no analysis, no
/// failure.
#[test]
fn a_plain_script_is_not_told_anything() {
    let outcome = run_on(
        "require \"envelope\";\nif envelope :is \"from\" \"spam@blocked.example\" { discard; }\n",
        NO_HEADER,
        &blocked_sender(),
    );
    assert_eq!(outcome.actions, [Action::Discard]);
    assert!(outcome.failure.is_none());
    assert!(outcome.analysis.is_none());
}

/// A run that fails says so, rather than that the message was no mail;
/// the analysis still says it.
#[test]
fn a_runtime_failure_wins_over_unparsable() {
    let outcome = run_on(
        "require [\"imip\", \"ihave\"];\nif imip :suspicious { error \"not mail\"; }\n",
        NO_HEADER,
        &Envelope::default(),
    );
    assert_eq!(failure_kind(&outcome), Some("runtime-error"));
    assert!(outcome.is_kept());
    let analysis = outcome.analysis.as_ref().expect("analysed");
    assert!(analysis.unparsable().is_some());
}

/// In a chain every script runs as on any message: the administrator's
/// quarantine, then the user's envelope rule.
#[test]
fn a_chain_runs_every_script() {
    let engine = Engine::new();
    let global = engine
        .compile("require [\"imip\", \"imap4flags\"];\nif imip :suspicious { addflag \"suspicious\"; }\n")
        .expect("compiles");
    let user = engine
        .compile("require \"envelope\";\nif envelope :is \"from\" \"spam@blocked.example\" { discard; }\n")
        .expect("compiles");
    let outcome = engine
        .run_chain(&[&global, &user], NO_HEADER, &blocked_sender())
        .expect("run");
    assert_eq!(outcome.actions, [Action::Discard]);
    assert_eq!(failure_kind(&outcome), Some("unparsable-message"));

    let kept = engine
        .run_chain(&[&global, &user], NO_HEADER, &Envelope::default())
        .expect("run");
    assert_eq!(
        kept.actions,
        [Action::Keep {
            flags: vec!["suspicious".into()]
        }]
    );
}

/// A scratch Maildir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "sieve-imip-unreadable-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Delivery: the blocked sender's message is not stored; another sender's
/// is, in INBOX; the log line names the reason either way, and does not
/// claim a keep the script did not make.
#[test]
fn delivery_follows_the_script_and_logs_the_reason() {
    let scratch = Scratch::new("deliver");
    let delivery = Delivery {
        maildir: Maildir::new(scratch.0.join("Maildir")),
        create_folders: false,
        sendmail: None,
        calendar: None,
    };
    let engine = Engine::new();
    let script = engine
        .compile("require [\"imip\", \"envelope\", \"imap4flags\"];\nif envelope :is \"from\" \"spam@blocked.example\" { discard; stop; }\nif imip :present { addflag \"calendar\"; }\n")
        .expect("compiles");

    let report = delivery.deliver(&engine, &[&script], NO_HEADER, &blocked_sender());
    assert!(report.stored.is_empty(), "{:?}", report.stored);
    let line = report.log_line();
    assert!(line.contains("actions=[discard]"), "{line}");
    assert!(line.contains("imip=no"), "{line}");
    assert!(line.contains("note=\"unparsable-message: "), "{line}");
    assert!(!line.contains("message kept"), "{line}");

    let envelope = Envelope {
        from: Some("alice@example.com".into()),
        ..Envelope::default()
    };
    let report = delivery.deliver(&engine, &[&script], NO_HEADER, &envelope);
    let folders: Vec<&str> = report
        .stored
        .iter()
        .map(|(folder, _)| folder.as_str())
        .collect();
    assert_eq!(folders, ["INBOX"]);
}

/// Issue 10: `analyze` says the input is not mail, in text, in JSON and in
/// its exit code, instead of a silent "not iMIP".
#[test]
fn analyze_reports_input_that_is_not_mail() {
    let scratch = Scratch::new("analyze");
    let path = scratch.0.join("no-header.eml");
    fs::write(&path, NO_HEADER).expect("written");
    let path = path.display().to_string();

    let text = sieve_imip(&["analyze", &path]);
    assert_eq!(text.status.code(), Some(1));
    let printed = stdout(&text);
    assert!(
        printed.starts_with(&format!(
            "{path}: unparsable-message: the input is neither RFC 5322 mail"
        )),
        "{printed}"
    );
    assert!(printed.contains("  risk 100, suspicious\n"), "{printed}");

    let json = sieve_imip(&["analyze", "--json", &path, "samples/newsletter.eml"]);
    assert_eq!(json.status.code(), Some(1));
    let lines = json_lines(&json);
    assert_eq!(lines[0]["failure"]["kind"], "unparsable-message");
    assert_eq!(lines[0]["imip"], false);
    assert_eq!(lines[0]["risk"], 100);
    assert_eq!(lines[0]["suspicious"], true);
    assert_eq!(lines[1]["failure"], serde_json::Value::Null);

    // Suspicion can be turned off; not being mail is still a failed check.
    let config = scratch.0.join("off.toml");
    fs::write(&config, "suspicious_threshold = 101\n").expect("written");
    let off = sieve_imip(&["analyze", "--config", &config.display().to_string(), &path]);
    assert_eq!(off.status.code(), Some(1));
    let newsletter = sieve_imip(&["analyze", "samples/newsletter.eml"]);
    assert_eq!(newsletter.status.code(), Some(0));
}

/// `test` shows the reason and the script's own actions.
#[test]
fn test_command_shows_the_reason() {
    let scratch = Scratch::new("test");
    let message = scratch.0.join("no-header.eml");
    fs::write(&message, NO_HEADER).expect("written");
    let script = scratch.0.join("blocked.sieve");
    fs::write(
        &script,
        "require [\"imip\", \"envelope\"];\nif envelope :is \"from\" \"spam@blocked.example\" { discard; stop; }\nif imip :present { keep; }\n",
    )
    .expect("written");
    let message = message.display().to_string();
    let output = sieve_imip(&[
        "test",
        "--from",
        "spam@blocked.example",
        &script.display().to_string(),
        &message,
    ]);
    assert_eq!(output.status.code(), Some(0));
    let printed = stdout(&output);
    assert!(
        printed.starts_with(&format!("{message}:\n  discard\n  (unparsable-message: ")),
        "{printed}"
    );
    assert!(!printed.contains("message kept"), "{printed}");
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Checks the header as well as `imip`, so the test holds only when
/// sieve-rs and the analysis both read past the blank lines.
const ROUTE_BY_HEADER_AND_METHOD: &str =
    "require [\"imip\", \"fileinto\", \"variables\", \"imap4flags\"];\n\
     if address :is :domain \"from\" \"example.org\" { addflag \"from-example-org\"; }\n\
     if exists \"message-id\" { addflag \"has-message-id\"; }\n\
     if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n";

/// Issue 10: an invitation whose first lines are blank (spaces, tabs, as
/// some tools save provider mail) is read the way lenient mail readers
/// read it: the script's header tests and `imip` see the same message.
#[test]
fn blank_lines_before_the_header_are_read_past() {
    for name in [
        "leading-whitespace-spaces.eml",
        "leading-whitespace-tab.eml",
        "leading-whitespace-bare-cr.eml",
    ] {
        let outcome = run_on(
            ROUTE_BY_HEADER_AND_METHOD,
            &fixture(name),
            &Envelope::default(),
        );
        assert!(outcome.failure.is_none(), "{name}: {:?}", outcome.failure);
        assert_eq!(
            outcome.actions,
            [Action::FileInto {
                folder: "Calendar/REQUEST".into(),
                flags: vec!["from-example-org".into(), "has-message-id".into()],
                create: false,
                mailbox_id: None,
                special_use: None,
            }],
            "{name}"
        );
    }
    // In a chain too: every script reads the repaired message.
    let engine = Engine::new();
    let first = engine
        .compile("require \"imap4flags\";\nif exists \"subject\" { addflag \"seen-subject\"; }\n")
        .expect("compiles");
    let second = engine
        .compile(ROUTE_BY_HEADER_AND_METHOD)
        .expect("compiles");
    let outcome = engine
        .run_chain(
            &[&first, &second],
            &fixture("leading-whitespace-several-lines.eml"),
            &Envelope::default(),
        )
        .expect("run");
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert!(
        matches!(&outcome.actions[..], [Action::FileInto { folder, flags, .. }]
            if folder == "Calendar/REQUEST" && flags.contains(&"seen-subject".to_string())),
        "{:?}",
        outcome.actions
    );
}

/// An empty first line ends an empty header section (RFC 5322 2.1): it
/// is not repaired, so what follows is a body and the message is no mail.
#[test]
fn an_empty_first_line_is_not_repaired() {
    let outcome = run_on(
        ROUTE_BY_HEADER_AND_METHOD,
        &fixture("unparsable-empty-first-line.eml"),
        &Envelope::default(),
    );
    assert_eq!(failure_kind(&outcome), Some("unparsable-message"));
    assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
}
