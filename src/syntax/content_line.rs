//! iCalendar content lines (RFC 5545 section 3.1): line breaks, folding, the
//! BEGIN/END structure, and which lines hold calendar properties.
//!
//! Grammar: grammar/icalendar-contentline.abnf
//!
//! Locating (`message`) reads METHOD and UID straight from the received text
//! and must not pay for more; the calendar stage unfolds the whole object
//! before its parser runs. Both read lines through this one scanner, so they
//! split, unfold and nest them alike, and agree on which METHOD counts
//! ([`OpenComponents::holds_calendar_properties`]).
//!
//! Nothing here allocates except [`FoldedLine::unfolded`] on a line that is
//! folded and [`OpenComponents`] on its first BEGIN.

use std::borrow::Cow;

/// Deepest nesting any reader of content lines follows. The icalendar parser
/// recurses once per level, and a stack overflow aborts the process (no
/// `catch_unwind` can stop it), so the calendar stage refuses deeper objects
/// whatever the configuration says; locating stops looking for METHOD there.
/// Real objects nest 3 deep (VCALENDAR > VTIMEZONE > STANDARD).
pub(crate) const NESTING_HARD_CAP: usize = 64;

/// `physical-line = *(%x00-09 / %x0B-0C / %x0E-FF) [CRLF / LF / CR]`
///
/// The lines of a text, each without its line break. Like `str::split`, a
/// text of n breaks has n + 1 lines: an empty text is one empty line, and a
/// text ending with a break ends with an empty line.
#[derive(Debug, Clone)]
pub(crate) struct PhysicalLines<'a> {
    /// The text after the last line break taken; `None` after the last line.
    rest: Option<&'a str>,
}

impl<'a> PhysicalLines<'a> {
    pub(crate) fn new(text: &'a str) -> PhysicalLines<'a> {
        PhysicalLines { rest: Some(text) }
    }
}

impl<'a> Iterator for PhysicalLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let Some(end) = memchr::memchr2(b'\r', b'\n', rest.as_bytes()) else {
            self.rest = None;
            return Some(rest);
        };
        let line_break = if rest.as_bytes().get(end..end.saturating_add(2)) == Some(b"\r\n") {
            2
        } else {
            1
        };
        self.rest = rest.get(end.saturating_add(line_break)..);
        rest.get(..end)
    }
}

/// `folded-line = physical-line *(WSP physical-line)`
///
/// The content lines of a text, each with the continuation lines folded
/// into it (RFC 5545 3.1: a line break followed by one space or tab is
/// removed when unfolding). The first line is never a continuation, and a
/// leading byte-order mark is not part of it.
#[derive(Debug, Clone)]
pub(crate) struct ContentLines<'a> {
    text: &'a str,
    lines: PhysicalLines<'a>,
    /// The physical line read past the end of the previous content line.
    ahead: Option<&'a str>,
    /// Physical lines taken so far, `ahead` included.
    taken: usize,
}

impl<'a> ContentLines<'a> {
    pub(crate) fn new(text: &'a str) -> ContentLines<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        ContentLines {
            text,
            lines: PhysicalLines::new(text),
            ahead: None,
            taken: 0,
        }
    }

    fn next_physical(&mut self) -> Option<&'a str> {
        let line = self.lines.next()?;
        self.taken = self.taken.saturating_add(1);
        Some(line)
    }

    fn offset_of(&self, line: &str) -> usize {
        (line.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }
}

impl<'a> Iterator for ContentLines<'a> {
    type Item = FoldedLine<'a>;

