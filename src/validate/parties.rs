//! Steps 3 to 5 on the people of the object: is From the party the METHOD
//! says sends it, did the organizer invite the replying attendee, does the
//! object confirm its delegations, and is the recipient invited at all.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use mail_parser::{HeaderName, Message};

use super::lookup::CalendarLookup;
use super::{address_key, FindingList};
use crate::calendar::{Attendee, CalAddress, CalendarObject, Organizer, SchedulingComponent};
use crate::finding::Reason;

/// Methods only the organizer sends (RFC 5546 section 1.4).
const ORGANIZER_METHODS: [&str; 5] = ["PUBLISH", "REQUEST", "ADD", "CANCEL", "DECLINECOUNTER"];

/// Methods only an attendee sends.
const ATTENDEE_METHODS: [&str; 3] = ["REPLY", "REFRESH", "COUNTER"];

/// From fields with more addresses than this are read only this far.
const MAX_FROM_ADDRESSES: usize = 16;

/// Longest text quoted from the message in a detail (an address, a UID).
const MAX_QUOTED_CHARS: usize = 100;

/// At most this many names are listed in one detail.
const MAX_NAMES_LISTED: usize = 5;

/// What the people checks read.
pub(super) struct Context<'a> {
    pub(super) calendar: &'a CalendarObject,
    /// Upper-case.
    pub(super) method: Option<&'a str>,
    pub(super) from: &'a [CalAddress],
}

/// Every address of the message's From field, as mail-parser read it.
pub(super) fn from_addresses(message: &Message<'_>) -> Vec<CalAddress> {
    message
        .from()
        .map(|from| {
            from.iter()
                .filter_map(|addr| addr.address())
                .filter_map(CalAddress::parse)
                .take(MAX_FROM_ADDRESSES)
                .collect()
        })
        .unwrap_or_default()
}

/// Step 3: `organizer-mismatch` and `attendee-mismatch`.
pub(super) fn sender(context: &Context<'_>, findings: &mut FindingList) {
    let Some(method) = context.method else {
        return;
    };
    if ORGANIZER_METHODS.contains(&method) {
        organizer_sender(context, method, findings);
    } else if ATTENDEE_METHODS.contains(&method) {
        attendee_sender(context, method, findings);
    }
}

