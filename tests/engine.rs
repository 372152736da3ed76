//! The `imip` test end to end: compile through the front-end, run in
//! sieve-rs, check the actions.

use std::sync::Arc;

use sieve_imip::{compile, run, Action, Engine, Envelope, Host, Outcome};

/// A REQUEST with two VEVENTs (a master and an exception) and a VTODO,
/// whose Content-Type parameter disagrees with the object's METHOD.
const PUBLISH_MIXED: &str = "From: alice@example.com\r\n\
To: bob@example.org\r\n\
Subject: Plan\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
See attached.\r\n\
--b1\r\n\
Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example//Test//EN\r\n\
METHOD:PUBLISH\r\n\
BEGIN:VEVENT\r\n\
UID:series-1@example.com\r\n\
DTSTAMP:20261120T080000Z\r\n\
DTSTART:20261201T100000Z\r\n\
DTEND:20261201T110000Z\r\n\
ORGANIZER;CN=Alice:mailto:Alice@Example.COM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:series-1@example.com\r\n\
RECURRENCE-ID:20261208T100000Z\r\n\
DTSTAMP:20261120T080000Z\r\n\
DTSTART:20261208T120000Z\r\n\
DTEND:20261208T130000Z\r\n\
ORGANIZER;CN=Alice:mailto:alice@example.com\r\n\
END:VEVENT\r\n\
BEGIN:VTODO\r\n\
UID:todo-7@example.com\r\n\
DTSTAMP:20261120T080000Z\r\n\
ORGANIZER:mailto:carol@example.net\r\n\
END:VTODO\r\n\
END:VCALENDAR\r\n\
--b1--\r\n";

const REQUEST: &str = "From: alice@example.com\r\n\
To: bob@example.org\r\n\
Subject: Lunch\r\n\
Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\
\r\n\
BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example//Test//EN\r\n\
METHOD:REQUEST\r\n\
BEGIN:VEVENT\r\n\
UID:lunch-42@example.com\r\n\
DTSTAMP:20261120T080000Z\r\n\
DTSTART:20261201T120000Z\r\n\
DTEND:20261201T130000Z\r\n\
ORGANIZER:mailto:alice@example.com\r\n\
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

const PLAIN: &str = "From: carol@example.net\r\n\
To: bob@example.org\r\n\
Subject: Hello\r\n\
Content-Type: text/plain\r\n\
\r\n\
Just text; METHOD:REQUEST in a body is not iMIP.\r\n";

fn actions(script: &str, message: &str) -> Vec<Action> {
    let compiled = compile(script).unwrap_or_else(|error| panic!("{script}\n{error}"));
    let outcome = run(&compiled, message.as_bytes(), &Envelope::default()).expect("run");
    assert!(outcome.failure.is_none(), "{script}: {:?}", outcome.failure);
    outcome.actions
}

