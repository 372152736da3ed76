//! The validation steps, the risk score and their configuration.
//!
//! [`validate`] runs the steps of the CalConnect "iMIP and Security issues"
//! paper that look at people and signatures (steps 3, 4, 5 and 7 of the
//! design): is the From address the party the METHOD says sends it
//! (`organizer-mismatch`, `attendee-mismatch`), did the organizer invite a
//! replying attendee (`party-crash`), did a server we trust authenticate the
//! From domain (`unauthenticated-sender`), does the object confirm its own
//! delegations (`delegation-unverified`), is the recipient invited at all
//! (`not-invited`), and is a top-level `iMIP-Content-ID` signed
//! (`imip-header-unsigned`). [`score`] weighs every step's findings into the
//! risk.
//!
//! Decisions a reader should know:
//! - Addresses are compared whole and case-insensitively after removing
//!   `mailto:` and display names ([`CalAddress`]); the sender is From (every
//!   From address when there are several), never Sender.
//! - A REQUEST whose From is an ATTENDEE that delegated to another ATTENDEE,
//!   both sides confirmed in the object, is the delegation forward RFC 5546
//!   section 3.2.2.3 prescribes (the delegator sends the REQUEST on), not an
//!   `organizer-mismatch`.
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
mod lookup;
mod parties;

use std::collections::BTreeMap;

use serde::Serialize;

pub use config::{Config, ConfigBuilder, ConfigError, MAX_WEIGHT};
pub use lookup::{CalendarLookup, DirectoryLookup, MAX_CALENDAR_FILES};

use crate::calendar::{CalAddress, CalendarObject};
use crate::finding::{Finding, Reason};
use crate::headers::authentication_results::AuthenticationResults;

/// A finding with the weight the configuration gives its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoredFinding {
    /// The `:reason` name.
    pub reason: &'static str,
    /// The configured weight of that reason.
    pub weight: u32,
    /// The explanation naming the evidence.
    pub detail: String,
}

/// Weigh findings and sum them into a risk score capped at 100.
pub fn score(findings: &[Finding], config: &Config) -> (Vec<ScoredFinding>, u32) {
    let scored: Vec<ScoredFinding> = findings
        .iter()
        .map(|finding| ScoredFinding {
            reason: finding.reason.as_str(),
            weight: config.weight(finding.reason),
            detail: finding.detail.clone(),
        })
        .collect();
    let risk = scored
        .iter()
        .fold(0u32, |sum, finding| sum.saturating_add(finding.weight))
        .min(100);
    (scored, risk)
}

/// Whether `risk` reaches the configured threshold (`imip :suspicious`).
pub fn is_suspicious(risk: u32, config: &Config) -> bool {
    risk >= config.suspicious_threshold
}

/// What the validation reads: the message, the located object and how it
/// was located.
#[derive(Debug, Clone, Copy)]
pub struct ValidationInput<'a> {
    /// The parsed message (From, list and authentication headers).
    pub message: &'a mail_parser::Message<'a>,
    /// The located iCalendar object.
    pub calendar: &'a CalendarObject,
    /// The effective METHOD located (may come from the Content-Type
    /// parameter); `None` falls back to the object's own METHOD.
    pub method: Option<&'a str>,
    /// True when a top-level `iMIP-Content-ID` header decided the location
    /// (draft rule 1), which makes that header worth forging.
    pub top_level_imip_content_id: bool,
    /// The envelope recipient (RCPT TO) of this delivery, if the embedder
    /// knows it; used when the configuration names no recipients.
    pub envelope_recipient: Option<&'a str>,
}

/// What [`validate`] found.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Findings in step order (sender, delegation, forwarding, header).
    pub findings: Vec<Finding>,
    /// Every top-level `Authentication-Results` header, trusted or not, in
    /// header order.
    pub authentication_results: Vec<AuthResultsEntry>,
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

/// Steps 3 (sender), 4 (delegation), 5 (forwarding) and 7 (iMIP header
/// signature) of the design.
///
/// Never fails: what cannot be checked (no METHOD, no recipient known, no
/// lookup) is skipped, and every problem is a finding with a detail naming
/// its evidence.
pub fn validate(input: &ValidationInput<'_>, config: &Config) -> Validation {
    let method = input
        .method
        .or(input.calendar.method.as_deref())
        .map(|method| method.trim().to_ascii_uppercase());
    let from = parties::from_addresses(input.message);
    let headers =
        authentication::read_headers(input.message, config, input.top_level_imip_content_id);
    let context = parties::Context {
        calendar: input.calendar,
        method: method.as_deref(),
        from: &from,
    };
    let mut stored = parties::StoredCopies::new(config.lookup.as_deref());

    let mut findings = FindingList::default();
    parties::sender(&context, &mut findings);
    parties::party_crash(&context, &mut stored, &mut findings);
    authentication::unauthenticated_sender(&from, &headers, config, &mut findings);
    parties::delegation(&context, &mut stored, &mut findings);
    let recipients = recipients(config, input.envelope_recipient);
    parties::not_invited(&context, input.message, &recipients, &mut findings);
    if input.top_level_imip_content_id {
        authentication::imip_header_unsigned(&headers, config, &mut findings);
    }
    Validation {
        findings: findings.finish(),
        authentication_results: headers.entries,
    }
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