fn organizer_sender(context: &Context<'_>, method: &str, findings: &mut FindingList) {
    let mut problems = ProblemGroups::default();
    for component in &context.calendar.components {
        let Some(organizer) = &component.organizer else {
            problems.add(
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
            continue;
        };
        if context.from.is_empty() {
            problems.add(
                format!("no from {}", address_key(&organizer.address)),
                || {
                    format!(
                        "METHOD:{method} but the message has no From address to compare with the ORGANIZER {}",
                        quoted(organizer.address.as_str())
                    )
                },
                component,
            );
            continue;
        }
        for from in context.from {
            if is_organizer_side(from, organizer)
                || (method == "REQUEST"
                    && AttendeeIndex::new(component).is_delegation_forward(component, from))
            {
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
            problems.add(key, || organizer_detail(method, from, organizer), component);
        }
    }
    problems.emit(Reason::OrganizerMismatch, findings);
}

fn organizer_detail(method: &str, from: &CalAddress, organizer: &Organizer) -> String {
    let organizer_address = quoted(organizer.address.as_str());
    match &organizer.sent_by {
        Some(sent_by) => format!(
            "METHOD:{method} sent From {}, who is neither the ORGANIZER {organizer_address} nor its SENT-BY {}",
            quoted(from.as_str()),
            quoted(sent_by.as_str())
        ),
        None => format!(
            "METHOD:{method} sent From {}, who is not the ORGANIZER {organizer_address} (no SENT-BY names anyone acting for it)",
            quoted(from.as_str())
        ),
    }
}

fn is_organizer_side(from: &CalAddress, organizer: &Organizer) -> bool {
    from.matches(&organizer.address)
        || organizer
            .sent_by
            .as_ref()
            .is_some_and(|sent_by| from.matches(sent_by))
}

fn attendee_sender(context: &Context<'_>, method: &str, findings: &mut FindingList) {
    let mut problems = ProblemGroups::default();
    for component in &context.calendar.components {
        if component.attendees.is_empty() {
            problems.add(
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
            problems.add(
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
            problems.add(
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
    problems.emit(Reason::AttendeeMismatch, findings);
}

/// Whether `from` is the attendee or sends on its behalf.
fn speaks_for(from: &CalAddress, attendee: &Attendee) -> bool {
    from.matches(&attendee.address)
        || attendee
            .sent_by
            .as_ref()
            .is_some_and(|sent_by| from.matches(sent_by))
}

/// The organizer's stored copies, asked once per UID.
pub(super) struct StoredCopies<'a> {
    lookup: Option<&'a dyn CalendarLookup>,
    by_uid: HashMap<String, Option<HashSet<String>>>,
}

impl<'a> StoredCopies<'a> {
    pub(super) fn new(lookup: Option<&'a dyn CalendarLookup>) -> StoredCopies<'a> {
        StoredCopies {
            lookup,
            by_uid: HashMap::new(),
        }
    }

    /// The address keys of the stored copy's attendees, when the lookup
    /// knows the UID.
    fn attendees(&mut self, uid: &str) -> Option<&HashSet<String>> {
        let lookup = self.lookup?;
        self.by_uid
            .entry(uid.to_owned())
            .or_insert_with(|| {
                lookup
                    .attendees(uid)
                    .map(|addresses| addresses.iter().map(address_key).collect())
            })
            .as_ref()
    }
}

/// Step 3: `party-crash`, for replies and counter-proposals whose UID the
/// organizer's stored copy knows.
pub(super) fn party_crash(
    context: &Context<'_>,
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

/// Step 4: `delegation-unverified`. Each delegation (delegator, delegate)
/// must be confirmed from both sides in the same component, and the
/// organizer's stored copy, when known, must list the delegator.
pub(super) fn delegation(
    context: &Context<'_>,
    stored: &mut StoredCopies<'_>,
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
            if listed > MAX_DELEGATIONS_PER_ATTENDEE {
                findings.push(
                    Reason::DelegationUnverified,
                    format!(
                        "{} lists {listed} delegations; only the first {MAX_DELEGATIONS_PER_ATTENDEE} of each kind were checked ({label})",
                        quoted(attendee.address.as_str()),
                    ),
                );
            }
            let claims = attendee
                .delegated_from
                .iter()
                .take(MAX_DELEGATIONS_PER_ATTENDEE)
                .map(|delegator| Delegation {
                    delegator,
                    delegate: &attendee.address,
                    claimed_by_delegate: true,
                })
                .chain(
                    attendee
                        .delegated_to
                        .iter()
                        .take(MAX_DELEGATIONS_PER_ATTENDEE)
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
                if let Some(detail) = claim.unconfirmed_in(component, &index) {
                    findings.push(Reason::DelegationUnverified, format!("{detail} ({label})"));
                }
                let contradicted = uid
                    .and_then(|uid| stored.attendees(uid))
                    .is_some_and(|known| !known.contains(&address_key(claim.delegator)));
                if contradicted {
                    findings.push(
                        Reason::DelegationUnverified,
                        format!(
                            "{} is said to have delegated to {}, but the organizer's stored copy of {label} does not list {} as an attendee",
                            quoted(claim.delegator.as_str()),
                            quoted(claim.delegate.as_str()),
                            quoted(claim.delegator.as_str()),
                        ),
                    );
                }
            }
        }
    }
}

/// Delegations checked per attendee and direction. Real delegations name
/// one or two people; checking each claim scans its counterpart's list, so
/// an unbounded list would make the work quadratic in hostile input.
const MAX_DELEGATIONS_PER_ATTENDEE: usize = 32;

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

/// Step 5: `not-invited`, for a REQUEST the recipient is not part of.
pub(super) fn not_invited(
    context: &Context<'_>,
    message: &Message<'_>,
    recipients: &[CalAddress],
    findings: &mut FindingList,
) {
    if context.method != Some("REQUEST") || recipients.is_empty() {
        return;
    }
    if context
        .calendar
        .components
        .iter()
        .any(|component| names_any(component, recipients))
    {
        return;
    }
    let list_id = message
        .header_raw(HeaderName::ListId)
        .map(|value| quoted(value.trim()));
    let list_addresses: Vec<CalAddress> = match list_id {
        Some(_) => message
            .list_post()
            .as_address()
            .map(|address| {
                address
                    .iter()
                    .filter_map(|addr| addr.address())
                    .filter_map(CalAddress::parse)
                    .take(MAX_FROM_ADDRESSES)
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if !list_addresses.is_empty()
        && context
            .calendar
            .components
            .iter()
            .any(|component| names_any(component, &list_addresses))
    {
        return;
    }

    let mut detail = format!(
        "METHOD:REQUEST but none of the recipient's addresses ({}) is an ATTENDEE or the ORGANIZER, so it reached them by forwarding (From {})",
        name_list(recipients.iter().map(CalAddress::as_str)),
        from_text(context.from)
    );
    if let Some(list_id) = list_id {
        let posting = if list_addresses.is_empty() {
            "no List-Post address".to_owned()
        } else {
            format!(
                "List-Post {}",
                name_list(list_addresses.iter().map(CalAddress::as_str))
            )
        };
        detail.push_str(&format!(
            "; it came through the list {list_id} ({posting}), which is not an ATTENDEE either"
        ));
    }
    findings.push(Reason::NotInvited, detail);
}

/// Whether the component names one of `wanted` (a handful of addresses)
/// as an attendee, the organizer, or one acting for either.
fn names_any(component: &SchedulingComponent, wanted: &[CalAddress]) -> bool {
    let is_wanted = |address: &CalAddress| wanted.iter().any(|one| one.matches(address));
    let organizer_side = component.organizer.as_ref().is_some_and(|organizer| {
        is_wanted(&organizer.address) || organizer.sent_by.as_ref().is_some_and(is_wanted)
    });
    organizer_side
        || component.attendees.iter().any(|attendee| {
            is_wanted(&attendee.address) || attendee.sent_by.as_ref().is_some_and(is_wanted)
        })
}

/// A component's attendees by address key (the first of duplicates).
struct AttendeeIndex {
    by_key: HashMap<String, usize>,
}

impl AttendeeIndex {
    fn new(component: &SchedulingComponent) -> AttendeeIndex {
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
    fn is_delegation_forward(&self, component: &SchedulingComponent, from: &CalAddress) -> bool {
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

/// `VEVENT UID abc`, naming the component in a detail.
fn component_label(component: &SchedulingComponent) -> String {
    match &component.uid {
        Some(uid) => format!("{} UID {}", component.kind.as_str(), quoted(uid)),
        None => format!("{} without UID", component.kind.as_str()),
    }
}

fn from_text(from: &[CalAddress]) -> String {
    if from.is_empty() {
        "(no From address)".to_owned()
    } else {
        name_list(from.iter().map(CalAddress::as_str))
    }
}

fn attendee_list(attendees: &[Attendee]) -> String {
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
fn name_list<'n>(names: impl ExactSizeIterator<Item = &'n str>) -> String {
    let total = names.len();
    let mut listed: Vec<String> = names.take(MAX_NAMES_LISTED).map(quoted).collect();
    if total > MAX_NAMES_LISTED {
        listed.push(format!("{} more", total.saturating_sub(MAX_NAMES_LISTED)));
    }
    listed.join(", ")
}

/// Message text as quoted in a detail: at most [`MAX_QUOTED_CHARS`]
/// characters, control characters replaced.
pub(super) fn quoted(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        shown.push('…');
    }
    shown
}
