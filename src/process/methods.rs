//! What each iTIP method (RFC 5546 section 3.2 for VEVENT, the same rules
//! for VTODO and VJOURNAL) does to the user's stored copy of one UID: a
//! plan (create, replace, delete, or refuse with a reason), computed from
//! the message and the stored copy alone, so the write around it can be
//! retried on a fresh copy.

use std::cmp::Ordering;

use super::ical::{Component, Property};
use super::itip::{
    attendee_position, attendees, delegated_to, instance_key, instance_of, is_stored_kind, is_user,
    mailto, organizer, partstat, property_instant, Version, REPLY_DTSTAMP_PARAM,
    REPLY_SEQUENCE_PARAM,
};
use super::{Options, ProcessOutcome};
use crate::calendar::CalAddress;
use crate::finding::{quote_untrusted, Quote};

/// What to do with the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// Store this new object (no copy of the UID exists).
    Create(Component),
    /// Replace the stored copy with this object.
    Update(Component),
    /// Remove the stored copy (`:deletecancelled`).
    Delete,
    /// Change nothing, for this reason.
    Refuse(ProcessOutcome, String),
}

/// One UID's part of the message.
pub(super) struct Incoming<'a> {
    /// The effective METHOD, upper-cased.
    pub method: &'a str,
    /// The message's VCALENDAR (calendar properties, VTIMEZONEs).
    pub calendar: &'a Component,
    pub uid: &'a str,
    /// The UID's components (master and instances), in message order.
    pub components: Vec<&'a Component>,
}

/// What the plan may consult besides the message and the stored copy.
pub(super) struct Context<'a> {
    pub options: &'a Options,
    /// The user's addresses: `:addresses`, the configured recipients and
    /// the envelope recipient.
    pub user: &'a [CalAddress],
    /// Whether an external list (`:organizers`, RFC 6134) holds a value.
    pub in_list: &'a dyn Fn(&str, &str) -> bool,
    /// The message's From addresses: a REPLY is applied only for the
    /// attendees its sender speaks for.
    pub from: &'a [CalAddress],
    /// The administrator lets senders that fail their method's check
    /// through (`act_on_unverified_sender`).
    pub unverified_allowed: bool,
}

fn no_action(reason: String) -> Plan {
    Plan::Refuse(ProcessOutcome::NoAction, reason)
}

fn error(reason: String) -> Plan {
    Plan::Refuse(ProcessOutcome::Error, reason)
}

fn shown(text: &str) -> String {
    quote_untrusted(text, Quote::Value)
}

/// The plan for one UID.
pub(super) fn plan(
    context: &Context<'_>,
    incoming: &Incoming<'_>,
    stored: Option<&Component>,
) -> Plan {
    match incoming.method {
        "REQUEST" => request(context, incoming, stored, false),
        "PUBLISH" => request(context, incoming, stored, true),
        "ADD" => add(context, incoming, stored),
        "CANCEL" => cancel(context, incoming, stored),
        "REPLY" => reply(context, incoming, stored),
        other => error(format!("METHOD {} is not processed", shown(other))),
    }
}

/// The stored components of the UID (master and instances).
fn scheduled<'s>(stored: &'s Component, uid: &'s str) -> impl Iterator<Item = &'s Component> {
    stored.components.iter().filter(move |c| is_of_uid(c, uid))
}

/// Whether a component is a scheduling component of `uid`.
fn is_of_uid(component: &Component, uid: &str) -> bool {
    is_stored_kind(component) && component.value_of("UID") == Some(uid)
}

fn master(components: &[Component]) -> Option<usize> {
    components.iter().position(|c| instance_key(c).is_none())
}

/// The stored component an incoming one is measured against: the same
/// instance, or the master for an instance not yet overridden.
fn counterpart<'s>(stored: &'s [Component], component: &Component) -> Option<&'s Component> {
    let key = instance_key(component);
    stored
        .iter()
        .find(|c| instance_key(c) == key)
        .or_else(|| stored.iter().find(|c| instance_key(c).is_none()))
}

