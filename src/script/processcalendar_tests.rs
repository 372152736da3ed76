//! The lowering of `processcalendar` on sieve-rs's own Runtime: the event
//! carries the flags and the author's strings as sieve-rs expanded them,
//! the outcome and reason the engine leaves in the reserved items reach the
//! author's variables at that place, lines stay where they were, and the
//! call can only come from the lowering.

use crate::script::{self, decode_call, ProcessCall, ReservedNames};
use sieve::{Compiler, Event, Input, Mailbox, Runtime};

const MESSAGE: &str = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nx\r\n";

/// Runs `source` through the front-end on sieve-rs, answering each call
/// with `outcome` and `reason`; gives the calls and the actions.
fn run(source: &str, outcome: &str, reason: &str) -> (Vec<ProcessCall>, Vec<String>) {
    let compiled = match script::compile(&Compiler::new(), source) {
        Ok(compiled) => compiled,
        Err(error) => panic!("{error}\n{source}"),
    };
    assert!(compiled.processes_calendar);
    let runtime = Runtime::new().with_capability("processcalendar");
    let mut context = runtime.filter(MESSAGE.as_bytes());
    let mut input = Input::script("test", compiled.sieve);
    let (mut calls, mut actions) = (Vec::new(), Vec::new());
    let names = ReservedNames::global();
    while let Some(result) = context.run(input) {
        input = true.into();
        match result {
            Ok(Event::MailboxExists { mailboxes, .. }) => {
                let ids: Vec<&str> = mailboxes
                    .iter()
                    .filter_map(|mailbox| match mailbox {
                        Mailbox::Id(id) => Some(id.as_str()),
                        Mailbox::Name(_) => None,
                    })
                    .collect();
                match decode_call(&ids, names) {
                    Some(call) => {
                        calls.push(call);
                        context.set_env_variable(names.process_outcome(), outcome.to_owned());
                        context.set_env_variable(names.process_reason(), reason.to_owned());
                    }
                    None => actions.push(format!("mailboxidexists {ids:?}")),
                }
                input = false.into();
            }
            Ok(Event::Keep { .. }) => actions.push("keep".to_owned()),
            Ok(Event::FileInto { folder, .. }) => actions.push(format!("fileinto {folder}")),
            Ok(other) => actions.push(format!("{other:?}")),
            Err(error) => {
                actions.push(format!("error {error}"));
                break;
            }
        }
    }
    (calls, actions)
}

#[test]
fn the_call_carries_flags_and_expanded_strings() {
    let source = "require [\"processcalendar\", \"variables\", \"extlists\", \"fileinto\"];\n\
        set \"me\" \"bob\";\n\
        PROCESSCALENDAR :allowpublic :DeleteCancelled\n\
            :addresses [\"${me}@example.org\", \"b\\\"q@x\"]\n\
            :calendarid \"cal-${me}\" :organizers \":addrbook:personal\"\n\
            :outcome \"o\" :reason \"r\";\n\
        fileinto \"${o}/${r}\";\n";
    let (calls, actions) = run(source, "added", "");
    assert_eq!(
        calls,
        [ProcessCall {
            allow_public: true,
            updates_only: false,
            delete_cancelled: true,
            addresses: vec!["bob@example.org".into(), "b\"q@x".into()],
            calendar_id: Some("cal-bob".into()),
            organizers: Some(":addrbook:personal".into()),
        }]
    );
    assert_eq!(actions, ["fileinto added/"]);
}

#[test]
fn each_call_gives_its_own_outcome_in_place() {
    let source = "require [\"processcalendar\", \"variables\", \"fileinto\"];\n\
        processcalendar :updatesonly :outcome \"first\";\n\
        fileinto \"a/${first}\";\n\
        if true { processcalendar :reason \"why\"; fileinto \"b/${why}\"; }\n";
    let (calls, actions) = run(source, "no_action", "because");
    assert_eq!(calls.len(), 2);
    assert!(calls.first().is_some_and(|call| call.updates_only));
    assert_eq!(actions, ["fileinto a/no_action", "fileinto b/because"]);
}

#[test]
fn without_variables_nothing_is_set_and_strings_read_as_elsewhere() {
    let source = "require [\"processcalendar\", \"fileinto\"];\n\
        processcalendar :calendarid \"a${x}b\\\"c\";\nfileinto \"a${x}b\\\"c\";\n";
    let (calls, actions) = run(source, "added", "");
    let calendar = calls.first().and_then(|call| call.calendar_id.clone());
    assert_eq!(
        actions,
        [format!("fileinto {}", calendar.unwrap_or_default())]
    );
}

#[test]
fn lines_after_the_action_keep_their_place() {
    let source = "require \"processcalendar\";\n\
        processcalendar\n  :allowpublic\n  :calendarid text:\nwork\n.\n  ;\n\
        frobnicate;\n";
    let Err(error) = script::compile(&Compiler::new(), source) else {
        panic!("compiled");
    };
    assert_eq!((error.line, error.column), (8, 1), "{error}");
    let prepared = script::prepare(source).unwrap_or_else(|error| panic!("{error}"));
    let lowered = prepared.sieve_text();
    assert_eq!(lowered.lines().count(), source.lines().count(), "{lowered}");
    assert!(lowered.contains("if mailboxidexists ["), "{lowered}");
}

#[test]
fn the_authors_own_mailboxid_needs_its_require() {
    for (source, position) in [
        (
            "require \"processcalendar\";\nprocesscalendar;\nif mailboxidexists \"x\" { stop; }\n",
            (3, 4),
        ),
        (
            "require [\"processcalendar\", \"fileinto\"];\nfileinto :mailboxid \"F1\" \"x\";\nprocesscalendar;\n",
            (2, 10),
        ),
    ] {
        let Err(error) = script::compile(&Compiler::new(), source) else {
            panic!("{source} compiled");
        };
        assert_eq!((error.line, error.column), position, "{error}");
        assert!(error.to_string().contains("mailbox"), "{error}");
    }
    let fine = "require [\"processcalendar\", \"mailboxid\", \"fileinto\"];\n\
        if mailboxidexists \"F1\" { fileinto \"x\"; }\nprocesscalendar;\n";
    let (calls, actions) = run(fine, "error", "no store");
    assert_eq!(calls.len(), 1);
    assert_eq!(actions, ["mailboxidexists [\"F1\"]", "keep"]);
}

#[test]
fn require_is_scoped_and_the_action_is_case_insensitive() {
    let scoped = "if true { require \"processcalendar\"; processcalendar; }\nprocesscalendar;\n";
    let Err(error) = script::compile(&Compiler::new(), scoped) else {
        panic!("compiled");
    };
    assert_eq!((error.line, error.column), (2, 1), "{error}");
    let fine = "require \"processcalendar\";\nProcessCalendar :ALLOWPUBLIC;\n";
    let (calls, actions) = run(fine, "added", "");
    assert!(
        calls.first().is_some_and(|call| call.allow_public),
        "{actions:?}"
    );
}

#[test]
fn the_reserved_items_of_the_action_cannot_be_named() {
    let names = ReservedNames::global();
    for name in [names.process_call(), names.process_outcome()] {
        let source =
            format!("require [\"variables\", \"fileinto\"];\nfileinto \"${{env.{name}}}\";\n");
        assert!(script::compile(&Compiler::new(), &source).is_err());
    }
}
