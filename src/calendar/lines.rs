//! Line-level work around the icalendar parser: line breaks made uniform,
//! line numbers of the original (folded) text, and a cheap outline of the
//! BEGIN/END structure taken before the parser sees anything. Lines are read
//! by the scanner locating uses too ([`crate::syntax::content_line`]).

use crate::finding::{quote_untrusted, Quote};
use std::ops::Range;

pub(super) use crate::syntax::content_line::NESTING_HARD_CAP;
use crate::syntax::content_line::{
    contentline, iana_token, method_value, strip_prefix_ignore_case, ContentLines, LineKind,
    OpenComponents,
};

/// The object text unfolded (RFC 5545 3.1) with every line break as CRLF
/// and a leading byte-order mark removed, and where each of its lines began
/// in the text as received.
///
/// The result is exactly `icalendar::parser::unfold` applied to the text
/// with its breaks made CRLF (a test holds the two together), done in one
/// pass that also records line numbers: that costs a fraction of the
/// three passes it replaces.
///
/// Uniform breaks matter to the parser: it finds the end of a property value
/// with `take_until("\r\n")` first, so an LF-only object would make each
/// line scan to the end of the text (quadratic), and a bare-CR object
/// (Exchange 2003) would not be split at all. Each CRLF, LF or CR counts as
/// one break, so line numbers are those of the original text.
pub(super) fn unfold_with_line_index(text: &str) -> (String, LineIndex) {
    let mut unfolded = String::with_capacity(text.len());
    let mut starts = Vec::new();
    for line in ContentLines::new(text) {
        if !starts.is_empty() {
            unfolded.push_str("\r\n");
        }
        starts.push(LineStart {
            unfolded_offset: unfolded.len(),
            original_line: line.number,
        });
        unfolded.push_str(line.head);
        line.continuations()
            .for_each(|continued| unfolded.push_str(continued));
    }
    (unfolded, LineIndex { starts })
}

/// Where each line of the unfolded text begins, and which line of the
/// original text that was, so the parser's positions (in the unfolded text)
/// become line numbers a person can find in the object they received.
#[derive(Debug, Default)]
pub(super) struct LineIndex {
    starts: Vec<LineStart>,
}

#[derive(Debug, Clone, Copy)]
struct LineStart {
    unfolded_offset: usize,
    original_line: usize,
}

impl LineIndex {
    /// The original line number (1-based) of a byte offset in the unfolded text.
    pub(super) fn original_line_at(&self, unfolded_offset: usize) -> usize {
        let following = self
            .starts
            .partition_point(|start| start.unfolded_offset <= unfolded_offset);
        self.starts
            .get(following.saturating_sub(1))
            .map_or(1, |start| start.original_line)
    }

    /// Each line of `unfolded` (which this index was built with), without
    /// its CRLF, with its offset and original line number.
    fn lines<'u>(&'u self, unfolded: &'u str) -> impl Iterator<Item = IndexedLine<'u>> + 'u {
        self.starts
            .iter()
            .enumerate()
            .map(move |(position, start)| {
                let end = self
                    .starts
                    .get(position.saturating_add(1))
                    .map_or(unfolded.len(), |next| {
                        next.unfolded_offset.saturating_sub(2)
                    });
                IndexedLine {
                    text: unfolded.get(start.unfolded_offset..end).unwrap_or_default(),
                    offset: start.unfolded_offset,
                    original_line: start.original_line,
                }
            })
    }
}

struct IndexedLine<'u> {
    text: &'u str,
    offset: usize,
    original_line: usize,
}

/// The byte offset of `part` inside `whole`, when `part` borrows from it.
/// The parser hands out slices of its input, which is how positions are
/// recovered without it reporting them.
pub(super) fn offset_within(whole: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset <= whole.len()).then_some(offset)
}

/// The part of the unfolded text the icalendar parser is given on the
/// common path, with its own line index.
///
/// The parser costs most of the analysis, about the same for each content
/// line, and most lines of a real invitation are ones the model never reads
/// (DESCRIPTION, X-MICROSOFT-*, VALARM). A property line is left out only
/// when the parser would certainly read it as one whole property and the
/// model ignores that property where it stands; BEGIN and END lines always
/// stay, so the parser checks the same structure. The tree it then returns
/// is the whole text's tree without the properties left out; on any failure
/// the caller parses the whole text, so what is reported about a broken
/// object does not change.
#[derive(Debug, Default)]
pub(super) struct RelevantLines {
    pub(super) text: String,
    pub(super) index: LineIndex,
}