/// Checks an organizer's message (REQUEST, PUBLISH, ADD, CANCEL) makes
/// before anything else: an ORGANIZER where iTIP needs one, in the
/// `:organizers` list when one is named, and the same as the stored
/// copy's.
fn organizer_checks(
    context: &Context<'_>,
    incoming: &Incoming<'_>,
    stored: Option<&Component>,
) -> Option<Plan> {
    let sent = incoming.components.iter().find_map(|c| organizer(c));
    let required = incoming.method != "PUBLISH";
    let stored_organizer =
        stored.and_then(|stored| scheduled(stored, incoming.uid).find_map(organizer));
    let stored_without_organizer = stored.is_some() && stored_organizer.is_none();
    // A stored event without ORGANIZER is the user's own (not a scheduling
    // object, RFC 6638 section 3.1): no mail that names an organizer
    // changes it, whoever knows its UID.
    if stored_without_organizer {
        if let Some(sent) = &sent {
            return Some(no_action(format!(
                "the stored UID {} has no ORGANIZER (the user's own event): a {} from {} does not change it",
                shown(incoming.uid),
                incoming.method,
                shown(sent.as_str())
            )));
        }
    }
    let Some(sent) = sent else {
        // A PUBLISH may come without ORGANIZER, but not over an event
        // someone organizes: that would drop the organizer and every
        // answer it holds.
        if let Some(before) = &stored_organizer {
            return Some(error(format!(
                "the {} for UID {} has no ORGANIZER, but the stored copy is organized by {}: it is not applied",
                incoming.method,
                shown(incoming.uid),
                shown(before.as_str())
            )));
        }
        if required {
            return Some(error(format!(
                "the {} for UID {} has no ORGANIZER (RFC 5546 section 3.2 requires one)",
                incoming.method,
                shown(incoming.uid)
            )));
        }
        return context.options.organizers.as_ref().map(|list| {
            no_action(format!(
                "the {} for UID {} has no ORGANIZER to look up in the list {} (:organizers)",
                incoming.method,
                shown(incoming.uid),
                shown(list)
            ))
        });
    };
    if let Some(list) = &context.options.organizers {
        if !(context.in_list)(list, sent.as_str()) {
            return Some(no_action(format!(
                "the ORGANIZER {} is not in the list {} (:organizers)",
                shown(sent.as_str()),
                shown(list)
            )));
        }
    }
    if let Some(before) = stored_organizer {
        if !before.matches(&sent) {
            return Some(error(format!(
                "the ORGANIZER of UID {} changed from {} to {}: a change of organizer arriving by mail cannot be verified (RFC 5546 section 3.2.2.4), so it is not applied",
                shown(incoming.uid),
                shown(before.as_str()),
                shown(sent.as_str())
            )));
        }
    }
    None
}

/// The user must be invited: one of their addresses an ATTENDEE (not the
/// ORGANIZER, whose own copy this is not).
/// What an attendee's copy is checked for before an ADD or a CANCEL
/// changes it: the organizer's checks, then that the user is invited.
fn attendee_checks(
    context: &Context<'_>,
    incoming: &Incoming<'_>,
    stored: Option<&Component>,
) -> Option<Plan> {
    organizer_checks(context, incoming, stored).or_else(|| invitation_checks(context, incoming))
}

fn invitation_checks(context: &Context<'_>, incoming: &Incoming<'_>) -> Option<Plan> {
    let organizes = incoming
        .components
        .iter()
        .filter_map(|c| organizer(c))
        .any(|address| is_user(&address, context.user));
    if organizes {
        return Some(no_action(format!(
            "the user organizes UID {}: a {} is for its attendees",
            shown(incoming.uid),
            incoming.method
        )));
    }
    let invited = incoming
        .components
        .iter()
        .flat_map(|c| attendees(c))
        .any(|(_, address)| is_user(&address, context.user));
    if invited {
        return None;
    }
    let mine: Vec<&str> = context.user.iter().map(CalAddress::as_str).collect();
    Some(no_action(format!(
        "not-invited: none of the user's addresses ({}) is an ATTENDEE of UID {} (a forwarded copy is not an invitation)",
        if mine.is_empty() {
            "none known".to_owned()
        } else {
            shown(&mine.join(", "))
        },
        shown(incoming.uid)
    )))
}

/// A message older than the stored copy (RFC 5546 section 2.1.5) is
/// refused; with `refuse_same`, so is one that is the stored version again.
fn version_checks(
    incoming: &Incoming<'_>,
    stored: &[Component],
    refuse_same: bool,
) -> Option<Plan> {
    let mut all_same = true;
    for component in &incoming.components {
        let Some(against) = counterpart(stored, component) else {
            all_same = false;
            continue;
        };
        let (new, old) = (Version::of(component), Version::of(against));
        match new.compare(&old) {
            Ordering::Less => {
                return Some(no_action(format!(
                    "stale: the message's UID {} ({}) is older than the stored copy ({})",
                    shown(incoming.uid),
                    new.describe(),
                    old.describe()
                )))
            }
            Ordering::Equal
                if new.stamp.is_some()
                    && new.stamp == old.stamp
                    && instance_key(component) == instance_key(against) => {}
            _ => all_same = false,
        }
    }
    (refuse_same && all_same).then(|| {
        no_action(format!(
            "UID {} is already stored at this version",
            shown(incoming.uid)
        ))
    })
}