    fn next(&mut self) -> Option<FoldedLine<'a>> {
        let head = match self.ahead.take() {
            Some(line) => line,
            None => self.next_physical()?,
        };
        let number = self.taken;
        let mut folds: Option<(usize, usize)> = None;
        while let Some(line) = self.next_physical() {
            if !line.starts_with([' ', '\t']) {
                self.ahead = Some(line);
                break;
            }
            let start = self.offset_of(line);
            let end = start.saturating_add(line.len());
            folds = Some((folds.map_or(start, |(first, _)| first), end));
        }
        let folds = folds
            .and_then(|(start, end)| self.text.get(start..end))
            .unwrap_or_default();
        Some(FoldedLine {
            head,
            folds,
            number,
        })
    }
}

/// One content line as received: its first physical line, and the
/// continuation lines folded into it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldedLine<'a> {
    /// The first physical line, which holds the name (a name is never
    /// folded in practice, and BEGIN and END lines are short).
    pub(crate) head: &'a str,
    /// The continuation lines and the breaks between them, exactly as
    /// received; empty when the line is not folded.
    folds: &'a str,
    /// Which physical line of the text `head` is (1-based).
    pub(crate) number: usize,
}

impl<'a> FoldedLine<'a> {
    /// Each continuation line without the space or tab that folded it.
    pub(crate) fn continuations(&self) -> impl Iterator<Item = &'a str> + 'a {
        let lines = (!self.folds.is_empty()).then(|| PhysicalLines::new(self.folds));
        lines
            .into_iter()
            .flatten()
            .map(|line| line.get(1..).unwrap_or_default())
    }

    /// The whole line unfolded; borrowed unless it is folded.
    pub(crate) fn unfolded(&self) -> Cow<'a, str> {
        if self.folds.is_empty() {
            return Cow::Borrowed(self.head);
        }
        let mut line = String::with_capacity(self.head.len().saturating_add(self.folds.len()));
        line.push_str(self.head);
        self.continuations()
            .for_each(|continued| line.push_str(continued));
        Cow::Owned(line)
    }
}

/// What the parser-certain grammar found in a content line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentLine<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// `contentline = name *(";" param) ":" value`
///
/// An unfolded line, without its line break, read as the icalendar parser is
/// certain to read it: as one property ending at the line's end, wherever a
/// property may stand. `None` for anything else (spaces, quoted lists, other
/// name characters), which is left to the parser.
pub(crate) fn contentline(line: &str) -> Option<ContentLine<'_>> {
    let (name, mut rest) = name(line)?;
    // Each round consumes at least one byte, so the loop ends.
    loop {
        if let Some(after) = rest.strip_prefix(':') {
            return Some(ContentLine {
                name,
                value: value(after),
            });
        }
        rest = param(rest.strip_prefix(';')?)?;
    }
}

/// `name = iana-token / x-name`
///
/// Returns the name and the rest of the line.
pub(crate) fn name(input: &str) -> Option<(&str, &str)> {
    x_name(input).or_else(|| iana_token(input))
}

/// `iana-token = 1*(ALPHA / DIGIT / "-")`
pub(crate) fn iana_token(input: &str) -> Option<(&str, &str)> {
    let length = input
        .bytes()
        .position(|byte| !(byte.is_ascii_alphanumeric() || byte == b'-'))
        .unwrap_or(input.len());
    (length > 0).then(|| input.split_at(length))
}

/// `x-name = "X-" 1*(ALPHA / DIGIT / "-")`
pub(crate) fn x_name(input: &str) -> Option<(&str, &str)> {
    let after_prefix = strip_prefix_ignore_case(input, "X-")?;
    let (_, rest) = iana_token(after_prefix)?;
    let length = input.len().saturating_sub(rest.len());
    Some((input.get(..length)?, rest))
}

/// `param = param-name "=" param-value`
///
/// Returns the rest of the line after the parameter, which starts with `;`
/// or `:` (anything else would make the parser read on differently).
pub(crate) fn param(input: &str) -> Option<&str> {
    let (_, rest) = param_name(input)?;
    let rest = param_value(rest.strip_prefix('=')?)?;
    rest.starts_with([';', ':']).then_some(rest)
}

/// `param-name = iana-token / x-name`
pub(crate) fn param_name(input: &str) -> Option<(&str, &str)> {
    name(input)
}

