//! Global and personal scripts in one chain (`Engine::run_chain`): one test
//! per rule of the README's "Script chains" list, which follows Pigeonhole's
//! `sieve_before` / `sieve_after` semantics.

use sieve_imip::{Action, CompiledScript, Engine, Envelope, Outcome};

const PLAIN: &str = "From: Carol <carol@example.net>\r\nTo: bob@example.org\r\n\
Subject: Hello\r\nMessage-ID: <plain-1@example.net>\r\n\r\nJust text.\r\n";

const REQUEST: &str = "From: alice@example.com\r\n\
To: bob@example.org\r\n\
Subject: Lunch\r\n\
Message-ID: <lunch-1@example.com>\r\n\
Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\
\r\n\
BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example//Test//EN\r\n\
METHOD:REQUEST\r\n\
BEGIN:VEVENT\r\n\
UID:lunch-1@example.com\r\n\
DTSTAMP:20261120T080000Z\r\n\
DTSTART:20261201T120000Z\r\n\
ORGANIZER:mailto:alice@example.com\r\n\
ATTENDEE:mailto:bob@example.org\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

fn envelope() -> Envelope {
    Envelope {
        from: Some("carol@example.net".into()),
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    }
}

/// Compile each script and run them as one chain on `message`.
fn chain(scripts: &[&str], message: &str) -> Outcome {
    let engine = Engine::new();
    let compiled: Vec<CompiledScript> = scripts
        .iter()
        .map(|source| {
            engine
                .compile(source)
                .unwrap_or_else(|err| panic!("{source}: {err}"))
        })
        .collect();
    let refs: Vec<&CompiledScript> = compiled.iter().collect();
    engine
        .run_chain(&refs, message.as_bytes(), &envelope())
        .expect("valid envelope")
}

fn keep() -> Action {
    Action::Keep { flags: Vec::new() }
}

fn fileinto(folder: &str) -> Action {
    Action::FileInto {
        folder: folder.into(),
        flags: Vec::new(),
        create: false,
        mailbox_id: None,
        special_use: None,
    }
}

