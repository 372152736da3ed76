//! The `:regex` guard (`regex_guard.rs`): every construct fancy-regex
//! cannot bound is refused at the key's line and column, in every test and
//! command that takes a match type, in every spelling sieve-rs reads; plain
//! patterns compile as before.

use crate::script::{self, RegexRefusal, ScriptError, ScriptErrorKind};
use sieve::Compiler;

fn compile(source: &str) -> Result<script::CompiledParts, ScriptError> {
    script::compile(&Compiler::new(), source)
}

/// The refusal and its 1-based (line, column), or a panic naming what
/// happened instead.
fn refusal_of(source: &str) -> (RegexRefusal, usize, usize) {
    match compile(source) {
        Err(ScriptError {
            line,
            column,
            kind: ScriptErrorKind::Regex(refusal),
        }) => (refusal, line, column),
        Err(other) => panic!("refused, but not by the regex guard: {other}\n{source}"),
        Ok(_) => panic!("compiled, expected a :regex refusal:\n{source}"),
    }
}

fn construct_of(source: &str) -> &'static str {
    match refusal_of(source).0 {
        RegexRefusal::Construct { construct } => construct,
        other => panic!("expected a construct refusal, got {other}"),
    }
}

/// A `header :regex` test on `key`, which is written as Sieve text (its
/// quotes and escapes included).
fn header_test(key: &str) -> String {
    format!("require \"regex\";\nif header :regex \"subject\" {key} {{ keep; }}\n")
}

/// The 68-byte script of issue 11: three subroutine calls of the whole
/// pattern took gigabytes to compile.
const SUBROUTINE_BOMB: &str = r#""(a|(?P>0)(?P>0)(?P>0))""#;

#[test]
fn the_subroutine_bomb_is_refused_at_its_key() {
    let source = header_test(SUBROUTINE_BOMB);
    let (refusal, line, column) = refusal_of(&source);
    assert!(
        matches!(refusal, RegexRefusal::Construct { construct } if construct.contains("subroutine")),
        "{refusal}"
    );
    assert_eq!((line, column), (2, 28));
}

