//! Step 3, party crash: a REPLY or COUNTER from an attendee the
//! organizer's stored copy does not list (`party-crash`). Without a stored
//! copy of the UID there is no evidence, and no finding.
//!
//! A delegate is new to the organizer until the delegator's reply arrives,
//! so a reply from someone claiming DELEGATED-FROM a stored attendee is no
//! crash by itself; its claim is judged by `delegation-unverified`. But
//! when the stored copy shows that attendee not delegating (no DELEGATED-TO
//! naming the delegate, PARTSTAT not DELEGATED), the claim is contradicted
//! and the sender is a crasher.

use std::collections::HashSet;

use super::detail::{component_label, quoted};
use super::lookup::StoredCopies;
use super::sender::speaks_for;
use super::{address_key, FindingList, People};
use crate::calendar::{Attendee, CalAddress};
use crate::finding::Reason;

/// `party-crash`, for replies and counter-proposals whose UID the
/// organizer's stored copy knows.
pub(super) fn check(
    context: &People<'_>,
    stored: &mut StoredCopies<'_>,
    findings: &mut FindingList,
) {
    let Some(method) = context.method else {
        return;
    };
    if !is_reply(method) {
        return;
    }
    let mut reported = HashSet::new();
    for component in &context.calendar.components {
        let Some(uid) = component.uid.as_deref() else {
            continue;
        };
        let Some(known) = stored.copy(uid) else {
            continue;
        };
        // The attendees the sender speaks for; when it speaks for none
        // (already an attendee-mismatch), every attendee present.
        let mut speaking: Vec<&Attendee> = component
            .attendees
            .iter()
            .filter(|attendee| context.from.iter().any(|from| speaks_for(from, attendee)))
            .collect();
        if speaking.is_empty() {
            speaking = component.attendees.iter().collect();
        }
        for attendee in speaking {
            if known.lists(&attendee.address) {
                continue;
            }
            let mut refuted = Vec::new();
            let delegated_by_known = attendee.delegated_from.iter().any(|delegator| {
                if !known.lists(delegator) {
                    return false;
                }
                if sender_is(context.from, delegator, &component.attendees) {
                    return true;
                }
                match known.refutes_delegation(delegator, &attendee.address) {
                    Some(refutation) => {
                        refuted.push((delegator, refutation.partstat));
                        false
                    }
                    None => true,
                }
            });
            if delegated_by_known {
                continue;
            }
            if !reported.insert((uid.to_owned(), address_key(&attendee.address))) {
                continue;
            }
            let label = component_label(component);
            let detail = match refuted.first() {
                Some((delegator, partstat)) => format!(
                    "METHOD:{method} from ATTENDEE {}, whom the organizer's stored copy of {label} does not list; it claims DELEGATED-FROM {}, but the stored copy shows {} with PARTSTAT={partstat} and no DELEGATED-TO naming it",
                    quoted(attendee.address.as_str()),
                    quoted(delegator.as_str()),
                    quoted(delegator.as_str()),
                ),
                None => format!(
                    "METHOD:{method} from ATTENDEE {}, whom the organizer's stored copy of {label} does not list ({} attendees stored)",
                    quoted(attendee.address.as_str()),
                    known.len()
                ),
            };
            findings.push(Reason::PartyCrash, detail);
        }
    }
}

/// The methods an attendee answers the organizer with, which the
/// organizer's stored copy can judge.
pub(super) fn is_reply(method: &str) -> bool {
    method == "REPLY" || method == "COUNTER"
}

/// Whether the message comes from `address` itself or from its SENT-BY in
/// this component: the delegator announcing its own delegation, which the
/// stored copy cannot show yet.
pub(super) fn sender_is(from: &[CalAddress], address: &CalAddress, attendees: &[Attendee]) -> bool {
    from.iter().any(|from| {
        from.matches(address)
            || attendees
                .iter()
                .any(|attendee| attendee.address.matches(address) && speaks_for(from, attendee))
    })
}
