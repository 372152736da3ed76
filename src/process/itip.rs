//! What iTIP (RFC 5546) reads in a component: which instance it is, which
//! version (SEQUENCE, then DTSTAMP: section 2.1.5), who organizes it and who
//! attends; and the few date computations an instance needs.

use std::cmp::Ordering;

use chrono::{NaiveDate, NaiveDateTime};

use super::ical::{Component, Property};
use crate::calendar::CalAddress;

/// The component kinds a calendar store keeps (VFREEBUSY is an answer, not
/// an entry).
pub(super) const STORED_KINDS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

/// The X- parameters on an ATTENDEE of the organizer's stored copy that
/// remember that attendee's last applied REPLY, so an older reply arriving
/// later is not applied over it (RFC 5546 section 2.1.5).
pub(super) const REPLY_SEQUENCE_PARAM: &str = "X-SIEVE-IMIP-REPLY-SEQUENCE";
pub(super) const REPLY_DTSTAMP_PARAM: &str = "X-SIEVE-IMIP-REPLY-DTSTAMP";

/// Whether the component is one a store keeps.
pub(super) fn is_stored_kind(component: &Component) -> bool {
    STORED_KINDS.iter().any(|kind| component.is(kind))
}

/// The instance a component stands for: `None` for the master (no
/// RECURRENCE-ID), else the RECURRENCE-ID value with its TZID, which
/// identify the instance among the overrides of one UID.
pub(super) fn instance_key(component: &Component) -> Option<String> {
    component.property("RECURRENCE-ID").map(property_instant)
}

/// A date or date-time property as a comparable key: value and TZID.
pub(super) fn property_instant(property: &Property) -> String {
    let tzid = property.param("TZID").unwrap_or_default().to_lowercase();
    format!("{}|{tzid}", property.value.trim().to_ascii_uppercase())
}

/// A component's version: SEQUENCE (0 when absent) and DTSTAMP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Version {
    pub sequence: u32,
    /// DTSTAMP as `YYYYMMDDTHHMMSSZ`; `None` when absent or not UTC.
    pub stamp: Option<String>,
}

impl Version {
    pub fn of(component: &Component) -> Version {
        Version {
            sequence: sequence(component.value_of("SEQUENCE")),
            stamp: component.value_of("DTSTAMP").and_then(utc_stamp),
        }
    }

    /// Older, newer or the same (RFC 5546 section 2.1.5: SEQUENCE first,
    /// then DTSTAMP); two stamps compare only when both are known.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.sequence
            .cmp(&other.sequence)
            .then_with(|| match (&self.stamp, &other.stamp) {
                (Some(mine), Some(theirs)) => mine.cmp(theirs),
                _ => Ordering::Equal,
            })
    }

    pub fn describe(&self) -> String {
        match &self.stamp {
            Some(stamp) => format!("SEQUENCE {}, DTSTAMP {stamp}", self.sequence),
            None => format!("SEQUENCE {}", self.sequence),
        }
    }
}

/// SEQUENCE as RFC 5545 writes integers (a sign allowed); absent,
/// negative or out of range counts as 0.
pub(super) fn sequence(value: Option<&str>) -> u32 {
    value
        .map(str::trim)
        .map(|text| text.strip_prefix('+').unwrap_or(text))
        .and_then(|text| text.parse::<u32>().ok())
        .unwrap_or(0)
}

/// A UTC date-time in the basic form (`20261120T120000Z`), or `None`.
pub(super) fn utc_stamp(value: &str) -> Option<String> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 16
        && bytes.get(8) == Some(&b'T')
        && matches!(bytes.get(15), Some(b'Z' | b'z'))
        && bytes
            .iter()
            .enumerate()
            .all(|(at, byte)| at == 8 || at == 15 || byte.is_ascii_digit());
    shaped.then(|| value.to_ascii_uppercase())
}

/// The ORGANIZER's address.
pub(super) fn organizer(component: &Component) -> Option<CalAddress> {
    component
        .property("ORGANIZER")
        .and_then(|property| CalAddress::parse(&property.value))
}

/// Whether `address` is one of the user's.
pub(super) fn is_user(address: &CalAddress, user: &[CalAddress]) -> bool {
    user.iter().any(|mine| mine.matches(address))
}

/// The position, among the component's properties, of the ATTENDEE whose
/// address is `address`.
pub(super) fn attendee_position(component: &Component, address: &CalAddress) -> Option<usize> {
    component.properties.iter().position(|property| {
        property.is("ATTENDEE")
            && CalAddress::parse(&property.value).is_some_and(|a| a.matches(address))
    })
}

/// The ATTENDEE addresses of the component.
pub(super) fn attendees(component: &Component) -> impl Iterator<Item = (&Property, CalAddress)> {
    component
        .properties_named("ATTENDEE")
        .filter_map(|property| CalAddress::parse(&property.value).map(|a| (property, a)))
}

/// The PARTSTAT of an ATTENDEE, upper-cased; RFC 5545 section 3.2.12's
/// default when absent.
pub(super) fn partstat(attendee: &Property) -> String {
    attendee
        .param("PARTSTAT")
        .map(|value| value.trim().to_ascii_uppercase())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| "NEEDS-ACTION".to_owned())
}

