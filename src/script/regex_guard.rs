//! `:regex` keys (draft-ietf-sieve-regex), checked before sieve-rs 0.7.3
//! compiles them.
//!
//! sieve-rs compiles every `:regex` key with fancy-regex, with its default
//! limits: a constant key once, when the script is compiled; a key holding
//! a variable on every evaluation, from the text the variable has then
//! (`Comparator::regex`; there is no hook to check it first). Two kinds of
//! pattern cost without bound there:
//!
//! - fancy-regex's extensions: subroutine calls and recursion are analysed
//!   by re-walking the called group at every call, so
//!   `(a|(?P>0)(?P>0)(?P>0))`, in a 68-byte script, takes gigabytes;
//!   backreferences, lookaround and the like move the pattern to a
//!   backtracking machine;
//! - plain patterns of large classes: each `\w` is a few hundred automaton
//!   states, `\w{150}` about 9 MB, and a 3 KB script of 200 such keys took
//!   1.8 GB and a minute to compile.
//!
//! So every key of a test or command that carries `:regex` must:
//! - hold no variable reference (`${name}`, `${1}`, `${header.subject}`):
//!   its text would only be known at run time;
//! - be at most [`MAX_PATTERN_BYTES`] long;
//! - use only what the regex crate matches in linear time (classes,
//!   groups, alternation, greedy and lazy repetition, anchors, flags),
//!   plus word boundaries, which fancy-regex runs on its backtracking
//!   machine under its step limit; backreferences, subroutine calls,
//!   recursion, conditionals, lookaround, atomic groups, possessive
//!   quantifiers, absent operators, `\K`, `\G` and backtracking verbs are
//!   refused (they are no part of the POSIX extended regular expressions
//!   the draft specifies either);
//! - compile to at most [`MAX_PATTERN_NFA_BYTES`] of Thompson NFA (sized
//!   with regex-automata, whose NFA compiler stops at the limit), and all
//!   keys of a script together, each counted with [`PATTERN_OVERHEAD_BYTES`]
//!   more, to at most [`MAX_SCRIPT_NFA_BYTES`].
//!
//! Each key is parsed with fancy-regex's own parser, so what is checked is
//! what sieve-rs compiles; a key that parser refuses is left to sieve-rs,
//! which reports it as an invalid regular expression. Key texts are read as
//! sieve-rs reads them (its backslash escapes, its dot-stuffing, encoded
//! characters decoded), not as RFC 5228 does.

use fancy_regex::{Assertion, Expr};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

use super::error::{ScriptError, ScriptErrorKind};
use super::lexer::{Token, TokenKind};
use super::position::author_position;
use super::reserved::encoded_character;

/// The longest `:regex` key accepted, in bytes (sieve-rs's own limit on a
/// string is 4096).
pub(crate) const MAX_PATTERN_BYTES: usize = 1024;

/// The largest automaton one key may compile to: regex-automata's Thompson
/// NFA, which sieve-rs's engine builds forward and reversed.
pub(crate) const MAX_PATTERN_NFA_BYTES: usize = 256 * 1024;

/// What every key costs besides its automaton (the compiled regex, its
/// prefilter and search caches), counted against [`MAX_SCRIPT_NFA_BYTES`].
pub(crate) const PATTERN_OVERHEAD_BYTES: usize = 8 * 1024;

/// The most automaton all `:regex` keys of one script may compile to
/// together.
pub(crate) const MAX_SCRIPT_NFA_BYTES: usize = 4 * 1024 * 1024;

/// The deepest nesting of groups and repetitions checked (fancy-regex
/// itself stops at 64 groups).
const MAX_NESTING: usize = 128;

/// Tags whose argument is a string or string list: that argument is no
/// key.
const TAGS_WITH_STRING_ARGUMENT: [&str; 6] = [
    ":comparator",
    ":value",
    ":count",
    ":content",
    ":zone",
    ":param",
];

