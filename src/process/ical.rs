//! The iCalendar object as `processcalendar` reads and writes it: every
//! component, property and parameter kept (RFC 5545 section 3), so that a
//! stored copy loses nothing it did not mean to change; written back with
//! CRLF line ends and lines folded at 75 octets (RFC 5545 section 3.1).
//!
//! Lines are split and unfolded by the crate's content-line scanner
//! ([`crate::syntax::content_line`]), and names, parameter values and
//! quoted strings are read by its parsers; this file adds the tree.
//!
//! Grammar: grammar/icalendar-object.abnf

use std::borrow::Cow;

use crate::calendar::CalendarLimits;
use crate::syntax::content_line::{
    name, param_name, quoted_string, strip_prefix_ignore_case, value, ContentLines,
    NESTING_HARD_CAP,
};

/// One component: its name (upper-cased), properties in order, and the
/// components inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Component {
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

/// One property: name (upper-cased), parameters in order, value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub name: String,
    pub params: Vec<Param>,
    pub value: String,
}

/// One parameter: name (upper-cased) and its values, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: String,
    pub values: Vec<String>,
}

/// Why an object could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError(pub String);

impl Component {
    pub fn new(name: &str) -> Component {
        Component {
            name: name.to_ascii_uppercase(),
            properties: Vec::new(),
            components: Vec::new(),
        }
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first property called `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|property| property.is(name))
    }

    /// The value of the first property called `name`, trimmed.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.property(name).map(|property| property.value.trim())
    }

    /// Every property called `name`.
    pub fn properties_named<'c>(&'c self, name: &'c str) -> impl Iterator<Item = &'c Property> {
        self.properties
            .iter()
            .filter(move |property| property.is(name))
    }

    /// Replace every property called `name` with one holding `value`, in
    /// the place of the first (at the end when there was none).
    pub fn set_value(&mut self, name: &str, value: &str) {
        let property = Property {
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: clean_value(value),
        };
        match self.properties.iter().position(|p| p.is(name)) {
            Some(first) => {
                if let Some(slot) = self.properties.get_mut(first) {
                    *slot = property;
                }
                let mut index = 0usize;
                self.properties.retain(|p| {
                    let keep = index <= first || !p.is(name);
                    index = index.saturating_add(1);
                    keep
                });
            }
            None => self.properties.push(property),
        }
    }

    /// Remove every property called `name`.
    pub fn remove(&mut self, name: &str) {
        self.properties.retain(|property| !property.is(name));
    }
}

impl Property {
    pub fn new(name: &str, value: &str) -> Property {
        Property {
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: clean_value(value),
        }
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first value of the parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|param| param.name.eq_ignore_ascii_case(name))
            .and_then(|param| param.values.first())
            .map(String::as_str)
    }

    /// Every value of the parameter `name` (each value of each occurrence).
    pub fn param_values<'p>(&'p self, name: &'p str) -> impl Iterator<Item = &'p str> {
        self.params
            .iter()
            .filter(move |param| param.name.eq_ignore_ascii_case(name))
            .flat_map(|param| param.values.iter().map(String::as_str))
    }

    /// Set the parameter `name` to `values`, in the place of its first
    /// occurrence (at the end when absent); no values removes it.
    pub fn set_param(&mut self, name: &str, values: &[&str]) {
        let param = Param {
            name: name.to_ascii_uppercase(),
            values: values.iter().map(|value| clean_param(value)).collect(),
        };
        let first = self
            .params
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name));
        self.params.retain(|p| !p.name.eq_ignore_ascii_case(name));
        if values.is_empty() {
            return;
        }
        let at = first.unwrap_or(self.params.len()).min(self.params.len());
        self.params.insert(at, param);
    }
}

/// `stored-object = component`
///
/// Reads one iCalendar object (a VCALENDAR) within `limits`; line breaks
/// may be CRLF, LF or CR, and blank lines are skipped.
pub(crate) fn stored_object(text: &str, limits: &CalendarLimits) -> Result<Component, ReadError> {
    if text.len() > limits.max_bytes {
        return Err(ReadError(format!(
            "the object is {} bytes, over the limit of {}",
            text.len(),
            limits.max_bytes
        )));
    }
    let mut reader = Reader {
        lines: ContentLines::new(text),
        limits,
        components: 0,
        properties: 0,
    };
    let calendar = component(&mut reader)?;
    if reader.next_line().is_some() {
        return Err(ReadError(
            "more than one object (a stored item holds one VCALENDAR)".to_owned(),
        ));
    }
    if !calendar.is("VCALENDAR") {
        return Err(ReadError("the object is not a VCALENDAR".to_owned()));
    }
    Ok(calendar)
}

/// The unfolded lines of an object, blank ones left out, with the counts
/// the limits bound.
struct Reader<'a> {
    lines: ContentLines<'a>,
    limits: &'a CalendarLimits,
    components: usize,
    properties: usize,
}

impl<'a> Reader<'a> {
    /// The next line that is not blank, unfolded (borrowed unless it was
    /// folded), with its line number.
    fn next_line(&mut self) -> Option<(Cow<'a, str>, usize)> {
        for line in self.lines.by_ref() {
            let unfolded = line.unfolded();
            if unfolded.trim().is_empty() {
                continue;
            }
            let text = match unfolded {
                Cow::Borrowed(text) => Cow::Borrowed(text.trim_end_matches([' ', '\t'])),
                Cow::Owned(text) => Cow::Owned(text.trim_end_matches([' ', '\t']).to_owned()),
            };
            return Some((text, line.number));
        }
        None
    }
}

/// `component = begin-line *(property-line / component) end-line`
///
/// Reads from the next line, which must begin a component, to the line
/// ending it; nested components are read with a stack, not recursion, so
/// depth costs no stack.
fn component(reader: &mut Reader<'_>) -> Result<Component, ReadError> {
    let max_nesting = reader.limits.max_nesting.min(NESTING_HARD_CAP);
    let mut open: Vec<Component> = Vec::new();
    while let Some((line_text, at)) = reader.next_line() {
        if let Some(begun) = begin_line(&line_text) {
            reader.components = reader.components.saturating_add(1);
            if reader.components > reader.limits.max_components.saturating_add(1)
                || open.len() >= max_nesting
            {
                return Err(ReadError(format!(
                    "line {at}: too many or too deeply nested components"
                )));
            }
            open.push(Component::new(begun));
            continue;
        }
        if let Some(ended) = end_line(&line_text) {
            let Some(closed) = open.pop() else {
                return Err(ReadError(format!("line {at}: END:{ended} without BEGIN")));
            };
            if !closed.is(ended) {
                return Err(ReadError(format!(
                    "line {at}: END:{ended} closes BEGIN:{}",
                    closed.name
                )));
            }
            match open.last_mut() {
                Some(parent) => parent.components.push(closed),
                None => return Ok(closed),
            }
            continue;
        }
        let Some(parent) = open.last_mut() else {
            return Err(ReadError(format!(
                "line {at}: a property outside any component"
            )));
        };
        reader.properties = reader.properties.saturating_add(1);
        if reader.properties > reader.limits.max_properties {
            return Err(ReadError(format!(
                "more than {} properties",
                reader.limits.max_properties
            )));
        }
        match property_line(&line_text) {
            Some(property) => parent.properties.push(property),
            None => return Err(ReadError(format!("line {at}: not a content line"))),
        }
    }
    match open.first() {
        Some(unclosed) => Err(ReadError(format!("BEGIN:{} is never ended", unclosed.name))),
        None => Err(ReadError("the object is empty".to_owned())),
    }
}

/// `begin-line = "BEGIN:" name`
fn begin_line(line: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(line, "BEGIN:")?;
    let (begun, after) = name(rest.trim())?;
    after.is_empty().then_some(begun)
}

/// `end-line = "END:" name`
fn end_line(line: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(line, "END:")?;
    let (ended, after) = name(rest.trim())?;
    after.is_empty().then_some(ended)
}

/// `property-line = name *(";" param) ":" value`
fn property_line(line: &str) -> Option<Property> {
    let (property_name, mut rest) = name(line)?;
    let mut params = Vec::new();
    // Each round consumes a parameter, so the loop ends.
    loop {
        if let Some(after) = rest.strip_prefix(':') {
            return Some(Property {
                name: property_name.to_ascii_uppercase(),
                params,
                value: value(after).to_owned(),
            });
        }
        let (read, after) = param(rest.strip_prefix(';')?)?;
        params.push(read);
        rest = after;
    }
}

/// `param = param-name "=" param-value *("," param-value)`
///
/// Gives the parameter and the rest of the line, which starts with `;` or
/// `:`.
fn param(input: &str) -> Option<(Param, &str)> {
    let (written_name, rest) = param_name(input)?;
    let mut rest = rest.strip_prefix('=')?;
    let mut values = Vec::new();
    // Each round consumes a value and its comma, so the loop ends; an
    // empty value is allowed, as RFC 5545 allows it.
    loop {
        let after = if let Some(empty_quoted) = rest.strip_prefix("\"\"") {
            values.push(String::new());
            empty_quoted
        } else if rest.starts_with('"') {
            let after = quoted_string(rest)?;
            let inner_end = rest.len().saturating_sub(after.len()).saturating_sub(1);
            values.push(rest.get(1..inner_end)?.to_owned());
            after
        } else {
            // An unquoted value ends where paramtext does, or at the comma
            // that starts the next value of a list.
            let end = rest.find([',', ';', ':', '"']).unwrap_or(rest.len());
            values.push(rest.get(..end)?.to_owned());
            rest.get(end..)?
        };
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.starts_with([';', ':']) => {
                return Some((
                    Param {
                        name: written_name.to_ascii_uppercase(),
                        values,
                    },
                    after,
                ))
            }
            None => return None,
        }
    }
}

/// The object as text: CRLF line ends, lines folded at 75 octets (never
/// inside a UTF-8 character), parameter values quoted when they hold `:`,
/// `;` or `,`.
pub(crate) fn write(component: &Component) -> String {
    let mut out = String::with_capacity(1024);
    write_component(component, &mut out);
    out
}

fn write_component(component: &Component, out: &mut String) {
    let mut line = String::with_capacity(128);
    line.push_str("BEGIN:");
    line.push_str(&component.name);
    fold_into(&line, out);
    for property in &component.properties {
        line.clear();
        line.push_str(&property.name);
        for param in &property.params {
            line.push(';');
            line.push_str(&param.name);
            line.push('=');
            for (index, value) in param.values.iter().enumerate() {
                if index > 0 {
                    line.push(',');
                }
                if value.contains([':', ';', ',']) {
                    line.push('"');
                    line.push_str(value);
                    line.push('"');
                } else {
                    line.push_str(value);
                }
            }
        }
        line.push(':');
        line.push_str(&property.value);
        fold_into(&line, out);
    }
    for child in &component.components {
        write_component(child, out);
    }
    line.clear();
    line.push_str("END:");
    line.push_str(&component.name);
    fold_into(&line, out);
}

/// Longest line RFC 5545 section 3.1 allows, line break excluded.
const MAX_LINE_OCTETS: usize = 75;

/// Appends `line` folded: each physical line at most 75 octets, a
/// continuation starting with one space (which counts in its 75).
fn fold_into(line: &str, out: &mut String) {
    let mut rest = line;
    let mut room = MAX_LINE_OCTETS;
    // Each round takes at least one character (a continuation has room
    // for 74 octets, more than any character), so the loop ends.
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        let Some((head, tail)) = rest.split_at_checked(cut) else {
            break;
        };
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        room = MAX_LINE_OCTETS.saturating_sub(1);
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

/// A value written by the processing: no line breaks or other controls,
/// which a content line cannot hold unescaped.
fn clean_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

/// A parameter value written by the processing: no DQUOTE (a quoted
/// string cannot hold one) and no controls.
fn clean_param(value: &str) -> String {
    value
        .chars()
        .map(|c| if c == '"' || c.is_control() { '\'' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Component {
        match stored_object(text, &CalendarLimits::default()) {
            Ok(calendar) => calendar,
            Err(error) => panic!("{error:?}"),
        }
    }

    #[test]
    fn objects_read_and_write_back_unchanged_in_meaning() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n\
            ATTENDEE;CN=\"Doe, Jane\";DELEGATED-TO=\"mailto:a@x\",\"mailto:b@x\";ROLE=REQ-PARTICIPANT:mailto:j@x\r\n\
            DESCRIPTION:a long line that goes on and on and on and on and on and on and on and on\r\n \
            and continues here\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let calendar = read(text);
        let event = calendar
            .components
            .first()
            .cloned()
            .unwrap_or_else(|| Component::new("X"));
        let attendee = event
            .property("ATTENDEE")
            .cloned()
            .unwrap_or_else(|| Property::new("X", ""));
        assert_eq!(attendee.param("CN"), Some("Doe, Jane"));
        let delegated: Vec<&str> = attendee.param_values("DELEGATED-TO").collect();
        assert_eq!(delegated, ["mailto:a@x", "mailto:b@x"]);
        assert_eq!(attendee.param("ROLE"), Some("REQ-PARTICIPANT"));
        assert!(event
            .value_of("DESCRIPTION")
            .is_some_and(|value| value.ends_with("on and onand continues here")));
        let written = write(&calendar);
        assert!(written
            .lines()
            .all(|line| line.trim_end_matches('\r').len() <= 75));
        assert!(written.contains("CN=\"Doe, Jane\""));
        assert_eq!(read(&written), calendar);
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut event = Component::new("VEVENT");
        event.set_value("SUMMARY", &"é".repeat(100));
        let written = write(&event);
        for line in written.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        let calendar = format!("BEGIN:VCALENDAR\r\n{written}END:VCALENDAR\r\n");
        let read_back = read(&calendar);
        assert_eq!(
            read_back
                .components
                .first()
                .and_then(|e| e.value_of("SUMMARY")),
            Some("é".repeat(100).as_str())
        );
    }

    #[test]
    fn broken_objects_are_refused_not_guessed() {
        let limits = CalendarLimits::default();
        for text in [
            "",
            "BEGIN:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n",
            "UID:1\r\n",
            "BEGIN:VEVENT\r\nEND:VEVENT\r\n",
            "BEGIN:VCALENDAR\r\nno colon here\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        ] {
            assert!(stored_object(text, &limits).is_err(), "{text:?}");
        }
        let deep = format!(
            "BEGIN:VCALENDAR\r\n{}{}END:VCALENDAR\r\n",
            "BEGIN:X\r\n".repeat(100),
            "END:X\r\n".repeat(100)
        );
        assert!(stored_object(&deep, &limits).is_err());
    }

    #[test]
    fn parameters_are_set_in_place() {
        let mut property = Property::new("ATTENDEE", "mailto:a@x");
        property.set_param("CN", &["A"]);
        property.set_param("PARTSTAT", &["NEEDS-ACTION"]);
        property.set_param("CN", &["B, C"]);
        property.set_param("PARTSTAT", &["ACCEPTED"]);
        assert_eq!(property.param("CN"), Some("B, C"));
        assert_eq!(property.params.first().map(|p| p.name.as_str()), Some("CN"));
        property.set_param("CN", &[]);
        assert_eq!(property.param("CN"), None);
        let mut event = Component::new("VEVENT");
        event.properties.push(Property::new("STATUS", "CONFIRMED"));
        event.properties.push(Property::new("SUMMARY", "x"));
        event.properties.push(Property::new("STATUS", "TENTATIVE"));
        event.set_value("STATUS", "CANCELLED");
        let statuses: Vec<&str> = event
            .properties_named("STATUS")
            .map(|p| p.value.as_str())
            .collect();
        assert_eq!(statuses, ["CANCELLED"]);
        assert_eq!(
            event.properties.first().map(|p| p.name.as_str()),
            Some("STATUS")
        );
    }
}
