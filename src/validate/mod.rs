//! The validation steps, the risk score and their configuration.
//!
//! [`run`] takes the located object and its model through the steps of the
//! CalConnect "iMIP and Security issues" paper, one file each (step 1,
//! finding the object, is the `message` stage's):
//!
//! | step | file | findings |
//! |---|---|---|
//! | 2 structure | `structure.rs` | `method-mismatch`, `malformed`, `oversized` |
//! | 2 copies | `copies.rs` | `organizer-mismatch`, `attendee-mismatch`, `method-mismatch`, `oversized` |
//! | 3 sender | `sender.rs` | `organizer-mismatch`, `attendee-mismatch`, `sender-unverifiable` |
//! | 3 party crash | `party_crash.rs` | `party-crash` |
//! | 3 authentication | `authentication.rs` | `unauthenticated-sender` |
//! | 4 delegation | `delegation.rs` | `delegation-unverified` |
//! | 5 forwarding | `forwarding.rs` | `not-invited` |
//! | 6 recurrence | `recurrence.rs` | `recurrence-flood`, `recurrence-overlap`, `far-future`, `oversized` |
//! | 7 iMIP header | `imip_header.rs` | `imip-header-unsigned` |
//!
//! beside the configuration (`config.rs`), the organizer's stored copies
//! (`lookup.rs`) and the score (`score.rs`), which weighs every step's
//! findings into the risk.
//!
//! Decisions a reader should know:
//! - Addresses are compared whole and case-insensitively after removing
//!   `mailto:` and display names ([`CalAddress`]); the sender is From (every
//!   From address when there are several), never Sender.
//! - A From on a provider's scheduling relay domain speaking for an
//!   ORGANIZER on the domain the relay table pairs it with (iCloud:
//!   `insideicloud.icloud.com` for `imip.me.com`) is the ORGANIZER's side,
//!   unless a trusted Authentication-Results is there and reports no DKIM
//!   or DMARC pass for the From domain ([`SchedulingRelays`]).
//! - A REQUEST whose From is an ATTENDEE that delegated to another ATTENDEE,
//!   both sides confirmed in the object, is the delegation forward RFC 5546
//!   section 3.2.2.3 prescribes (the delegator sends the REQUEST on), not an
//!   `organizer-mismatch`.
//! - A reply from a delegate of an attendee the stored copy lists is no
//!   `party-crash` (the organizer learns of a delegate from the delegator's
//!   reply), unless the stored copy shows that attendee not delegating and
//!   the reply is not the delegator's own: a contradicted claim.
//! - `not-invited` counts the recipient as invited when it is an ATTENDEE
//!   (or an ATTENDEE's SENT-BY), the ORGANIZER or its SENT-BY (a copy to the
//!   organizer or its assistant is not a third-party forward), or when the
//!   message came through a mailing list (`List-Id`) whose `List-Post`
//!   address is an ATTENDEE: the organizer invited the list.
//! - Only `Authentication-Results` from trusted authserv-ids count, and only
//!   the topmost block of them: from the first trusted header down to the
//!   next `Received` header. The border server adds its results above its
//!   own `Received` line, so a header the sender forged with the same
//!   authserv-id sits below it and is ignored even where the border forgot
//!   to remove it (RFC 8601 section 5). A server that appends its results at
//!   the bottom of the header (Exim's `add_header` without `:at_start:`)
//!   needs that option, or the border's removal of look-alikes, instead.
//!   A border that writes its results just below its own `Received` has a
//!   forged field with its authserv-id right next to its own, inside the
//!   block: a pass in one field does not overturn a failure for the same
//!   domain in another, and conflicting results count as not passed.
//! - `unauthenticated-sender` needs a trusted verdict against the From
//!   domain when no trusted result authenticates it: its own DKIM signature
//!   failed (`fail`, `softfail`, `neutral`, `policy`, `permerror`), DMARC
//!   failed, or DMARC was evaluated for another From domain (From changed
//!   after the check). Mail that is merely unsigned (`dkim=none`,
//!   `dmarc=none`) or hit a `temperror` counts only with
//!   `flag_unauthenticated`.
//! - DKIM authenticates the From domain when a passing result's `header.d`
//!   (or the domain of `header.i`) equals it or is a parent of it
//!   (`d=example.com` for `From: a@mail.example.com`): the signer controls
//!   `d=` in DNS, so a parent domain speaks for its subdomains. The opposite
//!   direction needs the organizational domain (Public Suffix List) and is
//!   left to the server's DMARC result, which carries its own alignment.

