//! Hostile Sieve scripts, compiled through the public [`Engine`] (and the
//! `check` command for the upload path): each ends in a compile error at
//! the author's line and column, or runs to a clear outcome.
//!
//! The bounds are the front-end's (`:regex` keys: 1024 bytes, 256 KiB of
//! automaton each, 4 MiB a script; no variables; no construct fancy-regex
//! cannot bound) and sieve-rs's own (15 nested tests, 1 MiB of script,
//! 5,000 instructions a run).

use sieve_imip::{Engine, Envelope, Failure, RegexRefusal, ScriptError, ScriptErrorKind};

use crate::cli_support::{sieve_imip, stderr};
use crate::support::*;

fn refusal(engine: &Engine, source: &str) -> ScriptError {
    match engine.compile(source) {
        Ok(_) => panic!("compiled, expected an error:\n{source}"),
        Err(error) => error,
    }
}

/// The 68-byte script of the issue: compiling it grew past 5.5 GB.
const SUBROUTINE_BOMB: &str =
    r#"require "regex";if header :regex "s" "(a|(?P>0)(?P>0)(?P>0))"{keep;}"#;

#[test]
fn the_subroutine_bomb_is_refused_at_upload() {
    assert_eq!(SUBROUTINE_BOMB.len(), 68);
    let error = refusal(&engine(), SUBROUTINE_BOMB);
    assert!(
        matches!(
            &error.kind,
            ScriptErrorKind::Regex(RegexRefusal::Construct { construct }) if construct.contains("subroutine")
        ),
        "{error}"
    );
    assert_eq!((error.line, error.column), (1, 38));

    // What a ManageSieve front would run on an upload.
    let path =
        std::env::temp_dir().join(format!("sieve-imip-hostile-{}.sieve", std::process::id()));
    std::fs::write(&path, SUBROUTINE_BOMB).expect("a temporary file");
    let output = sieve_imip(&["check", path.to_str().expect("a UTF-8 path")]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(output.status.code(), Some(1));
    let printed = stderr(&output);
    assert!(
        printed.starts_with(&format!("{}:1:38: error: ", path.display())),
        "{printed}"
    );
    assert!(printed.contains("subroutine call"), "{printed}");
}

#[test]
fn large_class_repetitions_are_refused() {
    // 200 keys of \w{150}: 2.7 KB of script, 1.8 GB and a minute to compile
    // in plain sieve-rs (debug build).
    let keys: Vec<String> = (0..200).map(|n| format!("\"\\\\w{{150}}{n}\"")).collect();
    let source = format!(
        "require \"regex\";\nif header :regex \"subject\" [{}] {{ keep; }}",
        keys.join(",")
    );
    let error = refusal(&engine(), &source);
    assert!(
        matches!(
            error.kind,
            ScriptErrorKind::Regex(RegexRefusal::TooLarge { .. })
        ),
        "{error}"
    );
    assert_eq!((error.line, error.column), (2, 29));
}

#[test]
fn patterns_within_the_bounds_compile_and_match() {
    let engine = engine();
    let keys: Vec<String> = (0..8).map(|n| format!("\"^\\\\w{{12}}{n}\"")).collect();
    let source = format!(
        "require [\"regex\", \"fileinto\"];\n\
         if header :regex \"subject\" [{}] {{ fileinto \"Words\"; }}\n\
         if header :regex \"subject\" \"\\\\bhostile\\\\b\" {{ fileinto \"Bounded\"; }}",
        keys.join(",")
    );
    let script = compile(&engine, &source);
    let message = request_message("").into_iter().collect::<Vec<u8>>();
    let message = String::from_utf8(message)
        .expect("UTF-8")
        .replace("Subject: Hostile", "Subject: abcdefghijkl3 and hostile too");
    let outcome = engine
        .run(&script, message.as_bytes(), &Envelope::default())
        .expect("a valid envelope");
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert_eq!(folders(&outcome), ["Words", "Bounded"]);
}

#[test]
fn patterns_built_from_variables_are_refused_in_every_test() {
    // sieve-rs would compile these on every run, from the variable's text
    // then, with no hook to check it first; the last two take the pattern
    // from the message itself.
    let engine = engine();
    let tests = [
        r#"header :regex "subject" "${x}""#,
        r#"address :regex :all "from" "${x}""#,
        r#"envelope :regex "from" "^${x}$""#,
        r#"string :regex "${y}" "${x}""#,
        r#"body :regex :text "${x}""#,
        r#"currentdate :regex "year" "${x}""#,
        r#"environment :regex "name" "${x}""#,
        r#"hasflag :regex "${x}""#,
        r#"header :regex "subject" "${header.x-pattern}""#,
        r#"header :regex "subject" "(${x})|b""#,
    ];
    for test in tests {
        let source = format!(
            "require [\"regex\", \"variables\", \"envelope\", \"body\", \"date\", \"environment\", \"imap4flags\"];\n\
             set \"x\" \"(a|(?P>0)(?P>0)(?P>0))\";\n\
             if {test} {{ keep; }}"
        );
        let error = refusal(&engine, &source);
        assert!(
            matches!(
                error.kind,
                ScriptErrorKind::Regex(RegexRefusal::Variable { .. })
            ),
            "{test}: {error}"
        );
        assert_eq!(error.line, 3, "{test}: {error}");
    }
    // deleteheader's value patterns too.
    let error = refusal(
        &engine,
        "require [\"regex\", \"variables\", \"editheader\"];\nset \"x\" \"a\";\ndeleteheader :regex \"X-Spam\" \"${x}\";",
    );
    assert_eq!((error.line, error.column), (3, 30), "{error}");
}

#[test]
fn encoded_characters_do_not_smuggle_a_construct() {
    // "${hex:28}" is "(" once sieve-rs decodes it.
    let source = r#"require "regex";
if header :regex "s" "${hex:28}a|(?P>0)(?P>0)(?P>0))" { keep; }"#;
    let error = refusal(&engine(), source);
    assert!(
        matches!(
            error.kind,
            ScriptErrorKind::Regex(RegexRefusal::Construct { .. })
        ),
        "{error}"
    );
    assert_eq!((error.line, error.column), (2, 22));
}

#[test]
fn the_imip_test_takes_no_regex() {
    let error = refusal(
        &engine(),
        "require [\"imip\", \"regex\"];\nif imip :regex :method \"(a|(?P>0)(?P>0)(?P>0))\" { keep; }",
    );
    assert!(
        matches!(error.kind, ScriptErrorKind::BadMatchType { .. }),
        "{error}"
    );
    assert_eq!((error.line, error.column), (2, 9));
}

#[test]
fn a_nul_byte_in_a_sieve_string_is_refused() {
    let engine = engine();
    for source in [
        "require \"fileinto\";\nfileinto \"Junk\u{0}/../../etc\";",
        "require [\"imip\", \"fileinto\"];\nif imip :present { fileinto \"Junk\u{0}/../../etc\"; }",
    ] {
        let error = refusal(&engine, source);
        assert!(matches!(error.kind, ScriptErrorKind::NulByte), "{error}");
        let line = source.lines().nth(1).unwrap_or_default();
        let column = line.find('\u{0}').unwrap_or_default() + 1;
        assert_eq!((error.line, error.column), (2, column), "{error}");
    }
}

/// `depth` levels of `anyof(not ...)` around `imip :present`.
fn nested_around_imip(depth: usize) -> String {
    format!(
        "require [\"imip\", \"fileinto\"];\nif {}imip :present{} {{ fileinto \"Nested\"; }}",
        "anyof(not ".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn deep_nesting_around_imip_stops_at_sieve_rs_limit() {
    let engine = engine();
    // 15 levels, sieve-rs's limit, compile and answer right: an odd number
    // of `not` around a present object is false, an even one true.
    for (depth, filed) in [(14, true), (15, false)] {
        let script = compile(&engine, &nested_around_imip(depth));
        let outcome = engine
            .run(&script, &request_message(""), &Envelope::default())
            .expect("a valid envelope");
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        assert_eq!(folders(&outcome) == ["Nested"], filed, "depth {depth}");
    }
    // The 16th level is an error where it starts, however deep it goes.
    for depth in [16, 1000] {
        let error = refusal(&engine, &nested_around_imip(depth));
        assert!(error.kind.sieve_error().is_some(), "{error}");
        assert!(error.to_string().contains("nested"), "{error}");
        assert_eq!((error.line, error.column), (2, 154), "{error}");
    }
    // Deeper than the front-end follows (and than sieve-rs takes in size).
    let error = refusal(&engine, &nested_around_imip(100_000));
    assert!(error.kind.sieve_error().is_some(), "{error}");
}

#[test]
fn ten_thousand_imip_tests() {
    let engine = engine();
    let many = |test: &str| {
        let mut source = String::from("require [\"imip\", \"fileinto\"];\n");
        for n in 0..10_000 {
            source.push_str(&format!("if imip {test} {{ fileinto \"f{n}\"; }}\n"));
        }
        source
    };
    // They compile; the message is analysed once, and the run ends at
    // sieve-rs's instruction limit with the message kept.
    let script = compile(&engine, &many(":present"));
    let outcome = engine
        .run(&script, &request_message(""), &Envelope::default())
        .expect("a valid envelope");
    assert!(
        matches!(&outcome.failure, Some(Failure::RuntimeError { detail }) if detail.contains("CPU limit")),
        "{:?}",
        outcome.failure
    );
    assert!(outcome.is_kept());
    assert!(analysis_of(&outcome).is_imip());
    // Keyed tests with 13 value slots lower past sieve-rs's 1 MiB limit.
    let error = refusal(&engine, &many(":reason \"x\""));
    assert!(
        matches!(error.kind, ScriptErrorKind::LoweredTooLarge { .. }),
        "{error}"
    );
}