/// Why the front-end refused a `:regex` key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegexRefusal {
    /// The key holds a variable reference, so sieve-rs would compile it at
    /// run time from text nothing checks.
    #[error("a :regex key cannot hold a variable ({reference}): sieve-rs compiles such a key again on every run, from text known only then (a header, a match), that nothing can check first; write the pattern literally, or match with :matches or :contains")]
    Variable {
        /// The reference as written, `${...}`.
        reference: String,
    },
    /// The key is longer than the limit (1024 bytes).
    #[error("this :regex pattern is {bytes} bytes long; at most {limit} are accepted")]
    TooLong {
        /// The pattern's length.
        bytes: usize,
        /// The longest accepted.
        limit: usize,
    },
    /// The key uses a construct fancy-regex cannot bound.
    #[error("this :regex pattern uses {construct}, which sieve-rs's regular-expression engine (fancy-regex) compiles or runs without a bound; :regex accepts classes, groups, alternation, repetition, anchors and word boundaries")]
    Construct {
        /// What the construct is, with its spellings.
        construct: &'static str,
    },
    /// Groups and repetitions nested deeper than the check follows.
    #[error("this :regex pattern nests groups and repetitions more than {limit} deep")]
    TooDeep {
        /// The deepest nesting accepted.
        limit: usize,
    },
    /// The key's automaton is larger than the limit (256 KiB).
    #[error("this :regex pattern compiles to an automaton of over {limit} bytes (counted repetitions of large classes multiply: \\w{{100}} is about 100 times \\w); simplify it")]
    TooLarge {
        /// The largest accepted.
        limit: usize,
    },
    /// This key brings the script's automata past the limit (4 MiB).
    #[error("with this :regex pattern the script's patterns compile to over {limit} bytes of automata; use fewer or simpler patterns")]
    ScriptTooLarge {
        /// The most accepted for a script.
        limit: usize,
    },
    /// The key could not be sized (a pattern fancy-regex reads that the
    /// regex crate's parser does not), so it cannot be vouched for.
    #[error("this :regex pattern could not be checked: {reason}")]
    Unchecked {
        /// What stopped the check.
        reason: String,
    },
}

/// Whether the text can hold a `:regex` tag (any case): without one there
/// is nothing to check, and the lexer need not run.
pub(crate) fn mentions_regex(source: &str) -> bool {
    source
        .as_bytes()
        .windows(5)
        .any(|window| window.eq_ignore_ascii_case(b"regex"))
}

/// Checks every key of every command or test that carries `:regex`.
///
/// Arguments are grouped the way sieve-rs reads them: the tags, numbers
/// and string lists that follow a command or test name, up to the first
/// token that is none of these. The key lists are that group's string
/// lists but the first (the header names, the source string, ...), or its
/// only one (`body`); `deleteheader`'s first is its field name. Over-reading
/// is harmless (a header name is a valid pattern); under-reading is not, so
/// only the arguments of the tags listed in [`TAGS_WITH_STRING_ARGUMENT`]
/// are skipped.
///
/// `Err` is a key sieve-rs must not compile, so it must not see the script
/// at all. `Ok(Some(..))` is the first key holding a variable when every
/// key is otherwise safe to compile: the script is refused, but sieve-rs
/// may compile it to report an error of its own that comes first.
pub(crate) fn check_regex_keys(
    source: &str,
    tokens: &[Token],
) -> Result<Option<ScriptError>, ScriptError> {
    let mut budget = ScriptBudget::default();
    let mut first_variable = None;
    let mut at = 0usize;
    // Each round consumes at least one token, so the loop ends.
    while let Some(token) = tokens.get(at) {
        if !starts_argument(token) {
            at = at.saturating_add(1);
            continue;
        }
        let owner = at
            .checked_sub(1)
            .and_then(|before| tokens.get(before))
            .filter(|before| before.kind == TokenKind::Identifier)
            .map(|before| before.text(source));
        let (arguments, end) = read_arguments(source, tokens, at);
        at = end.max(at.saturating_add(1));
        let has_regex = arguments.iter().any(
            |argument| matches!(argument, Argument::Tag(tag) if tag.eq_ignore_ascii_case(":regex")),
        );
        // The imip test refuses `:regex` itself, and plain sieve-rs skips
        // the arguments of a test it does not know.
        if !has_regex || owner.is_some_and(|name| name.eq_ignore_ascii_case("imip")) {
            continue;
        }
        let is_deleteheader = owner.is_some_and(|name| name.eq_ignore_ascii_case("deleteheader"));
        for key in key_strings(&arguments, is_deleteheader) {
            let text = sieve_rs_string_text(source, key).unwrap_or_default();
            let refused = |refusal| {
                let (line, column) = author_position(source, key.span.start);
                ScriptError {
                    line,
                    column,
                    kind: ScriptErrorKind::Regex(refusal),
                }
            };
            if let Some(reference) = check_key(&text, &mut budget).map_err(refused)? {
                first_variable =
                    first_variable.or_else(|| Some(refused(RegexRefusal::Variable { reference })));
            }
        }
    }
    Ok(first_variable)
}

