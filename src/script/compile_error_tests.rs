//! Each compile error names the author's own line and column (1-based) and
//! says what was expected: the front-end's errors on `imip` tests, and
//! sieve-rs's own errors in scripts whose `imip` tests were lowered.

use crate::script::error::sieve_message;
use crate::script::{self, LexicalError, ScriptError, ScriptErrorKind};
use sieve::Compiler;

fn error_of(source: &str) -> ScriptError {
    match script::compile(&Compiler::new(), source) {
        Ok(_) => panic!("compiled, expected an error:\n{source}"),
        Err(error) => error,
    }
}

/// The position and message plain sieve-rs gives for the author's text,
/// which it compiles with the `imip` tests tolerated as unknown tests.
fn plain_sieve_error(source: &str) -> (usize, usize, String) {
    match Compiler::new().compile(source.as_bytes()) {
        Ok(_) => panic!("plain sieve-rs compiled it:\n{source}"),
        Err(error) => {
            let (line, column) = script::locate_sieve_error(source, &error);
            (line, column, sieve_message(&error))
        }
    }
}

/// Checks a sieve-rs error reported through the front-end against the
/// expected position, and against plain sieve-rs on `reference`: the same
/// script with each `imip` test replaced by a standard test of the same
/// length and line layout (plain sieve-rs tolerates `imip` at compile time,
/// but skips its arguments, so it cannot see errors inside them, and it
/// stops at a comma inside a key list in `anyof`).
fn assert_sieve_error_at(source: &str, reference: &str, line: usize, column: usize) {
    let error = error_of(source);
    assert!(
        error.kind.sieve_error().is_some(),
        "expected a sieve-rs error, got {error}"
    );
    let (plain_line, plain_column, plain_message) = plain_sieve_error(reference);
    assert_eq!(error.kind.to_string(), plain_message);
    assert_eq!(
        (plain_line, plain_column),
        (line, column),
        "plain sieve-rs: {plain_message}"
    );
    assert_eq!(
        (error.line, error.column),
        (line, column),
        "front-end: {error}"
    );
}

/// The same, for a script the front-end reads and lowers, so sieve-rs's
/// position on the lowered text goes through the source map.
fn assert_lowered_sieve_error_at(source: &str, reference: &str, line: usize, column: usize) {
    assert!(
        script::prepare(source).is_ok_and(|prepared| prepared.is_lowered()),
        "not lowered:\n{source}"
    );
    assert_sieve_error_at(source, reference, line, column);
}

/// `source` with `imip_test` replaced by `true` and blanks.
fn as_true(source: &str, imip_test: &str) -> String {
    let blanks: String = imip_test
        .chars()
        .skip(4)
        .map(|character| if character == '\n' { '\n' } else { ' ' })
        .collect();
    replaced(source, imip_test, &format!("true{blanks}"))
}

/// `source` with `imip_test` replaced by `standard_test`, which must keep
/// every byte offset and line break where they were.
fn replaced(source: &str, imip_test: &str, standard_test: &str) -> String {
    assert_eq!(imip_test.len(), standard_test.len(), "{standard_test}");
    let breaks = |text: &str| {
        text.match_indices('\n')
            .map(|(at, _)| at)
            .collect::<Vec<_>>()
    };
    assert_eq!(breaks(imip_test), breaks(standard_test));
    assert!(source.contains(imip_test));
    source.replacen(imip_test, standard_test, 1)
}

