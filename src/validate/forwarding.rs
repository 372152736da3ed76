//! Step 5, forwarding: a REQUEST in which none of the recipient's
//! addresses is an ATTENDEE, the ORGANIZER or one acting for either, and
//! that did not come through a mailing list the organizer invited
//! (`not-invited`): it reached the user by forwarding.

use mail_parser::{HeaderName, Message};

use super::detail::{from_text, name_list, quoted};
use super::{FindingList, People};
use crate::calendar::{CalAddress, SchedulingComponent};
use crate::finding::Reason;

/// `not-invited`, for a REQUEST the recipient is not part of.
pub(super) fn check(
    context: &People<'_>,
    message: &Message<'_>,
    recipients: &[CalAddress],
    max_addresses: usize,
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
    let mut list_addresses: Vec<CalAddress> = match list_id {
        Some(_) => message
            .list_post()
            .as_address()
            .map(|address| {
                address
                    .iter()
                    .filter_map(|addr| addr.address())
                    .filter_map(CalAddress::parse)
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if list_addresses.len() > max_addresses {
        findings.push(
            Reason::Oversized,
            format!(
                "List-Post has {} addresses: only the first {max_addresses} were compared (max_from_addresses)",
                list_addresses.len()
            ),
        );
        list_addresses.truncate(max_addresses);
    }
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