/// Rule: the next script runs only when the one before left keep in force.
#[test]
fn a_script_that_cancels_keep_ends_the_chain() {
    let outcome = chain(
        &[
            "require \"fileinto\";\nfileinto \"Quarantine\";\n",
            "require \"fileinto\";\nfileinto \"Personal\";\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [fileinto("Quarantine")]);
}

/// Rule: `stop` ends only the script it is in.
#[test]
fn stop_ends_only_its_own_script() {
    let outcome = chain(
        &[
            "stop;\n",
            "require [\"fileinto\", \"copy\"];\nfileinto :copy \"Seen-By-Personal\";\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [fileinto("Seen-By-Personal"), keep()]);
}

/// Rule: `discard` ends the chain; nothing later brings the message back.
#[test]
fn discard_ends_the_chain() {
    let outcome = chain(&["discard;\n", "keep;\n"], PLAIN);
    assert_eq!(outcome.actions, [Action::Discard]);
}

/// Rule: keeps inside the chain are one delivery at the end.
#[test]
fn one_final_keep_for_the_whole_chain() {
    let outcome = chain(&["keep;\n", "keep;\n", "\n"], PLAIN);
    assert_eq!(outcome.actions, [keep()]);
}

/// Rule: `fileinto "INBOX"` and the final keep are one delivery.
#[test]
fn fileinto_inbox_and_the_final_keep_are_one_delivery() {
    let outcome = chain(
        &[
            "require [\"fileinto\", \"copy\"];\nfileinto :copy \"inbox\";\n",
            "\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [keep()]);
}

/// Rule: one store per mailbox, one redirect per address.
#[test]
fn duplicate_stores_and_redirects_merge() {
    let outcome = chain(
        &[
            "require [\"fileinto\", \"copy\"];\nfileinto :copy \"Archive\";\nredirect :copy \"audit@example.org\";\n",
            "require \"fileinto\";\nfileinto \"Archive\";\nredirect \"AUDIT@example.org\";\n",
        ],
        PLAIN,
    );
    assert_eq!(
        outcome.actions,
        [
            fileinto("Archive"),
            Action::Redirect {
                address: "audit@example.org".into(),
                list: false
            }
        ]
    );
}

/// Rule: the later script's flags win on a merged store.
#[test]
fn later_flags_replace_earlier_ones_on_a_merged_store() {
    let outcome = chain(
        &[
            "require [\"fileinto\", \"copy\", \"imap4flags\"];\nfileinto :copy :flags \"\\\\Seen\" \"Archive\";\n",
            "require [\"fileinto\", \"imap4flags\"];\nfileinto :flags \"\\\\Flagged\" \"Archive\";\n",
        ],
        PLAIN,
    );
    assert_eq!(
        outcome.actions,
        [Action::FileInto {
            folder: "Archive".into(),
            flags: vec!["\\Flagged".into()],
            create: false,
            mailbox_id: None,
            special_use: None,
        }]
    );
}

/// Rule: a run-time failure keeps what the scripts before decided, abandons
/// the failing script's actions, and keeps the message without flags.
#[test]
fn a_failing_script_keeps_the_message_and_what_came_before() {
    let outcome = chain(
        &[
            "require [\"fileinto\", \"copy\"];\nfileinto :copy \"Archive\";\n",
            "require [\"fileinto\", \"ihave\", \"imap4flags\"];\naddflag \"\\\\Flagged\";\nfileinto \"Personal\";\nerror \"broken\";\n",
            "require \"fileinto\";\nfileinto \"After\";\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [fileinto("Archive"), keep()]);
    let failure = outcome.failure.expect("the second script failed");
    assert_eq!(failure.kind(), "runtime-error");
    assert!(failure.detail().starts_with("script 2 of 3: "), "{failure}");
    assert!(outcome
        .abandoned
        .iter()
        .any(|action| matches!(action, Action::FileInto { folder, .. } if folder == "Personal")));
}

/// Rule: header edits carry to the next script and end as one edit.
#[test]
fn header_edits_carry_to_the_next_script() {
    let outcome = chain(
        &[
            "require \"editheader\";\naddheader \"X-Stamp\" \"checked\";\n",
            "require \"fileinto\";\nif header :is \"X-Stamp\" \"checked\" { fileinto \"Stamped\"; }\n",
        ],
        PLAIN,
    );
    match &outcome.actions[..] {
        [Action::EditHeader { added, deleted }, Action::FileInto { folder, .. }] => {
            assert_eq!(folder, "Stamped");
            assert!(deleted.is_empty(), "{deleted:?}");
            assert!(
                added.iter().any(|field| field.name == "X-Stamp"),
                "{added:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let edited = outcome.edited_message.expect("the edited message");
    assert!(String::from_utf8_lossy(&edited).contains("X-Stamp: checked"));
}

/// Rule: the imap4flags internal flags carry to the next script.
#[test]
fn internal_flags_carry_to_the_next_script() {
    let outcome = chain(
        &[
            "require \"imap4flags\";\naddflag \"\\\\Seen\";\n",
            "require [\"fileinto\", \"copy\"];\nfileinto :copy \"Copy\";\n",
        ],
        PLAIN,
    );
    let Some(Action::Keep { flags }) = outcome.actions.last() else {
        panic!("{:?}", outcome.actions);
    };
    assert_eq!(flags, &["\\Seen".to_string()]);
}

/// Rule: variables do not carry from one script to the next.
#[test]
fn variables_do_not_carry() {
    let outcome = chain(
        &[
            "require \"variables\";\nset \"leak\" \"yes\";\n",
            "require [\"variables\", \"fileinto\"];\nif string :is \"${leak}\" \"yes\" { fileinto \"Leaked\"; }\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [keep()]);
}

/// Rule: scripts after the personal one run when keep survives its `stop`.
#[test]
fn after_scripts_run_after_a_personal_stop() {
    let outcome = chain(
        &[
            "\n",
            "stop;\n",
            "require \"fileinto\";\nfileinto \"After\";\n",
        ],
        PLAIN,
    );
    assert_eq!(outcome.actions, [fileinto("After")]);
}

/// Rule: a reject after a vacation reply becomes a silent discard.
#[test]
fn a_reject_after_a_vacation_reply_is_a_discard() {
    let outcome = chain(
        &[
            "require \"vacation\";\nvacation :addresses [\"bob@example.org\"] \"Away.\";\n",
            "require \"reject\";\nreject \"Not here.\";\n",
        ],
        PLAIN,
    );
    assert!(
        matches!(
            &outcome.actions[..],
            [Action::Vacation { to, .. }, Action::Discard] if to == "carol@example.net"
        ),
        "{:?}",
        outcome.actions
    );
}

/// Rule: the message is analysed once for the chain, as it was received,
/// and every script's `imip` tests are answered from that analysis.
#[test]
fn every_script_sees_the_one_analysis() {
    let outcome = chain(
        &[
            "require [\"imip\", \"editheader\"];\nif imip :present { addheader \"X-Calendar\" \"yes\"; }\n",
            "require [\"imip\", \"fileinto\", \"variables\"];\nif imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }\n",
        ],
        REQUEST,
    );
    assert!(
        matches!(
            &outcome.actions[..],
            [Action::EditHeader { .. }, Action::FileInto { folder, .. }] if folder == "Calendar/REQUEST"
        ),
        "{:?}",
        outcome.actions
    );
    assert!(outcome.analysis.is_some_and(|analysis| analysis.is_imip()));
}

/// A chain of one script is exactly a run of that script.
#[test]
fn a_chain_of_one_is_a_run() {
    let engine = Engine::new();
    let script = engine
        .compile("require [\"imip\", \"fileinto\"];\nif imip :present { fileinto \"Cal\"; }\n")
        .expect("compiles");
    let alone = engine
        .run(&script, REQUEST.as_bytes(), &envelope())
        .expect("run");
    let chained = engine
        .run_chain(&[&script], REQUEST.as_bytes(), &envelope())
        .expect("run");
    assert_eq!(alone.actions, chained.actions);
}