mod authentication;
mod config;
mod copies;
mod delegation;
mod detail;
mod forwarding;
mod imip_header;
mod lookup;
mod party_crash;
mod recurrence;
mod relays;
mod score;
mod sender;
mod store;
mod structure;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use mail_parser::Message;
use serde::Serialize;

pub use config::{
    CalDavPassword, CalDavSettings, Config, ConfigBuilder, ConfigError, ProcessingPolicy,
    MAX_CONFLICT_RETRIES, MAX_WEIGHT,
};
pub(crate) use lookup::{item_files, read_bounded, FolderLayout};
pub use lookup::{CalendarLookup, DirectoryLookup, StoredAttendee, MAX_CALENDAR_FILES};
pub use recurrence::SeriesProfile;
pub use relays::SchedulingRelays;
pub use score::{is_suspicious, score, ScoredFinding};
pub use store::{CalendarStore, ItemVersion, StoreError, StoredItem};

use crate::calendar::{CalAddress, CalendarObject};
use crate::finding::{Finding, Reason};
use crate::headers::authentication_results::AuthenticationResults;
use crate::message::{Located, LocatedBy};
use lookup::StoredCopies;
use relays::RelayCheck;

/// What the validation reads.
#[derive(Debug, Clone, Copy)]
pub struct ValidationInput<'a> {
    /// The parsed message (From, list and authentication headers, Date);
    /// `None` for a bare iCalendar object, which has no sender to check.
    pub message: Option<&'a Message<'a>>,
    /// Where the iMIP object is, and the other candidates.
    pub located: &'a Located,
    /// The iTIP model of the located object.
    pub calendar: Option<&'a CalendarObject>,
    /// The envelope recipient (RCPT TO) of this delivery, if the embedder
    /// knows it; used when the configuration names no recipients.
    pub envelope_recipient: Option<&'a str>,
}

/// What [`run`] found.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Findings in step order.
    pub findings: Vec<Finding>,
    /// Every top-level `Authentication-Results` header, trusted or not, in
    /// header order.
    pub authentication_results: Vec<AuthResultsEntry>,
    /// The recurrence profile of each series.
    pub recurrence: Vec<SeriesProfile>,
    /// The addresses of the message's From field the sender checks
    /// compared (at most `max_from_addresses`).
    pub from: Vec<CalAddress>,
}

/// One Authentication-Results header as analyze's JSON shows it: the parsed
/// header (serializes as `{authserv_id, results: [...]}`) or
/// `{"error": "..."}` for one that does not parse (never fatal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AuthResultsEntry {
    /// The header parsed.
    Parsed(AuthenticationResults),
    /// The header did not parse; it is skipped.
    Error {
        /// Why, with the byte offset.
        error: String,
    },
}