/// Keep the lines of `unfolded` the model may read. `properties_read(path)`
/// names the properties the model reads in a component nested as `path`
/// (outermost first, VCALENDAR included), or is `None` when the model reads
/// nothing in it or below it: such a component is left out whole.
///
/// Lines are left out only from the start of a first VCALENDAR up to the
/// first line that is not plain: a plain line (empty, `BEGIN:` and a name,
/// `END:` and the name of the innermost open component exactly as its BEGIN
/// wrote it, or a property [`plain_property_name`] accepts) is one the
/// parser reads from its first byte to its line break, so every line up to
/// there starts where the parser starts reading, whichever of them are left
/// out. Past a line that is not plain, the parser may read across line
/// breaks (an unquoted parameter value runs on to the next `;` or `:`), so
/// the rest of the text is kept whole, and so is any component still open.
pub(super) fn relevant_lines(
    unfolded: &str,
    index: &LineIndex,
    properties_read: impl Fn(&[&str]) -> Option<&'static [&'static str]>,
) -> RelevantLines {
    let mut relevant = RelevantLines {
        text: String::with_capacity(unfolded.len()),
        index: LineIndex {
            starts: Vec::with_capacity(index.starts.len()),
        },
    };
    let mut open: Vec<&str> = Vec::new();
    // What the model reads in the innermost open component; for one it reads
    // nothing in, where its lines started in the output, so that the whole
    // component can be cut at its END.
    let mut read_here: Option<&'static [&'static str]> = None;
    let mut unread_since: Option<(usize, usize)> = None;
    let mut thinning = true;
    for line in index.lines(unfolded) {
        if thinning {
            match plain_line(line.text, open.last().copied()) {
                Some(PlainLine::Empty) => {}
                Some(PlainLine::Begin(name)) => {
                    thinning = !open.is_empty() || name.eq_ignore_ascii_case("VCALENDAR");
                    open.push(name);
                    read_here = properties_read(&open);
                    if read_here.is_none() && unread_since.is_none() {
                        unread_since = Some((relevant.text.len(), relevant.index.starts.len()));
                    }
                }
                Some(PlainLine::End) => {
                    open.pop();
                    thinning = !open.is_empty();
                    read_here = properties_read(&open);
                    if read_here.is_some() {
                        if let Some((text_length, line_count)) = unread_since.take() {
                            relevant.text.truncate(text_length);
                            relevant.index.starts.truncate(line_count);
                            continue;
                        }
                    }
                }
                Some(PlainLine::Property(name)) if !open.is_empty() => {
                    let read = read_here.is_some_and(|names| {
                        names.iter().any(|known| known.eq_ignore_ascii_case(name))
                    });
                    if !read {
                        continue;
                    }
                }
                Some(PlainLine::Property(_)) | None => thinning = false,
            }
        }
        if !relevant.index.starts.is_empty() {
            relevant.text.push_str("\r\n");
        }
        relevant.index.starts.push(LineStart {
            unfolded_offset: relevant.text.len(),
            original_line: line.original_line,
        });
        relevant.text.push_str(line.text);
    }
    relevant
}

/// A line the parser reads from its first byte to its end, whatever comes
/// after it.
enum PlainLine<'a> {
    Empty,
    Begin(&'a str),
    /// Closes the innermost open component.
    End,
    Property(&'a str),
}

fn plain_line<'a>(line: &'a str, innermost: Option<&str>) -> Option<PlainLine<'a>> {
    if line.is_empty() {
        return Some(PlainLine::Empty);
    }
    if let Some(name) = strip_prefix_ignore_case(line, "BEGIN:") {
        let is_name = iana_token(name).is_some_and(|(_, rest)| rest.is_empty());
        return is_name.then_some(PlainLine::Begin(name));
    }
    if let Some(name) = strip_prefix_ignore_case(line, "END:") {
        // The parser matches END names exactly, unlike the outline.
        return (Some(name) == innermost).then_some(PlainLine::End);
    }
    plain_property_name(line).map(PlainLine::Property)
}

