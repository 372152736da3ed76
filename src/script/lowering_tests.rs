//! Lowered scripts run on sieve-rs's own Runtime, with the reserved
//! environment items filled as the engine fills them, give the actions the
//! `imip` test promises: every comparator and match type on every item,
//! match variables, relational tests, `:count`, variables in keys,
//! composition, nesting; and scripts can neither read nor forge the
//! reserved items.

use crate::script::{self, Item, ReservedNames, ScriptErrorKind};
use sieve::{Compiler, Event, Input, Runtime};

const MESSAGE: &str = "From: Alice <alice@example.com>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: Team meeting\r\n\
Content-Type: text/plain\r\n\
\r\n\
See you there.\r\n";

/// What the engine knows about a message, item by item.
#[derive(Clone, Default)]
struct Facts {
    values: Vec<(Item, Vec<&'static str>)>,
}

impl Facts {
    fn with(mut self, item: Item, values: &[&'static str]) -> Facts {
        self.values.push((item, values.to_vec()));
        self
    }

    /// A typical invitation that looks dangerous.
    fn invitation() -> Facts {
        Facts::default()
            .with(Item::Present, &["1"])
            .with(Item::Method, &["REQUEST"])
            .with(Item::Component, &["VEVENT", "VTODO"])
            .with(Item::Uid, &["uid-1@example.com", "Uid-2@Example.com"])
            .with(Item::Organizer, &["alice@example.com"])
            .with(Item::Reason, &["far-future", "recurrence-flood"])
            .with(Item::Risk, &["75"])
            .with(Item::Suspicious, &["1"])
    }

    /// Sets every reserved item the way the engine does: one value per slot,
    /// unused slots empty, a count for every item.
    fn fill(&self, context: &mut sieve::Context<'_>) {
        let names = ReservedNames::global();
        for item in Item::ALL {
            let values = self
                .values
                .iter()
                .find(|(known, _)| *known == item)
                .map(|(_, values)| values.clone())
                .unwrap_or_default();
            for slot in 1..=item.slots() {
                let value = values.get(slot - 1).copied().unwrap_or_default();
                context.set_env_variable(names.slot(item, slot), value.to_owned());
            }
            let count = values.iter().filter(|value| !value.is_empty()).count();
            context.set_env_variable(names.count(item), count.to_string());
        }
        // An ordinary item, to show what a script could read if it could
        // name an item.
        context.set_env_variable("control.method", "REQUEST".to_owned());
    }
}

/// Compiles `source` through the front-end, runs it on the sample message
/// with `facts`, and lists the actions taken.
fn run(source: &str, facts: &Facts) -> Vec<String> {
    let compiled = match script::compile(&Compiler::new(), source) {
        Ok(compiled) => compiled,
        Err(error) => panic!("{error}\n{source}"),
    };
    let runtime = Runtime::new().with_capability("imip");
    let mut context = runtime.filter(MESSAGE.as_bytes());
    facts.fill(&mut context);
    let mut input = Input::script("test", compiled.sieve);
    let mut actions = Vec::new();
    // Every event consumes script instructions; sieve-rs's CPU limit bounds
    // the loop.
    while let Some(result) = context.run(input) {
        input = true.into();
        match result {
            Ok(Event::Keep { .. }) => actions.push("keep".to_owned()),
            Ok(Event::Discard) => actions.push("discard".to_owned()),
            Ok(Event::FileInto { folder, .. }) => actions.push(format!("fileinto {folder}")),
            Ok(
                Event::MailboxExists { .. }
                | Event::DuplicateId { .. }
                | Event::ListContains { .. },
            ) => input = false.into(),
            Ok(other) => actions.push(format!("{other:?}")),
            Err(error) => {
                actions.push(format!("error {error}"));
                break;
            }
        }
    }
    actions
}

/// Whether `imip ARGUMENTS` holds on `facts`.
fn holds(arguments: &str, facts: &Facts) -> bool {
    let source = format!(
        "require [\"imip\", \"fileinto\", \"relational\", \"variables\"];\n\
         if imip {arguments} {{ fileinto \"yes\"; }} else {{ fileinto \"no\"; }}\n"
    );
    let actions = run(&source, facts);
    match actions.first().map(String::as_str) {
        Some("fileinto yes") => true,
        Some("fileinto no") => false,
        _ => panic!("imip {arguments}: {actions:?}"),
    }
}

#[test]
fn every_comparator_and_match_type_on_every_item() {
    let invitation = Facts::invitation();
    let cases: &[(&str, bool)] = &[
        // :method, single-valued
        (":method \"REQUEST\"", true),
        (":method \"request\"", true),
        (":comparator \"i;octet\" :method \"request\"", false),
        (":method :comparator \"i;octet\" \"REQUEST\"", true),
        (":is :method [\"CANCEL\", \"REQUEST\"]", true),
        (":contains :method \"QUES\"", true),
        (":contains :comparator \"i;octet\" :method \"ques\"", false),
        (":matches :method \"RE*\"", true),
        (":matches :method \"RE?\"", false),
        (":value \"gt\" :method \"PUBLISH\"", true),
        (":value \"lt\" :comparator \"i;octet\" :method \"A\"", false),
        (":count \"eq\" :method \"1\"", true),
        (":method :comparator \"i;ascii-numeric\" \"REQUEST\"", true),
        // :component, multi-valued
        (":component \"VTODO\"", true),
        (":component \"vjournal\"", false),
        (":contains :component \"TOD\"", true),
        (":matches :comparator \"i;octet\" :component \"v*\"", false),
        (":matches :component \"v*\"", true),
        (":count \"eq\" :component \"2\"", true),
        (":value \"ge\" :component \"VTODO\"", true),
        // :uid, multi-valued
        (":uid \"uid-2@example.com\"", true),
        (":comparator \"i;octet\" :uid \"uid-2@example.com\"", false),
        (":contains :comparator \"i;octet\" :uid \"Example\"", true),
        (":matches :uid \"*-3@*\"", false),
        (":count \"gt\" :uid \"1\"", true),
        // :organizer
        (":organizer \"ALICE@example.com\"", true),
        (":matches :organizer \"*@example.org\"", false),
        (":count \"ne\" :organizer \"1\"", false),
        // :reason, multi-valued
        (":reason \"recurrence-flood\"", true),
        (":reason [\"party-crash\", \"far-future\"]", true),
        (":reason \"not-invited\"", false),
        (":contains :reason \"flood\"", true),
        (":matches :reason \"recurrence-*\"", true),
        (":count \"ge\" :reason \"2\"", true),
        (":count \"gt\" :reason \"2\"", false),
        (
            ":count \"eq\" :comparator \"i;ascii-numeric\" :reason \"2\"",
            true,
        ),
        // :risk
        (":risk \"75\"", true),
        (
            ":value \"ge\" :comparator \"i;ascii-numeric\" :risk \"60\"",
            true,
        ),
        (
            ":value \"ge\" :comparator \"i;ascii-numeric\" :risk \"80\"",
            false,
        ),
        (
            ":comparator \"i;ascii-numeric\" :value \"lt\" :risk \"100\"",
            true,
        ),
        // Without a numeric comparator "75" > "100" as text.
        (":value \"gt\" :risk \"100\"", true),
        (":contains :risk \"7\"", true),
        (":matches :risk \"?5\"", true),
        (":count \"eq\" :risk \"1\"", true),
        // flags
        (":present", true),
        (":suspicious", true),
    ];
    for (arguments, expected) in cases {
        assert_eq!(holds(arguments, &invitation), *expected, "imip {arguments}");
    }
}

#[test]
fn nothing_holds_on_a_message_without_imip() {
    let plain = Facts::default();
    let cases = [
        ":present",
        ":suspicious",
        ":method \"REQUEST\"",
        ":matches :method \"*\"",
        ":matches :uid \"*\"",
        ":contains :reason \"\"",
        ":value \"ge\" :comparator \"i;ascii-numeric\" :risk \"0\"",
        ":value \"ne\" :reason \"far-future\"",
        ":count \"gt\" :reason \"0\"",
    ];
    for arguments in cases {
        assert!(!holds(arguments, &plain), "imip {arguments}");
    }
    assert!(holds(":count \"eq\" :reason \"0\"", &plain));
    assert!(!holds(":count \"eq\" :reason \"0\"", &Facts::invitation()));
}

#[test]
fn match_variables_reach_actions() {
    let source = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }";
    assert_eq!(
        run(source, &Facts::invitation()),
        ["fileinto Calendar/REQUEST"]
    );
    assert_eq!(run(source, &Facts::default()), ["keep"]);