/// One argument of a command or test.
enum Argument<'s> {
    Tag(&'s str),
    Number,
    Strings(Vec<Token>),
}

fn starts_argument(token: &Token) -> bool {
    token.is_string()
        || matches!(
            token.kind,
            TokenKind::Tag | TokenKind::Number(_) | TokenKind::BracketOpen
        )
}

/// The arguments starting at `at`, and the index of the first token after
/// them.
fn read_arguments<'s>(
    source: &'s str,
    tokens: &[Token],
    mut at: usize,
) -> (Vec<Argument<'s>>, usize) {
    let mut arguments = Vec::new();
    // Each round consumes at least one token, so the loop ends.
    while let Some(token) = tokens.get(at) {
        match token.kind {
            TokenKind::Tag => arguments.push(Argument::Tag(token.text(source))),
            TokenKind::Number(_) => arguments.push(Argument::Number),
            _ if token.is_string() => arguments.push(Argument::Strings(vec![*token])),
            TokenKind::BracketOpen => {
                // Strings and commas up to the closing bracket; a list that
                // is not well formed still gives up every string in it.
                let mut strings = Vec::new();
                at = at.saturating_add(1);
                while let Some(inner) = tokens.get(at) {
                    if inner.is_string() {
                        strings.push(*inner);
                    } else if inner.kind != TokenKind::Comma {
                        break;
                    }
                    at = at.saturating_add(1);
                }
                arguments.push(Argument::Strings(strings));
                if tokens
                    .get(at)
                    .is_some_and(|inner| inner.kind == TokenKind::BracketClose)
                {
                    at = at.saturating_add(1);
                }
                continue;
            }
            _ => break,
        }
        at = at.saturating_add(1);
    }
    (arguments, at)
}

/// The strings of the key lists among `arguments`.
fn key_strings(arguments: &[Argument<'_>], is_deleteheader: bool) -> Vec<Token> {
    let mut positional: Vec<&[Token]> = Vec::new();
    let mut after_string_tag = false;
    for argument in arguments {
        match argument {
            Argument::Tag(tag) => {
                after_string_tag = TAGS_WITH_STRING_ARGUMENT
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(tag));
            }
            Argument::Number => after_string_tag = false,
            Argument::Strings(strings) => {
                if !after_string_tag {
                    positional.push(strings);
                }
                after_string_tag = false;
            }
        }
    }
    let keys = if is_deleteheader || positional.len() >= 2 {
        positional.get(1..).unwrap_or_default()
    } else {
        &positional[..]
    };
    keys.iter()
        .flat_map(|strings| strings.iter().copied())
        .collect()
}

/// The text sieve-rs 0.7.3 gives a string token before it expands
/// variables and encoded characters.
///
/// In a quoted string its tokenizer drops a backslash unless the byte
/// before it is one too (so a run of n backslashes keeps n - 1), and turns
/// `n`, `r`, `t` after a backslash into LF, CR, TAB. In a multi-line string
/// it undoes only a doubled dot at the start of a line.
fn sieve_rs_string_text(source: &str, token: Token) -> Option<String> {
    match token.kind {
        TokenKind::QuotedString { body } => {
            let raw = source.get(body.start..body.end)?.as_bytes();
            let mut text = Vec::with_capacity(raw.len());
            let mut last = b'"';
            for &byte in raw {
                match byte {
                    b'\\' if last == b'\\' => text.push(byte),
                    b'\\' => {}
                    b'n' if last == b'\\' => text.push(b'\n'),
                    b'r' if last == b'\\' => text.push(b'\r'),
                    b't' if last == b'\\' => text.push(b'\t'),
                    _ => text.push(byte),
                }
                last = byte;
            }
            Some(String::from_utf8_lossy(&text).into_owned())
        }
        TokenKind::MultiLine { body } => {
            let raw = source.get(body.start..body.end)?;
            let mut text = String::with_capacity(raw.len());
            for line in raw.split_inclusive('\n') {
                text.push_str(
                    line.strip_prefix('.')
                        .filter(|rest| rest.starts_with('.'))
                        .unwrap_or(line),
                );
            }
            Some(text)
        }
        _ => None,
    }
}