/// The name of a content line that the icalendar parser is certain to read
/// as one property ending at the line's end, wherever a property may stand:
/// a name of ASCII letters, digits and dashes (not BEGIN or END), then
/// parameters each written `;NAME=value` with a non-empty value either
/// quoted (one quoted string, no quote inside) or unquoted (no quote, colon
/// or semicolon), then a colon. Anything else (spaces, quoted lists, other
/// name characters) is `None`: the line is left to the parser.
pub(super) fn plain_property_name(line: &str) -> Option<&str> {
    let name = contentline(line)?.name;
    let structural = name.eq_ignore_ascii_case("BEGIN") || name.eq_ignore_ascii_case("END");
    (!structural).then_some(name)
}

/// What a line scan learns about the object before the parser runs.
#[derive(Debug, Default)]
pub(super) struct Outline {
    /// BEGIN lines other than VCALENDAR.
    pub(super) component_count: usize,
    /// Content lines other than BEGIN/END.
    pub(super) property_count: usize,
    /// Whether any line other than blank ones was seen.
    pub(super) has_content: bool,
    /// The first METHOD line with a value directly inside the first
    /// VCALENDAR (the rule locating applies too:
    /// [`OpenComponents::holds_calendar_properties`]), upper-cased, with its
    /// original line number.
    pub(super) method: Option<(String, usize)>,
    /// Structural problems, each with its original line number.
    pub(super) problems: Vec<(usize, String)>,
    /// Lines that break RFC 5545 but that the parser reads anyway (a
    /// content line without a colon becomes a property with no value), so
    /// they are reported without keeping the object from being parsed.
    pub(super) tolerated: Vec<(usize, String)>,
    /// Nesting deeper than the limit: the parser must not see this text.
    pub(super) too_deep: bool,
    /// Byte ranges (in the unfolded text) of the components directly inside
    /// the first VCALENDAR (or at top level when there is none) whose BEGIN
    /// and END lines balance, so they can be parsed one by one when the whole
    /// object cannot.
    pub(super) balanced_spans: Vec<Range<usize>>,
}

/// Scan the unfolded text line by line: counts, METHOD, BEGIN/END balance.
/// Names compare case-insensitively here (RFC 5545 3.6); the parser is
/// stricter about END names, and its own error then reports the line.
pub(super) fn outline(unfolded: &str, index: &LineIndex, max_nesting: usize) -> Outline {
    let max_nesting = max_nesting.min(NESTING_HARD_CAP);
    let mut scan = Outline::default();
    let mut open: OpenComponents<'_, Opened> = OpenComponents::default();
    let mut lines = index.lines(unfolded);
    for IndexedLine {
        text: line,
        offset: line_start,
        original_line: line_number,
    } in lines.by_ref()
    {
        if line.trim().is_empty() {
            continue;
        }
        scan.has_content = true;
        match LineKind::of(line) {
            LineKind::Begin(name) => {
                if !name.eq_ignore_ascii_case("VCALENDAR") {
                    scan.component_count = scan.component_count.saturating_add(1);
                }
                if name.is_empty() {
                    scan.problem(&mut open, line_number, "BEGIN without a component name");
                }
                if open.len() >= max_nesting {
                    scan.too_deep = true;
                    scan.problem(
                        &mut open,
                        line_number,
                        format!("components nested deeper than {max_nesting} levels"),
                    );
                    // Nothing below this point is parsed, so stop scanning
                    // structure; the counts still need the rest of the text.
                    count_remaining(&mut scan, lines.map(|line| line.text));
                    return scan;
                }
                open.begin(
                    name,
                    Opened {
                        line: line_number,
                        start: line_start,
                        clean: true,
                    },
                );
            }
            LineKind::End(name) => close(&mut scan, &mut open, name, line_number, line_start, line),
            kind @ LineKind::Property(_) => {
                scan.property_count = scan.property_count.saturating_add(1);
                if !open.is_empty() && !line.as_bytes().contains(&b':') {
                    scan.tolerated.push((
                        line_number,
                        format!("content line without a colon: {}", excerpt(line)),
                    ));
                }
                if scan.method.is_none()
                    && kind.is_property("METHOD")
                    && open.holds_calendar_properties()
                {
                    scan.method = method_value(line).map(|method| (method, line_number));
                }
                if open.is_empty() {
                    scan.problem(
                        &mut open,
                        line_number,
                        format!("content outside any component: {}", excerpt(line)),
                    );
                }
            }
        }
    }
    for unclosed in open.iter().rev() {
        scan.problems.push((
            unclosed.data.line,
            format!(
                "BEGIN:{} is never closed (the object is cut off)",
                excerpt(unclosed.name)
            ),
        ));
    }
    if scan.has_content && open.calendars_begun() == 0 {
        scan.problems
            .push((1, "no BEGIN:VCALENDAR in the object".to_owned()));
    }
    scan
}

