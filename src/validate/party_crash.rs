//! Step 3, party crash: a REPLY or COUNTER from an attendee the
//! organizer's stored copy does not list (`party-crash`). Without a stored
//! copy of the UID there is no evidence, and no finding.

use std::collections::HashSet;

use super::detail::{component_label, quoted};
use super::lookup::StoredCopies;
use super::sender::speaks_for;
use super::{address_key, FindingList, People};
use crate::calendar::Attendee;
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
    if method != "REPLY" && method != "COUNTER" {
        return;
    }
    let mut reported = HashSet::new();
    for component in &context.calendar.components {
        let Some(uid) = component.uid.as_deref() else {
            continue;
        };
        let Some(known) = stored.attendees(uid) else {
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
            let key = address_key(&attendee.address);
            // A delegate is new to the organizer until the delegator's reply
            // arrives; its claim is judged by `delegation-unverified`.
            let delegated_by_known = attendee
                .delegated_from
                .iter()
                .any(|delegator| known.contains(&address_key(delegator)));
            if known.contains(&key) || delegated_by_known {
                continue;
            }
            if reported.insert((uid.to_owned(), key)) {
                findings.push(
                    Reason::PartyCrash,
                    format!(
                        "METHOD:{method} from ATTENDEE {}, whom the organizer's stored copy of {} does not list ({} attendees stored)",
                        quoted(attendee.address.as_str()),
                        component_label(component),
                        known.len()
                    ),
                );
            }
        }
    }
}