/// What the script's keys have cost so far.
#[derive(Debug, Default)]
struct ScriptBudget {
    nfa_bytes: usize,
}

/// Checks one key's text in every reading sieve-rs may compile when it
/// compiles the script, and gives the first variable reference it holds
/// (which makes sieve-rs compile it again at run time).
///
/// sieve-rs decodes encoded characters, keeps a key with a variable it
/// knows for run time, and drops a reference to a name it does not know
/// (an unset variable), compiling what is left when that is a single piece
/// of text: so the text as it stands, decoded, and with every reference
/// removed (before or after decoding) are checked.
fn check_key(text: &str, budget: &mut ScriptBudget) -> Result<Option<String>, RegexRefusal> {
    let mut readings = vec![text.to_owned()];
    if text.contains("${") {
        let decoded = decode_encoded_characters(text);
        let stripped = without_variable_references(text);
        readings.push(decode_encoded_characters(&stripped));
        readings.push(without_variable_references(&decoded));
        readings.push(stripped);
        readings.push(decoded);
        readings.sort_unstable();
        readings.dedup();
    }
    let mut cost = 0usize;
    for reading in &readings {
        cost = cost.max(pattern_nfa_bytes(reading)?);
    }
    budget.nfa_bytes = budget
        .nfa_bytes
        .saturating_add(cost)
        .saturating_add(PATTERN_OVERHEAD_BYTES);
    if budget.nfa_bytes > MAX_SCRIPT_NFA_BYTES {
        return Err(RegexRefusal::ScriptTooLarge {
            limit: MAX_SCRIPT_NFA_BYTES,
        });
    }
    Ok(readings
        .iter()
        .find_map(|reading| variable_reference(reading)))
}

/// The first `${...}` that sieve-rs could read as a variable: a name, a
/// number or `namespace.name` between the braces (sieve-rs's characters:
/// letters, digits, `_ . [ ] * - :`), but not an encoded character.
fn variable_reference(text: &str) -> Option<String> {
    let (start, end) = next_variable_reference(text, 0)?;
    text.get(start..end).map(str::to_owned)
}

/// `text` without any of its variable references.
fn without_variable_references(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut from = 0usize;
    while let Some((start, end)) = next_variable_reference(text, from) {
        kept.push_str(text.get(from..start).unwrap_or_default());
        from = end;
    }
    kept.push_str(text.get(from..).unwrap_or_default());
    kept
}

/// The byte range of the first variable reference at or after `from`.
fn next_variable_reference(text: &str, mut from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // Each round moves past one "${", so the loop ends.
    loop {
        let start = from.checked_add(text.get(from..)?.find("${")?)?;
        let name_start = start.saturating_add(2);
        let name_len = bytes
            .get(name_start..)
            .unwrap_or_default()
            .iter()
            .position(|byte| !(byte.is_ascii_alphanumeric() || b"_.[]*-:".contains(byte)))
            .unwrap_or(bytes.len().saturating_sub(name_start));
        let name_end = name_start.saturating_add(name_len);
        let name = text.get(name_start..name_end).unwrap_or("");
        let closed = bytes.get(name_end) == Some(&b'}');
        let lower = name.to_ascii_lowercase();
        let encoded = lower.starts_with("hex:") || lower.starts_with("unicode:");
        if closed && !name.is_empty() && !encoded {
            return Some((start, name_end.saturating_add(1)));
        }
        from = name_start;
    }
}

