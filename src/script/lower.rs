//! Lowering: each `imip` test becomes the `environment` tests sieve-rs 0.7.3
//! runs, on the reserved items the engine fills before the run; each
//! `processcalendar` action becomes a `mailboxidexists` test the engine
//! answers where it stands (see `processcalendar.rs`); and a `require` is
//! put at the very start of line 1. Every other byte is copied, and a
//! source map remembers where each lowered byte came from.

use super::imip_test::{ImipTest, MatchType};
use super::lexer::Span;
use super::processcalendar::{call_header, ProcessCalendarCommand};
use super::reserved::ReservedNames;

/// A lowered script and the way back to the author's text.
#[derive(Debug, Clone)]
pub(crate) struct Lowering {
    pub text: String,
    pub map: SourceMap,
}

/// Where each range of the lowered text came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceMap {
    /// In lowered order, contiguous, none empty.
    segments: Vec<Segment>,
    original_len: usize,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    lowered_start: usize,
    lowered_end: usize,
    original_start: usize,
    original_end: usize,
    /// Copied byte for byte (offsets map one to one); otherwise written by
    /// the lowering, and every offset maps to `original_start`.
    copied: bool,
}

impl SourceMap {
    /// The offset in the author's script a lowered offset came from.
    pub fn to_original(&self, lowered: usize) -> usize {
        let following = self
            .segments
            .partition_point(|segment| segment.lowered_start <= lowered);
        let Some(segment) = following
            .checked_sub(1)
            .and_then(|at| self.segments.get(at))
        else {
            return 0;
        };
        if lowered >= segment.lowered_end && following == self.segments.len() {
            return self.original_len;
        }
        if segment.copied {
            let within = lowered.saturating_sub(segment.lowered_start);
            segment
                .original_start
                .saturating_add(within)
                .min(segment.original_end)
        } else {
            segment.original_start
        }
    }
}

/// Builds the lowered text and its map.
struct Emitter<'s> {
    source: &'s str,
    text: String,
    map: SourceMap,
}

impl Emitter<'_> {
    fn copy(&mut self, span: Span) {
        let Some(piece) = self.source.get(span.start..span.end) else {
            return;
        };
        if piece.is_empty() {
            return;
        }
        let lowered_start = self.text.len();
        self.text.push_str(piece);
        self.map.segments.push(Segment {
            lowered_start,
            lowered_end: self.text.len(),
            original_start: span.start,
            original_end: span.end,
            copied: true,
        });
    }

    fn write(&mut self, piece: &str, origin: usize) {
        if piece.is_empty() {
            return;
        }
        let lowered_start = self.text.len();
        self.text.push_str(piece);
        if let Some(last) = self.map.segments.last_mut() {
            if !last.copied && last.original_start == origin && last.lowered_end == lowered_start {
                last.lowered_end = self.text.len();
                return;
            }
        }
        self.map.segments.push(Segment {
            lowered_start,
            lowered_end: self.text.len(),
            original_start: origin,
            original_end: origin,
            copied: false,
        });
    }
}

/// One construct the lowering rewrites.
enum Rewrite<'a> {
    Test(&'a ImipTest),
    Action(&'a ProcessCalendarCommand),
}

impl Rewrite<'_> {
    fn span(&self) -> Span {
        match self {
            Rewrite::Test(test) => test.span,
            Rewrite::Action(command) => command.span,
        }
    }
}

/// Lowers `tests` and `commands` (each in script order, none overlapping)
/// of `source`.
pub(crate) fn lower(
    source: &str,
    tests: &[ImipTest],
    commands: &[ProcessCalendarCommand],
    names: &ReservedNames,
) -> Lowering {
    let mut emitter = Emitter {
        source,
        text: String::with_capacity(source.len().saturating_add(tests.len().saturating_mul(160))),
        map: SourceMap {
            segments: Vec::with_capacity(tests.len().saturating_mul(4).saturating_add(3)),
            original_len: source.len(),
        },
    };
    // A byte-order mark stays first; sieve-rs refuses it either way.
    let insert_at = if source.starts_with('\u{feff}') { 3 } else { 0 };
    emitter.copy(Span {
        start: 0,
        end: insert_at,
    });
    let needs_relational = tests
        .iter()
        .any(|test| matches!(test.match_type, MatchType::Value(_) | MatchType::Count(_)));
    let mut capabilities = Vec::new();
    if !tests.is_empty() {
        capabilities.push("\"environment\"");
    }
    if needs_relational {
        capabilities.push("\"relational\"");
    }
    if !commands.is_empty() {
        capabilities.push("\"mailboxid\"");
    }
    let require = match capabilities.as_slice() {
        [one] => format!("require {one}; "),
        several => format!("require [{}]; ", several.join(", ")),
    };
    emitter.write(&require, insert_at);
    let mut rewrites: Vec<Rewrite<'_>> = tests
        .iter()
        .map(Rewrite::Test)
        .chain(commands.iter().map(Rewrite::Action))
        .collect();
    rewrites.sort_by_key(|rewrite| rewrite.span().start);
    let mut copied_up_to = insert_at;
    for rewrite in &rewrites {
        let span = rewrite.span();
        emitter.copy(Span {
            start: copied_up_to,
            end: span.start,
        });
        match rewrite {
            Rewrite::Test(test) => lower_test(&mut emitter, test, names),
            Rewrite::Action(command) => lower_action(&mut emitter, command, names),
        }
        copied_up_to = span.end;
    }
    emitter.copy(Span {
        start: copied_up_to,
        end: source.len(),
    });
    Lowering {
        text: emitter.text,
        map: emitter.map,
    }
}

