//! The Sieve front-end: an RFC 5228 lexer that finds `require`, every
//! `imip` test and every `processcalendar` action (RFC 9671), checks each
//! against its grammar (`grammar/imip-test.abnf`,
//! `grammar/processcalendar.abnf`), and lowers it to what sieve-rs 0.7.3
//! runs: `environment` tests on reserved items the engine fills before the
//! run, and for the action a `mailboxidexists` test the engine answers
//! where it stands (`processcalendar.rs`).
//!
//! A script with neither reaches sieve-rs byte for byte. Every
//! error, the front-end's own or sieve-rs's on the lowered text, names the
//! line and column in the author's script (columns count bytes, as sieve-rs
//! does; an unknown command is shown at the command, not at its block).
//!
//! Rules beyond the grammar, chosen to match what sieve-rs asks of every
//! other test:
//! - `:value` and `:count` need `require "relational"` in scope;
//! - comparators are those sieve-rs implements: `i;ascii-casemap` (default),
//!   `i;octet`, `i;ascii-numeric` (no `comparator-` require, as in sieve-rs);
//!   `:count` compares with `i;ascii-numeric` unless the author names one;
//! - `:present` and `:suspicious` take no comparator, match type or keys;
//! - the `require "environment"` the lowering adds does not excuse an
//!   `environment` test the author wrote without requiring it;
//! - `imip` needs `require "imip"` in an enclosing block (sieve-rs scopes
//!   `require` to its block; `ihave` is not consulted);
//! - in a script with `imip` tests or `:regex`, a quoted string ending in
//!   an escaped backslash is refused, because sieve-rs 0.7.3 does not end
//!   it there;
//! - any spelling of the reserved stem (`reserved.rs`) is refused in every
//!   script;
//! - every script is refused if it holds a NUL byte (RFC 5228 allows none),
//!   and every `:regex` key is checked before sieve-rs compiles it
//!   (`regex_guard.rs`);
//! - a script whose lowering passes sieve-rs's 1 MiB limit is refused with
//!   a message saying so;
//! - in a script with `processcalendar`, a `mailboxidexists` test or a
//!   `:mailboxid` tag needs the author's own `require "mailboxid"` (the
//!   lowering's does not excuse it), and an `elsif` or `else` right after
//!   the action is refused (the lowering would give it an `if`).
//!
//! (The test `module_example` in `compile_error_tests.rs` compiles a
//! script and shows an error position.)

#[cfg(test)]
mod compile_error_tests;
#[cfg(test)]
mod conformance_tests;
mod cursor;
mod error;
mod imip_test;
mod item;
mod lexer;
mod lower;
#[cfg(test)]
mod lowering_tests;
mod position;
mod processcalendar;
#[cfg(test)]
mod processcalendar_tests;
mod regex_guard;
#[cfg(test)]
mod regex_guard_tests;
mod reserved;
mod syntax;

use sieve::compiler::{CompileError, ErrorType};
use sieve::{Compiler, Sieve};

pub use error::{LexicalError, RegexRefusal, ScriptError, ScriptErrorKind};
pub use item::{Item, ItemSet};
pub use position::normalize_sieve_position;
pub use processcalendar::{decode_call, ProcessCall};
pub use reserved::ReservedNames;

use lower::Lowering;
use position::{author_position, sieve_offset};

/// sieve-rs 0.7.3's default limit on the size of a script
/// (`Compiler::new()`, which the engine uses).
const SIEVE_MAX_SCRIPT_BYTES: usize = 1024 * 1024;

/// A script compiled through the front-end and sieve-rs.
pub struct CompiledParts {
    /// The compiled program.
    pub sieve: Sieve,
    /// The `imip` items the script asks about: what the engine must fill.
    pub items: ItemSet,
    /// Whether the script had `imip` tests or `processcalendar` actions and
    /// was lowered; `false` means sieve-rs compiled the author's text
    /// unchanged.
    pub lowered: bool,
    /// Whether the script has a `processcalendar` action.
    pub processes_calendar: bool,
}