fn folders(script: &str, message: &str) -> Vec<String> {
    actions(script, message)
        .into_iter()
        .map(|action| match action {
            Action::FileInto { folder, .. } => folder,
            Action::Keep { .. } => "INBOX".to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// `if <test> { fileinto "yes"; }` on `message`: did the test hold?
fn holds(test: &str, requires: &str, message: &str) -> bool {
    let script =
        format!("require [\"imip\", \"fileinto\"{requires}];\nif {test} {{ fileinto \"yes\"; }}\n");
    folders(&script, message) == ["yes"]
}

#[test]
fn every_item_with_is_contains_matches() {
    let cases: &[(&str, &str, bool)] = &[
        ("imip :present", REQUEST, true),
        ("imip :present", PLAIN, false),
        ("imip :method \"REQUEST\"", REQUEST, true),
        ("imip :method \"request\"", REQUEST, true),
        (
            "imip :comparator \"i;octet\" :method \"request\"",
            REQUEST,
            false,
        ),
        ("imip :contains :method \"QUES\"", REQUEST, true),
        ("imip :matches :method \"RE*\"", REQUEST, true),
        ("imip :matches :method \"*\"", PLAIN, false),
        ("imip :method \"PUBLISH\"", PUBLISH_MIXED, true),
        ("imip :component \"VEVENT\"", REQUEST, true),
        ("imip :component \"VTODO\"", PUBLISH_MIXED, true),
        ("imip :component \"VTODO\"", REQUEST, false),
        ("imip :component :matches \"V*\"", PLAIN, false),
        ("imip :uid \"lunch-42@example.com\"", REQUEST, true),
        ("imip :uid \"todo-7@example.com\"", PUBLISH_MIXED, true),
        ("imip :uid :contains \"series-1\"", PUBLISH_MIXED, true),
        (
            "imip :comparator \"i;octet\" :uid \"LUNCH-42@example.com\"",
            REQUEST,
            false,
        ),
        ("imip :organizer \"alice@example.com\"", REQUEST, true),
        ("imip :organizer \"carol@example.net\"", PUBLISH_MIXED, true),
        (
            "imip :organizer :matches \"*@example.com\"",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :organizer \"mallory@example.com\"",
            PUBLISH_MIXED,
            false,
        ),
        ("imip :reason \"method-mismatch\"", PUBLISH_MIXED, true),
        ("imip :reason \"method-mismatch\"", REQUEST, false),
        ("imip :reason :matches \"*\"", PLAIN, false),
        ("imip :risk \"0\"", REQUEST, true),
        ("imip :risk \"0\"", PLAIN, false),
        ("imip :suspicious", REQUEST, false),
        ("imip :suspicious", PLAIN, false),
    ];
    for (test, message, expected) in cases {
        assert_eq!(holds(test, "", message), *expected, "{test}");
    }
}

#[test]
fn relational_value_and_count() {
    let numeric = ", \"relational\", \"comparator-i;ascii-numeric\"";
    let cases: &[(&str, &str, bool)] = &[
        (
            "imip :value \"ge\" :comparator \"i;ascii-numeric\" :risk \"0\"",
            REQUEST,
            true,
        ),
        (
            "imip :value \"gt\" :comparator \"i;ascii-numeric\" :risk \"0\"",
            REQUEST,
            false,
        ),
        (
            "imip :value \"ge\" :comparator \"i;ascii-numeric\" :risk \"1\"",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :value \"lt\" :comparator \"i;ascii-numeric\" :risk \"101\"",
            PLAIN,
            false,
        ),
        (
            "imip :count \"eq\" :comparator \"i;ascii-numeric\" :component \"3\"",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :count \"eq\" :comparator \"i;ascii-numeric\" :component \"1\"",
            REQUEST,
            true,
        ),
        (
            "imip :count \"eq\" :comparator \"i;ascii-numeric\" :uid \"3\"",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :count \"ge\" :comparator \"i;ascii-numeric\" :reason \"1\"",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :count \"eq\" :comparator \"i;ascii-numeric\" :reason \"0\"",
            REQUEST,
            true,
        ),
        (
            "imip :count \"eq\" :comparator \"i;ascii-numeric\" :method \"1\"",
            REQUEST,
            true,
        ),
        ("imip :value \"gt\" :method \"P\"", PUBLISH_MIXED, true),
        ("imip :value \"lt\" :method \"P\"", PUBLISH_MIXED, false),
    ];
    for (test, message, expected) in cases {
        assert_eq!(holds(test, numeric, message), *expected, "{test}");
    }
}

#[test]
fn match_variables_reach_fileinto() {
    let script = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n";
    assert_eq!(folders(script, REQUEST), ["Calendar/REQUEST"]);
    assert_eq!(folders(script, PUBLISH_MIXED), ["Calendar/PUBLISH"]);
    assert_eq!(folders(script, PLAIN), ["INBOX"]);

    let script = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :organizer \"*@*\" { fileinto \"From/${2}/${1}\"; }\n";
    assert_eq!(folders(script, REQUEST), ["From/example.com/alice"]);
}

#[test]
fn variables_inside_keys() {
    let script = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  set \"wanted\" \"request\";\n\
                  if imip :method \"${wanted}\" { fileinto \"hit\"; }\n";
    assert_eq!(folders(script, REQUEST), ["hit"]);
    assert_eq!(folders(script, PUBLISH_MIXED), ["INBOX"]);
}

#[test]
fn composition_and_nesting() {
    let script = r#"require ["imip", "fileinto"];
if not imip :present {
    keep;
} elsif allof(imip :component "VTODO",
              anyof(imip :method "REQUEST", imip :method "PUBLISH")) {
    if true {
        if imip :uid :contains "todo" { fileinto "Tasks"; }
    }
} elsif imip :method "REQUEST" {
    fileinto "Invitations";
}
"#;
    assert_eq!(folders(script, PLAIN), ["INBOX"]);
    assert_eq!(folders(script, PUBLISH_MIXED), ["Tasks"]);
    assert_eq!(folders(script, REQUEST), ["Invitations"]);
}

#[test]
fn actions_are_typed_and_complete() {
    let script = r#"require ["imip", "fileinto", "imap4flags", "reject", "editheader", "mailbox", "variables"];
if imip :method "REQUEST" {
    addflag "\\Flagged";
    addheader "X-iMIP" "request";
    fileinto :create "Calendar";
    redirect "assistant@example.org";
    keep;
} elsif imip :method "PUBLISH" {
    discard;
} else {
    reject "no thanks";
}
"#;
    let compiled = compile(script).expect("compiles");
    let outcome = run(&compiled, REQUEST.as_bytes(), &Envelope::default()).expect("run");
    let kinds: Vec<&Action> = outcome.actions.iter().collect();
    assert!(
        kinds
            .iter()
            .any(|action| matches!(action, Action::EditHeader { added, .. }
            if added.iter().any(|field| field.name == "X-iMIP" && field.value == "request"))),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(
            |action| matches!(action, Action::FileInto { folder, create: true, flags, .. }
        if folder == "Calendar" && flags == &["\\Flagged".to_string()])
        ),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|action| matches!(action, Action::Redirect { address, .. } if address == "assistant@example.org")));
    assert!(kinds
        .iter()
        .any(|action| matches!(action, Action::Keep { .. })));
    assert!(outcome
        .edited_message
        .as_deref()
        .is_some_and(|m| m.windows(6).any(|w| w == b"X-iMIP")));

    let outcome = run(&compiled, PUBLISH_MIXED.as_bytes(), &Envelope::default()).expect("run");
    assert_eq!(outcome.actions, [Action::Discard]);
    let outcome = run(&compiled, PLAIN.as_bytes(), &Envelope::default()).expect("run");
    assert_eq!(
        outcome.actions,
        [Action::Reject {
            reason: "no thanks".into(),
            extended: false
        }]
    );
}

#[test]
fn vacation_notify_and_error_are_reported() {
    let script = r#"require ["imip", "vacation", "enotify"];
if imip :method "REQUEST" {
    vacation :days 1 :subject "Away" "I am away until Monday.";
    notify "mailto:pager@example.org";
}
"#;
    let compiled = compile(script).expect("compiles");
    let envelope = Envelope {
        from: Some("alice@example.com".into()),
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    };
    let outcome = run(&compiled, REQUEST.as_bytes(), &envelope).expect("run");
    assert!(
        outcome
            .actions
            .iter()
            .any(|a| matches!(a, Action::Vacation { to, .. } if to == "alice@example.com")),
        "{:?}",
        outcome.actions
    );
    assert!(
        outcome.actions.iter().any(
            |a| matches!(a, Action::Notify { method, .. } if method.contains("pager@example.org"))
        ),
        "{:?}",
        outcome.actions
    );
    assert!(outcome.is_kept());

    let script = "require [\"imip\", \"ihave\", \"fileinto\"];\n\
                  if imip :present { fileinto \"x\"; error \"calendar mail not allowed here\"; }\n";
    let compiled = compile(script).expect("compiles");
    let outcome = run(&compiled, REQUEST.as_bytes(), &Envelope::default()).expect("run");
    assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
    assert!(outcome
        .failure
        .as_ref()
        .is_some_and(|f| f.detail().contains("calendar mail not allowed")));
    assert!(outcome
        .abandoned
        .iter()
        .any(|a| matches!(a, Action::FileInto { .. })));
}

#[test]
fn host_decides_includes_and_mailboxes() {
    struct Folders;
    impl Host for Folders {
        fn include(&self, name: &str, _global: bool) -> Option<String> {
            (name == "calendar").then(|| {
                "require [\"imip\", \"fileinto\", \"variables\"];\n\
                 if imip :matches :uid \"*\" { fileinto \"uid/${1}\"; }\n"
                    .to_string()
            })
        }
        fn mailbox_exists(&self, mailboxes: &[String], _special_use: &[String]) -> bool {
            mailboxes.iter().all(|name| name == "Calendar")
        }
    }
    let engine = Engine::new().with_host(Arc::new(Folders));
    let script = r#"require ["include", "mailbox", "fileinto"];
include :personal "calendar";
if mailboxexists "Calendar" { fileinto "exists"; }
if mailboxexists "Elsewhere" { fileinto "wrong"; }
"#;
    let compiled = engine.compile(script).expect("compiles");
    assert!(!compiled.uses_imip());
    let outcome = engine
        .run(&compiled, REQUEST.as_bytes(), &Envelope::default())
        .expect("run");
    let folders: Vec<&str> = outcome
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::FileInto { folder, .. } => Some(folder.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(folders, ["uid/lunch-42@example.com", "exists"]);

    // A missing required include is a runtime error: the message is kept.
    let compiled = engine
        .compile("require \"include\";\ninclude \"nowhere\";\ndiscard;\n")
        .expect("compiles");
    let outcome = engine
        .run(&compiled, REQUEST.as_bytes(), &Envelope::default())
        .expect("run");
    assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
    assert!(outcome.failure.is_some());
}

#[test]
fn unparsable_or_hostile_messages_are_kept_with_a_reason() {
    let script =
        compile("require [\"imip\", \"fileinto\"];\nif imip :present { fileinto \"Calendar\"; }\n")
            .expect("compiles");
    // Not mail at all: nothing to analyse, so no iMIP object; the implicit
    // keep stands and the reason is visible (tests/unreadable.rs has more).
    for message in [&b""[..], b"\x00\x01\x02\xff\xfe", b"\r\n\r\n"] {
        let outcome = run(&script, message, &Envelope::default()).expect("run");
        assert_eq!(
            outcome.actions,
            [Action::Keep { flags: vec![] }],
            "{message:?}"
        );
        let kind = outcome.failure.as_ref().map(|failure| failure.kind());
        assert_eq!(kind, Some("unparsable-message"), "{message:?}");
    }
    // A broken calendar is still analysed: iMIP by its parameter, malformed.
    let broken = "From: a@example.com\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n";
    let script = compile("require [\"imip\", \"fileinto\"];\nif imip :reason \"malformed\" { fileinto \"Broken\"; }\n").expect("compiles");
    let outcome: Outcome = run(&script, broken.as_bytes(), &Envelope::default()).expect("run");
    assert_eq!(outcome.actions.len(), 1);
    assert!(matches!(&outcome.actions[0], Action::FileInto { folder, .. } if folder == "Broken"));
}

#[test]
fn one_script_from_eight_threads() {
    let script = Arc::new(
        compile(
            "require [\"imip\", \"fileinto\", \"variables\"];\n\
             if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n\
             elsif imip :present { fileinto \"Calendar/unknown\"; }\n",
        )
        .expect("compiles"),
    );
    let messages = [REQUEST, PUBLISH_MIXED, PLAIN];
    let sequential: Vec<Vec<Action>> = messages
        .iter()
        .map(|m| {
            run(&script, m.as_bytes(), &Envelope::default())
                .expect("run")
                .actions
        })
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let script = Arc::clone(&script);
            std::thread::spawn(move || {
                (0..200)
                    .map(|round| {
                        let index = (thread + round) % messages.len();
                        let outcome =
                            run(&script, messages[index].as_bytes(), &Envelope::default())
                                .expect("run");
                        (index, outcome.actions)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for handle in threads {
        for (index, actions) in handle.join().expect("thread") {
            assert_eq!(actions, sequential[index]);
        }
    }
}

/// sieve-rs's own `environment` test only honours the last key of a list;
/// the lowering must give RFC 5228 semantics: any key matching holds.
#[test]
fn key_lists_match_on_any_key() {
    let cases: &[(&str, &str, bool)] = &[
        (
            "imip :method [\"REQUEST\", \"PUBLISH\", \"ADD\"]",
            REQUEST,
            true,
        ),
        (
            "imip :method [\"PUBLISH\", \"REQUEST\", \"ADD\"]",
            REQUEST,
            true,
        ),
        ("imip :method [\"PUBLISH\", \"ADD\"]", REQUEST, false),
        (
            "not imip :method [\"REQUEST\", \"PUBLISH\"]",
            REQUEST,
            false,
        ),
        (
            "imip :component [\"VTODO\", \"VJOURNAL\"]",
            PUBLISH_MIXED,
            true,
        ),
        ("imip :component [\"VTODO\", \"VJOURNAL\"]", REQUEST, false),
        (
            "imip :uid :matches [\"todo-*\", \"nothing\"]",
            PUBLISH_MIXED,
            true,
        ),
        ("imip :value \"gt\" :method [\"Z\", \"A\"]", REQUEST, true),
        (
            "imip :count \"eq\" :component [\"1\", \"5\"]",
            REQUEST,
            true,
        ),
        (
            "imip :count \"eq\" :component [\"5\", \"1\"]",
            REQUEST,
            true,
        ),
        (
            "imip :count \"eq\" :uid [\"1\", \"3\"]",
            PUBLISH_MIXED,
            true,
        ),
        (
            "imip :count \"eq\" :uid [\"1\", \"2\"]",
            PUBLISH_MIXED,
            false,
        ),
    ];
    for (test, message, expected) in cases {
        assert_eq!(
            holds(test, ", \"relational\"", message),
            *expected,
            "{test}"
        );
    }
    let script = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :method [\"RE*\", \"*\"] { fileinto \"first/${1}\"; }\n";
    assert_eq!(folders(script, REQUEST), ["first/QUEST"]);
}

#[test]
fn engine_script_and_config_are_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Engine>();
    shareable::<sieve_imip::CompiledScript>();
    shareable::<sieve_imip::Config>();
}

/// sieve-rs reports a vacation reply and a redirect of an edited message
/// the same way; neither header fields of the original nor ones the script
/// added may confuse the two.
#[test]
fn vacation_and_edited_redirect_are_told_apart() {
    let auto_submitted = "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n\
        Subject: hi\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <x1@example.com>\r\n\r\nhello\r\n";
    let envelope = Envelope {
        from: Some("alice@example.com".into()),
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    };
    let vacation = compile(
        "require [\"vacation\"];\nvacation :addresses [\"bob@example.org\"] \"I am away\";\n",
    )
    .expect("compiles");
    let outcome = run(&vacation, auto_submitted.as_bytes(), &envelope).expect("run");
    assert!(
        matches!(&outcome.actions[..], [Action::Vacation { to, .. }, Action::Keep { .. }] if to == "alice@example.com"),
        "{:?}",
        outcome.actions
    );
    assert!(outcome.edited_message.is_none());

    let redirect = compile("require [\"editheader\"];\naddheader \"Auto-Submitted\" \"auto-replied\";\nredirect \"boss@example.org\";\n").expect("compiles");
    let outcome = run(&redirect, PLAIN.as_bytes(), &Envelope::default()).expect("run");
    assert!(
        matches!(&outcome.actions[..], [Action::EditHeader { added, .. }, Action::Redirect { address, .. }]
        if address == "boss@example.org" && added.iter().any(|f| f.name == "Auto-Submitted")),
        "{:?}",
        outcome.actions
    );
    assert!(outcome.edited_message.is_some());
}

/// A stray CR in the body of a CRLF message is the sender's data: the
/// script sees the message byte for byte (size included), as plain sieve-rs.
#[test]
fn stray_body_cr_is_not_rewritten() {
    let message =
        "From: a@example.com\r\nTo: b@example.org\r\nSubject: bin\r\n\r\nline1\rstill line1\r\n";
    assert_eq!(message.len(), 75);
    let script = compile("if size :over 75 { discard; }\n").expect("compiles");
    let outcome = run(&script, message.as_bytes(), &Envelope::default()).expect("run");
    assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
}

/// A hostile DELEGATED-TO list is checked up to a bound and reported.
#[test]
fn long_delegation_lists_are_bounded_and_reported() {
    let delegates: Vec<String> = (0..5000)
        .map(|n| format!("\"mailto:d{n}@example.net\""))
        .collect();
    let message = format!(
        "From: alice@example.com\r\nTo: bob@example.org\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n\
         BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:d@example.com\r\n\
         DTSTART:20261201T100000Z\r\nORGANIZER:mailto:alice@example.com\r\n\
         ATTENDEE;DELEGATED-TO={}:mailto:bob@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        delegates.join(",")
    );
    let script = compile(
        "require [\"imip\", \"fileinto\"];\nif imip :reason \"delegation-unverified\" { fileinto \"Check\"; }\n",
    )
    .expect("compiles");
    let outcome = run(&script, message.as_bytes(), &Envelope::default()).expect("run");
    assert!(matches!(&outcome.actions[..], [Action::FileInto { folder, .. }] if folder == "Check"));
    let analysis = outcome.analysis.expect("analysed");
    assert!(analysis
        .findings()
        .iter()
        .any(|finding| finding.detail.contains("lists 5000 delegations")));
}

/// Inputs that make sieve-rs 0.7.3 or mail-parser 0.11 panic (found by
/// fuzzing) are contained: the script is refused with an error, the
/// message is kept with the reason.
#[test]
fn dependency_panics_are_contained() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let script = std::fs::read_to_string(
        root.join("script/sieve-rs-register-match-var-header-matches-dollar-2.sieve"),
    )
    .expect("regression input");
    let error = Engine::new().compile(&script).expect_err("refused");
    assert_eq!((error.line, error.column), (1, 1));
    assert!(error.to_string().contains("sieve-rs failed"), "{error}");

    let message = std::fs::read(
        root.join("engine/mail-parser-message-rfc822-in-multipart-invalid-part-id.eml"),
    )
    .expect("regression input");
    let compiled = compile("require \"imip\";\nif imip :present { discard; }\n").expect("compiles");
    let outcome = run(&compiled, &message, &Envelope::default()).expect("run");
    assert!(outcome.is_kept());
    let failure = outcome.failure.expect("a failure");
    assert_eq!(failure.kind(), "engine-failed");
    let plain = compile("keep;\n").expect("compiles");
    let outcome = run(&plain, &message, &Envelope::default()).expect("run");
    assert!(outcome.is_kept());
}

/// The reason added for a sender check that cannot be made is a `:reason`
/// value like any other, counted by `:count`, and the old one is gone.
#[test]
fn sender_unverifiable_is_a_reason_scripts_see() {
    let without_from = REQUEST.replacen("From: alice@example.com\r\n", "", 1);
    assert!(holds(
        "imip :reason \"sender-unverifiable\"",
        "",
        &without_from
    ));
    assert!(!holds(
        "imip :reason \"organizer-mismatch\"",
        "",
        &without_from
    ));
    assert!(holds(
        "imip :count \"eq\" :comparator \"i;ascii-numeric\" :reason \"1\"",
        ", \"relational\", \"comparator-i;ascii-numeric\"",
        &without_from
    ));
    assert!(holds("imip :risk \"20\"", "", &without_from));
    assert!(!holds("imip :suspicious", "", &without_from));
    assert!(!holds("imip :reason \"sender-unverifiable\"", "", REQUEST));
}
