//! A cheap look at calendar text: the METHOD and the first UID, read from the
//! content lines by the scanner the calendar stage uses too
//! ([`crate::syntax::content_line`]). The full iCalendar parse belongs to `calendar`;
//! locating needs only these two values, and must not pay for more.

use crate::syntax::content_line::{
    loose_value, method_value, ContentLines, LineKind, OpenComponents, NESTING_HARD_CAP,
};

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
/// over the content lines, unfolding only the lines it keeps.
///
/// METHOD counts only where [`OpenComponents::holds_calendar_properties`]
/// says, as in the calendar stage: a METHOD inside a VEVENT is not the
/// object's.
pub(crate) fn glance(text: &str) -> CalendarGlance {
    let mut seen = CalendarGlance::default();
    let mut open = OpenComponents::default();
    let mut method_settled = false;
    for line in ContentLines::new(text) {
        if method_settled && seen.uid.is_some() && seen.has_vcalendar {
            break;
        }
        match LineKind::of(line.head) {
            LineKind::Begin(name) => {
                seen.has_vcalendar |= name.eq_ignore_ascii_case("VCALENDAR");
                if open.len() >= NESTING_HARD_CAP {
                    // The calendar stage refuses this object; METHOD is
                    // looked for no deeper, as there.
                    method_settled = true;
                } else {
                    open.begin(name, ());
                }
            }
            LineKind::End(name) => {
                open.end(name);
                method_settled |= open.first_calendar_closed();
            }
            kind if kind.is_property("METHOD") => {
                if !method_settled && open.holds_calendar_properties() {
                    seen.method = method_value(&line.unfolded());
                    method_settled = seen.method.is_some();
                }
            }
            kind if kind.is_property("UID") => {
                if seen.uid.is_none() {
                    let unfolded = line.unfolded();
                    let value = loose_value(&unfolded).unwrap_or_default();
                    seen.uid = (!value.is_empty()).then(|| value.to_owned());
                }
            }
            LineKind::Property(_) => {}
        }
    }
    seen
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
        let seen = glance("BEGIN:VCALENDAR\nMETHOD;X-A=\"a:b\":Cancel\nUID;X-B=1:u-1\n");
        assert_eq!(seen.method.as_deref(), Some("CANCEL"));
        assert_eq!(seen.uid.as_deref(), Some("u-1"));
        assert!(seen.has_vcalendar);
    }

    #[test]
    fn method_only_inside_a_component_or_outside_the_calendar_is_not_the_objects() {
        let inside = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\n\
                      METHOD:REQUEST\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let seen = glance(inside);
        assert_eq!(seen.method, None);
        assert_eq!(seen.uid.as_deref(), Some("u"));
        assert!(seen.has_vcalendar);
        let outside = "METHOD:REQUEST\nBEGIN:VCALENDAR\nEND:VCALENDAR\nMETHOD:CANCEL\n";
        assert_eq!(glance(outside).method, None);
        let both = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nMETHOD:CANCEL\nEND:VEVENT\nMETHOD:Reply\nEND:VCALENDAR\n";
        assert_eq!(glance(both).method.as_deref(), Some("REPLY"));
    }

    #[test]
    fn absent_or_empty_values() {
        let seen = glance("BEGIN:VCALENDAR\nMETHOD:\nX-METHOD:REQUEST\nEND:VCALENDAR\n");
        assert_eq!(seen.method, None);
        assert_eq!(seen.uid, None);
        assert_eq!(glance(""), CalendarGlance::default());
    }
}