impl std::fmt::Debug for CompiledParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledParts")
            .field("items", &self.items)
            .field("lowered", &self.lowered)
            .field("processes_calendar", &self.processes_calendar)
            .finish_non_exhaustive()
    }
}

/// A script checked and lowered by the front-end, not yet compiled: what
/// the tests look at between the two.
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct PreparedScript {
    original: String,
    lowering: Option<Lowering>,
    items: ItemSet,
}

#[cfg(test)]
impl PreparedScript {
    /// The text to give sieve-rs: the lowered script, or the author's own
    /// text when it has no `imip` test.
    pub fn sieve_text(&self) -> &str {
        self.lowering
            .as_ref()
            .map_or(self.original.as_str(), |lowering| lowering.text.as_str())
    }

    /// The `imip` items the script asks about.
    pub fn items(&self) -> ItemSet {
        self.items
    }

    /// Whether the script was lowered.
    pub fn is_lowered(&self) -> bool {
        self.lowering.is_some()
    }

    /// Maps a sieve-rs error position on [`PreparedScript::sieve_text`]
    /// (`line_num()`, `line_pos()` as sieve-rs reports them) to the author's
    /// 1-based (line, column).
    pub fn map_position(&self, line: usize, pos: usize) -> (usize, usize) {
        if line == 0 {
            return normalize_sieve_position(line, pos);
        }
        match &self.lowering {
            Some(lowering) => {
                let lowered = sieve_offset(&lowering.text, line, pos);
                author_position(&self.original, lowering.map.to_original(lowered))
            }
            None => normalize_sieve_position(line, pos),
        }
    }
}

/// Front-end alone: check and lower `source`, without sieve-rs.
#[cfg(test)]
pub fn prepare(source: &str) -> Result<PreparedScript, ScriptError> {
    let lowering = front_end(source).map_err(|refusal| refusal.error)?;
    let items = lowering
        .as_ref()
        .map_or_else(ItemSet::default, |lowered| lowered.items);
    Ok(PreparedScript {
        original: source.to_owned(),
        lowering: lowering.map(|lowered| lowered.lowering),
        items,
    })
}

/// Compiles `source` through the front-end and then `compiler`.
///
/// When the front-end cannot read a script, plain sieve-rs decides: its own
/// error is reported if it refuses the text too, the front-end's otherwise
/// (an `imip` test it could not see cannot be vouched for). When both find
/// fault, the error nearer the start of the script is reported, sieve-rs's
/// when they point at the same place.
pub fn compile(compiler: &Compiler, source: &str) -> Result<CompiledParts, ScriptError> {
    match front_end(source) {
        Ok(None) => compiler
            .compile(source.as_bytes())
            .map(|sieve| CompiledParts {
                sieve,
                items: ItemSet::default(),
                lowered: false,
                processes_calendar: false,
            })
            .map_err(|error| sieve_error(source, None, error)),
        Ok(Some(Lowered {
            lowering,
            items,
            processes_calendar,
        })) => match compiler.compile(lowering.text.as_bytes()) {
            Ok(sieve) => Ok(CompiledParts {
                sieve,
                items,
                lowered: true,
                processes_calendar,
            }),
            Err(error)
                if matches!(error.error_type(), ErrorType::ScriptTooLong)
                    && lowering.text.len() > SIEVE_MAX_SCRIPT_BYTES
                    && source.len() <= SIEVE_MAX_SCRIPT_BYTES =>
            {
                Err(ScriptError {
                    line: 1,
                    column: 1,
                    kind: ScriptErrorKind::LoweredTooLarge {
                        lowered_bytes: lowering.text.len(),
                        limit: SIEVE_MAX_SCRIPT_BYTES,
                    },
                })
            }
            Err(error) => Err(sieve_error(source, Some(&lowering), error)),
        },
        Err(Refusal {
            error,
            sieve_may_see: false,
        }) => Err(error),
        Err(Refusal {
            error: front_end_error,
            sieve_may_see: true,
        }) => match compiler.compile(source.as_bytes()) {
            Ok(_) => Err(front_end_error),
            Err(error) => {
                // Plain sieve-rs knows no `processcalendar`: its complaint
                // about the command is no news next to the front-end's.
                let about_action = matches!(
                    error.error_type(),
                    ErrorType::UnexpectedToken { expected, found }
                        if expected == "command" && found.eq_ignore_ascii_case("processcalendar")
                );
                let plain = sieve_error(source, None, error);
                let plain_first =
                    (plain.line, plain.column) <= (front_end_error.line, front_end_error.column);
                if front_end_error.kind.is_unreadable() || (plain_first && !about_action) {
                    Err(plain)
                } else {
                    Err(front_end_error)
                }
            }
        },
    }
}

