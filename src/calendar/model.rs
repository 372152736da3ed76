//! From the icalendar parser's component tree to the iTIP model.

use icalendar::parser::{Component, Property};

use super::address::CalAddress;
use super::lines::{excerpt, offset_within, LineIndex};
use super::values::{DateValue, Observance, ObservanceKind, TimeZoneDefinition};
use super::{Attendee, ComponentKind, Organizer, SchedulingComponent};
use crate::syntax::content_line::is_method_token;

/// The properties of a scheduling component the model keeps, upper-case.
const KNOWN_PROPERTIES: [&str; 12] = [
    "UID",
    "SEQUENCE",
    "RECURRENCE-ID",
    "DTSTART",
    "DTEND",
    "DUE",
    "DURATION",
    "RRULE",
    "RDATE",
    "EXDATE",
    "ORGANIZER",
    "ATTENDEE",
];

/// The kept properties RFC 5545 allows once per component.
const SINGLE_PROPERTIES: [&str; 8] = [
    "UID",
    "SEQUENCE",
    "RECURRENCE-ID",
    "DTSTART",
    "DTEND",
    "DUE",
    "DURATION",
    "ORGANIZER",
];

/// The properties of a STANDARD or DAYLIGHT observance the model keeps.
const OBSERVANCE_PROPERTIES: [&str; 5] =
    ["DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "RRULE", "RDATE"];

/// What the model reads in a component nested as `path` (outermost first,
/// starting with the object's VCALENDAR): `Some(names)` of the properties it
/// reads there, `None` when it reads nothing in that component nor in any
/// component inside it. What it does not read need not reach the parser;
/// this must name every property the builder below looks at, where it looks.
pub(super) fn properties_read(path: &[&str]) -> Option<&'static [&'static str]> {
    match path {
        [_calendar] => Some(&["METHOD"]),
        [_calendar, component] if ComponentKind::from_name(component).is_some() => {
            Some(&KNOWN_PROPERTIES)
        }
        [_calendar, component] if component.eq_ignore_ascii_case("VTIMEZONE") => Some(&["TZID"]),
        [_calendar, timezone, observance]
            if timezone.eq_ignore_ascii_case("VTIMEZONE")
                && (observance.eq_ignore_ascii_case("STANDARD")
                    || observance.eq_ignore_ascii_case("DAYLIGHT")) =>
        {
            Some(&OBSERVANCE_PROPERTIES)
        }
        _ => None,
    }
}

/// Builds the model and collects `malformed` problems with line numbers.
pub(super) struct ModelBuilder<'a> {
    /// The unfolded text the parser read: property names borrow from it,
    /// which gives each property its position.
    unfolded: &'a str,
    index: &'a LineIndex,
    pub(super) problems: Vec<(usize, String)>,
    pub(super) method: Option<String>,
    pub(super) components: Vec<SchedulingComponent>,
    pub(super) timezones: Vec<TimeZoneDefinition>,
}