#[test]
fn imip_without_require() {
    let error = error_of("require \"fileinto\";\nif  imip :present { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::MissingRequire));
    assert_eq!((error.line, error.column), (2, 5));
    assert_eq!(
        error.to_string(),
        "2:5: the imip test needs require \"imip\""
    );
}

#[test]
fn imip_without_item() {
    let error = error_of("require \"imip\";\nif imip :is \"REQUEST\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::MissingItem));
    assert_eq!((error.line, error.column), (2, 4));
    assert!(error.to_string().contains("expected :present, :method"));
}

#[test]
fn imip_with_two_items() {
    let error = error_of("require \"imip\";\nif imip :method\n   :uid \"x\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::TwoItems { .. }));
    assert_eq!((error.line, error.column), (3, 4));
}

#[test]
fn keys_on_a_flag() {
    let error = error_of("require \"imip\";\nif imip :present \"1\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::KeysOnFlag { .. }));
    assert_eq!((error.line, error.column), (2, 18));

    let error =
        error_of("require \"imip\";\nif imip :suspicious :comparator \"i;octet\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::MatchOnFlag { .. }));
    assert_eq!((error.line, error.column), (2, 21));
}

#[test]
fn keyed_item_without_keys() {
    let error = error_of("require \"imip\";\nif imip :method { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::MissingKeys { .. }));
    assert_eq!((error.line, error.column), (2, 17));
    assert!(error.to_string().contains("found '{'"));
}

#[test]
fn bad_comparator() {
    let error = error_of(
        "require \"imip\";\nif imip :method :comparator \"i;elbonia\" \"REQUEST\" { keep; }",
    );
    assert!(matches!(error.kind, ScriptErrorKind::BadComparator { .. }));
    assert_eq!((error.line, error.column), (2, 29));
    assert!(error.to_string().contains("expected \"i;ascii-casemap\""));
}

#[test]
fn bad_match_type_and_relational_operator() {
    let error =
        error_of("require [\"imip\", \"regex\"];\nif imip :regex :method \"R.*\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::BadMatchType { .. }));
    assert_eq!((error.line, error.column), (2, 9));

    let error = error_of(
        "require [\"imip\", \"relational\"];\nif imip :value \"gr\" :risk \"5\" { keep; }",
    );
    assert!(matches!(
        error.kind,
        ScriptErrorKind::BadRelationalOperator { .. }
    ));
    assert_eq!((error.line, error.column), (2, 16));

    let error = error_of(
        "require [\"imip\", \"relational\"];\nif imip :is :count \"gt\" :reason \"1\" { keep; }",
    );
    assert!(matches!(
        error.kind,
        ScriptErrorKind::DuplicateArgument { .. }
    ));
    assert_eq!((error.line, error.column), (2, 13));
}

#[test]
fn relational_needs_its_require() {
    let error = error_of("require \"imip\";\nif imip :count \"gt\" :reason \"0\" { keep; }");
    assert!(matches!(
        error.kind,
        ScriptErrorKind::UndeclaredCapability {
            capability: "relational",
            ..
        }
    ));
    assert_eq!((error.line, error.column), (2, 9));
}

#[test]
fn unknown_tag() {
    let error = error_of("require \"imip\";\nif imip :method :frobnicate \"REQUEST\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::UnknownTag { .. }));
    assert_eq!((error.line, error.column), (2, 17));

    let error = error_of("require \"imip\";\nif imip :method \"REQUEST\" :is { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::TagAfterKeys { .. }));
    assert_eq!((error.line, error.column), (2, 27));
}

#[test]
fn unterminated_string_before_an_imip_test() {
    let source = "require \"imip\";\nif header :is \"subject\" \"open\n{ keep; }\nif imip :present { stop; }\n";
    let error = error_of(source);
    // Both readers stop at the opening quote; sieve-rs has the last word.
    let (line, column, message) = plain_sieve_error(source);
    assert_eq!((line, column), (2, 25));
    assert_eq!((error.line, error.column), (line, column));
    assert_eq!(error.kind.to_string(), message);

    // When sieve-rs tolerates what the lexer cannot read, the lexer's error
    // stands: an imip test it could not see is not vouched for.
    let error = error_of("require \"imip\";\nif imip :present { keep; } # lone CR \r here\n");
    assert!(matches!(
        error.kind,
        ScriptErrorKind::Lexical(LexicalError::UnexpectedCharacter('#'))
    ));
}

#[test]
fn sieve_errors_after_a_lowered_test_on_the_same_line() {
    // Unknown command: sieve-rs names the enclosing block; both readings
    // point at the command itself.
    let source =
        "require [\"imip\", \"fileinto\"];\nif imip :matches :method \"*\" { fileinot \"x\"; }";
    assert_lowered_sieve_error_at(source, source, 2, 32);
    // Missing semicolon between two commands.
    let source = "require [\"imip\"];\nif imip :uid :contains \"abc\" { discard keep; }";
    assert_lowered_sieve_error_at(source, source, 2, 40);
    // Missing semicolon before '}': the front-end's walk stops there and
    // plain sieve-rs reports it.
    let source = "require [\"imip\"];\nif imip :uid :contains \"abc\" { keep }";
    assert_sieve_error_at(source, source, 2, 37);
}

#[test]
fn sieve_errors_after_a_lowered_test_on_later_lines() {
    let source = "require [\"imip\", \"fileinto\", \"relational\"];\n\
                  if imip :count \"ge\"\n\
                  \x20      :reason \"2\"\n\
                  {\n\
                  \x20   fileinto \"Junk\";\n\
                  \x20   discard\n\
                  \x20   stop;\n\
                  }\n";
    let reference = as_true(source, "imip :count \"ge\"\n       :reason \"2\"");
    assert_lowered_sieve_error_at(source, &reference, 7, 5);

    let source = "require [\"imip\"];\n\
                  if anyof(imip :organizer [\"a@example.com\",\n\
                  \x20                        \"b@example.com\"], false) { keep; }\n\
                  frobnicate;\n";
    let reference = replaced(source, "imip :organizer", "header :is \"x\" ");
    assert_lowered_sieve_error_at(source, &reference, 4, 1);

    let source = "require [\"imip\"];\nif imip :present { keep; }\n}\n";
    assert_sieve_error_at(source, source, 3, 1);
}

#[test]
fn sieve_errors_inside_copied_keys_and_after_multi_line_keys() {
    // An error in a key list that the lowering copies once per slot.
    let source = "require [\"imip\", \"encoded-character\"];\nif imip :matches :uid \"${unicode:200000}\" { keep; }";
    let reference = replaced(source, "imip :matches :uid", "header :is \"abc\"  ");
    assert_lowered_sieve_error_at(source, &reference, 2, 23);
    // Multi-line keys repeated for every slot add lines to the lowered
    // text; later errors still map back.
    let source = "require [\"imip\"];\n\
                  if imip :reason text:\n\
                  party-crash\n\
                  .\n\
                  { keep; }\n\
                  if true { discard stop; }\n";
    let reference = replaced(source, "imip :reason", "header \"a\"  ");
    assert_lowered_sieve_error_at(source, &reference, 6, 19);
}

#[test]
fn reserved_names_are_refused_where_they_appear() {
    let error = error_of("require [\"imip\", \"environment\"];\nif environment :is \"VND.sieve-imip.x.risk\" \"0\" { keep; }");
    assert!(matches!(error.kind, ScriptErrorKind::ReservedName));
    assert_eq!((error.line, error.column), (2, 21));
}

#[test]
fn environment_test_still_needs_its_require_when_lowered() {
    let error = error_of(
        "require \"imip\";\nif allof(imip :present, environment :is \"name\" \"x\") { keep; }",
    );
    // Both the front-end and plain sieve-rs point there; sieve-rs's words win.
    assert_eq!(
        error.to_string(),
        "2:25: Undeclared capability 'environment'"
    );
}

#[test]
fn string_ending_in_an_escaped_backslash_is_refused_next_to_imip() {
    let source =
        "require \"imip\";\nif header :is \"x\" \"a\\\\\" { keep; }\nif imip :present { keep; }";
    let error = error_of(source);
    // sieve-rs itself stops at that string (it reads on to the next quote).
    assert!(error.kind.sieve_error().is_some(), "{error}");
    assert_eq!((error.line, error.column), (2, 19));

    let source = "require [\"imip\", \"variables\"];\nset \"x\" \"a\\\\\";\nif imip :present { keep; }\n# \"\n";
    let error = error_of(source);
    assert!(
        matches!(error.kind, ScriptErrorKind::AmbiguousString),
        "{error}"
    );
    assert_eq!((error.line, error.column), (2, 9));
}

#[test]
fn prepared_scripts_map_sieve_positions_back() {
    let source = "require [\"imip\", \"relational\"];\n\
                  if imip :count \"gt\" :reason \"0\" { discard keep; }";
    let prepared = script::prepare(source).ok();
    let Some(prepared) = prepared else {
        panic!("not prepared");
    };
    assert!(prepared
        .sieve_text()
        .starts_with("require [\"environment\", \"relational\"]; require"));
    let error = Compiler::new()
        .compile(prepared.sieve_text().as_bytes())
        .err();
    let Some(error) = error else {
        panic!("compiled");
    };
    assert_eq!(
        prepared.map_position(error.line_num(), error.line_pos()),
        (2, 43)
    );
    assert_eq!(prepared.map_position(1, 0), (1, 1));
    assert_eq!(prepared.map_position(0, 0), (1, 1));
}

/// A key list whose lowering (one test per key and value slot) would pass
/// sieve-rs's script size limit is refused at the key list, with the reason;
/// a long but reasonable list compiles.
#[test]
fn key_list_too_long_to_lower() {
    let keys = |count: usize| {
        (0..count)
            .map(|n| format!("\"uid-{n}@example.com\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = format!(
        "require [\"imip\", \"fileinto\"];\nif imip :uid [{}] {{ fileinto \"x\"; }}\n",
        keys(1500)
    );
    let error = error_of(&source);
    assert!(
        matches!(error.kind, ScriptErrorKind::TooManyKeys { keys: 1500, .. }),
        "{error}"
    );
    assert_eq!((error.line, error.column), (2, 14));
    let source = format!(
        "require [\"imip\", \"fileinto\"];\nif imip :uid [{}] {{ fileinto \"x\"; }}\n",
        keys(100)
    );
    assert!(script::compile(&Compiler::new(), &source).is_ok());
}

#[test]
fn nul_bytes_are_refused_in_every_script() {
    // sieve-rs keeps a NUL in a string; RFC 5228 allows none anywhere.
    for source in [
        "require \"fileinto\";\nfileinto \"a\u{0}b\";",
        "require [\"imip\", \"fileinto\"];\nif imip :present { fileinto \"a\u{0}b\"; }",
        "require \"fileinto\";\n# \u{0}\nfileinto \"x\";",
    ] {
        let error = error_of(source);
        assert!(matches!(error.kind, ScriptErrorKind::NulByte), "{error}");
        let nul = source.find('\u{0}').unwrap_or_default();
        let line = 1 + source[..nul].matches('\n').count();
        let column = nul - source[..nul].rfind('\n').unwrap_or_default();
        assert_eq!((error.line, error.column), (line, column), "{source:?}");
    }
}

#[test]
fn lowering_past_sieve_rs_size_limit_says_so() {
    // Each `:reason` test becomes 13 environment tests: 10,000 of them
    // are some 290 KB as written and far over 1 MiB lowered.
    let mut source = String::from("require [\"imip\", \"fileinto\"];\n");
    for n in 0..10_000 {
        source.push_str(&format!("if imip :reason \"x\" {{ fileinto \"f{n}\"; }}\n"));
    }
    let error = error_of(&source);
    assert!(
        matches!(
            error.kind,
            ScriptErrorKind::LoweredTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{error}"
    );
}

/// The example of the module documentation.
#[test]
fn module_example() -> Result<(), Box<dyn std::error::Error>> {
    use crate::script::{compile, Item};
    use sieve::Compiler;

    let script = "require [\"imip\", \"fileinto\"];\n\
                  if imip :matches :method \"*\" { fileinto \"Calendar/${1}\"; }";
    let compiled = compile(&Compiler::new(), script)?;
    assert!(compiled.lowered && compiled.items.contains(Item::Method));

    let error = compile(&Compiler::new(), "if imip :present { keep; }").err();
    assert_eq!(error.map(|error| (error.line, error.column)), Some((1, 4)));
    Ok(())
}
