//! Step 3, sender: is From the party the METHOD says sends it? Organizer
//! methods (PUBLISH, REQUEST, ADD, CANCEL, DECLINECOUNTER) must come from
//! the ORGANIZER or its SENT-BY (`organizer-mismatch`), attendee methods
//! (REPLY, REFRESH, COUNTER) from a replying ATTENDEE or its SENT-BY
//! (`attendee-mismatch`). A delegator forwarding the REQUEST to its
//! confirmed delegate (RFC 5546 section 3.2.2.3) is no mismatch, and
//! neither is a provider's scheduling relay sending for an ORGANIZER on
//! its relay domain (`relays.rs`), once the trusted results, if any,
//! authenticate it.
//!
//! A check that cannot be made is not a mismatch: a message without From,
//! or an object without the ORGANIZER or ATTENDEE the METHOD is checked
//! against, gives `sender-unverifiable`, except for PUBLISH, which asks
//! nothing of the recipient (booking confirmations and tickets often carry
//! no ORGANIZER), and gives nothing.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::delegation::AttendeeIndex;
use super::detail::{attendee_list, component_label, from_text, quoted};
use super::relays::{RelayCheck, RelayVerdict};
use super::{address_key, FindingList, People};
use crate::calendar::{Attendee, CalAddress, Organizer, SchedulingComponent};
use crate::finding::Reason;

/// Methods only the organizer sends (RFC 5546 section 1.4).
pub(super) const ORGANIZER_METHODS: [&str; 5] =
    ["PUBLISH", "REQUEST", "ADD", "CANCEL", "DECLINECOUNTER"];

/// Methods only an attendee sends.
pub(super) const ATTENDEE_METHODS: [&str; 3] = ["REPLY", "REFRESH", "COUNTER"];

/// `organizer-mismatch`, `attendee-mismatch` and `sender-unverifiable`.
pub(super) fn check(context: &People<'_>, relays: &RelayCheck<'_>, findings: &mut FindingList) {
    let Some(method) = context.method else {
        return;
    };
    if ORGANIZER_METHODS.contains(&method) {
        organizer_sender(context, method, relays, findings);
    } else if ATTENDEE_METHODS.contains(&method) {
        attendee_sender(context, method, findings);
    }
}

fn organizer_sender(
    context: &People<'_>,
    method: &str,
    relays: &RelayCheck<'_>,
    findings: &mut FindingList,
) {
    let mut mismatches = ProblemGroups::default();
    let mut unverifiable = ProblemGroups::default();
    // A PUBLISH asks nothing of the recipient: what it lacks for the check
    // is no risk.
    let report_unverifiable = method != "PUBLISH";
    for component in &context.calendar.components {
        let Some(organizer) = &component.organizer else {
            if report_unverifiable {
                unverifiable.add(
                    format!("no organizer {}", component.kind.as_str()),
                    || {
                        format!(
                            "METHOD:{method} but {} has no ORGANIZER, so the sender {} cannot be checked against it",
                            component.kind.as_str(),
                            from_text(context.from)
                        )
                    },
                    component,
                );
            }
            continue;
        };
        if context.from.is_empty() {
            if report_unverifiable {
                unverifiable.add(
                    format!("no from {}", address_key(&organizer.address)),
                    || {
                        format!(
                            "METHOD:{method} but the message has no From address to compare with the ORGANIZER {}",
                            quoted(organizer.address.as_str())
                        )
                    },
                    component,
                );
            }
            continue;
        }
        for from in context.from {
            if is_organizer_side(from, organizer)
                || (method == "REQUEST"
                    && AttendeeIndex::new(component).is_delegation_forward(component, from))
            {
                continue;
            }
            let relay = relays.verdict(from, &organizer.address);
            if matches!(relay, RelayVerdict::Vouched) {
                continue;
            }
            let key = format!(
                "{} {} {}",
                address_key(from),
                address_key(&organizer.address),
                organizer
                    .sent_by
                    .as_ref()
                    .map(address_key)
                    .unwrap_or_default()
            );
            mismatches.add(
                key,
                || organizer_detail(method, from, organizer, &relay),
                component,
            );
        }
    }
    mismatches.emit(Reason::OrganizerMismatch, findings);
    unverifiable.emit(Reason::SenderUnverifiable, findings);
}

