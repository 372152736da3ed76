//! Step 4, delegation: every DELEGATED-FROM / DELEGATED-TO must be
//! confirmed by its other side in the same component, and the organizer's
//! stored copy, when known, must list the delegator and, for a reply the
//! delegator did not send itself, must not show the delegator keeping the
//! invitation (`delegation-unverified`).

use std::collections::{HashMap, HashSet};

use super::detail::{component_label, quoted};
use super::lookup::StoredCopies;
use super::party_crash::{is_reply, sender_is};
use super::{address_key, FindingList, People};
use crate::calendar::{Attendee, CalAddress, SchedulingComponent};
use crate::finding::Reason;

/// `delegation-unverified`. Each delegation (delegator, delegate)
/// must be confirmed from both sides in the same component, and the
/// organizer's stored copy, when known, must list the delegator. At most
/// `max_delegations` of each kind are checked per attendee: real
/// delegations name one or two people, and checking each claim scans its
/// counterpart's list, so an unbounded list would make the work quadratic
/// in hostile input.
pub(super) fn check(
    context: &People<'_>,
    stored: &mut StoredCopies<'_>,
    max_delegations: usize,
    findings: &mut FindingList,
) {
    let mut seen = HashSet::new();
    for component in &context.calendar.components {
        let delegates = component.attendees.iter().any(|attendee| {
            !attendee.delegated_from.is_empty() || !attendee.delegated_to.is_empty()
        });
        if !delegates {
            continue;
        }
        let index = AttendeeIndex::new(component);
        let label = component_label(component);
        let uid = component.uid.as_deref();
        for attendee in &component.attendees {
            let listed = attendee
                .delegated_from
                .len()
                .saturating_add(attendee.delegated_to.len());
            if attendee.delegated_from.len() > max_delegations
                || attendee.delegated_to.len() > max_delegations
            {
                findings.push(
                    Reason::Oversized,
                    format!(
                        "{} lists {listed} delegations; only the first {max_delegations} of each kind were checked (max_delegations_per_attendee) ({label})",
                        quoted(attendee.address.as_str()),
                    ),
                );
            }
            let claims = attendee
                .delegated_from
                .iter()
                .take(max_delegations)
                .map(|delegator| Delegation {
                    delegator,
                    delegate: &attendee.address,
                    claimed_by_delegate: true,
                })
                .chain(
                    attendee
                        .delegated_to
                        .iter()
                        .take(max_delegations)
                        .map(|delegate| Delegation {
                            delegator: &attendee.address,
                            delegate,
                            claimed_by_delegate: false,
                        }),
                );
            for claim in claims {
                let key = (
                    uid.map(str::to_owned),
                    address_key(claim.delegator),
                    address_key(claim.delegate),
                );
                if !seen.insert(key) {
                    continue;
                }
                let known = uid.and_then(|uid| stored.copy(uid));
                if let Some(detail) = claim.unconfirmed_in(component, &index) {
                    // A delegate's own REPLY carries only her ATTENDEE line
                    // (RFC 5546 3.2.2.3): the other side is the delegator's
                    // DELEGATED-TO, which the organizer's stored copy holds
                    // once the delegator's reply was applied.
                    let confirmed_by_copy = claim.claimed_by_delegate
                        && known.is_some_and(|known| {
                            known.confirms_delegation(claim.delegator, claim.delegate)
                        });
                    if !confirmed_by_copy {
                        findings.push(Reason::DelegationUnverified, format!("{detail} ({label})"));
                    }
                }
                let Some(known) = known else {
                    continue;
                };
                if !known.lists(claim.delegator) {
                    findings.push(
                        Reason::DelegationUnverified,
                        format!(
                            "{} is said to have delegated to {}, but the organizer's stored copy of {label} does not list {} as an attendee",
                            quoted(claim.delegator.as_str()),
                            quoted(claim.delegate.as_str()),
                            quoted(claim.delegator.as_str()),
                        ),
                    );
                    continue;
                }
                // The delegator's own reply announces the delegation the
                // stored copy cannot show yet; anyone else's is checked.
                let replying_for_delegator = context.method.is_some_and(is_reply)
                    && !sender_is(context.from, claim.delegator, &component.attendees);
                if !replying_for_delegator {
                    continue;
                }
                if let Some(refutation) = known.refutes_delegation(claim.delegator, claim.delegate)
                {
                    findings.push(
                        Reason::DelegationUnverified,
                        format!(
                            "{} is said to have delegated to {}, but the organizer's stored copy of {label} shows {} with PARTSTAT={} and no DELEGATED-TO naming {}",
                            quoted(claim.delegator.as_str()),
                            quoted(claim.delegate.as_str()),
                            quoted(claim.delegator.as_str()),
                            refutation.partstat,
                            quoted(claim.delegate.as_str()),
                        ),
                    );
                }
            }
        }
    }
}