    let source = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :uid \"*@*\" { fileinto \"Calendar/${2}/${1}\"; }";
    assert_eq!(
        run(source, &Facts::invitation()),
        ["fileinto Calendar/example.com/uid-1"]
    );

    let source = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  if imip :matches :reason \"recurrence-*\" { fileinto \"Junk/${1}\"; }";
    assert_eq!(run(source, &Facts::invitation()), ["fileinto Junk/flood"]);
}

#[test]
fn variables_inside_keys() {
    let source = "require [\"imip\", \"fileinto\", \"variables\"];\n\
                  set \"wanted\" \"request\";\n\
                  set \"domain\" \"example.com\";\n\
                  if allof(imip :method \"${wanted}\", imip :organizer \"alice@${domain}\") { fileinto \"ok\"; }";
    assert_eq!(run(source, &Facts::invitation()), ["fileinto ok"]);
}

#[test]
fn composition_and_nesting() {
    let source = "require [\"imip\", \"fileinto\", \"relational\"];\n\
                  if not imip :present { keep; stop; }\n\
                  if anyof(imip :suspicious,\n\
                  \x20        imip :reason \"party-crash\") {\n\
                  \x20   if allof(imip :method \"REQUEST\", not imip :count \"eq\" :reason \"0\") {\n\
                  \x20       if imip :value \"ge\" :comparator \"i;ascii-numeric\" :risk \"90\" { discard; stop; }\n\
                  \x20       elsif imip :component \"VTODO\" { fileinto \"Junk/Tasks\"; stop; }\n\
                  \x20       else { fileinto \"Junk\"; stop; }\n\
                  \x20   }\n\
                  } elsif imip :method \"CANCEL\" { fileinto \"Calendar/Cancelled\"; }\n\
                  fileinto \"Calendar\";";
    assert_eq!(run(source, &Facts::invitation()), ["fileinto Junk/Tasks"]);
    let calm = Facts::default()
        .with(Item::Present, &["1"])
        .with(Item::Method, &["CANCEL"])
        .with(Item::Risk, &["0"]);
    assert_eq!(
        run(source, &calm),
        ["fileinto Calendar/Cancelled", "fileinto Calendar"]
    );
    assert_eq!(run(source, &Facts::default()), ["keep"]);
}

#[test]
fn tags_in_any_order_across_lines() {
    let source = "require [\"imip\", \"fileinto\", \"relational\"];\n\
                  if imip\n\
                  \x20 :risk # the score\n\
                  \x20 :comparator \"i;ascii-numeric\"\n\
                  \x20 /* at least */ :value \"ge\"\n\
                  \x20 \"60\"\n\
                  { fileinto \"Junk\"; }";
    assert_eq!(run(source, &Facts::invitation()), ["fileinto Junk"]);
    let lowered = script::prepare(source).map(|prepared| prepared.sieve_text().lines().count());
    assert_eq!(lowered.ok(), Some(source.lines().count()));
}

#[test]
fn scripts_without_imip_are_untouched() {
    let source = "require \"fileinto\";\r\n# imap\r\nif header :contains \"subject\" \"meeting\" { fileinto \"Meetings\"; }\r\n";
    let prepared = script::prepare(source).ok();
    assert_eq!(
        prepared.as_ref().map(|prepared| prepared.sieve_text()),
        Some(source)
    );
    assert_eq!(
        prepared.map(|prepared| prepared.items().is_empty()),
        Some(true)
    );
    let compiled = script::compile(&Compiler::new(), source).ok();
    assert_eq!(compiled.map(|compiled| compiled.lowered), Some(false));
    assert_eq!(run(source, &Facts::default()), ["fileinto Meetings"]);
}

#[test]
fn items_used_are_reported() {
    let source = "require [\"imip\", \"relational\"];\n\
                  if anyof(imip :present, imip :count \"gt\" :reason \"0\") { keep; }";
    let items = script::prepare(source)
        .map(|prepared| prepared.items())
        .unwrap_or_default();
    assert!(items.contains(Item::Present) && items.contains(Item::Reason));
    assert!(!items.contains(Item::Risk));
}

/// Splits `text` so that no piece holds the reserved stem.
fn in_pieces(text: &str) -> (String, String) {
    let (head, tail) = text.split_at(7);
    (head.to_owned(), tail.to_owned())
}

#[test]
fn reserved_items_cannot_be_named_in_any_spelling() {
    let method = ReservedNames::global().value(Item::Method);
    let hex: String = method.bytes().map(|byte| format!("{byte:02x} ")).collect();
    let first_as_unicode = format!(
        "${{unicode:{:04X}}}{}",
        'v' as u32,
        method.get(1..).unwrap_or_default()
    );
    let escaped = method.replace('.', "\\.");
    let spellings = [
        format!("if environment :is \"{method}\" \"REQUEST\" {{ keep; }}"),
        format!(
            "if environment :is \"{}\" \"REQUEST\" {{ keep; }}",
            method.to_uppercase()
        ),
        format!("if string :is \"${{env.{method}}}\" \"REQUEST\" {{ keep; }}"),
        format!("if string :is \"${{hex:{hex}}}\" \"x\" {{ keep; }}"),
        "if string :is \"${env.${hex:76}nd.sieve-imip.x}\" \"x\" { keep; }".to_owned(),
        format!("if string :is \"{first_as_unicode}\" \"x\" {{ keep; }}"),
        format!("if string :is \"{escaped}\" \"x\" {{ keep; }}"),
        format!("if string :is text:\n{method}\n.\n \"x\" {{ keep; }}"),
        format!("set \"env.{method}\" \"PUBLISH\";"),
        format!("# {method}\nkeep;"),
    ];
    for spelling in spellings {
        let source = format!(
            "require [\"imip\", \"environment\", \"variables\", \"encoded-character\"];\n{spelling}\nif imip :present {{ keep; }}"
        );
        let error = script::compile(&Compiler::new(), &source).err();
        assert!(
            matches!(
                error.as_ref().map(|error| &error.kind),
                Some(ScriptErrorKind::ReservedName)
            ),
            "{source}\n{error:?}"
        );
        let line = if spelling.contains("text:") { 3 } else { 2 };
        assert_eq!(error.map(|error| error.line), Some(line));
        // A script without imip is held to the same rule.
        let without_imip =
            format!("require [\"environment\", \"variables\", \"encoded-character\"];\n{spelling}");
        assert!(
            script::compile(&Compiler::new(), &without_imip).is_err(),
            "{without_imip}"
        );
    }
}

#[test]
fn reserved_items_cannot_be_built_at_run_time() {
    let invitation = Facts::invitation();
    // Even knowing the random part, pieces glued at run time are text:
    // `${env.…}` is expanded only when compiled, nested `${…}` never, and
    // `environment` takes a constant name.
    let (head, tail) = in_pieces(&ReservedNames::global().value(Item::Method));
    let source = format!(
        "require [\"imip\", \"variables\", \"environment\", \"fileinto\"];\n\
         set \"head\" \"{head}\";\n\
         set \"tail\" \"{tail}\";\n\
         set \"name\" \"${{head}}${{tail}}\";\n\
         if string :is \"${{env.${{name}}}}\" \"REQUEST\" {{ fileinto \"leaked-nested\"; }}\n\
         set \"probe\" \"${{env.\";\n\
         set \"probe\" \"${{probe}}${{name}}}}\";\n\
         if string :contains \"${{probe}}\" \"REQUEST\" {{ fileinto \"leaked-glued\"; }}\n\
         if imip :present {{ fileinto \"seen\"; }}"
    );
    assert_eq!(run(&source, &invitation), ["fileinto seen"]);

    // The same moves on an ordinary item: only the spelled-out name reads.
    let source = "require [\"imip\", \"variables\", \"environment\", \"fileinto\"];\n\
                  set \"name\" \"control.method\";\n\
                  if string :is \"${env.control.method}\" \"REQUEST\" { fileinto \"spelled\"; }\n\
                  if environment :is \"control.method\" \"REQUEST\" { fileinto \"environment\"; }\n\
                  if string :is \"${env.${name}}\" \"REQUEST\" { fileinto \"nested\"; }\n\
                  if imip :present { fileinto \"seen\"; }";
    assert_eq!(
        run(source, &invitation),
        ["fileinto spelled", "fileinto environment", "fileinto seen"]
    );

    let source = format!(
        "require [\"imip\", \"variables\", \"environment\"];\n\
         set \"head\" \"{head}\";\n\
         if environment :is \"${{head}}{tail}\" \"REQUEST\" {{ keep; }}\n\
         if imip :present {{ keep; }}"
    );
    let error = script::compile(&Compiler::new(), &source).err();
    assert!(error.is_some_and(|error| error.line == 3 && error.kind.sieve_error().is_some()));
}

#[test]
fn reserved_items_cannot_be_forged() {
    // `set` writes variables, never the environment: sieve-rs refuses an
    // `env.` name outright.
    let source = "require [\"imip\", \"variables\", \"environment\", \"fileinto\"];\n\
                  set \"env.forged\" \"1\";\n\
                  if environment :is \"forged\" \"1\" { fileinto \"forged\"; }\n\
                  if imip :present { fileinto \"imip\"; }";
    let error = script::compile(&Compiler::new(), source).err();
    assert_eq!(
        error.map(|error| error.to_string()),
        Some("2:5: Invalid namespace \"env\"".to_owned())
    );
    // A variable of the same spelling outside the namespace stays a
    // variable: the engine's values win.
    let source = "require [\"imip\", \"variables\", \"fileinto\"];\n\
                  set \"present\" \"1\";\n\
                  if imip :present { fileinto \"imip\"; } else { fileinto \"plain\"; }";
    assert_eq!(run(source, &Facts::default()), ["fileinto plain"]);
    // And the real names cannot even be written.
    let present = ReservedNames::global().value(Item::Present);
    let source = format!(
        "require [\"imip\", \"variables\"];\nset \"env.{present}\" \"1\";\nif imip :present {{ discard; }}"
    );
    assert!(matches!(
        script::compile(&Compiler::new(), &source)
            .err()
            .map(|error| error.kind),
        Some(ScriptErrorKind::ReservedName)
    ));
}