fn organizer_detail(
    method: &str,
    from: &CalAddress,
    organizer: &Organizer,
    relay: &RelayVerdict,
) -> String {
    let organizer_address = quoted(organizer.address.as_str());
    let mismatch = match &organizer.sent_by {
        Some(sent_by) => format!(
            "METHOD:{method} sent From {}, who is neither the ORGANIZER {organizer_address} nor its SENT-BY {}",
            quoted(from.as_str()),
            quoted(sent_by.as_str())
        ),
        None => format!(
            "METHOD:{method} sent From {}, who is not the ORGANIZER {organizer_address} (no SENT-BY names anyone acting for it)",
            quoted(from.as_str())
        ),
    };
    match relay {
        RelayVerdict::Unauthenticated(why) => format!(
            "{mismatch}; its domain is a scheduling relay for the ORGANIZER's, but {why}, so the relay does not count"
        ),
        RelayVerdict::NotARelay | RelayVerdict::Vouched => mismatch,
    }
}

fn is_organizer_side(from: &CalAddress, organizer: &Organizer) -> bool {
    from.matches(&organizer.address)
        || organizer
            .sent_by
            .as_ref()
            .is_some_and(|sent_by| from.matches(sent_by))
}

fn attendee_sender(context: &People<'_>, method: &str, findings: &mut FindingList) {
    let mut mismatches = ProblemGroups::default();
    let mut unverifiable = ProblemGroups::default();
    for component in &context.calendar.components {
        if component.attendees.is_empty() {
            unverifiable.add(
                format!("no attendee {}", component.kind.as_str()),
                || {
                    format!(
                        "METHOD:{method} but {} has no ATTENDEE, so the sender {} cannot be checked against it",
                        component.kind.as_str(),
                        from_text(context.from)
                    )
                },
                component,
            );
            continue;
        }
        let attendees_key = || attendees_fingerprint(&component.attendees);
        if context.from.is_empty() {
            unverifiable.add(
                format!("no from {}", attendees_key()),
                || {
                    format!(
                        "METHOD:{method} but the message has no From address to compare with the replying {}",
                        attendee_list(&component.attendees)
                    )
                },
                component,
            );
            continue;
        }
        for from in context.from {
            if component
                .attendees
                .iter()
                .any(|attendee| speaks_for(from, attendee))
            {
                continue;
            }
            mismatches.add(
                format!("{} {}", address_key(from), attendees_key()),
                || {
                    format!(
                        "METHOD:{method} sent From {}, who is neither the replying {} nor a SENT-BY of it",
                        quoted(from.as_str()),
                        attendee_list(&component.attendees)
                    )
                },
                component,
            );
        }
    }
    mismatches.emit(Reason::AttendeeMismatch, findings);
    unverifiable.emit(Reason::SenderUnverifiable, findings);
}

/// Whether `from` is the attendee or sends on its behalf.
pub(super) fn speaks_for(from: &CalAddress, attendee: &Attendee) -> bool {
    from.matches(&attendee.address)
        || attendee
            .sent_by
            .as_ref()
            .is_some_and(|sent_by| from.matches(sent_by))
}

/// Problems of one reason grouped by what they are, so a series with many
/// changed instances gives one finding, not one per component.
#[derive(Default)]
struct ProblemGroups {
    order: Vec<(String, String, usize)>,
    by_key: HashMap<String, usize>,
}

impl ProblemGroups {
    fn add(
        &mut self,
        key: String,
        detail: impl FnOnce() -> String,
        component: &SchedulingComponent,
    ) {
        match self.by_key.get(&key) {
            Some(&position) => {
                if let Some((_, _, more)) = self.order.get_mut(position) {
                    *more = more.saturating_add(1);
                }
            }
            None => {
                self.by_key.insert(key, self.order.len());
                self.order.push((detail(), component_label(component), 0));
            }
        }
    }

    fn emit(self, reason: Reason, findings: &mut FindingList) {
        for (detail, label, more) in self.order {
            let whereabouts = match more {
                0 => label,
                more => format!("{label} and {more} more components"),
            };
            findings.push(reason, format!("{detail} ({whereabouts})"));
        }
    }
}

/// A hash of a component's attendee addresses: which attendees a problem
/// is about, without keeping thousands of addresses as a key.
fn attendees_fingerprint(attendees: &[Attendee]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for attendee in attendees {
        address_key(&attendee.address).hash(&mut hasher);
    }
    hasher.finish()
}
