//! Scheduling relays: providers that send an invitation from a notification
//! address of their own on behalf of an ORGANIZER that is a relay address
//! of the same provider. iCloud sends from `noreply@insideicloud.icloud.com`
//! for an ORGANIZER such as `2_GEYDAMZ...@imip.me.com` (the organizer's real
//! address is only in the `EMAIL` parameter), so without this table every
//! iCloud invitation would be an `organizer-mismatch`.
//!
//! A pair counts only as far as the receiving server can tell: when a
//! trusted Authentication-Results is there, it must report a DKIM or DMARC
//! pass for the From domain, or the relay is not believed (anyone can write
//! `From: noreply@insideicloud.icloud.com`). With no trusted result the
//! table is taken at its word, as the rest of the sender check is.

use std::collections::{BTreeMap, BTreeSet};

use super::authentication::{results_summary, trusted_pass, HeaderEvidence};
use super::detail::quoted;
use crate::calendar::CalAddress;

/// The pairs built in: From domain, and the ORGANIZER domains it sends for.
///
/// Each pair needs evidence that the provider really sends that way (see
/// the README, "Scheduling relays"):
/// - iCloud: invitations from iCloud Calendar name an ORGANIZER on
///   `imip.me.com` (`ORGANIZER;CN=...;EMAIL=user@icloud.com:mailto:
///   2_...@imip.me.com`, PRODID `-//caldav.icloud.com//...`, as recorded in
///   Open-Xchange's iCloud interoperability test MWB1078Test), and the mail
///   comes from iCloud's notifier `noreply@insideicloud.icloud.com`.
const BUILT_IN: &[(&str, &[&str])] = &[("insideicloud.icloud.com", &["imip.me.com"])];

/// Which From domains may send for which ORGANIZER domains: the scheduling
/// relays of large providers (see the module documentation).
///
/// Domains compare whole and case-insensitively (a trailing dot ignored);
/// a subdomain is not its parent. [`Default`] is the built-in table.
///
/// ```
/// use sieve_imip::SchedulingRelays;
///
/// let mut relays = SchedulingRelays::default();
/// assert!(relays.speaks_for("insideicloud.icloud.com", "imip.me.com"));
/// relays.insert("notify.calendar.example", ["relay.calendar.example"]);
/// assert!(relays.speaks_for("Notify.Calendar.Example", "relay.calendar.example."));
/// assert!(!SchedulingRelays::none().speaks_for("insideicloud.icloud.com", "imip.me.com"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulingRelays {
    by_from_domain: BTreeMap<String, BTreeSet<String>>,
}

impl Default for SchedulingRelays {
    fn default() -> Self {
        let mut relays = SchedulingRelays::none();
        for (from_domain, organizer_domains) in BUILT_IN {
            relays.insert(from_domain, organizer_domains.iter().copied());
        }
        relays
    }
}

impl SchedulingRelays {
    /// A table without any pair: every From must be the ORGANIZER or its
    /// SENT-BY.
    pub fn none() -> SchedulingRelays {
        SchedulingRelays {
            by_from_domain: BTreeMap::new(),
        }
    }

    /// Let `from_domain` send for ORGANIZERs at each of `organizer_domains`
    /// (added to what it already sends for).
    pub fn insert<I, S>(&mut self, from_domain: &str, organizer_domains: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let domains = self
            .by_from_domain
            .entry(normalize_domain(from_domain))
            .or_default();
        domains.extend(
            organizer_domains
                .into_iter()
                .map(|domain| normalize_domain(domain.as_ref())),
        );
    }

    /// Whether mail from `from_domain` may speak for an ORGANIZER at
    /// `organizer_domain`.
    pub fn speaks_for(&self, from_domain: &str, organizer_domain: &str) -> bool {
        self.by_from_domain
            .get(&normalize_domain(from_domain))
            .is_some_and(|domains| domains.contains(&normalize_domain(organizer_domain)))
    }

    /// Every pair: a From domain and the ORGANIZER domains it sends for,
    /// lower-cased, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &str>)> {
        self.by_from_domain.iter().map(|(from_domain, domains)| {
            (from_domain.as_str(), domains.iter().map(String::as_str))
        })
    }

    /// Whether the table has no pair.
    pub fn is_empty(&self) -> bool {
        self.by_from_domain.is_empty()
    }
}

/// The form domains are kept and compared in.
fn normalize_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `text` can stand for a domain in the table: a dot-separated
/// name without an `@`, spaces or empty labels. Checked when the table is
/// read from a file, so a typo such as `"@imip.me.com"` is refused with its
/// line instead of silently matching nothing.
pub(super) fn is_domain_name(text: &str) -> bool {
    let name = text.trim().trim_end_matches('.');
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte >= 0x80)
        })
}

/// What the table and the trusted results say about one From speaking for
/// one ORGANIZER.
pub(super) enum RelayVerdict {
    /// No pair covers them.
    NotARelay,
    /// A pair covers them and nothing trusted says otherwise.
    Vouched,
    /// A pair covers them, but a trusted server reports no pass for the
    /// From domain; the text says what it reports.
    Unauthenticated(String),
}

/// The relay table with the trusted authentication results it is checked
/// against.
pub(super) struct RelayCheck<'a> {
    pub(super) relays: &'a SchedulingRelays,
    pub(super) headers: &'a HeaderEvidence,
}

impl RelayCheck<'_> {
    pub(super) fn verdict(&self, from: &CalAddress, organizer: &CalAddress) -> RelayVerdict {
        let (Some(from_domain), Some(organizer_domain)) = (domain_of(from), domain_of(organizer))
        else {
            return RelayVerdict::NotARelay;
        };
        if !self.relays.speaks_for(from_domain, organizer_domain) {
            return RelayVerdict::NotARelay;
        }
        match trusted_pass(from_domain, self.headers) {
            None | Some(true) => RelayVerdict::Vouched,
            Some(false) => RelayVerdict::Unauthenticated(format!(
                "the trusted {} reports no DKIM or DMARC pass for {} ({})",
                self.headers.trusted_names(),
                quoted(&normalize_domain(from_domain)),
                results_summary(self.headers)
            )),
        }
    }
}

fn domain_of(address: &CalAddress) -> Option<&str> {
    address
        .as_str()
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|domain| !domain.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_compare_whole_domains_case_insensitively() {
        let relays = SchedulingRelays::default();
        assert!(relays.speaks_for("InsideiCloud.iCloud.com.", "IMIP.me.com"));
        assert!(!relays.speaks_for("icloud.com", "imip.me.com"));
        assert!(!relays.speaks_for("insideicloud.icloud.com", "me.com"));
        assert!(!relays.speaks_for("insideicloud.icloud.com", "x.imip.me.com"));
        assert!(!relays.speaks_for("evil.insideicloud.icloud.com", "imip.me.com"));
        assert!(!relays.speaks_for("imip.me.com", "insideicloud.icloud.com"));
        assert!(!relays.is_empty() && SchedulingRelays::none().is_empty());
        let pairs: Vec<(&str, Vec<&str>)> = relays
            .iter()
            .map(|(from, organizers)| (from, organizers.collect()))
            .collect();
        assert_eq!(pairs, [("insideicloud.icloud.com", vec!["imip.me.com"])]);
    }

    #[test]
    fn domain_names_for_the_file() {
        for good in [
            "imip.me.com",
            "IMIP.me.com.",
            "xn--bcher-kva.example",
            "localhost",
        ] {
            assert!(is_domain_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "@imip.me.com",
            "a..b",
            "a b.com",
            "imip.me.com/x",
            "*.me.com",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
    }
}