/// REQUEST (RFC 5546 section 3.2.2) and, with `publish`, PUBLISH (3.2.1):
/// a new event, or a new version of the stored one.
fn request(
    context: &Context<'_>,
    incoming: &Incoming<'_>,
    stored: Option<&Component>,
    publish: bool,
) -> Plan {
    if let Some(refused) = organizer_checks(context, incoming, stored) {
        return refused;
    }
    if !publish {
        if let Some(refused) = invitation_checks(context, incoming) {
            return refused;
        }
    }
    let Some(stored) = stored else {
        if context.options.updates_only {
            return no_action(format!(
                "no stored event has UID {}, and :updatesonly adds none",
                shown(incoming.uid)
            ));
        }
        let mut object = new_object(incoming);
        for component in &mut object.components {
            unanswered_for_user(component, context.user);
        }
        return Plan::Create(object);
    };
    let old: Vec<Component> = scheduled(stored, incoming.uid).cloned().collect();
    if let Some(refused) = version_checks(incoming, &old, true) {
        return refused;
    }
    let replaces_master = incoming
        .components
        .iter()
        .any(|c| instance_key(c).is_none());
    // A new master is the whole event again: the overrides it does not
    // carry are gone. Instances alone update those instances.
    let mut merged: Vec<Component> = if replaces_master {
        Vec::new()
    } else {
        old.clone()
    };
    for component in &incoming.components {
        let mut new = without_alarms((*component).clone());
        keep_user_state(&mut new, counterpart(&old, component), context.user);
        let key = instance_key(&new);
        match merged.iter_mut().find(|c| instance_key(c) == key) {
            Some(slot) => *slot = new,
            None => merged.push(new),
        }
    }
    Plan::Update(rebuild(stored, incoming, merged))
}

/// ADD (RFC 5546 section 3.2.4): new instances of a stored recurring
/// event, each an RDATE of the master and an instance of its own.
fn add(context: &Context<'_>, incoming: &Incoming<'_>, stored: Option<&Component>) -> Plan {
    if let Some(refused) = attendee_checks(context, incoming, stored) {
        return refused;
    }
    let Some(stored) = stored else {
        return no_action(format!(
            "an ADD for UID {}, which the calendar does not hold: the whole event has to come first (the user's client can ask for it with a REFRESH)",
            shown(incoming.uid)
        ));
    };
    let mut components: Vec<Component> = scheduled(stored, incoming.uid).cloned().collect();
    let Some(master_at) = master(&components) else {
        return no_action(format!(
            "the stored UID {} has no recurring master to add instances to",
            shown(incoming.uid)
        ));
    };
    // RFC 5546 3.2.4: ADD is for recurring components; a one-off event
    // is not made recurring by one.
    let recurs = components.get(master_at).is_some_and(|master| {
        master.property("RRULE").is_some() || master.property("RDATE").is_some()
    });
    if !recurs {
        return no_action(format!(
            "the stored UID {} does not recur, so an ADD cannot add instances to it (RFC 5546 section 3.2.4)",
            shown(incoming.uid)
        ));
    }
    let stored_version = components.get(master_at).map(Version::of);
    for component in &incoming.components {
        let new = Version::of(component);
        if let Some(old) = &stored_version {
            if new.compare(old) == Ordering::Less {
                return no_action(format!(
                    "stale: the ADD for UID {} ({}) is older than the stored copy ({})",
                    shown(incoming.uid),
                    new.describe(),
                    old.describe()
                ));
            }
        }
    }
    for component in &incoming.components {
        let mut instance = without_alarms((*component).clone());
        let recurrence_id = match instance.property("RECURRENCE-ID") {
            Some(rid) => rid.clone(),
            None => {
                let Some(start) = instance.property("DTSTART").cloned() else {
                    return error(format!(
                        "an ADD for UID {} has an instance without DTSTART",
                        shown(incoming.uid)
                    ));
                };
                let mut rid = start;
                rid.name = "RECURRENCE-ID".to_owned();
                instance.properties.push(rid.clone());
                rid
            }
        };
        if let Some(master) = components.get_mut(master_at) {
            let instant = property_instant(&recurrence_id);
            let listed = master
                .properties_named("RDATE")
                .any(|rdate| property_instant(rdate) == instant);
            if !listed {
                let mut rdate = recurrence_id.clone();
                rdate.name = "RDATE".to_owned();
                master.properties.push(rdate);
            }
            for name in ["SEQUENCE", "DTSTAMP"] {
                if let Some(value) = component.value_of(name) {
                    if name == "DTSTAMP"
                        || Version::of(component).sequence > Version::of(master).sequence
                    {
                        master.set_value(name, value);
                    }
                }
            }
        }
        let key = instance_key(&instance);
        match components.iter_mut().find(|c| instance_key(c) == key) {
            Some(slot) => {
                // The same ADD again: what the user did with the instance
                // stays (their answer, alarms, TRANSP).
                keep_user_state(&mut instance, Some(slot), context.user);
                *slot = instance;
            }
            None => {
                unanswered_for_user(&mut instance, context.user);
                components.push(instance);
            }
        }
    }
    Plan::Update(rebuild(stored, incoming, components))
}