/// `text` with each well-formed `${hex:..}` and `${unicode:..}` replaced by
/// what it encodes, once, as sieve-rs decodes them.
fn decode_encoded_characters(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0usize;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'$' {
            if let Some((characters, consumed)) = bytes.get(at..).and_then(encoded_character) {
                decoded.extend_from_slice(&characters);
                at = at.saturating_add(consumed.max(1));
                continue;
            }
        }
        decoded.push(byte);
        at = at.saturating_add(1);
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Checks one pattern and gives the size of its automaton; a pattern
/// fancy-regex cannot parse costs nothing (sieve-rs refuses it itself).
fn pattern_nfa_bytes(pattern: &str) -> Result<usize, RegexRefusal> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(RegexRefusal::TooLong {
            bytes: pattern.len(),
            limit: MAX_PATTERN_BYTES,
        });
    }
    let Ok(tree) = Expr::parse_tree(pattern) else {
        return Ok(0);
    };
    let mut plain = String::with_capacity(pattern.len().saturating_mul(2));
    write_plain(&tree.expr, &mut plain, 0)?;
    let nfa = thompson::Compiler::new()
        .syntax(
            syntax::Config::new()
                .nest_limit(u32::try_from(MAX_NESTING.saturating_mul(4)).unwrap_or(u32::MAX)),
        )
        .configure(
            thompson::Config::new()
                .nfa_size_limit(Some(MAX_PATTERN_NFA_BYTES))
                .shrink(false),
        )
        .build(&plain)
        .map_err(|error| match error.size_limit() {
            Some(_) => RegexRefusal::TooLarge {
                limit: MAX_PATTERN_NFA_BYTES,
            },
            None => RegexRefusal::Unchecked {
                reason: std::error::Error::source(&error).map_or_else(
                    || error.to_string(),
                    |source| {
                        // regex-syntax's message spans lines (the pattern, a
                        // caret, the error); its last line says what is wrong.
                        let text = source.to_string();
                        text.lines().last().unwrap_or_default().trim().to_owned()
                    },
                ),
            },
        })?;
    Ok(nfa.memory_usage())
}

/// Writes `expr` in the regex crate's syntax, refusing every construct
/// that syntax lacks; the result is only sized, never matched, so
/// zero-width assertions are written as their nearest plain equivalent.
fn write_plain(expr: &Expr, out: &mut String, depth: usize) -> Result<(), RegexRefusal> {
    if depth > MAX_NESTING {
        return Err(RegexRefusal::TooDeep { limit: MAX_NESTING });
    }
    let deeper = depth.saturating_add(1);
    match expr {
        Expr::Empty => {}
        Expr::Any { newline, crlf } => out.push_str(match (newline, crlf) {
            (true, _) => "(?s:.)",
            (false, true) => "(?R-s:.)",
            (false, false) => ".",
        }),
        Expr::Assertion(assertion) => out.push_str(plain_assertion(*assertion)),
        Expr::GeneralNewline { unicode } => out.push_str(if *unicode {
            "(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x{85}\\x{2028}\\x{2029}])"
        } else {
            "(?:\\r\\n|[\\n\\x0B\\x0C\\r])"
        }),
        Expr::Literal { val, casei } => {
            out.push_str(if *casei { "(?i:" } else { "(?:" });
            for character in val.chars() {
                if character.is_ascii_alphanumeric() {
                    out.push(character);
                } else {
                    out.push_str(&format!("\\x{{{:X}}}", u32::from(character)));
                }
            }
            out.push(')');
        }
        Expr::Delegate { inner, casei } => {
            out.push_str(if *casei { "(?i:" } else { "(?:" });
            out.push_str(inner);
            out.push(')');
        }
        Expr::Concat(children) => {
            out.push_str("(?:");
            for child in children {
                write_plain(child, out, deeper)?;
            }
            out.push(')');
        }
        Expr::Alt(children) => {
            out.push_str("(?:");
            for (index, child) in children.iter().enumerate() {
                if index > 0 {
                    out.push('|');
                }
                write_plain(child, out, deeper)?;
            }
            out.push(')');
        }
        Expr::Group(child) => {
            out.push('(');
            write_plain(child, out, deeper)?;
            out.push(')');
        }
        Expr::Repeat {
            child,
            lo,
            hi,
            greedy,
        } => {
            out.push_str("(?:");
            write_plain(child, out, deeper)?;
            out.push(')');
            if *hi == usize::MAX {
                out.push_str(&format!("{{{lo},}}"));
            } else {
                out.push_str(&format!("{{{lo},{hi}}}"));
            }
            if !greedy {
                out.push('?');
            }
        }
        Expr::Backref { .. } | Expr::BackrefWithRelativeRecursionLevel { .. } => {
            return Err(construct("a backreference (\\1, \\k<name>, (?P=name))"))
        }
        Expr::SubroutineCall(_) => {
            return Err(construct(
                "a subroutine call or recursion ((?P>name), (?P>0), \\g<name>, \\g'name', \\g1)",
            ))
        }
        Expr::BackrefExistsCondition { .. }
        | Expr::Conditional { .. }
        | Expr::DefineGroup { .. } => {
            return Err(construct("a conditional group ((?(1)...), (?(DEFINE)...))"))
        }
        Expr::LookAround(..) => {
            return Err(construct(
                "a lookaround assertion ((?=...), (?!...), (?<=...), (?<!...))",
            ))
        }
        Expr::AtomicGroup(_) => {
            return Err(construct(
                "an atomic group or a possessive quantifier ((?>...), a*+, a++)",
            ))
        }
        Expr::Absent(_) => return Err(construct("an absent operator ((?~...))")),
        Expr::KeepOut => return Err(construct("\\K (keep out)")),
        Expr::ContinueFromPreviousMatchEnd => return Err(construct("\\G")),
        Expr::BacktrackingControlVerb(_) => {
            return Err(construct(
                "a backtracking control verb ((*FAIL), (*ACCEPT), (*COMMIT), (*SKIP), (*PRUNE))",
            ))
        }
        Expr::AstNode(..) => {
            return Err(RegexRefusal::Unchecked {
                reason: "a named reference fancy-regex left unresolved".to_owned(),
            })
        }
    }
    Ok(())
}