/// The author's 1-based (line, column) of an error plain sieve-rs reported
/// on `source` itself, normalised exactly as [`compile`] reports it.
pub fn locate_sieve_error(source: &str, error: &CompileError) -> (usize, usize) {
    match located_offset(source, error) {
        Some(offset) => author_position(source, offset),
        None => normalize_sieve_position(error.line_num(), error.line_pos()),
    }
}

fn sieve_error(source: &str, lowering: Option<&Lowering>, error: CompileError) -> ScriptError {
    let (line, column) = match lowering {
        None => locate_sieve_error(source, &error),
        Some(lowering) => match located_offset(&lowering.text, &error) {
            Some(offset) => author_position(source, lowering.map.to_original(offset)),
            None => normalize_sieve_position(error.line_num(), error.line_pos()),
        },
    };
    ScriptError {
        line,
        column,
        kind: ScriptErrorKind::Sieve(error),
    }
}

/// The byte offset in `text` a sieve-rs error is about; an unknown command,
/// which sieve-rs reports at its enclosing block, is found by name.
fn located_offset(text: &str, error: &CompileError) -> Option<usize> {
    let (line, pos) = (error.line_num(), error.line_pos());
    let block = (line > 0).then(|| sieve_offset(text, line, pos));
    if let ErrorType::UnexpectedToken { expected, found } = error.error_type() {
        if expected == "command" {
            if let Some(offset) = find_command(text, block.unwrap_or(0), found) {
                return Some(offset);
            }
        }
    }
    block
}

/// The first command named `name` at or after `from`.
fn find_command(text: &str, from: usize, name: &str) -> Option<usize> {
    let tokens = lexer::tokenize(text).ok()?;
    let mut previous: Option<lexer::TokenKind> = None;
    for token in &tokens {
        let at_command_start = matches!(
            previous,
            None | Some(
                lexer::TokenKind::Semicolon
                    | lexer::TokenKind::CurlyOpen
                    | lexer::TokenKind::CurlyClose
            )
        );
        if at_command_start
            && token.span.start >= from
            && token.kind == lexer::TokenKind::Identifier
            && token.text(text).eq_ignore_ascii_case(name)
        {
            return Some(token.span.start);
        }
        previous = Some(token.kind);
    }
    None
}

/// The front-end's refusal of a script, and whether plain sieve-rs may
/// still compile the author's text to report its own error when it finds
/// one first.
struct Refusal {
    error: ScriptError,
    /// False for a script naming the reserved items or holding a NUL byte
    /// (refused whatever else is wrong), and for one whose `:regex` keys
    /// were not all checked: compiling it would compile them.
    sieve_may_see: bool,
}

impl Refusal {
    fn final_(error: ScriptError) -> Refusal {
        Refusal {
            error,
            sieve_may_see: false,
        }
    }

    fn open(error: ScriptError) -> Refusal {
        Refusal {
            error,
            sieve_may_see: true,
        }
    }
}

/// A script the front-end lowered, and what the engine must know of it.
struct Lowered {
    lowering: Lowering,
    items: ItemSet,
    processes_calendar: bool,
}