/// CANCEL (RFC 5546 section 3.2.5): the whole event (STATUS:CANCELLED, or
/// removed with `:deletecancelled`), or some of its instances (a cancelled
/// instance, or an EXDATE of the master).
fn cancel(context: &Context<'_>, incoming: &Incoming<'_>, stored: Option<&Component>) -> Plan {
    // RFC 9671 section 4.1: a CANCEL, like a REQUEST or an ADD, is acted on
    // only when one of the user's addresses is an ATTENDEE of it (the
    // organizer lists the attendee the cancellation is for, RFC 5546
    // 3.2.5); a forwarded one is not.
    if let Some(refused) = attendee_checks(context, incoming, stored) {
        return refused;
    }
    let Some(stored) = stored else {
        return no_action(format!(
            "nothing is stored with UID {} to cancel",
            shown(incoming.uid)
        ));
    };
    let mut components: Vec<Component> = scheduled(stored, incoming.uid).cloned().collect();
    if let Some(refused) = version_checks(incoming, &components, false) {
        return refused;
    }
    let delete = context.options.delete_cancelled;
    if let Some(whole) = incoming
        .components
        .iter()
        .find(|c| instance_key(c).is_none())
    {
        if delete {
            return removal(stored, incoming);
        }
        for component in &mut components {
            component.set_value("STATUS", "CANCELLED");
        }
        if let Some(master) = master(&components).and_then(|at| components.get_mut(at)) {
            take_version(master, whole);
        }
        return Plan::Update(rebuild(stored, incoming, components));
    }
    // RANGE=THISANDFUTURE (RFC 5545 3.8.4.4) cancels the instance and every
    // later one; cancelling only the one would leave the rest standing
    // while the outcome says `updated`.
    if incoming.components.iter().any(|component| {
        component
            .property("RECURRENCE-ID")
            .and_then(|rid| rid.param("RANGE"))
            .is_some_and(|range| range.eq_ignore_ascii_case("THISANDFUTURE"))
    }) {
        return no_action(format!(
            "the CANCEL for UID {} cancels an instance and all later ones (RANGE=THISANDFUTURE), which is not carried out here; the user's client can apply it",
            shown(incoming.uid)
        ));
    }
    for component in &incoming.components {
        let Some(recurrence_id) = component.property("RECURRENCE-ID") else {
            continue;
        };
        let key = instance_key(component);
        let overridden = components.iter().position(|c| instance_key(c) == key);
        match overridden {
            Some(at) if !delete => {
                if let Some(instance) = components.get_mut(at) {
                    instance.set_value("STATUS", "CANCELLED");
                    take_version(instance, component);
                }
            }
            _ => {
                if let Some(at) = overridden {
                    components.remove(at);
                }
                if let Some(master) = master(&components).and_then(|at| components.get_mut(at)) {
                    let mut exdate = recurrence_id.clone();
                    exdate.name = "EXDATE".to_owned();
                    // The same cancellation again adds no second EXDATE.
                    let known = master.properties.iter().any(|p| {
                        p.is("EXDATE") && p.value == exdate.value && p.params == exdate.params
                    });
                    if !known {
                        master.properties.push(exdate);
                    }
                }
            }
        }
    }
    if components.is_empty() {
        return removal(stored, incoming);
    }
    Plan::Update(rebuild(stored, incoming, components))
}

/// The UID gone from the store: the item removed, or, when it also holds
/// other UIDs (a store may keep several in one object), rewritten without
/// this one.
fn removal(stored: &Component, incoming: &Incoming<'_>) -> Plan {
    let others = stored
        .components
        .iter()
        .any(|c| is_stored_kind(c) && !is_of_uid(c, incoming.uid));
    if others {
        Plan::Update(rebuild(stored, incoming, Vec::new()))
    } else {
        Plan::Delete
    }
}

