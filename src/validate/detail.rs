//! How the people steps name what they found: components, addresses and
//! lists of them, with untrusted text quoted briefly.

use crate::calendar::{Attendee, CalAddress, SchedulingComponent};
use crate::finding::{quote_untrusted, Quote};

/// At most this many names are listed in one detail.
const MAX_NAMES_LISTED: usize = 5;

/// `VEVENT UID abc`, naming the component in a detail.
pub(super) fn component_label(component: &SchedulingComponent) -> String {
    match &component.uid {
        Some(uid) => format!("{} UID {}", component.kind.as_str(), quoted(uid)),
        None => format!("{} without UID", component.kind.as_str()),
    }
}

pub(super) fn from_text(from: &[CalAddress]) -> String {
    if from.is_empty() {
        "(no From address)".to_owned()
    } else {
        name_list(from.iter().map(CalAddress::as_str))
    }
}

pub(super) fn attendee_list(attendees: &[Attendee]) -> String {
    let noun = if attendees.len() == 1 {
        "ATTENDEE"
    } else {
        "ATTENDEEs"
    };
    format!(
        "{noun} {}",
        name_list(attendees.iter().map(|attendee| attendee.address.as_str()))
    )
}

/// `a, b, c and 4 more`.
pub(super) fn name_list<'n>(names: impl ExactSizeIterator<Item = &'n str>) -> String {
    let total = names.len();
    let mut listed: Vec<String> = names.take(MAX_NAMES_LISTED).map(quoted).collect();
    if total > MAX_NAMES_LISTED {
        listed.push(format!("{} more", total.saturating_sub(MAX_NAMES_LISTED)));
    }
    listed.join(", ")
}

/// Message text as quoted in a detail (a whole value: an address, a UID).
pub(super) fn quoted(text: &str) -> String {
    quote_untrusted(text, Quote::Value)
}