/// Checks and lowers a script: `None` when it has neither an `imip` test
/// nor a `processcalendar` action and goes to sieve-rs unchanged.
fn front_end(source: &str) -> Result<Option<Lowered>, Refusal> {
    if let Some(offset) = memchr::memchr(0, source.as_bytes()) {
        return Err(Refusal::final_(error_at(
            source,
            offset,
            ScriptErrorKind::NulByte,
        )));
    }
    if let Some(offset) = reserved::find_reserved_stem(source) {
        return Err(Refusal::final_(error_at(
            source,
            offset,
            ScriptErrorKind::ReservedName,
        )));
    }
    let has_extension = mentions_extension(source);
    let has_regex = regex_guard::mentions_regex(source);
    if !has_extension && !has_regex {
        return Ok(None);
    }
    // Until every `:regex` key has been checked, sieve-rs must not see the
    // text at all.
    let unchecked = |error: ScriptError| Refusal {
        error,
        sieve_may_see: !has_regex,
    };
    let tokens = lexer::tokenize(source).map_err(|(offset, error)| {
        unchecked(error_at(source, offset, ScriptErrorKind::Lexical(error)))
    })?;
    if has_regex {
        // Where sieve-rs 0.7.3 ends such a string is not where the lexer
        // does, so the keys it compiles could be other strings.
        if let Some(token) = tokens
            .iter()
            .find(|token| ends_in_escaped_backslash(source, token))
        {
            return Err(Refusal::final_(error_at(
                source,
                token.span.start,
                ScriptErrorKind::AmbiguousString,
            )));
        }
        if let Some(variable) =
            regex_guard::check_regex_keys(source, &tokens).map_err(Refusal::final_)?
        {
            return Err(Refusal::open(variable));
        }
    }
    if !has_extension {
        return Ok(None);
    }
    let findings = syntax::walk(source, &tokens).map_err(Refusal::open)?;
    if findings.tests.is_empty() && findings.commands.is_empty() {
        return Ok(None);
    }
    if let Some(offset) = findings
        .environment_without_require
        .filter(|_| !findings.tests.is_empty())
    {
        return Err(Refusal::open(error_at(
            source,
            offset,
            ScriptErrorKind::UndeclaredCapability {
                tag: "environment".to_owned(),
                capability: "environment",
            },
        )));
    }
    if let Some((offset, written)) = findings
        .mailboxid_without_require
        .clone()
        .filter(|_| !findings.commands.is_empty())
    {
        return Err(Refusal::open(error_at(
            source,
            offset,
            ScriptErrorKind::UndeclaredCapability {
                tag: written,
                capability: "mailboxid",
            },
        )));
    }
    if let Some(token) = tokens
        .iter()
        .find(|token| ends_in_escaped_backslash(source, token))
    {
        return Err(Refusal::open(error_at(
            source,
            token.span.start,
            ScriptErrorKind::AmbiguousString,
        )));
    }
    let items = findings.tests.iter().map(|test| test.item).collect();
    let lowering = lower::lower(
        source,
        &findings.tests,
        &findings.commands,
        ReservedNames::global(),
    );
    Ok(Some(Lowered {
        lowering,
        items,
        processes_calendar: !findings.commands.is_empty(),
    }))
}

fn error_at(source: &str, offset: usize, kind: ScriptErrorKind) -> ScriptError {
    let (line, column) = author_position(source, offset);
    ScriptError { line, column, kind }
}

/// Whether the text holds "imip" or "processcalendar" in any case: without
/// either there is no `imip` test and no `processcalendar` action to lower,
/// and the lexer need not run.
fn mentions_extension(source: &str) -> bool {
    let holds = |word: &[u8]| {
        source
            .as_bytes()
            .windows(word.len())
            .any(|window| window.eq_ignore_ascii_case(word))
    };
    holds(b"imip") || holds(b"processcalendar")
}

/// A quoted string whose last character is an escaped backslash: sieve-rs
/// 0.7.3 does not end it at the closing quote, so the two readings of the
/// script would differ.
fn ends_in_escaped_backslash(source: &str, token: &lexer::Token) -> bool {
    let lexer::TokenKind::QuotedString { body } = token.kind else {
        return false;
    };
    source
        .get(body.start..body.end)
        .is_some_and(|body| body.ends_with('\\'))
}
