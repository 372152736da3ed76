//! Step 2, copies: a message that carries one object in several parts
//! (Google's inline part and its `invite.ics`, Thunderbird's, OpenPaaS's)
//! is analysed from the preferred part, but a calendar client may read any
//! of them. So every other candidate part carrying the same object (same
//! METHOD and UID, see `structure.rs`) is read and compared with it,
//! component by component (matched by kind, UID and RECURRENCE-ID):
//!
//! - who sent it: the ORGANIZER (and its SENT-BY) of an organizer method,
//!   the ATTENDEEs of an attendee method. A copy naming another sender is
//!   the sender check failing for that copy: `organizer-mismatch` or
//!   `attendee-mismatch`, whatever From says.
//! - the rest of what identifies the object: the ORGANIZER of an attendee
//!   method, the ATTENDEEs of an organizer method, SEQUENCE, and components
//!   one copy has and the other lacks: `method-mismatch`, as for candidate
//!   parts that disagree on METHOD or UID.

use std::collections::{HashMap, HashSet};

use mail_parser::Message;

use super::detail::{component_label, name_list, quoted};
use super::sender::{ATTENDEE_METHODS, ORGANIZER_METHODS};
use super::structure::is_copy_of;
use super::{address_key, Config};
use crate::calendar::{parse_calendar, CalendarObject, Organizer, SchedulingComponent};
use crate::finding::{Finding, Reason};
use crate::message::{candidate_text, CandidateCopy, Located, LocatedObject};

/// The findings of comparing every copy of the located object with it, up
/// to `max_copies_compared`. Producers send two; a message with more copies
/// of one object than that is reported (`oversized`) rather than parsed
/// copy after copy.
pub(super) fn check(
    message: &Message<'_>,
    located: &Located,
    calendar: &CalendarObject,
    method: Option<&str>,
    config: &Config,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(chosen) = &located.object else {
        return findings;
    };
    let copies: Vec<&CandidateCopy> = located
        .other_candidates
        .iter()
        .filter(|other| is_copy_of(other, chosen))
        .collect();
    let max_copies = config.max_copies_compared;
    if copies.len() > max_copies {
        findings.push(Finding::new(
            Reason::Oversized,
            format!(
                "the object comes in {} more copies than part {}; only the first {max_copies} were compared with it (max_copies_compared)",
                copies.len(),
                chosen.part
            ),
        ));
    }
    let senders = Senders::of(method);
    let chosen_components = ComponentIndex::new(calendar);
    for copy in copies.into_iter().take(max_copies) {
        let Some(text) = candidate_text(message, copy.part_id) else {
            continue;
        };
        let object = parse_calendar(&text, &config.calendar_limits);
        let comparison = Comparison {
            copy,
            chosen,
            senders,
        };
        comparison.compare(&chosen_components, calendar, &object, &mut findings);
    }
    findings
}

/// Which people a METHOD says sent the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Senders {
    Organizer,
    Attendees,
    /// No METHOD, or one outside RFC 5546: nobody is the sender.
    Unknown,
}

impl Senders {
    fn of(method: Option<&str>) -> Senders {
        match method {
            Some(method) if ORGANIZER_METHODS.contains(&method) => Senders::Organizer,
            Some(method) if ATTENDEE_METHODS.contains(&method) => Senders::Attendees,
            _ => Senders::Unknown,
        }
    }

    fn organizer_reason(self) -> Reason {
        match self {
            Senders::Organizer => Reason::OrganizerMismatch,
            Senders::Attendees | Senders::Unknown => Reason::MethodMismatch,
        }
    }

    fn attendees_reason(self) -> Reason {
        match self {
            Senders::Attendees => Reason::AttendeeMismatch,
            Senders::Organizer | Senders::Unknown => Reason::MethodMismatch,
        }
    }
}

/// What matches a component of one copy to its counterpart in another.
type ComponentKey = (&'static str, Option<String>, Option<String>);

fn key_of(component: &SchedulingComponent) -> ComponentKey {
    (
        component.kind.as_str(),
        component.uid.clone(),
        component
            .recurrence_id
            .as_ref()
            .map(|recurrence_id| recurrence_id.value.clone()),
    )
}

/// The chosen object's components by key (the first of duplicates).
struct ComponentIndex {
    by_key: HashMap<ComponentKey, usize>,
}

impl ComponentIndex {
    fn new(calendar: &CalendarObject) -> ComponentIndex {
        let mut by_key = HashMap::with_capacity(calendar.components.len());
        for (position, component) in calendar.components.iter().enumerate() {
            by_key.entry(key_of(component)).or_insert(position);
        }
        ComponentIndex { by_key }
    }
}

/// One way two copies can disagree; each is reported once per copy, for
/// the first component it shows in, with a count of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Aspect {
    Organizer,
    Attendees,
    Sequence,
    OnlyInCopy,
    OnlyInChosen,
}

/// The first disagreement of one aspect, and how many more components
/// show it.
struct Disagreement {
    reason: Reason,
    detail: String,
    label: String,
    more: usize,
}

struct Comparison<'a> {
    copy: &'a CandidateCopy,
    chosen: &'a LocatedObject,
    senders: Senders,
}