/// What the outline keeps about an open component.
#[derive(Debug, Clone, Copy, Default)]
struct Opened {
    line: usize,
    start: usize,
    /// No problem was found between its BEGIN and here.
    clean: bool,
}

impl Outline {
    fn problem(
        &mut self,
        open: &mut OpenComponents<'_, Opened>,
        line: usize,
        detail: impl Into<String>,
    ) {
        for component in open.iter_mut() {
            component.data.clean = false;
        }
        self.problems.push((line, detail.into()));
    }
}

fn close(
    scan: &mut Outline,
    open: &mut OpenComponents<'_, Opened>,
    name: &str,
    line_number: usize,
    line_start: usize,
    line: &str,
) {
    let Some(depth) = open.closed_by(name) else {
        scan.problem(
            open,
            line_number,
            format!("END:{} without a matching BEGIN", excerpt(name)),
        );
        return;
    };
    if depth.saturating_add(1) != open.len() {
        let innermost = open.last().map_or("", |component| component.name);
        let detail = format!(
            "END:{} while BEGIN:{} is still open",
            excerpt(name),
            excerpt(innermost)
        );
        scan.problem(open, line_number, detail);
    }
    let Some(closed) = open.get(depth) else {
        return;
    };
    let is_span = match depth {
        0 => !closed.first_calendar,
        1 => open.first().is_some_and(|parent| parent.first_calendar),
        _ => false,
    };
    if is_span && closed.data.clean {
        let end = line_start.saturating_add(line.len());
        scan.balanced_spans.push(closed.data.start..end);
    }
    open.truncate(depth);
}

fn count_remaining<'u>(scan: &mut Outline, rest: impl Iterator<Item = &'u str>) {
    for line in rest.filter(|line| !line.trim().is_empty()) {
        match LineKind::of(line) {
            LineKind::Begin(name) if !name.eq_ignore_ascii_case("VCALENDAR") => {
                scan.component_count = scan.component_count.saturating_add(1);
            }
            LineKind::Begin(_) | LineKind::End(_) => {}
            LineKind::Property(_) => scan.property_count = scan.property_count.saturating_add(1),
        }
    }
}

/// A short, printable quotation of untrusted text for a finding's detail.
pub(super) fn excerpt(text: &str) -> String {
    quote_untrusted(text, Quote::Excerpt)
}