/// REPLY (RFC 5546 section 3.2.3) to an event the user organizes: the
/// replying attendee's PARTSTAT, per instance when the reply names one. A
/// reply from someone the stored copy does not list is a party crash and
/// is not applied, unless an attendee of the stored copy delegated to them
/// (DELEGATED-TO): then the delegate joins with DELEGATED-FROM (section
/// 3.2.2.3).
fn reply(context: &Context<'_>, incoming: &Incoming<'_>, stored: Option<&Component>) -> Plan {
    let Some(stored) = stored else {
        return no_action(format!(
            "a REPLY for UID {}, which the calendar does not hold",
            shown(incoming.uid)
        ));
    };
    let mut components: Vec<Component> = scheduled(stored, incoming.uid).cloned().collect();
    let stored_organizer = components.iter().find_map(organizer);
    match &stored_organizer {
        Some(address) if is_user(address, context.user) => {}
        Some(address) => {
            return no_action(format!(
                "the user does not organize UID {} (its ORGANIZER is {}), so a REPLY to it is not applied",
                shown(incoming.uid),
                shown(address.as_str())
            ))
        }
        None => {
            return no_action(format!(
                "the stored UID {} has no ORGANIZER, so a REPLY to it is not applied",
                shown(incoming.uid)
            ))
        }
    }
    let mut new_instances = 0usize;
    for component in &incoming.components {
        let all: Vec<(Property, CalAddress)> = attendees(component)
            .map(|(property, address)| (property.clone(), address))
            .collect();
        if all.is_empty() {
            return error(format!(
                "the REPLY for UID {} has no ATTENDEE",
                shown(incoming.uid)
            ));
        }
        let repliers = match answered_by_sender(context, all) {
            Ok(repliers) => repliers,
            Err(refusal) => return refusal,
        };
        let key = instance_key(component);
        let target_at = match components.iter().position(|c| instance_key(c) == key) {
            Some(at) => at,
            None => {
                let (Some(master_at), Some(rid)) =
                    (master(&components), component.property("RECURRENCE-ID"))
                else {
                    return no_action(format!(
                        "the REPLY for UID {} is about an instance the stored copy does not have",
                        shown(incoming.uid)
                    ));
                };
                // An answer for one occurrence of a series becomes an
                // instance of its own; an event that does not recur has
                // no other occurrence to answer for.
                let recurs = components.get(master_at).is_some_and(|master| {
                    master.property("RRULE").is_some() || master.property("RDATE").is_some()
                });
                if !recurs {
                    return no_action(format!(
                        "the REPLY for UID {} answers for an occurrence (RECURRENCE-ID), but the stored event does not recur",
                        shown(incoming.uid)
                    ));
                }
                new_instances = new_instances.saturating_add(1);
                if new_instances > MAX_NEW_INSTANCES {
                    return no_action(format!(
                        "the REPLY for UID {} answers for more than {MAX_NEW_INSTANCES} occurrences the stored copy has no instance for",
                        shown(incoming.uid)
                    ));
                }
                let Some(instance) = components.get(master_at).map(|m| instance_of(m, rid)) else {
                    return no_action(format!(
                        "the stored UID {} has no master",
                        shown(incoming.uid)
                    ));
                };
                components.push(instance);
                components.len().saturating_sub(1)
            }
        };
        let master_attendees: Vec<Property> = master(&components)
            .and_then(|at| components.get(at))
            .map(|m| m.properties_named("ATTENDEE").cloned().collect())
            .unwrap_or_default();
        let Some(target) = components.get_mut(target_at) else {
            continue;
        };
        let version = Version::of(component);
        let current = Version::of(target);
        if version.sequence < current.sequence {
            return no_action(format!(
                "stale: the REPLY for UID {} answers an earlier version (SEQUENCE {}; the event is at {})",
                shown(incoming.uid),
                version.sequence,
                current.sequence
            ));
        }
        for (answer, address) in repliers {
            match attendee_position(target, &address) {
                Some(at) => {
                    let Some(attendee) = target.properties.get_mut(at) else {
                        continue;
                    };
                    if let Some(last) = last_reply(attendee) {
                        if version.compare(&last) == Ordering::Less {
                            return no_action(format!(
                                "stale: the REPLY from {} ({}) is older than the last one applied ({})",
                                shown(address.as_str()),
                                version.describe(),
                                last.describe()
                            ));
                        }
                    }
                    apply_answer(attendee, &answer, &version);
                }
                None => {
                    let delegator = target
                        .properties_named("ATTENDEE")
                        .chain(master_attendees.iter())
                        .find(|attendee| delegated_to(attendee, &address))
                        .and_then(|attendee| CalAddress::parse(&attendee.value));
                    let Some(delegator) = delegator else {
                        return no_action(format!(
                            "party-crash: {} replied to UID {} but is not an attendee of the stored copy, and no attendee delegated to them (DELEGATED-TO); the reply is not applied",
                            shown(address.as_str()),
                            shown(incoming.uid)
                        ));
                    };
                    let mut delegate = answer.clone();
                    delegate.set_param("DELEGATED-FROM", &[&mailto(&delegator)]);
                    apply_answer(&mut delegate, &answer, &version);
                    target.properties.push(delegate);
                }
            }
        }
    }
    Plan::Update(rebuild(stored, incoming, components))
}