/// Every validation step, in order.
///
/// Never fails: what cannot be checked (no object, no METHOD, no recipient
/// known, no lookup, no message around a bare calendar) is skipped, and
/// every problem is a finding with a detail naming its evidence.
pub fn run(input: &ValidationInput<'_>, config: &Config) -> Validation {
    let mut validation = Validation {
        findings: structure::structure(input.located, input.calendar, config.mime_limits()),
        ..Validation::default()
    };
    let (Some(object), Some(calendar)) = (&input.located.object, input.calendar) else {
        return validation;
    };
    let method = object
        .method
        .as_deref()
        .or(calendar.method.as_deref())
        .map(|method| method.trim().to_ascii_uppercase());
    if let Some(message) = input.message {
        validation.findings.extend(copies::check(
            message,
            input.located,
            calendar,
            method.as_deref(),
            config,
        ));
        let top_level_imip_content_id = object.located_by == LocatedBy::ImipContentIdTop;
        let from = from_addresses(message, config, &mut validation.findings);
        let headers = authentication::read_headers(message, config, top_level_imip_content_id);
        let people = People {
            calendar,
            method: method.as_deref(),
            from: &from,
        };
        let mut stored = StoredCopies::new(config.lookup.as_deref());

        let mut findings = FindingList::default();
        let relays = RelayCheck {
            relays: &config.scheduling_relays,
            headers: &headers,
        };
        sender::check(&people, &relays, &mut findings);
        party_crash::check(&people, &mut stored, &mut findings);
        authentication::check(&from, &headers, config, &mut findings);
        delegation::check(
            &people,
            &mut stored,
            config.max_delegations_per_attendee,
            &mut findings,
        );
        let recipients = recipients(config, input.envelope_recipient);
        forwarding::check(
            &people,
            message,
            &recipients,
            config.max_from_addresses,
            &mut findings,
        );
        if top_level_imip_content_id {
            imip_header::check(&headers, config, &mut findings);
        }
        validation.findings.extend(findings.finish());
        validation.from = from;
        validation.authentication_results = headers.entries;
    }
    let reference = recurrence::reference_date(input.message, config);
    validation.recurrence = recurrence::check(
        calendar,
        method.as_deref(),
        config,
        reference,
        &mut validation.findings,
    );
    validation
}

/// What the people steps (3 to 5) read.
pub(super) struct People<'a> {
    pub(super) calendar: &'a CalendarObject,
    /// Upper-case.
    pub(super) method: Option<&'a str>,
    pub(super) from: &'a [CalAddress],
}

/// The addresses of the message's From field, as mail-parser read it, up
/// to `max_from_addresses`; more is an `oversized` finding.
fn from_addresses(
    message: &Message<'_>,
    config: &Config,
    findings: &mut Vec<Finding>,
) -> Vec<CalAddress> {
    let mut from: Vec<CalAddress> = message
        .from()
        .map(|from| {
            from.iter()
                .filter_map(|addr| addr.address())
                .filter_map(CalAddress::parse)
                .collect()
        })
        .unwrap_or_default();
    if from.len() > config.max_from_addresses {
        findings.push(Finding::new(
            Reason::Oversized,
            format!(
                "the From field has {} addresses: only the first {} were compared (max_from_addresses)",
                from.len(),
                config.max_from_addresses
            ),
        ));
        from.truncate(config.max_from_addresses);
    }
    from
}

/// The user's addresses: the configured ones, else the envelope recipient.
fn recipients(config: &Config, envelope_recipient: Option<&str>) -> Vec<CalAddress> {
    if config.recipients.is_empty() {
        envelope_recipient
            .and_then(CalAddress::parse)
            .into_iter()
            .collect()
    } else {
        config
            .recipients
            .iter()
            .filter_map(|address| CalAddress::parse(address))
            .collect()
    }
}

/// The key addresses are compared by: the whole normalised address with
/// every character's case folded, so equal keys mean
/// [`CalAddress::matches`].
pub(crate) fn address_key(address: &CalAddress) -> String {
    address
        .as_str()
        .chars()
        .flat_map(char::to_lowercase)
        .collect()
}

/// At most this many findings of one reason are listed; the last one says
/// how many more there were. A hostile object with a thousand components
/// must not become a thousand findings.
const MAX_FINDINGS_PER_REASON: usize = 10;

/// Findings in the order found, bounded per reason.
#[derive(Debug, Default)]
struct FindingList {
    findings: Vec<Finding>,
    left_out: BTreeMap<Reason, usize>,
}

impl FindingList {
    fn push(&mut self, reason: Reason, detail: String) {
        let listed = self
            .findings
            .iter()
            .filter(|finding| finding.reason == reason)
            .count();
        if listed < MAX_FINDINGS_PER_REASON {
            self.findings.push(Finding::new(reason, detail));
        } else {
            let count = self.left_out.entry(reason).or_default();
            *count = count.saturating_add(1);
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        for (reason, count) in self.left_out {
            let last = self
                .findings
                .iter_mut()
                .rev()
                .find(|finding| finding.reason == reason);
            if let Some(last) = last {
                last.detail
                    .push_str(&format!(" (and {count} more {reason} problems not listed)"));
            }
        }
        self.findings
    }
}