/// Writes the `environment` test(s) standing for one `imip` test.
fn lower_test(emitter: &mut Emitter<'_>, test: &ImipTest, names: &ReservedNames) {
    let origin = test.span.start;
    // Newlines between `imip` and the keys are written back before the keys
    // so that the keys, and everything after the test, keep their lines.
    let head_end = test.keys.map_or(test.span.end, |keys| keys.start);
    let newlines = emitter
        .source
        .get(test.span.start..head_end)
        .map_or(0, |head| head.bytes().filter(|byte| *byte == b'\n').count());
    let line_padding = "\n".repeat(newlines);

    let Some(keys) = test.keys else {
        // A flag: "1" when set, empty (never matching) when not.
        let head = environment_head(test, names.value_name(test.item));
        emitter.write(&head, origin);
        emitter.write(" \"1\"", origin);
        emitter.write(&line_padding, origin);
        return;
    };

    let slot_count = test.item.slots();
    let is_count = matches!(test.match_type, MatchType::Count(_));
    if test.key_strings.len() > 1 {
        lower_key_list(emitter, test, names, origin);
        return;
    }
    if is_count || slot_count <= 1 {
        let name = if is_count {
            names.count_name(test.item)
        } else {
            names.value_name(test.item)
        };
        let head = environment_head(test, name);
        emitter.write(&head, origin);
        emitter.write(" ", origin);
        emitter.write(&line_padding, origin);
        emitter.copy(keys);
        return;
    }

    // One environment item per value: the test holds when any slot does.
    emitter.write("anyof(", origin);
    for slot in 1..=slot_count {
        if slot > 1 {
            emitter.write(", ", origin);
        }
        let name = names.slot_name(test.item, slot).unwrap_or_default();
        emitter.write(&environment_head(test, name), origin);
        emitter.write(" ", origin);
        if slot == 1 {
            emitter.write(&line_padding, origin);
        }
        emitter.copy(keys);
    }
    emitter.write(")", origin);
}

/// A test with several keys becomes one `environment` test per key (and
/// per slot), joined by `anyof`: sieve-rs 0.7.3's `environment` and
/// `string` tests (`:value` included, which `:count` lowers to) only
/// honour the last key of a key list (a matching key's
/// result is overwritten by the next key's), so a key list cannot be handed
/// to it as written. `anyof` stops at the first test that holds, which also
/// leaves the match variables of the first matching key, as RFC 5228 wants.
fn lower_key_list(
    emitter: &mut Emitter<'_>,
    test: &ImipTest,
    names: &ReservedNames,
    origin: usize,
) {
    let slot_count = test.item.slots();
    // `:count` is a numeric `:value` on the one precomputed count.
    let slot_names: Vec<&str> = if matches!(test.match_type, MatchType::Count(_)) {
        vec![names.count_name(test.item)]
    } else if slot_count <= 1 {
        vec![names.value_name(test.item)]
    } else {
        (1..=slot_count)
            .filter_map(|slot| names.slot_name(test.item, slot))
            .collect()
    };
    let lowered_start = emitter.text.len();
    emitter.write("anyof(", origin);
    let mut first = true;
    for name in slot_names {
        let head = environment_head(test, name);
        for key in &test.key_strings {
            if !first {
                emitter.write(", ", origin);
            }
            first = false;
            emitter.write(&head, origin);
            emitter.write(" ", origin);
            emitter.copy(*key);
        }
    }
    emitter.write(")", origin);
    // Keep the lines after the test where the author wrote them: pad with
    // the newlines the test spanned that the repeated keys did not bring.
    let count_newlines = |text: &str| text.bytes().filter(|byte| *byte == b'\n').count();
    let spanned = emitter
        .source
        .get(test.span.start..test.span.end)
        .map_or(0, count_newlines);
    let written = emitter.text.get(lowered_start..).map_or(0, count_newlines);
    if spanned > written {
        emitter.write(&"\n".repeat(spanned.saturating_sub(written)), origin);
    }
}