/// The most occurrences one REPLY may answer for that the stored copy has
/// no instance of yet: each becomes a copy of the master, so a reply
/// listing hundreds would multiply the stored object.
const MAX_NEW_INSTANCES: usize = 32;

/// The ATTENDEE lines of a REPLY its sender may give (RFC 5546 3.2.3: an
/// attendee answers for itself): those of an address in From (or whose
/// SENT-BY is), and a delegate the sender names in its own DELEGATED-TO
/// and who names the sender in DELEGATED-FROM (3.2.2.3, the delegator
/// announcing its delegate). A line for anyone else is not applied: From
/// passing the sender check for one attendee says nothing about the
/// others. A REPLY whose one ATTENDEE the sender cannot be matched with is
/// applied only when the administrator lets unverified senders through.
fn answered_by_sender(
    context: &Context<'_>,
    all: Vec<(Property, CalAddress)>,
) -> Result<Vec<(Property, CalAddress)>, Plan> {
    let is_sender = |address: &CalAddress| context.from.iter().any(|from| from.matches(address));
    let speaks_for = |property: &Property, address: &CalAddress| {
        is_sender(address)
            || property
                .param("SENT-BY")
                .and_then(CalAddress::parse)
                .is_some_and(|sent_by| is_sender(&sent_by))
    };
    let own: Vec<&(Property, CalAddress)> = all
        .iter()
        .filter(|(property, address)| speaks_for(property, address))
        .collect();
    let delegated_by_own = |delegate: &(Property, CalAddress)| {
        own.iter().any(|(property, address)| {
            delegated_to(property, &delegate.1)
                && delegate
                    .0
                    .param_values("DELEGATED-FROM")
                    .filter_map(CalAddress::parse)
                    .any(|from| from.matches(address))
        })
    };
    let mut applied: Vec<(Property, CalAddress)> = Vec::new();
    for line in &all {
        if speaks_for(&line.0, &line.1) || delegated_by_own(line) {
            applied.push(line.clone());
        }
    }
    if applied.is_empty() && context.unverified_allowed && all.len() == 1 {
        return Ok(all);
    }
    if applied.is_empty() {
        let lines: Vec<&str> = all.iter().map(|(_, address)| address.as_str()).collect();
        return Err(no_action(format!(
            "the REPLY answers for {} but comes from {}: an attendee answers for itself (RFC 5546 section 3.2.3), so nothing is applied",
            shown(&lines.join(", ")),
            if context.from.is_empty() {
                "no From address".to_owned()
            } else {
                shown(
                    &context
                        .from
                        .iter()
                        .map(CalAddress::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }
        )));
    }
    Ok(applied)
}

/// The version of the last reply applied for this attendee.
fn last_reply(attendee: &Property) -> Option<Version> {
    let sequence = attendee.param(REPLY_SEQUENCE_PARAM)?;
    Some(Version {
        sequence: super::itip::sequence(Some(sequence)),
        stamp: attendee
            .param(REPLY_DTSTAMP_PARAM)
            .and_then(super::itip::utc_stamp),
    })
}

/// The reply's PARTSTAT (and DELEGATED-TO, when it delegates) on the stored
/// attendee, and the reply's version remembered beside it.
fn apply_answer(attendee: &mut Property, answer: &Property, version: &Version) {
    attendee.set_param("PARTSTAT", &[&partstat(answer)]);
    let delegated: Vec<&str> = answer.param_values("DELEGATED-TO").collect();
    if !delegated.is_empty() {
        attendee.set_param("DELEGATED-TO", &delegated);
    }
    attendee.set_param(REPLY_SEQUENCE_PARAM, &[&version.sequence.to_string()]);
    match &version.stamp {
        Some(stamp) => attendee.set_param(REPLY_DTSTAMP_PARAM, &[stamp]),
        None => attendee.set_param(REPLY_DTSTAMP_PARAM, &[]),
    }
}

/// SEQUENCE and DTSTAMP of `from`, when it has them.
fn take_version(component: &mut Component, from: &Component) {
    for name in ["SEQUENCE", "DTSTAMP"] {
        if let Some(value) = from.value_of(name) {
            component.set_value(name, value);
        }
    }
}

/// A component without its alarms: an organizer's VALARM would ring (or
/// send mail, or run a procedure) in the user's calendar, and alarms are
/// the user's to set.
fn without_alarms(mut component: Component) -> Component {
    component.components.retain(|c| !c.is("VALARM"));
    component
}

/// What belongs to the user survives a new version from the organizer:
/// their alarms, their TRANSP, and their own PARTSTAT unless the organizer
/// reset it by rescheduling (a higher SEQUENCE with PARTSTAT NEEDS-ACTION,
/// RFC 5546 section 3.2.2.1; an update that does not reschedule keeps the
/// answer, section 3.2.2.2).
/// A new invitation is the user's to answer: a PARTSTAT the organizer
/// wrote on the user's own ATTENDEE line (ACCEPTED, say) becomes
/// NEEDS-ACTION, since RFC 9671 section 4 leaves the user's participation
/// status to the user.
fn unanswered_for_user(component: &mut Component, user: &[CalAddress]) {
    for attendee in component.properties.iter_mut().filter(|p| p.is("ATTENDEE")) {
        let mine =
            CalAddress::parse(&attendee.value).is_some_and(|address| is_user(&address, user));
        if mine && partstat(attendee) != "NEEDS-ACTION" {
            attendee.set_param("PARTSTAT", &["NEEDS-ACTION"]);
        }
    }
}

fn keep_user_state(new: &mut Component, old: Option<&Component>, user: &[CalAddress]) {
    let Some(old) = old else {
        return;
    };
    new.components
        .extend(old.components.iter().filter(|c| c.is("VALARM")).cloned());
    if let Some(transp) = old.property("TRANSP") {
        new.remove("TRANSP");
        new.properties.push(transp.clone());
    }
    let rescheduled = Version::of(new).sequence > Version::of(old).sequence;
    for attendee in new.properties.iter_mut().filter(|p| p.is("ATTENDEE")) {
        let Some(address) = CalAddress::parse(&attendee.value) else {
            continue;
        };
        if !is_user(&address, user) {
            continue;
        }
        let Some(before) = attendee_position(old, &address).and_then(|at| old.properties.get(at))
        else {
            continue;
        };
        let reset = rescheduled && partstat(attendee) == "NEEDS-ACTION";
        if !reset {
            attendee.set_param("PARTSTAT", &[&partstat(before)]);
        }
    }
}

/// A new stored object from the message: its calendar properties without
/// METHOD (a stored calendar object has none, RFC 4791 section 4.1), its
/// time zones, the UID's components without alarms.
fn new_object(incoming: &Incoming<'_>) -> Component {
    let mut calendar = Component::new("VCALENDAR");
    calendar.properties = incoming
        .calendar
        .properties
        .iter()
        .filter(|p| !p.is("METHOD"))
        .cloned()
        .collect();
    if calendar.property("VERSION").is_none() {
        calendar
            .properties
            .insert(0, Property::new("VERSION", "2.0"));
    }
    if calendar.property("PRODID").is_none() {
        calendar.properties.push(Property::new(
            "PRODID",
            "-//sieve-imip//processcalendar//EN",
        ));
    }
    let components: Vec<Component> = incoming
        .components
        .iter()
        .map(|c| without_alarms((*c).clone()))
        .collect();
    let used = referenced_tzids(&components);
    calendar.components.extend(
        incoming
            .calendar
            .components
            .iter()
            .filter(|c| c.is("VTIMEZONE") && c.value_of("TZID").is_some_and(|id| used.contains(id)))
            .cloned(),
    );
    calendar.components.extend(components);
    calendar
}

/// The TZIDs the components' properties name: the time zones the stored
/// object needs from the message (a message's other VTIMEZONEs are not
/// copied into every object it touches).
fn referenced_tzids(components: &[Component]) -> std::collections::HashSet<String> {
    fn walk(component: &Component, into: &mut std::collections::HashSet<String>) {
        for property in &component.properties {
            if let Some(tzid) = property.param("TZID") {
                into.insert(tzid.to_owned());
            }
        }
        for child in &component.components {
            walk(child, into);
        }
    }
    let mut used = std::collections::HashSet::new();
    for component in components {
        walk(component, &mut used);
    }
    used
}

/// The stored object with the UID's components replaced by `components`:
/// its calendar properties and other components kept, time zones the
/// message brings added (a message's definition replaces a stored one of
/// the same TZID).
fn rebuild(stored: &Component, incoming: &Incoming<'_>, components: Vec<Component>) -> Component {
    let message = incoming.calendar;
    let mut calendar = Component::new("VCALENDAR");
    calendar.properties = stored
        .properties
        .iter()
        .filter(|p| !p.is("METHOD"))
        .cloned()
        .collect();
    let tzid = |c: &Component| c.value_of("TZID").map(str::to_owned);
    let used = referenced_tzids(&components);
    let sent: Vec<&Component> = message
        .components
        .iter()
        .filter(|c| c.is("VTIMEZONE") && tzid(c).is_some_and(|id| used.contains(&id)))
        .collect();
    for kept in stored
        .components
        .iter()
        .filter(|c| !is_of_uid(c, incoming.uid))
    {
        let replaced = kept.is("VTIMEZONE") && sent.iter().any(|s| tzid(s) == tzid(kept));
        if !replaced {
            calendar.components.push(kept.clone());
        }
    }
    calendar.components.extend(sent.into_iter().cloned());
    calendar.components.extend(components);
    calendar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarLimits;
    use crate::process::ical::{stored_object, write};

    fn read(lines: &str) -> Component {
        let text: String = lines
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| format!("{line}\r\n"))
            .collect();
        stored_object(&text, &CalendarLimits::default()).unwrap_or_else(|error| panic!("{error:?}"))
    }

    fn plan_for(
        method: &str,
        message: &Component,
        stored: Option<&Component>,
        options: &Options,
    ) -> Plan {
        let user: Vec<CalAddress> = ["bob@example.org"]
            .iter()
            .filter_map(|a| CalAddress::parse(a))
            .collect();
        let in_list = |_: &str, _: &str| true;
        let context = Context {
            options,
            user: &user,
            in_list: &in_list,
            from: &[],
            unverified_allowed: true,
        };
        let incoming = Incoming {
            method,
            calendar: message,
            uid: "a@x",
            components: message
                .components
                .iter()
                .filter(|c| is_of_uid(c, "a@x"))
                .collect(),
        };
        plan(&context, &incoming, stored)
    }

    const TWO_UIDS: &str = "BEGIN:VCALENDAR
        VERSION:2.0
        BEGIN:VEVENT
        UID:a@x
        SEQUENCE:0
        ORGANIZER:mailto:alice@example.com
        ATTENDEE:mailto:bob@example.org
        END:VEVENT
        BEGIN:VEVENT
        UID:b@x
        SUMMARY:other
        END:VEVENT
        END:VCALENDAR";

    #[test]
    fn other_uids_of_a_stored_object_are_kept() {
        let stored = read(TWO_UIDS);
        let cancel = read(
            "BEGIN:VCALENDAR
             METHOD:CANCEL
             BEGIN:VEVENT
             UID:a@x
             SEQUENCE:1
             ORGANIZER:mailto:alice@example.com
             ATTENDEE:mailto:bob@example.org
             END:VEVENT
             END:VCALENDAR",
        );
        let deleting = Options {
            delete_cancelled: true,
            ..Options::default()
        };
        let Plan::Update(object) = plan_for("CANCEL", &cancel, Some(&stored), &deleting) else {
            panic!("the other UID must stay");
        };
        let text = write(&object);
        assert!(
            text.contains("UID:b@x") && !text.contains("UID:a@x"),
            "{text}"
        );
        let Plan::Update(object) = plan_for("CANCEL", &cancel, Some(&stored), &Options::default())
        else {
            panic!("a cancel updates");
        };
        let text = write(&object);
        assert_eq!(text.matches("STATUS:CANCELLED").count(), 1, "{text}");
        assert!(text.contains("SUMMARY:other"), "{text}");
        assert!(!text.contains("METHOD"), "{text}");
    }

    #[test]
    fn an_overridden_instance_keeps_the_users_answer_and_alarm() {
        let stored = read(
            "BEGIN:VCALENDAR
             BEGIN:VEVENT
             UID:a@x
             SEQUENCE:1
             RRULE:FREQ=DAILY
             DTSTART:20261201T100000Z
             ORGANIZER:mailto:alice@example.com
             ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org
             END:VEVENT
             BEGIN:VEVENT
             UID:a@x
             RECURRENCE-ID:20261202T100000Z
             SEQUENCE:1
             DTSTART:20261202T120000Z
             ORGANIZER:mailto:alice@example.com
             ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.org
             BEGIN:VALARM
             TRIGGER:-PT5M
             ACTION:DISPLAY
             END:VALARM
             END:VEVENT
             END:VCALENDAR",
        );
        let update = read(
            "BEGIN:VCALENDAR
             METHOD:REQUEST
             BEGIN:VEVENT
             UID:a@x
             RECURRENCE-ID:20261202T100000Z
             SEQUENCE:1
             DTSTAMP:20261120T100000Z
             DTSTART:20261202T120000Z
             LOCATION:B
             ORGANIZER:mailto:alice@example.com
             ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org
             END:VEVENT
             END:VCALENDAR",
        );
        let Plan::Update(object) = plan_for("REQUEST", &update, Some(&stored), &Options::default())
        else {
            panic!("an instance update");
        };
        let text = write(&object);
        assert!(text.contains("LOCATION:B"), "{text}");
        assert!(
            text.contains("PARTSTAT=DECLINED") && text.contains("PARTSTAT=ACCEPTED"),
            "{text}"
        );
        assert!(text.contains("TRIGGER:-PT5M"), "{text}");
        assert!(text.contains("RRULE:FREQ=DAILY"), "{text}");
    }
}