fn construct(construct: &'static str) -> RegexRefusal {
    RegexRefusal::Construct { construct }
}

/// An assertion in the regex crate's syntax (for sizing only).
fn plain_assertion(assertion: Assertion) -> &'static str {
    match assertion {
        Assertion::StartText => "^",
        Assertion::EndText | Assertion::EndTextIgnoreTrailingNewlines { .. } => "$",
        Assertion::StartLine { crlf: false } | Assertion::StartLineOniguruma { crlf: false } => {
            "(?m:^)"
        }
        Assertion::StartLine { crlf: true } | Assertion::StartLineOniguruma { crlf: true } => {
            "(?Rm:^)"
        }
        Assertion::EndLine { crlf: false } => "(?m:$)",
        Assertion::EndLine { crlf: true } => "(?Rm:$)",
        Assertion::LeftWordBoundary => "\\b{start}",
        Assertion::LeftWordHalfBoundary => "\\b{start-half}",
        Assertion::RightWordBoundary => "\\b{end}",
        Assertion::RightWordHalfBoundary => "\\b{end-half}",
        Assertion::WordBoundary => "\\b",
        Assertion::NotWordBoundary => "\\B",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_references_are_found_as_sieve_rs_reads_them() {
        // (A match variable in a `:regex` key cannot be compiled through
        // the front-end in a debug build: sieve-rs 0.7.3 debug-asserts on
        // it, so it is checked here.)
        assert_eq!(variable_reference("^${1}$").as_deref(), Some("${1}"));
        assert_eq!(
            variable_reference("a${header.to[*]}").as_deref(),
            Some("${header.to[*]}")
        );
        assert_eq!(variable_reference("${hex:41}${unicode:42}"), None);
        assert_eq!(variable_reference("a${ x}b${}c$"), None);
        assert_eq!(
            without_variable_references("${a}x${b}y${hex:41}"),
            "xy${hex:41}"
        );
        assert_eq!(
            decode_encoded_characters("${hex:28 29}${hex:zz}"),
            "()${hex:zz}"
        );
    }

    #[test]
    fn a_match_variable_key_is_refused() {
        let mut budget = ScriptBudget::default();
        assert_eq!(
            check_key("^${1}$", &mut budget),
            Ok(Some("${1}".to_owned()))
        );
        assert!(matches!(
            check_key("${1}(a|(?P>0)(?P>0))", &mut budget),
            Err(RegexRefusal::Construct { .. })
        ));
    }

    #[test]
    fn a_pattern_the_regex_crate_reads_otherwise_is_not_vouched_for() {
        // fancy-regex takes the class range `\d-z`; the regex crate's parser
        // does not, so the key cannot be sized and is refused.
        let mut budget = ScriptBudget::default();
        match check_key("[\\d-z]", &mut budget) {
            Err(RegexRefusal::Unchecked { reason }) => {
                assert!(!reason.is_empty() && !reason.contains('\n'), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