impl<'a> ModelBuilder<'a> {
    pub(super) fn new(unfolded: &'a str, index: &'a LineIndex) -> ModelBuilder<'a> {
        ModelBuilder {
            unfolded,
            index,
            problems: Vec::new(),
            method: None,
            components: Vec::new(),
            timezones: Vec::new(),
        }
    }

    /// Take the parsed top-level components: the first VCALENDAR gives
    /// METHOD and the children; anything else at top level is reported, and
    /// a scheduling component found there bare is still modelled.
    pub(super) fn add_roots(&mut self, roots: &[Component<'_>]) {
        let mut calendar_seen = false;
        for root in roots {
            let name = root.name.as_str();
            if name.eq_ignore_ascii_case("VCALENDAR") {
                if calendar_seen {
                    let line = self.line_of(name);
                    self.problem(line, "a second VCALENDAR in the same object is ignored");
                    continue;
                }
                calendar_seen = true;
                self.add_calendar_properties(&root.properties);
                self.add_children(&root.components);
            } else {
                let line = self.line_of(name);
                self.problem(line, format!("BEGIN:{} outside VCALENDAR", excerpt(name)));
                self.add_children(std::slice::from_ref(root));
            }
        }
    }

    /// Components directly inside VCALENDAR: scheduling components and
    /// time zones; others (X- components, VAVAILABILITY) are only counted.
    pub(super) fn add_children(&mut self, children: &[Component<'_>]) {
        for child in children {
            let name = child.name.as_str();
            if let Some(kind) = ComponentKind::from_name(name) {
                let component = self.scheduling_component(kind, child);
                self.components.push(component);
            } else if name.eq_ignore_ascii_case("VTIMEZONE") {
                if let Some(timezone) = self.timezone(child) {
                    self.timezones.push(timezone);
                }
            }
        }
    }

    pub(super) fn add_calendar_properties(&mut self, properties: &[Property<'_>]) {
        // The first METHOD with a value is the object's, token or not, as
        // locating reads it (`message::scan`): a value that is no token
        // leaves the object without a method, and a later line cannot
        // supply one.
        let mut settled = self.method.is_some();
        for property in properties.iter().filter(|p| is(p, "METHOD")) {
            let line = self.property_line(property);
            let value = property.val.as_str().trim();
            if settled {
                self.problem(line, "a second METHOD; the first is kept");
            } else if value.is_empty() {
                self.problem(line, "METHOD without a value");
            } else if !is_method_token(value) {
                settled = true;
                self.problem(
                    line,
                    "a METHOD value that is not an RFC 5545 token (letters, digits and '-'); not used as the method",
                );
            } else {
                settled = true;
                self.method = Some(value.to_ascii_uppercase());
            }
        }
    }

    fn scheduling_component(
        &mut self,
        kind: ComponentKind,
        source: &Component<'_>,
    ) -> SchedulingComponent {
        let mut component = SchedulingComponent::new(kind);
        // Single properties already met, valid or not: a second one never
        // replaces a first that was refused (an out-of-range SEQUENCE, an
        // ORGANIZER without an address).
        let mut seen: Vec<&'static str> = Vec::new();
        for property in &source.properties {
            let line = self.property_line(property);
            let value = property.val.as_str().trim();
            let Some(name) = KNOWN_PROPERTIES
                .into_iter()
                .find(|known| is(property, known))
            else {
                continue;
            };
            match name {
                "RRULE" => component.rrules.push(value.to_owned()),
                "RDATE" => component.rdates.extend(date_list(property, value)),
                "EXDATE" => component.exdates.extend(date_list(property, value)),
                "ATTENDEE" => {
                    if let Some(attendee) = self.attendee(property, line) {
                        component.attendees.push(attendee);
                    }
                }
                _ => self.set_single(&mut component, &mut seen, name, property, line),
            }
        }
        component
    }

    /// Properties RFC 5545 allows once per component: a second one is
    /// reported and ignored, so a forged second ORGANIZER cannot replace the
    /// first.
    fn set_single(
        &mut self,
        component: &mut SchedulingComponent,
        seen: &mut Vec<&'static str>,
        name: &'static str,
        property: &Property<'_>,
        line: usize,
    ) {
        if !SINGLE_PROPERTIES.contains(&name) {
            return;
        }
        if seen.contains(&name) {
            let kind = component.kind.as_str();
            self.problem(
                line,
                format!("a second {name} in {kind}; the first is kept"),
            );
            return;
        }
        seen.push(name);
        let value = property.val.as_str().trim();
        match name {
            "UID" => component.uid = Some(value.to_owned()),
            "SEQUENCE" => component.sequence = self.sequence(value, line),
            "RECURRENCE-ID" => component.recurrence_id = Some(date_value(property, value)),
            "DTSTART" => component.dtstart = Some(date_value(property, value)),
            "DTEND" => component.dtend = Some(date_value(property, value)),
            "DUE" => component.due = Some(date_value(property, value)),
            "DURATION" => component.duration = Some(value.to_owned()),
            "ORGANIZER" => component.organizer = self.organizer(property, line),
            _ => {}
        }
    }

    /// RFC 5545 3.3.8 `integer = (["+"] / "-") 1*DIGIT`, which SEQUENCE
    /// (3.8.7.4) restricts to non-negative values; one that does not fit the
    /// model's `u32` is out of range, whatever its sign or leading zeros.
    fn sequence(&mut self, value: &str, line: usize) -> Option<u32> {
        let (negative, digits) = match (value.strip_prefix('+'), value.strip_prefix('-')) {
            (Some(unsigned), _) => (false, unsigned),
            (_, Some(unsigned)) => (true, unsigned),
            _ => (false, value),
        };
        let is_integer = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
        let is_zero = digits.bytes().all(|byte| byte == b'0');
        let why = if !is_integer || (negative && !is_zero) {
            "SEQUENCE is not a non-negative integer"
        } else {
            match digits.parse::<u32>() {
                Ok(sequence) => return Some(sequence),
                Err(_) => "SEQUENCE is out of range (more than 4294967295)",
            }
        };
        self.problem(line, format!("{why}: {}", excerpt(value)));
        None
    }

    fn organizer(&mut self, property: &Property<'_>, line: usize) -> Option<Organizer> {
        let address = self.address_value(property, line, "ORGANIZER")?;
        Some(Organizer {
            address,
            cn: text_param(property, "CN"),
            sent_by: self.address_param(property, line, "SENT-BY"),
        })
    }

    fn attendee(&mut self, property: &Property<'_>, line: usize) -> Option<Attendee> {
        let address = self.address_value(property, line, "ATTENDEE")?;
        Some(Attendee {
            address,
            cn: text_param(property, "CN"),
            partstat: text_param(property, "PARTSTAT").map(|value| value.to_ascii_uppercase()),
            role: text_param(property, "ROLE").map(|value| value.to_ascii_uppercase()),
            rsvp: text_param(property, "RSVP").and_then(|value| parse_boolean(&value)),
            sent_by: self.address_param(property, line, "SENT-BY"),
            delegated_to: self.address_list_param(property, line, "DELEGATED-TO"),
            delegated_from: self.address_list_param(property, line, "DELEGATED-FROM"),
        })
    }

    fn address_value(
        &mut self,
        property: &Property<'_>,
        line: usize,
        name: &str,
    ) -> Option<CalAddress> {
        let address = CalAddress::parse(property.val.as_str());
        if address.is_none() {
            self.problem(line, format!("{name} without an address"));
        }
        address
    }

    fn address_param(
        &mut self,
        property: &Property<'_>,
        line: usize,
        key: &str,
    ) -> Option<CalAddress> {
        let raw = raw_param(property, key)?;
        let address = list_elements(raw).next().and_then(CalAddress::parse);
        self.usable_address_param(raw, address, line, key)
    }

    fn address_list_param(
        &mut self,
        property: &Property<'_>,
        line: usize,
        key: &str,
    ) -> Vec<CalAddress> {
        let Some(raw) = raw_param(property, key) else {
            return Vec::new();
        };
        let mut addresses = Vec::new();
        for element in list_elements(raw) {
            let address = CalAddress::parse(element);
            addresses.extend(self.usable_address_param(element, address, line, key));
        }
        if addresses.is_empty() && list_elements(raw).next().is_none() {
            self.usable_address_param(raw, None, line, key);
        }
        addresses
    }

    /// An unquoted `SENT-BY=mailto:x` is cut at its colon by the parser
    /// (RFC 5545 requires the quotes), leaving the bare scheme here and the
    /// rest in the property value: neither can be trusted.
    /// Dropping the parameter makes the sender checks stricter, never laxer.
    fn usable_address_param(
        &mut self,
        raw: &str,
        parsed: Option<CalAddress>,
        line: usize,
        key: &str,
    ) -> Option<CalAddress> {
        let usable = parsed.filter(|address| !address.as_str().eq_ignore_ascii_case("mailto"));
        if usable.is_none() {
            self.problem(
                line,
                format!(
                    "{key} parameter has no usable address (a mailto: value must be quoted): {}",
                    excerpt(raw)
                ),
            );
        }
        usable
    }

    fn timezone(&mut self, source: &Component<'_>) -> Option<TimeZoneDefinition> {
        let Some(tzid) = first_value(&source.properties, "TZID") else {
            let line = self.line_of(source.name.as_str());
            self.problem(line, "VTIMEZONE without a TZID");
            return None;
        };
        let mut definition = TimeZoneDefinition {
            tzid: tzid.to_owned(),
            observances: Vec::new(),
        };
        for sub in &source.components {
            let name = sub.name.as_str();
            let kind = if name.eq_ignore_ascii_case("STANDARD") {
                ObservanceKind::Standard
            } else if name.eq_ignore_ascii_case("DAYLIGHT") {
                ObservanceKind::Daylight
            } else {
                continue;
            };
            let required = (
                first_value(&sub.properties, "DTSTART"),
                first_value(&sub.properties, "TZOFFSETFROM"),
                first_value(&sub.properties, "TZOFFSETTO"),
            );
            let (Some(dtstart), Some(offset_from), Some(offset_to)) = required else {
                let line = self.line_of(name);
                self.problem(
                    line,
                    format!(
                        "{} in VTIMEZONE {} lacks DTSTART, TZOFFSETFROM or TZOFFSETTO; it is ignored",
                        name.to_ascii_uppercase(),
                        excerpt(tzid)
                    ),
                );
                continue;
            };
            definition.observances.push(Observance {
                kind,
                dtstart: dtstart.to_owned(),
                offset_from: offset_from.to_owned(),
                offset_to: offset_to.to_owned(),
                rrule: first_value(&sub.properties, "RRULE").map(str::to_owned),
                rdates: sub
                    .properties
                    .iter()
                    .filter(|property| is(property, "RDATE"))
                    .flat_map(|property| list_elements(property.val.as_str()))
                    .map(str::to_owned)
                    .collect(),
            });
        }
        Some(definition)
    }

    fn property_line(&self, property: &Property<'_>) -> usize {
        self.line_of(property.name.as_str())
    }

    /// The original line of a name the parser borrowed from the input.
    fn line_of(&self, borrowed: &str) -> usize {
        offset_within(self.unfolded, borrowed)
            .map_or(0, |offset| self.index.original_line_at(offset))
    }

    fn problem(&mut self, line: usize, detail: impl Into<String>) {
        self.problems.push((line, detail.into()));
    }
}

fn is(property: &Property<'_>, name: &str) -> bool {
    property.name.as_str().eq_ignore_ascii_case(name)
}

fn first_value<'p>(properties: &'p [Property<'_>], name: &str) -> Option<&'p str> {
    properties
        .iter()
        .find(|property| is(property, name))
        .map(|property| property.val.as_str().trim())
}

/// A parameter's value as the parser returned it: a single quoted value
/// without its quotes, a quoted list with them (`"a","b"`).
fn raw_param<'p>(property: &'p Property<'_>, key: &str) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|param| param.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|param| param.val.as_ref())
        .map(|value| value.as_str())
}

fn text_param(property: &Property<'_>, key: &str) -> Option<String> {
    raw_param(property, key)
        .map(|value| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Split a comma-separated list, keeping commas inside double quotes, and
/// drop the quotes (DELEGATED-TO lists, RDATE/EXDATE values).
fn list_elements(raw: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    raw.split(move |character| match character {
        '"' => {
            quoted = !quoted;
            false
        }
        ',' => !quoted,
        _ => false,
    })
    .map(|element| element.trim().trim_matches('"').trim())
    .filter(|element| !element.is_empty())
}

fn date_value(property: &Property<'_>, value: &str) -> DateValue {
    DateValue {
        value: value.to_owned(),
        tzid: text_param(property, "TZID"),
        value_type: text_param(property, "VALUE").map(|value| value.to_ascii_uppercase()),
    }
}

fn date_list(property: &Property<'_>, value: &str) -> Vec<DateValue> {
    let tzid = text_param(property, "TZID");
    let value_type = text_param(property, "VALUE").map(|value| value.to_ascii_uppercase());
    list_elements(value)
        .map(|element| DateValue {
            value: element.to_owned(),
            tzid: tzid.clone(),
            value_type: value_type.clone(),
        })
        .collect()
}

fn parse_boolean(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("TRUE") {
        Some(true)
    } else if value.eq_ignore_ascii_case("FALSE") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::list_elements;

    #[test]
    fn lists_split_outside_quotes_only() {
        let elements: Vec<&str> =
            list_elements("\"mailto:a@x.org\",\"mailto:b,c@x.org\", d@x.org,,").collect();
        assert_eq!(
            elements,
            vec!["mailto:a@x.org", "mailto:b,c@x.org", "d@x.org"]
        );
    }
}