/// Find METHOD among the first lines of a text that will not be parsed (it
/// is over the size limit), by the rule the outline applies, stopping at the
/// first component below VCALENDAR so the scan stays short.
pub(super) fn method_near_start(text: &str) -> Option<String> {
    const MAX_LINES: usize = 200;
    let mut open = OpenComponents::default();
    let lines = ContentLines::new(text)
        .filter(|line| !line.head.trim().is_empty())
        .take(MAX_LINES);
    for line in lines {
        match LineKind::of(line.head) {
            LineKind::Begin(name) if name.eq_ignore_ascii_case("VCALENDAR") => open.begin(name, ()),
            LineKind::Begin(_) => return None,
            LineKind::End(name) => {
                open.end(name);
                if open.first_calendar_closed() {
                    return None;
                }
            }
            kind if kind.is_property("METHOD") && open.holds_calendar_properties() => {
                if let Some(method) = method_value(&line.unfolded()) {
                    return Some(method);
                }
            }
            LineKind::Property(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(text: &str) -> (String, LineIndex) {
        unfold_with_line_index(text)
    }

    /// The reference: every break made CRLF, then the crate's own unfold.
    fn crate_unfold(text: &str) -> String {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let crlf = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\n', "\r\n");
        icalendar::parser::unfold(&crlf)
    }

    #[test]
    fn unfolding_equals_the_crates_on_every_kind_of_break() {
        let cases = [
            "",
            "a",
            "a\r\nb",
            "a\rb\nc\r\nd",
            "a\r\n\r\nb\r",
            "\u{feff}x\ny",
            " leading\r\n next",
            "A:1\nB:2\n 2b\n\t2c\nC:3\n",
            "a\r\n\r\n  b",
            "a\n\r \r\n\tb\r\r\n c",
            "é\r\n ü\rß\n\t€",
        ];
        for case in cases {
            assert_eq!(
                unfold_with_line_index(case).0,
                crate_unfold(case),
                "{case:?}"
            );
        }
    }

    #[test]
    fn unfolding_equals_the_crates_on_random_text() {
        use rand::{Rng, SeedableRng};
        let mut random = rand::rngs::StdRng::seed_from_u64(5545);
        let alphabet = ['a', ':', ' ', '\t', '\r', '\n', 'é'];
        for _ in 0..2000 {
            let length = random.gen_range(0..40);
            let text: String = (0..length)
                .map(|_| {
                    alphabet
                        .get(random.gen_range(0..alphabet.len()))
                        .copied()
                        .unwrap_or('a')
                })
                .collect();
            assert_eq!(
                unfold_with_line_index(&text).0,
                crate_unfold(&text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn unfolded_offsets_map_to_original_lines() {
        let (unfolded, index) = index_of("A:1\nB:2\n 2b\n\t2c\nC:3\n");
        assert_eq!(unfolded, "A:1\r\nB:22b2c\r\nC:3\r\n");
        let c_offset = unfolded.find("C:3").unwrap_or_default();
        assert_eq!(index.original_line_at(0), 1);
        assert_eq!(index.original_line_at(6), 2);
        assert_eq!(index.original_line_at(c_offset), 5);
        let lines: Vec<(usize, &str)> = index
            .lines(&unfolded)
            .map(|line| (line.original_line, line.text))
            .collect();
        assert_eq!(lines, vec![(1, "A:1"), (2, "B:22b2c"), (5, "C:3"), (6, "")]);
    }

    #[test]
    fn bare_cr_breaks_count_as_lines() {
        let (unfolded, index) = index_of("A:1\rB:2\r\rC:3");
        assert_eq!(unfolded, "A:1\r\nB:2\r\n\r\nC:3");
        let c_offset = unfolded.find("C:3").unwrap_or_default();
        assert_eq!(index.original_line_at(c_offset), 4);
    }

    #[test]
    fn outline_counts_and_finds_method() {
        let text = "BEGIN:VCALENDAR\nmethod:request\nBEGIN:VEVENT\nUID:1\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";
        let (unfolded, index) = index_of(text);
        let scan = outline(&unfolded, &index, 8);
        assert_eq!(scan.component_count, 2);
        assert_eq!(scan.property_count, 3);
        assert_eq!(scan.method, Some(("REQUEST".to_owned(), 2)));
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.balanced_spans.len(), 1);
    }

    #[test]
    fn outline_reports_truncation_and_stray_end() {
        let text = "BEGIN:VCALENDAR\nMETHOD:COUNTER\nUID:x\nEND:VEVENT\nBEGIN:VTIMEZONE\nTZID:a\n";
        let (unfolded, index) = index_of(text);
        let scan = outline(&unfolded, &index, 8);
        assert_eq!(scan.method, Some(("COUNTER".to_owned(), 2)));
        let lines: Vec<usize> = scan.problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![4, 5, 1]);
        assert!(scan.balanced_spans.is_empty());
    }

    #[test]
    fn outline_stops_at_the_nesting_limit() {
        let text = "BEGIN:A\n".repeat(100);
        let (unfolded, index) = index_of(&text);
        let scan = outline(&unfolded, &index, 8);
        assert!(scan.too_deep);
        assert_eq!(scan.component_count, 100);
        assert_eq!(scan.problems.first().map(|(line, _)| *line), Some(9));
    }

    #[test]
    fn method_found_near_the_start() {
        assert_eq!(
            method_near_start("\r\nBEGIN:VCALENDAR\rMETHOD;X=\"a:b\":Reply\r"),
            Some("REPLY".to_owned())
        );
        assert_eq!(
            method_near_start("BEGIN:VCALENDAR\nBEGIN:VEVENT\nMETHOD:REPLY\n"),
            None
        );
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt("a\u{0}b"), "a\\0b");
        assert_eq!(excerpt(&"x".repeat(100)).chars().count(), 41);
    }
}