/// Writes the test and commands standing for one `processcalendar`:
///
/// ```text
/// if mailboxidexists ["<call header>", <address strings>, <calendar id>, <list name>] {}
/// set "<outcome variable>" "${env.<outcome item>}"; set "<reason variable>" "${env.<reason item>}";
/// ```
///
/// The author's argument strings are copied as written, so sieve-rs
/// expands them as it does every other string; the `set`s are written only
/// for `:outcome` and `:reason`, which need `require "variables"`.
fn lower_action(
    emitter: &mut Emitter<'_>,
    command: &ProcessCalendarCommand,
    names: &ReservedNames,
) {
    let origin = command.span.start;
    let lowered_start = emitter.text.len();
    emitter.write("if mailboxidexists [\"", origin);
    emitter.write(&call_header(command, names), origin);
    emitter.write("\"", origin);
    let arguments = command
        .addresses
        .iter()
        .chain(&command.calendar_id)
        .chain(&command.organizers);
    for span in arguments {
        emitter.write(", ", origin);
        emitter.copy(*span);
    }
    emitter.write("] {}", origin);
    for (variable, item) in [
        (command.outcome, names.process_outcome()),
        (command.reason, names.process_reason()),
    ] {
        let Some(variable) = variable else { continue };
        emitter.write(" set ", origin);
        emitter.copy(variable);
        emitter.write(&format!(" \"${{env.{item}}}\";"), origin);
    }
    // Keep the lines after the command where the author wrote them.
    let count_newlines = |text: &str| text.bytes().filter(|byte| *byte == b'\n').count();
    let spanned = emitter
        .source
        .get(command.span.start..command.span.end)
        .map_or(0, count_newlines);
    let written = emitter.text.get(lowered_start..).map_or(0, count_newlines);
    if let Some(missing) = spanned.checked_sub(written).filter(|missing| *missing > 0) {
        emitter.write(&"\n".repeat(missing), origin);
    }
}

/// `environment [MATCH-TYPE] [COMPARATOR] "<name>"`: sieve-rs wants every
/// tag before the name, whatever order the author wrote them in.
fn environment_head(test: &ImipTest, name: &str) -> String {
    let mut head = String::with_capacity(name.len().saturating_add(64));
    head.push_str("environment");
    match test.match_type {
        MatchType::Default => {}
        MatchType::Is => head.push_str(" :is"),
        MatchType::Contains => head.push_str(" :contains"),
        MatchType::Matches => head.push_str(" :matches"),
        MatchType::Value(operator) | MatchType::Count(operator) => {
            // A count is a number: compare it numerically unless the author
            // chose a comparator (RFC 5231 section 4.2).
            head.push_str(" :value \"");
            head.push_str(operator);
            head.push('"');
        }
    }
    let comparator = match (test.comparator, test.match_type) {
        (Some(comparator), _) => Some(comparator),
        (None, MatchType::Count(_)) => Some("i;ascii-numeric"),
        (None, _) => None,
    };
    if let Some(comparator) = comparator {
        head.push_str(" :comparator \"");
        head.push_str(comparator);
        head.push('"');
    }
    head.push_str(" \"");
    head.push_str(name);
    head.push('"');
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::item::Item;

    #[test]
    fn map_leads_back_to_copied_and_written_text() {
        let source = "if imip\n :method \"A\" { keep; }";
        let test = ImipTest {
            span: Span { start: 3, end: 20 },
            item: Item::Method,
            comparator: None,
            match_type: MatchType::Default,
            keys: Some(Span { start: 17, end: 20 }),
            key_strings: vec![Span { start: 17, end: 20 }],
        };
        let names = ReservedNames::global();
        let lowering = lower(source, &[test], &[], names);
        let expected = format!(
            "require \"environment\"; if environment \"{}\" \n\"A\" {{ keep; }}",
            names.value(Item::Method)
        );
        assert_eq!(lowering.text, expected);
        let keys_at = lowering.text.find("\"A\"").unwrap_or_default();
        assert_eq!(lowering.map.to_original(keys_at), 17);
        let keep_at = lowering.text.find("keep").unwrap_or_default();
        assert_eq!(
            lowering.map.to_original(keep_at),
            source.find("keep").unwrap_or_default()
        );
        assert_eq!(lowering.map.to_original(5), 0);
        let head_at = lowering.text.find("environment \"").unwrap_or_default();
        assert_eq!(lowering.map.to_original(head_at), 3);
        assert_eq!(lowering.map.to_original(lowering.text.len()), source.len());
    }
}