/// One delegation as claimed by one of its sides.
struct Delegation<'a> {
    delegator: &'a CalAddress,
    delegate: &'a CalAddress,
    /// True for a DELEGATED-FROM on the delegate, false for a DELEGATED-TO
    /// on the delegator.
    claimed_by_delegate: bool,
}

impl Delegation<'_> {
    /// Why the other side does not confirm the claim, if it does not.
    fn unconfirmed_in(
        &self,
        component: &SchedulingComponent,
        index: &AttendeeIndex,
    ) -> Option<String> {
        let delegator = index.get(component, self.delegator);
        let delegate = index.get(component, self.delegate);
        let delegator_confirms = delegator.is_some_and(|attendee| {
            attendee
                .delegated_to
                .iter()
                .any(|to| to.matches(self.delegate))
        });
        let delegate_confirms = delegate.is_some_and(|attendee| {
            attendee
                .delegated_from
                .iter()
                .any(|from| from.matches(self.delegator))
        });
        if delegator_confirms && delegate_confirms {
            return None;
        }
        let delegator_text = quoted(self.delegator.as_str());
        let delegate_text = quoted(self.delegate.as_str());
        let (claimant, parameter, counterpart, counterpart_present, counter_parameter) =
            if self.claimed_by_delegate {
                (
                    &delegate_text,
                    "DELEGATED-FROM",
                    &delegator_text,
                    delegator.is_some(),
                    "DELEGATED-TO",
                )
            } else {
                (
                    &delegator_text,
                    "DELEGATED-TO",
                    &delegate_text,
                    delegate.is_some(),
                    "DELEGATED-FROM",
                )
            };
        Some(if counterpart_present {
            format!(
                "ATTENDEE {claimant} has {parameter}={counterpart}, but the {counter_parameter} of {counterpart} does not name {claimant}"
            )
        } else {
            format!(
                "ATTENDEE {claimant} has {parameter}={counterpart}, but {counterpart} is not an ATTENDEE of the object to confirm it"
            )
        })
    }
}

/// A component's attendees by address key (the first of duplicates).
pub(super) struct AttendeeIndex {
    by_key: HashMap<String, usize>,
}

impl AttendeeIndex {
    pub(super) fn new(component: &SchedulingComponent) -> AttendeeIndex {
        let mut by_key = HashMap::with_capacity(component.attendees.len());
        for (position, attendee) in component.attendees.iter().enumerate() {
            by_key
                .entry(address_key(&attendee.address))
                .or_insert(position);
        }
        AttendeeIndex { by_key }
    }

    fn get<'c>(
        &self,
        component: &'c SchedulingComponent,
        address: &CalAddress,
    ) -> Option<&'c Attendee> {
        self.by_key
            .get(&address_key(address))
            .and_then(|&position| component.attendees.get(position))
    }

    /// Whether `from` is an attendee that delegated to another attendee,
    /// both sides confirming: RFC 5546 section 3.2.2.3 has the delegator
    /// send the REQUEST on to the delegate itself.
    pub(super) fn is_delegation_forward(
        &self,
        component: &SchedulingComponent,
        from: &CalAddress,
    ) -> bool {
        let Some(delegator) = self.get(component, from) else {
            return false;
        };
        delegator.delegated_to.iter().any(|delegate| {
            self.get(component, delegate).is_some_and(|attendee| {
                attendee
                    .delegated_from
                    .iter()
                    .any(|back| back.matches(&delegator.address))
            })
        })
    }
}