impl Comparison<'_> {
    fn compare(
        &self,
        index: &ComponentIndex,
        calendar: &CalendarObject,
        object: &CalendarObject,
        findings: &mut Vec<Finding>,
    ) {
        let mut found: Vec<(Aspect, Disagreement)> = Vec::new();
        let mut note = |aspect: Aspect,
                        reason: Reason,
                        component: &SchedulingComponent,
                        detail: &dyn Fn() -> String| {
            match found.iter_mut().find(|(seen, _)| *seen == aspect) {
                Some((_, first)) => first.more = first.more.saturating_add(1),
                None => found.push((
                    aspect,
                    Disagreement {
                        reason,
                        detail: detail(),
                        label: component_label(component),
                        more: 0,
                    },
                )),
            }
        };
        let mut matched = HashSet::new();
        for component in &object.components {
            let key = key_of(component);
            let counterpart = index
                .by_key
                .get(&key)
                .and_then(|&position| calendar.components.get(position));
            let Some(counterpart) = counterpart else {
                note(
                    Aspect::OnlyInCopy,
                    Reason::MethodMismatch,
                    component,
                    &|| {
                        format!(
                            "carries {} that part {} does not",
                            recurrence_text(component),
                            self.chosen.part
                        )
                    },
                );
                continue;
            };
            matched.insert(key);
            if organizer_key(&component.organizer) != organizer_key(&counterpart.organizer) {
                note(
                    Aspect::Organizer,
                    self.senders.organizer_reason(),
                    component,
                    &|| {
                        format!(
                            "names {} where part {} names {}",
                            organizer_text(&component.organizer),
                            self.chosen.part,
                            organizer_text(&counterpart.organizer)
                        )
                    },
                );
            }
            if let Some(detail) = attendee_difference(component, counterpart) {
                note(
                    Aspect::Attendees,
                    self.senders.attendees_reason(),
                    component,
                    &|| detail.clone(),
                );
            }
            if component.sequence != counterpart.sequence {
                note(Aspect::Sequence, Reason::MethodMismatch, component, &|| {
                    format!(
                        "has SEQUENCE {} where part {} has {}",
                        sequence_text(component.sequence),
                        self.chosen.part,
                        sequence_text(counterpart.sequence)
                    )
                });
            }
        }
        for component in &calendar.components {
            if !matched.contains(&key_of(component)) {
                note(
                    Aspect::OnlyInChosen,
                    Reason::MethodMismatch,
                    component,
                    &|| {
                        format!(
                            "lacks {} that part {} carries",
                            recurrence_text(component),
                            self.chosen.part
                        )
                    },
                );
            }
        }
        found.sort_by_key(|(aspect, _)| *aspect);
        for (_, disagreement) in found {
            let whereabouts = match disagreement.more {
                0 => disagreement.label,
                more => format!("{} and {more} more components", disagreement.label),
            };
            findings.push(Finding::new(
                disagreement.reason,
                format!(
                    "part {}, a copy of the object in part {}, {} ({whereabouts})",
                    self.copy.part, self.chosen.part, disagreement.detail
                ),
            ));
        }
    }
}

/// The ORGANIZER and its SENT-BY as compared: whole addresses, case folded.
fn organizer_key(organizer: &Option<Organizer>) -> Option<(String, Option<String>)> {
    organizer.as_ref().map(|organizer| {
        (
            address_key(&organizer.address),
            organizer.sent_by.as_ref().map(address_key),
        )
    })
}

fn organizer_text(organizer: &Option<Organizer>) -> String {
    match organizer {
        None => "no ORGANIZER".to_owned(),
        Some(organizer) => match &organizer.sent_by {
            None => format!("ORGANIZER {}", quoted(organizer.address.as_str())),
            Some(sent_by) => format!(
                "ORGANIZER {} (SENT-BY {})",
                quoted(organizer.address.as_str()),
                quoted(sent_by.as_str())
            ),
        },
    }
}

/// Which ATTENDEEs one copy lists and the other does not, if any.
fn attendee_difference(copy: &SchedulingComponent, chosen: &SchedulingComponent) -> Option<String> {
    let keys = |component: &SchedulingComponent| -> HashSet<String> {
        component
            .attendees
            .iter()
            .map(|attendee| address_key(&attendee.address))
            .collect()
    };
    let (in_copy, in_chosen) = (keys(copy), keys(chosen));
    let only = |component: &SchedulingComponent, other: &HashSet<String>| -> Vec<String> {
        let mut listed = HashSet::new();
        component
            .attendees
            .iter()
            .filter(|attendee| {
                let key = address_key(&attendee.address);
                !other.contains(&key) && listed.insert(key)
            })
            .map(|attendee| attendee.address.as_str().to_owned())
            .collect()
    };
    let added = only(copy, &in_chosen);
    let left_out = only(chosen, &in_copy);
    let names = |names: &[String]| name_list(names.iter().map(String::as_str));
    match (added.is_empty(), left_out.is_empty()) {
        (true, true) => None,
        (false, true) => Some(format!("adds ATTENDEE {}", names(&added))),
        (true, false) => Some(format!("leaves out ATTENDEE {}", names(&left_out))),
        (false, false) => Some(format!(
            "adds ATTENDEE {} and leaves out {}",
            names(&added),
            names(&left_out)
        )),
    }
}

fn sequence_text(sequence: Option<u32>) -> String {
    sequence.map_or_else(|| "(none)".to_owned(), |sequence| sequence.to_string())
}

/// `a VEVENT` or `the instance RECURRENCE-ID 20261208T090000Z`, naming a
/// component that has no counterpart (its UID follows in the label).
fn recurrence_text(component: &SchedulingComponent) -> String {
    match &component.recurrence_id {
        Some(recurrence_id) => format!(
            "the {} instance RECURRENCE-ID {}",
            component.kind.as_str(),
            quoted(&recurrence_id.value)
        ),
        None => format!("a {} without RECURRENCE-ID", component.kind.as_str()),
    }
}