/// `param-value = paramtext / quoted-string`
///
/// Returns the rest of the line after the value.
pub(crate) fn param_value(input: &str) -> Option<&str> {
    if input.starts_with('"') {
        quoted_string(input)
    } else {
        paramtext(input)
    }
}

/// `paramtext = 1*(%x00-21 / %x23-39 / %x3C-FF)`
pub(crate) fn paramtext(input: &str) -> Option<&str> {
    let length = input
        .bytes()
        .position(|byte| matches!(byte, b';' | b':' | b'"'))
        .unwrap_or(input.len());
    (length > 0).then(|| input.get(length..)).flatten()
}

/// `quoted-string = DQUOTE 1*(%x00-21 / %x23-FF) DQUOTE`
pub(crate) fn quoted_string(input: &str) -> Option<&str> {
    let quoted = input.strip_prefix('"')?;
    let closing = quoted.find('"')?;
    (closing > 0)
        .then(|| quoted.get(closing.saturating_add(1)..))
        .flatten()
}

/// `value = *(%x00-FF)`
pub(crate) fn value(input: &str) -> &str {
    input
}

/// A content line as the structure scans read it, more leniently than
/// [`contentline`]: `BEGIN:` or `END:` and a name, or else a property named
/// by the text before the first `;` or `:` (the whole line without one).
/// Names are trimmed and compare case-insensitively (RFC 5545 3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind<'a> {
    Begin(&'a str),
    End(&'a str),
    /// The whole line: its name is compared in place by
    /// [`LineKind::is_property`], so that a line without a separator (a
    /// long base64 line) is not scanned for one.
    Property(&'a str),
}

impl<'a> LineKind<'a> {
    pub(crate) fn of(line: &'a str) -> LineKind<'a> {
        // Most lines are properties: the first octet rules BEGIN and END out.
        match line.as_bytes().first() {
            Some(b'B' | b'b') => {
                if let Some(name) = strip_prefix_ignore_case(line, "BEGIN:") {
                    return LineKind::Begin(trimmed(name));
                }
            }
            Some(b'E' | b'e') => {
                if let Some(name) = strip_prefix_ignore_case(line, "END:") {
                    return LineKind::End(trimmed(name));
                }
            }
            _ => {}
        }
        LineKind::Property(line)
    }

    /// Whether this is the property `name`: the line starts with it, then
    /// has nothing but white space before its first `;` or `:` or its end.
    pub(crate) fn is_property(&self, name: &str) -> bool {
        let LineKind::Property(line) = self else {
            return false;
        };
        let line = match line.as_bytes().first() {
            Some(first) if first.is_ascii_graphic() => line,
            _ => line.trim_start(),
        };
        let Some(rest) = strip_prefix_ignore_case(line, name) else {
            return false;
        };
        match rest.as_bytes().first() {
            None | Some(b';' | b':') => true,
            Some(next) if next.is_ascii_graphic() => false,
            Some(_) => {
                let rest = rest.trim_start();
                rest.is_empty() || rest.starts_with([';', ':'])
            }
        }
    }
}

/// `text` without white space at either end (Unicode's, as `str::trim`),
/// looked at only when an end is not a visible ASCII character.
fn trimmed(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// The value of an unfolded line read leniently: what follows the first `:`
/// that is not inside a quoted parameter value, trimmed; `None` without one.
pub(crate) fn loose_value(line: &str) -> Option<&str> {
    let mut quoted = false;
    let colon = line.bytes().position(|byte| match byte {
        b'"' => {
            quoted = !quoted;
            false
        }
        b':' => !quoted,
        _ => false,
    })?;
    Some(line.get(colon.saturating_add(1)..)?.trim())
}

/// `metvalue = iana-token / x-name`
///
/// Returns the token and the rest of the value.
pub(crate) fn metvalue(input: &str) -> Option<(&str, &str)> {
    name(input)
}

/// Whether a METHOD value (the property's or the Content-Type parameter's,
/// trimmed) is one whole RFC 5545 token. Anything else is not a method:
/// the value reaches folder names through `imip :method`, so a sender must
/// not choose `/`, `.` or spaces in it.
pub(crate) fn is_method_token(value: &str) -> bool {
    matches!(metvalue(value), Some((_, "")))
}

/// `said` when it is a METHOD token ([`is_method_token`]), else `None`.
pub(crate) fn as_method(said: Option<&str>) -> Option<&str> {
    said.filter(|value| is_method_token(value))
}

/// The METHOD of an unfolded METHOD line as written: its value upper-cased,
/// `None` when empty. Whether it is a token is [`is_method_token`]'s to say.
pub(crate) fn method_value(line: &str) -> Option<String> {
    loose_value(line)
        .filter(|value| !value.is_empty())
        .map(str::to_ascii_uppercase)
}

/// `line` without `prefix`, compared ASCII case-insensitively.
pub(crate) fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.as_bytes().get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix.as_bytes()) {
        line.get(prefix.len()..)
    } else {
        None
    }
}

/// The components open at a line, outermost first, as BEGIN and END lines
/// open and close them; each carries what its reader keeps about it.
///
/// The first few levels are kept in place, so that following the nesting
/// of a real object (3 deep) allocates nothing.
#[derive(Debug)]
pub(crate) struct OpenComponents<'a, T> {
    shallow: [OpenComponent<'a, T>; KEPT_IN_PLACE],
    deeper: Vec<OpenComponent<'a, T>>,
    len: usize,
    calendars_begun: usize,
}

const KEPT_IN_PLACE: usize = 8;

/// One open component.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpenComponent<'a, T> {
    pub(crate) name: &'a str,
    /// Whether this is the text's first VCALENDAR.
    pub(crate) first_calendar: bool,
    pub(crate) data: T,
}

impl<'a, T: Copy + Default> Default for OpenComponents<'a, T> {
    fn default() -> Self {
        OpenComponents {
            shallow: [OpenComponent::default(); KEPT_IN_PLACE],
            deeper: Vec::new(),
            len: 0,
            calendars_begun: 0,
        }
    }
}

impl<'a, T: Copy + Default> OpenComponents<'a, T> {
    /// A BEGIN line: `name` opens inside the innermost open component.
    pub(crate) fn begin(&mut self, name: &'a str, data: T) {
        let is_calendar = name.eq_ignore_ascii_case("VCALENDAR");
        if is_calendar {
            self.calendars_begun = self.calendars_begun.saturating_add(1);
        }
        let opened = OpenComponent {
            name,
            first_calendar: is_calendar && self.calendars_begun == 1,
            data,
        };
        match self.shallow.get_mut(self.len) {
            Some(slot) => *slot = opened,
            None => self.deeper.push(opened),
        }
        self.len = self.len.saturating_add(1);
    }

    /// Where an `END:name` line closes: the innermost open component of that
    /// name (case-insensitive), with all inside it; `None` when none is open.
    pub(crate) fn closed_by(&self, name: &str) -> Option<usize> {
        let from_innermost = self
            .iter()
            .rev()
            .position(|component| component.name.eq_ignore_ascii_case(name))?;
        Some(self.len.saturating_sub(from_innermost).saturating_sub(1))
    }

    /// An END line: closes what [`OpenComponents::closed_by`] names, or
    /// nothing.
    pub(crate) fn end(&mut self, name: &str) {
        if let Some(depth) = self.closed_by(name) {
            self.truncate(depth);
        }
    }

    /// Closes the component at `depth` and all inside it.
    pub(crate) fn truncate(&mut self, depth: usize) {
        self.len = self.len.min(depth);
        self.deeper.truncate(self.len.saturating_sub(KEPT_IN_PLACE));
    }

    /// Whether a property line here is a calendar property, such as METHOD.
    ///
    /// RFC 5545 3.4 and 3.7: calendar properties stand in the VCALENDAR,
    /// outside every component in it. Only the first VCALENDAR counts (a
    /// second one is ignored), and a line outside any VCALENDAR belongs to
    /// no calendar, so a METHOD there, or inside a VEVENT, is not the
    /// object's METHOD.
    pub(crate) fn holds_calendar_properties(&self) -> bool {
        self.len == 1 && self.shallow.first().is_some_and(|only| only.first_calendar)
    }

    /// Whether the first VCALENDAR has begun and ended, so that no later
    /// line can hold its properties.
    pub(crate) fn first_calendar_closed(&self) -> bool {
        self.calendars_begun > 0 && !self.first().is_some_and(|outer| outer.first_calendar)
    }

    /// How many VCALENDAR components have begun.
    pub(crate) fn calendars_begun(&self) -> usize {
        self.calendars_begun
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn get(&self, depth: usize) -> Option<&OpenComponent<'a, T>> {
        if depth >= self.len {
            return None;
        }
        match depth.checked_sub(KEPT_IN_PLACE) {
            None => self.shallow.get(depth),
            Some(deeper) => self.deeper.get(deeper),
        }
    }

    pub(crate) fn first(&self) -> Option<&OpenComponent<'a, T>> {
        self.get(0)
    }

    pub(crate) fn last(&self) -> Option<&OpenComponent<'a, T>> {
        self.get(self.len.checked_sub(1)?)
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &OpenComponent<'a, T>> {
        let shallow = self
            .shallow
            .get(..self.len.min(KEPT_IN_PLACE))
            .unwrap_or_default();
        shallow.iter().chain(self.deeper.iter())
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut OpenComponent<'a, T>> {
        let in_place = self.len.min(KEPT_IN_PLACE);
        let shallow = self.shallow.get_mut(..in_place).unwrap_or_default();
        shallow.iter_mut().chain(self.deeper.iter_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(text: &str) -> Vec<(usize, String)> {
        ContentLines::new(text)
            .map(|line| (line.number, line.unfolded().into_owned()))
            .collect()
    }

    #[test]
    fn physical_lines_split_like_str_split() {
        let lines: Vec<&str> = PhysicalLines::new("a\r\nb\nc\rd\r\r\n").collect();
        assert_eq!(lines, ["a", "b", "c", "d", "", ""]);
        assert_eq!(PhysicalLines::new("").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn content_lines_unfold_and_count_physical_lines() {
        assert_eq!(
            heads("\u{feff}A:1\nB:2\n 2b\n\t2c\nC:3\n"),
            [
                (1, "A:1".to_owned()),
                (2, "B:22b2c".to_owned()),
                (5, "C:3".to_owned()),
                (6, String::new())
            ]
        );
        assert_eq!(heads(" lead\r\n next"), [(1, " leadnext".to_owned())]);
        let folded = ContentLines::new("UID:a\r\n b\r\n c").next();
        assert!(folded.is_some_and(|line| matches!(line.unfolded(), Cow::Owned(_))));
        let plain = ContentLines::new("UID:a\r\nX:b").next();
        assert!(plain.is_some_and(|line| matches!(line.unfolded(), Cow::Borrowed("UID:a"))));
    }

    #[test]
    fn contentline_reads_what_the_parser_is_certain_of() {
        let read = |line| contentline(line).map(|found| (found.name, found.value));
        assert_eq!(read("DTSTART:1"), Some(("DTSTART", "1")));
        assert_eq!(read("X-A;B=c;D=\"e:f\":g:h"), Some(("X-A", "g:h")));
        assert_eq!(read("A;B=:c"), None);
        assert_eq!(read("A;B=\"\":c"), None);
        assert_eq!(read("A;B=\"x\"y:c"), None);
        assert_eq!(read("A B:c"), None);
        assert_eq!(read("A"), None);
        assert_eq!(read(":c"), None);
    }

    #[test]
    fn lenient_reading() {
        assert_eq!(LineKind::of("begin: VEVENT "), LineKind::Begin("VEVENT"));
        assert_eq!(LineKind::of("END:VEVENT"), LineKind::End("VEVENT"));
        assert!(LineKind::of("METHOD ;X=1:REQUEST").is_property("METHOD"));
        assert!(LineKind::of(" method").is_property("METHOD"));
        assert!(!LineKind::of("METHODS:X").is_property("METHOD"));
        assert!(!LineKind::of("X-METHOD:X").is_property("METHOD"));
        assert!(!LineKind::of("METH OD:X").is_property("METHOD"));
        assert!(!LineKind::of("BEGIN:METHOD").is_property("METHOD"));
        assert_eq!(loose_value("A;X=\"a:b\": v "), Some("v"));
        assert_eq!(loose_value("A"), None);
        assert_eq!(method_value("METHOD:request"), Some("REQUEST".to_owned()));
        assert_eq!(method_value("METHOD: "), None);
    }

    /// The METHOD rule both stages apply: only a METHOD directly inside the
    /// first VCALENDAR counts, not one inside a component, outside every
    /// VCALENDAR, or in a second VCALENDAR.
    #[test]
    fn only_the_first_calendars_own_lines_hold_calendar_properties() {
        let text = "METHOD:A\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nMETHOD:B\nEND:VEVENT\n\
                    METHOD:C\nEND:VCALENDAR\nBEGIN:VCALENDAR\nMETHOD:D\nEND:VCALENDAR\n";
        let mut open = OpenComponents::default();
        let mut counted = Vec::new();
        let deep = "BEGIN:A\n".repeat(20) + &"END:A\n".repeat(20);
        for line in ContentLines::new(&deep) {
            match LineKind::of(line.head) {
                LineKind::Begin(name) => open.begin(name, ()),
                LineKind::End(name) => open.end(name),
                LineKind::Property(_) => {}
            }
            assert!(open.len() <= 20);
        }
        assert!(open.is_empty() && open.iter().next().is_none());
        for line in ContentLines::new(text) {
            match LineKind::of(line.head) {
                LineKind::Begin(name) => open.begin(name, ()),
                LineKind::End(name) => open.end(name),
                kind if kind.is_property("METHOD") && open.holds_calendar_properties() => {
                    counted.extend(method_value(line.head));
                }
                LineKind::Property(_) => {}
            }
        }
        assert_eq!(counted, ["C"]);
        assert!(open.first_calendar_closed());
        assert_eq!(open.calendars_begun(), 2);
    }

    #[test]
    fn method_only_inside_the_event_is_not_the_objects() {
        let text =
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nMETHOD:REQUEST\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut open = OpenComponents::default();
        for line in ContentLines::new(text) {
            match LineKind::of(line.head) {
                LineKind::Begin(name) => open.begin(name, ()),
                LineKind::End(name) => open.end(name),
                kind => assert!(!(kind.is_property("METHOD") && open.holds_calendar_properties())),
            }
        }
    }

    #[test]
    fn a_method_is_one_whole_token() {
        for method in ["REQUEST", "DECLINECOUNTER", "X-MS-OLK", "x-custom-2"] {
            assert!(is_method_token(method), "{method}");
        }
        for value in [
            "",
            "REQUEST/../../TRASH",
            "REQUEST ",
            "REQ UEST",
            "REQUEST.",
            "Calendar/REQUEST",
            "REQUÉST",
            "REQUEST\u{0}",
            "\"REQUEST\"",
            "REQUEST;X=1",
        ] {
            assert!(!is_method_token(value), "{value:?}");
        }
        assert_eq!(as_method(Some("REPLY")), Some("REPLY"));
        assert_eq!(as_method(Some("../REPLY")), None);
    }
}