#[test]
fn every_unbounded_construct_is_refused() {
    let cases = [
        (r#""(a)\\1""#, "backreference"),
        (r#""(?<n>a)\\k<n>""#, "backreference"),
        (r#""(?P<n>a)(?P=n)""#, "backreference"),
        (r#""(a)\\g1""#, "subroutine"),
        (r#""(a)\\g<1>""#, "subroutine"),
        (r#""(?<n>a)\\g'n'""#, "subroutine"),
        (r#""(?<n>a)(?P>n)""#, "subroutine"),
        (r#""(a)?(?(1)b|c)""#, "conditional"),
        (r#""a(?=b)""#, "lookaround"),
        (r#""a(?!b)""#, "lookaround"),
        (r#""(?<=a)b""#, "lookaround"),
        (r#""(?<!a)b""#, "lookaround"),
        (r#""(?>a+)b""#, "atomic"),
        (r#""a++b""#, "atomic"),
        (r#""a\\Kb""#, "\\K"),
        (r#""\\Ga""#, "\\G"),
        (r#""a(*FAIL)|b""#, "backtracking"),
        (r#""(?~abc)""#, "absent"),
    ];
    for (key, expected) in cases {
        let construct = construct_of(&header_test(key));
        assert!(construct.contains(expected), "{key}: {construct}");
    }
}

#[test]
fn plain_patterns_still_compile() {
    let keys = [
        r#""stephan(\\+.*)?@it\\.example\\.com""#,
        r#""([^-@]*)-([^-@]*)(-bounces)?@ant.example.com""#,
        r#""\\bfoo\\b""#,
        r#""(?i)^re: .*$""#,
        r#""[[:alpha:]]+[0-9]{1,3}""#,
        r#""(?<ADDR>.*)""#,
        r#""^\\d{3}-\\d{4}$""#,
        r#""\\w{12}""#,
        r#""[a-z]{2000}""#,
        r#""a{1000}{1000}""#,
    ];
    for key in keys {
        let source = header_test(key);
        assert!(
            compile(&source).is_ok(),
            "{key}: {:?}",
            compile(&source).err()
        );
    }
}

#[test]
fn every_test_and_command_with_a_match_type_is_guarded() {
    let bomb = SUBROUTINE_BOMB;
    let scripts = [
        format!("require \"regex\"; if header :regex \"subject\" {bomb} {{ keep; }}"),
        format!("require \"regex\"; if header :regex :comparator \"i;octet\" [\"to\", \"cc\"] [\"x\", {bomb}] {{ keep; }}"),
        format!("require \"regex\"; if address :regex :all \"from\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"envelope\"]; if envelope :regex \"from\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"variables\"]; if string :regex \"${{x}}\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"body\"]; if body :regex :content \"text\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"body\"]; if body :regex {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"date\"]; if date :regex :zone \"+0000\" \"date\" \"year\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"date\"]; if currentdate :regex \"year\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"environment\"]; if environment :regex \"name\" {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"imap4flags\"]; if hasflag :regex {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"imap4flags\", \"variables\"]; if hasflag :regex [\"flags\"] {bomb} {{ keep; }}"),
        format!("require [\"regex\", \"editheader\"]; deleteheader :regex \"x-spam\" {bomb};"),
        format!("require [\"regex\", \"relational\"]; if anyof(not header :regex \"s\" \"a\", allof(true, header :regex \"s\" {bomb})) {{ keep; }}"),
        format!("require [\"regex\", \"imip\"]; if imip :present {{ keep; }} elsif header :REGEX \"s\" {bomb} {{ stop; }}"),
    ];
    for source in &scripts {
        assert!(
            matches!(refusal_of(source).0, RegexRefusal::Construct { .. }),
            "{source}"
        );
    }
}

#[test]
fn the_imip_test_still_refuses_regex_as_a_match_type() {
    let source = "require [\"imip\", \"regex\"];\nif imip :regex :method \"R.*\" { keep; }";
    assert!(matches!(
        compile(source).err().map(|error| error.kind),
        Some(ScriptErrorKind::BadMatchType { .. })
    ));
}

#[test]
fn keys_with_variables_are_refused() {
    let keys = [
        ("\"${x}\"", "${x}"),
        ("\"${header.subject}\"", "${header.subject}"),
        ("\"${env.phase}\"", "${env.phase}"),
        ("\"${global.pattern}\"", "${global.pattern}"),
        // sieve-rs decodes "${hex:24}" to "$" and then reads the variable.
        ("\"${hex:24}{x}\"", "${x}"),
    ];
    for (key, reference) in keys {
        let source = format!(
            "require [\"regex\", \"variables\", \"include\", \"environment\"];\nglobal \"pattern\";\nset \"x\" \"a.*\";\nif header :regex \"subject\" {key} {{ keep; }}\n"
        );
        let (refusal, line, column) = refusal_of(&source);
        assert_eq!(
            refusal,
            RegexRefusal::Variable {
                reference: reference.to_owned()
            },
            "{key}"
        );
        assert_eq!((line, column), (4, 28), "{key}");
    }
}

#[test]
fn a_variable_sieve_rs_drops_does_not_hide_a_bomb() {
    // sieve-rs drops a reference to a name it does not know, and compiles
    // what is left when the script is compiled.
    let source = header_test(r#""${unknown}(a|(?P>0)(?P>0)(?P>0))""#);
    assert!(matches!(
        refusal_of(&source).0,
        RegexRefusal::Construct { .. }
    ));
}

#[test]
fn plain_sieve_rs_reports_its_own_earlier_error_in_a_script_with_a_variable_key() {
    // A variable key is refused, but compiling the script is safe, so the
    // error sieve-rs finds first wins, as for any other script.
    let source = "require [\"regex\", \"variables\"];\nfrobnicate;\nif header :regex \"s\" \"${x}\" { keep; }";
    let error = compile(source).err();
    assert!(
        error
            .as_ref()
            .and_then(|error| error.kind.sieve_error())
            .is_some(),
        "{error:?}"
    );
}

#[test]
fn keys_are_read_as_sieve_rs_reads_them() {
    // Encoded characters are decoded before fancy-regex sees the key.
    assert!(matches!(
        refusal_of(&header_test(r#""${hex:28}a|(?P>0)(?P>0)(?P>0))""#)).0,
        RegexRefusal::Construct { .. }
    ));
    // In a quoted string sieve-rs keeps n - 1 of n backslashes: "\\\\1" is
    // \\\1 to fancy-regex, an escaped backslash and a backreference (RFC
    // 5228 would read \\1, a backslash and a digit).
    assert!(construct_of(&header_test(r#""(a)\\\\1""#)).contains("backreference"));
    // "\1" is just "1" to sieve-rs.
    assert!(compile(&header_test(r#""(a)\1""#)).is_ok());
    // Multi-line strings are keys too.
    let multi_line = "require \"regex\";\nif header :regex \"subject\" text:\n(a|(?P>0)(?P>0)(?P>0))\n.\n{ keep; }\n";
    let (_, line, column) = refusal_of(multi_line);
    assert_eq!((line, column), (2, 28));
}

#[test]
fn pattern_size_is_bounded() {
    let long = format!("\"{}\"", "a".repeat(1025));
    assert!(matches!(
        refusal_of(&header_test(&long)).0,
        RegexRefusal::TooLong {
            bytes: 1025,
            limit: 1024
        }
    ));
    assert!(compile(&header_test(&format!("\"{}\"", "a".repeat(1024)))).is_ok());
    assert!(matches!(
        refusal_of(&header_test(r#""\\w{100}""#)).0,
        RegexRefusal::TooLarge { .. }
    ));
    // Each key fits, all of them together do not.
    let keys: Vec<String> = (0..20).map(|n| format!("\"\\\\w{{12}}{n}\"")).collect();
    let source = header_test(&format!("[{}]", keys.join(", ")));
    assert!(matches!(
        refusal_of(&source).0,
        RegexRefusal::ScriptTooLarge { .. }
    ));
    let nested = format!("\"{}a{}\"", "(".repeat(200), ")".repeat(200));
    assert!(compile(&header_test(&nested)).is_err());
}

#[test]
fn a_script_the_lexer_cannot_read_is_not_handed_to_sieve_rs() {
    // sieve-rs would compile the key before reaching the character the
    // front-end stops at, so the front-end's own error is reported.
    let source = "require \"regex\";\nif header :regex \"s\" \"(a)\\\\1\" { keep; }\n\u{1}";
    assert!(matches!(
        compile(source).err().map(|error| error.kind),
        Some(ScriptErrorKind::Lexical(_))
    ));
    // A string ending in an escaped backslash ends elsewhere for sieve-rs.
    let source = "require \"regex\";\nif header :regex \"s\" [\"a\\\\\", \"(a)\\\\1\"] { keep; }";
    assert!(matches!(
        compile(source).err().map(|error| error.kind),
        Some(ScriptErrorKind::AmbiguousString)
    ));
}

#[test]
fn scripts_without_regex_are_untouched() {
    let source = "require \"variables\";\nset \"x\" \"(a|(?P>0)(?P>0)(?P>0))\";\nif header :matches \"subject\" \"${x}\" { keep; }";
    assert!(compile(source).is_ok_and(|parts| !parts.lowered));
}
