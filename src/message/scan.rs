//! A cheap look at calendar text: the METHOD and the first UID, read from the
//! unfolded content lines. The full iCalendar parse belongs to `calendar`;
//! locating needs only these two values, and must not pay for more.

use std::borrow::Cow;

/// What the quick scan saw in one calendar text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CalendarGlance {
    /// The first `METHOD` property's value, upper-cased; `None` when absent or empty.
    pub method: Option<String>,
    /// The first `UID` property's value; `None` when absent or empty.
    pub uid: Option<String>,
    /// Whether a `BEGIN:VCALENDAR` line is there at all.
    pub has_vcalendar: bool,
}

/// Reads METHOD, the first UID and whether a VCALENDAR starts, in one pass
/// over the physical lines, unfolding only the lines it keeps.
pub(crate) fn glance(text: &str) -> CalendarGlance {
    let mut seen = CalendarGlance::default();
    let mut lines = PhysicalLines { rest: text }.peekable();
    while let Some(line) = lines.next() {
        if seen.method.is_some() && seen.uid.is_some() && seen.has_vcalendar {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let wanted = Property::of(line);
        match wanted {
            Property::Other => continue,
            // BEGIN values are short and never folded in practice; reading
            // them in place keeps the scan free of allocation.
            Property::Begin => {
                seen.has_vcalendar |= value_of(line).trim().eq_ignore_ascii_case("VCALENDAR");
                continue;
            }
            Property::Method | Property::Uid => {}
        }
        let mut unfolded = Cow::Borrowed(line);
        while let Some(next) = lines.peek() {
            let Some(continued) = next.strip_prefix([' ', '\t']) else {
                break;
            };
            unfolded.to_mut().push_str(continued);
            lines.next();
        }
        let value = value_of(&unfolded).trim();
        match wanted {
            Property::Method if seen.method.is_none() && !value.is_empty() => {
                seen.method = Some(value.to_ascii_uppercase());
            }
            Property::Uid if seen.uid.is_none() && !value.is_empty() => {
                seen.uid = Some(value.to_owned());
            }
            _ => {}
        }
    }
    seen
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Property {
    Method,
    Uid,
    Begin,
    Other,
}

impl Property {
    /// The property a content line starts with, by its name (case-insensitive):
    /// the text before the first `;` or `:` (the whole line without one),
    /// trailing white space ignored.
    fn of(line: &str) -> Property {
        // Compared in place rather than by finding the separator first: most
        // lines are none of the three, and a long value need not be scanned.
        let named = |name: &str| {
            strip_prefix_ignore_case(line, name).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.is_empty() || rest.starts_with([';', ':'])
            })
        };
        if named("METHOD") {
            Property::Method
        } else if named("UID") {
            Property::Uid
        } else if named("BEGIN") {
            Property::Begin
        } else {
            Property::Other
        }
    }
}

fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.as_bytes().get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix.as_bytes()) {
        line.get(prefix.len()..)
    } else {
        None
    }
}

/// The value of an unfolded content line: what follows the first `:` that is
/// not inside a quoted parameter value.
fn value_of(line: &str) -> &str {
    let mut in_quotes = false;
    for (at, ch) in line.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => return line.get(at.saturating_add(1)..).unwrap_or_default(),
            _ => {}
        }
    }
    ""
}

/// Lines ended by CRLF, LF or a bare CR.
struct PhysicalLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for PhysicalLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let line_break = self
            .rest
            .bytes()
            .position(|byte| byte == b'\r' || byte == b'\n');
        let Some(end) = line_break else {
            let line = self.rest;
            self.rest = "";
            return Some(line);
        };
        let line = self.rest.get(..end).unwrap_or_default();
        let after = self.rest.get(end..).unwrap_or_default();
        self.rest = after
            .strip_prefix("\r\n")
            .or_else(|| after.get(1..))
            .unwrap_or_default();
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_and_uid_with_folding_and_any_line_end() {
        for end in ["\r\n", "\n", "\r"] {
            let text = [
                "BEGIN:VCALENDAR",
                "method:re",
                " quest",
                "BEGIN:VEVENT",
                "UID:abc",
                "\tdef",
                "UID:second",
                "END:VEVENT",
                "END:VCALENDAR",
            ]
            .join(end);
            let seen = glance(&text);
            assert_eq!(seen.method.as_deref(), Some("REQUEST"), "{end:?}");
            assert_eq!(seen.uid.as_deref(), Some("abcdef"), "{end:?}");
            assert!(seen.has_vcalendar);
        }
    }

    #[test]
    fn parameters_and_quoted_colons() {
        let seen = glance("METHOD;X-A=\"a:b\":Cancel\nUID;X-B=1:u-1\n");
        assert_eq!(seen.method.as_deref(), Some("CANCEL"));
        assert_eq!(seen.uid.as_deref(), Some("u-1"));
        assert!(!seen.has_vcalendar);
    }

    #[test]
    fn absent_or_empty_values() {
        let seen = glance("BEGIN:VCALENDAR\nMETHOD:\nX-METHOD:REQUEST\nEND:VCALENDAR\n");
        assert_eq!(seen.method, None);
        assert_eq!(seen.uid, None);
        assert_eq!(glance(""), CalendarGlance::default());
    }
}