/// Whether the ATTENDEE delegated to `delegate` (its DELEGATED-TO names it).
pub(super) fn delegated_to(attendee: &Property, delegate: &CalAddress) -> bool {
    attendee
        .param_values("DELEGATED-TO")
        .filter_map(CalAddress::parse)
        .any(|named| named.matches(delegate))
}

/// A `mailto:` URI for an address as the validation normalised it.
pub(super) fn mailto(address: &CalAddress) -> String {
    if address.as_str().contains('@') {
        format!("mailto:{address}")
    } else {
        address.to_string()
    }
}

/// An instance of `master` as its own component (an override), at the
/// start `recurrence_id` names: the master's properties without its rules,
/// DTSTART at the instance, DTEND moved by the master's length.
pub(super) fn instance_of(master: &Component, recurrence_id: &Property) -> Component {
    let mut instance = master.clone();
    for rule in ["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"] {
        instance.remove(rule);
    }
    let end = shifted_end(master, recurrence_id);
    let mut start = recurrence_id.clone();
    start.name = "DTSTART".to_owned();
    let mut rid = recurrence_id.clone();
    rid.name = "RECURRENCE-ID".to_owned();
    replace_or_push(&mut instance, start);
    if master.property("DTEND").is_some() {
        instance.remove("DTEND");
        if let Some(end) = end {
            instance.properties.push(end);
        }
    }
    instance.properties.push(rid);
    instance
}

fn replace_or_push(component: &mut Component, property: Property) {
    match component
        .properties
        .iter_mut()
        .find(|existing| existing.is(&property.name))
    {
        Some(existing) => *existing = property,
        None => component.properties.push(property),
    }
}

/// A DATE or DATE-TIME value as written (local, UTC or floating).
#[derive(Debug, Clone, Copy)]
enum Instant {
    Date(NaiveDate),
    DateTime(NaiveDateTime, bool),
}

fn instant(value: &str) -> Option<Instant> {
    let value = value.trim();
    if let Some(utc) = value.strip_suffix(['Z', 'z']) {
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .ok()
            .map(|at| Instant::DateTime(at, true));
    }
    if value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()
            .map(Instant::Date);
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .ok()
        .map(|at| Instant::DateTime(at, false))
}

/// DTEND of the instance starting at `start`: the master's DTEND moved as
/// far as its DTSTART moves, written like `start`; `None` when the values
/// cannot be read or are of different kinds.
fn shifted_end(master: &Component, start: &Property) -> Option<Property> {
    let master_start = instant(&master.property("DTSTART")?.value)?;
    let master_end_property = master.property("DTEND")?;
    let master_end = instant(&master_end_property.value)?;
    let value = match (master_start, master_end, instant(&start.value)?) {
        (Instant::Date(from), Instant::Date(to), Instant::Date(at)) => at
            .checked_add_signed(to.signed_duration_since(from))?
            .format("%Y%m%d")
            .to_string(),
        (Instant::DateTime(from, _), Instant::DateTime(to, _), Instant::DateTime(at, utc)) => {
            let moved = at.checked_add_signed(to.signed_duration_since(from))?;
            let text = moved.format("%Y%m%dT%H%M%S").to_string();
            if utc {
                format!("{text}Z")
            } else {
                text
            }
        }
        _ => return None,
    };
    let mut end = start.clone();
    end.name = "DTEND".to_owned();
    end.value = value;
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_sequence_then_stamp() {
        let version = |sequence: u32, stamp: Option<&str>| Version {
            sequence,
            stamp: stamp.map(str::to_owned),
        };
        let a = version(1, Some("20261120T100000Z"));
        assert_eq!(a.compare(&version(2, None)), Ordering::Less);
        assert_eq!(
            a.compare(&version(1, Some("20261120T090000Z"))),
            Ordering::Greater
        );
        assert_eq!(a.compare(&version(1, None)), Ordering::Equal);
        assert_eq!(sequence(Some(" +3 ")), 3);
        assert_eq!(sequence(Some("-1")), 0);
        assert_eq!(
            utc_stamp("20261120T100000z").as_deref(),
            Some("20261120T100000Z")
        );
        assert_eq!(utc_stamp("20261120T100000"), None);
    }

    #[test]
    fn an_instance_moves_its_end_with_its_start() {
        let mut master = Component::new("VEVENT");
        let mut start = Property::new("DTSTART", "20261201T100000");
        start.set_param("TZID", &["Europe/Zurich"]);
        master.properties.push(start.clone());
        let mut end = Property::new("DTEND", "20261201T113000");
        end.set_param("TZID", &["Europe/Zurich"]);
        master.properties.push(end);
        master
            .properties
            .push(Property::new("RRULE", "FREQ=WEEKLY"));
        let mut rid = Property::new("RECURRENCE-ID", "20261208T100000");
        rid.set_param("TZID", &["Europe/Zurich"]);
        let instance = instance_of(&master, &rid);
        assert_eq!(instance.value_of("DTSTART"), Some("20261208T100000"));
        assert_eq!(instance.value_of("DTEND"), Some("20261208T113000"));
        assert_eq!(instance.value_of("RECURRENCE-ID"), Some("20261208T100000"));
        assert!(instance.property("RRULE").is_none());
        assert_eq!(
            instance_key(&instance),
            Some("20261208T100000|europe/zurich".to_owned())
        );
    }
}
