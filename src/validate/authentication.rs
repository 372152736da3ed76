//! Step 3, authentication: what the receiving servers say about the From
//! domain. `unauthenticated-sender` when a trusted `Authentication-Results`
//! reports its DKIM or DMARC failing and nothing trusted authenticates it.
//! The evidence read here (the trusted block of results, the DKIM
//! signatures) also serves step 7 ([`super::imip_header`]).

use mail_parser::Message;

use super::detail::quoted;
use super::{AuthResultsEntry, Config, FindingList};
use crate::calendar::CalAddress;
use crate::finding::Reason;
use crate::headers::authentication_results::{
    parse_authentication_results, AuthenticationResults, ResInfo,
};
use crate::headers::dkim_signature::{parse_dkim_signature, DkimSignature};

/// At most this many `Authentication-Results` and this many `DKIM-Signature`
/// fields are read from one message; real mail carries a handful.
const MAX_HEADERS_READ: usize = 64;

/// At most this many results are quoted in one detail.
const MAX_RESULTS_QUOTED: usize = 6;

/// What the top-level header says about authentication.
pub(super) struct HeaderEvidence {
    /// Every Authentication-Results field, in header order.
    pub(super) entries: Vec<AuthResultsEntry>,
    /// Positions in `entries` of the trusted block.
    trusted: Vec<usize>,
    /// Trusted-looking fields below the block, ignored.
    ignored_below: usize,
    /// The DKIM-Signature fields that parse.
    pub(super) signatures: Vec<DkimSignature>,
}

impl HeaderEvidence {
    pub(super) fn trusted(&self) -> impl Iterator<Item = &AuthenticationResults> + '_ {
        self.trusted_with_positions().map(|(_, parsed)| parsed)
    }

    /// The trusted headers with their positions in `entries`, which tell
    /// one header from another.
    pub(super) fn trusted_with_positions(
        &self,
    ) -> impl Iterator<Item = (usize, &AuthenticationResults)> + '_ {
        self.trusted
            .iter()
            .filter_map(|&position| match self.entries.get(position) {
                Some(AuthResultsEntry::Parsed(parsed)) => Some((position, parsed)),
                _ => None,
            })
    }

    pub(super) fn trusted_names(&self) -> String {
        let mut names: Vec<&str> = self
            .trusted()
            .map(|parsed| parsed.authserv_id.as_str())
            .collect();
        names.dedup();
        names.into_iter().map(quoted).collect::<Vec<_>>().join(", ")
    }
}

/// Read the top-level Authentication-Results fields, and the DKIM-Signature
/// fields when `read_signatures` (only step 7 needs them).
///
/// The trusted block runs from the first field whose authserv-id is trusted
/// down to the next `Received` field: see the module documentation of
/// `validate` for why.
pub(super) fn read_headers(
    message: &Message<'_>,
    config: &Config,
    read_signatures: bool,
) -> HeaderEvidence {
    let mut evidence = HeaderEvidence {
        entries: Vec::new(),
        trusted: Vec::new(),
        ignored_below: 0,
        signatures: Vec::new(),
    };
    let mut block_started = false;
    let mut block_closed = false;
    let mut results_left_out = 0usize;
    let mut signatures_read = 0usize;
    for (name, body) in message.headers_raw() {
        if name.eq_ignore_ascii_case("Received") {
            block_closed |= block_started;
        } else if name.eq_ignore_ascii_case("Authentication-Results") {
            if evidence.entries.len() >= MAX_HEADERS_READ {
                results_left_out = results_left_out.saturating_add(1);
                continue;
            }
            match parse_authentication_results(body) {
                Ok(parsed) => {
                    if config.trusts_authserv_id(&parsed.authserv_id) {
                        if block_closed {
                            evidence.ignored_below = evidence.ignored_below.saturating_add(1);
                        } else {
                            block_started = true;
                            evidence.trusted.push(evidence.entries.len());
                        }
                    }
                    evidence.entries.push(AuthResultsEntry::Parsed(parsed));
                }
                Err(error) => evidence.entries.push(AuthResultsEntry::Error {
                    error: error.to_string(),
                }),
            }
        } else if read_signatures
            && signatures_read < MAX_HEADERS_READ
            && name.eq_ignore_ascii_case("DKIM-Signature")
        {
            signatures_read = signatures_read.saturating_add(1);
            if let Ok(signature) = parse_dkim_signature(body) {
                evidence.signatures.push(signature);
            }
        }
    }
    if results_left_out > 0 {
        evidence.entries.push(AuthResultsEntry::Error {
            error: format!(
                "{results_left_out} more Authentication-Results fields not read (limit {MAX_HEADERS_READ})"
            ),
        });
    }
    evidence
}

/// `unauthenticated-sender`, one finding per From domain that no
/// trusted DKIM or DMARC result authenticates.
pub(super) fn check(
    from: &[CalAddress],
    evidence: &HeaderEvidence,
    config: &Config,
    findings: &mut FindingList,
) {
    let mut domains: Vec<String> = from.iter().filter_map(domain_of).collect();
    domains.sort();
    domains.dedup();
    let has_trusted = evidence.trusted().next().is_some();
    if !has_trusted {
        if config.flag_unauthenticated {
            let why = if config.trusted_authserv_ids.is_empty() {
                "no authserv-id is configured as trusted".to_owned()
            } else if evidence.ignored_below > 0 {
                "the only trusted-looking Authentication-Results sit below a Received field, where a sender could have written them".to_owned()
            } else {
                format!(
                    "no Authentication-Results from a trusted server ({})",
                    configured_ids(config)
                )
            };
            findings.push(
                Reason::UnauthenticatedSender,
                format!(
                    "nothing authenticates the From domain {}: {why}",
                    domain_text(&domains)
                ),
            );
        }
        return;
    }
    // By default only a failure counts: a signature of the From domain that
    // did not verify, a DMARC failure, or a DMARC check of another From
    // domain (the From changed after the check). Mail that is merely
    // unsigned (`dkim=none`, `dmarc=none`) is what the option is for.
    let unauthenticated: Vec<(&str, bool)> = domains
        .iter()
        .filter(|domain| !is_authenticated(domain, evidence))
        .map(|domain| (domain.as_str(), has_failure(domain, evidence)))
        .filter(|(_, failed)| *failed || config.flag_unauthenticated)
        .collect();
    let no_from_domain = domains.is_empty() && config.flag_unauthenticated;
    if unauthenticated.is_empty() && !no_from_domain {
        return;
    }
    let servers = evidence.trusted_names();
    let summary = results_summary(evidence);
    if no_from_domain {
        findings.push(
            Reason::UnauthenticatedSender,
            format!("nothing authenticates the sender: the message has no From domain (the trusted {servers} reports {summary})"),
        );
    }
    for (domain, failed) in unauthenticated {
        let quoted_domain = quoted(domain);
        let detail = if failed && has_conflict(domain, evidence) {
            format!(
                "the trusted {servers} reports both a pass and a failure for the From domain {quoted_domain} in different Authentication-Results fields, and conflicting results count as not passed: a field claiming a trusted authserv-id may be forged (it reports {summary})"
            )
        } else if failed {
            format!(
                "the trusted {servers} reports no DKIM or DMARC pass for the From domain {quoted_domain}, and a failure (it reports {summary})"
            )
        } else {
            format!(
                "nothing authenticates the From domain {quoted_domain}: the trusted {servers} reports no DKIM or DMARC pass for it ({summary})"
            )
        };
        findings.push(Reason::UnauthenticatedSender, detail);
    }
}

/// What the trusted results say of `domain`: `None` when there are no
/// trusted results to ask, else whether one authenticates it (a DKIM or
/// DMARC pass, as for `unauthenticated-sender`).
pub(super) fn trusted_pass(domain: &str, evidence: &HeaderEvidence) -> Option<bool> {
    let domain = trim_domain(domain).to_lowercase();
    evidence
        .trusted()
        .next()
        .map(|_| is_authenticated(&domain, evidence))
}

/// Results that count as a failure for an actual result value: a check
/// that ran and did not pass. `none` (nothing to check) and `temperror`
/// (try again later) say nothing about the sender.
fn is_failure(result: &ResInfo) -> bool {
    matches!(
        result.result.as_str(),
        "fail" | "softfail" | "neutral" | "policy" | "permerror"
    )
}

/// Whether a trusted result says the From domain failed: its own DKIM
/// signature did not verify, DMARC failed for it, or DMARC was evaluated
/// for a different From domain.
fn has_failure(domain: &str, evidence: &HeaderEvidence) -> bool {
    evidence
        .trusted()
        .any(|parsed| reports_failure(parsed, domain))
}

/// [`has_failure`] for one header.
fn reports_failure(parsed: &AuthenticationResults, domain: &str) -> bool {
    {
        let dkim = parsed.results_for("dkim").any(|result| {
            is_failure(result) && signing_domain(result).is_some_and(|d| aligned(domain, d))
        });
        let dmarc = parsed.results_for("dmarc").any(|result| {
            match result.property("header", "from").map(trim_domain) {
                Some(checked) if !checked.eq_ignore_ascii_case(domain) => true,
                _ => is_failure(result),
            }
        });
        dkim || dmarc
    }
}

/// Whether a trusted result authenticates `domain`: DKIM passed for it or a
/// parent of it (see `validate`'s documentation), or DMARC passed with it as
/// `header.from`, and no other trusted header reports a failure for it.
///
/// A border server that writes its results just below its own `Received`
/// and does not remove look-alikes leaves a forged field with its
/// authserv-id right next to its own, inside the trusted block: its own
/// failure must not be overturned by the forged pass. Results of one
/// header may disagree (two signatures of one domain, one broken); results
/// of two headers claiming the same trusted server may not, and a conflict
/// counts as not passed.
fn is_authenticated(domain: &str, evidence: &HeaderEvidence) -> bool {
    evidence
        .trusted_with_positions()
        .any(|(at, parsed)| reports_pass(parsed, domain) && !contradicted(at, domain, evidence))
}

/// Whether a trusted header other than the one at `at` reports a failure
/// for `domain`.
fn contradicted(at: usize, domain: &str, evidence: &HeaderEvidence) -> bool {
    evidence
        .trusted_with_positions()
        .any(|(other, parsed)| other != at && reports_failure(parsed, domain))
}

/// Whether a trusted header other than the one at `at` reports a DKIM
/// failure for the domain that `passed` (a DKIM pass) names: the same
/// method and domain, which a field claiming the same server must not
/// overturn (step 7 reads passes signature by signature).
pub(super) fn dkim_pass_contradicted(
    at: usize,
    passed: &ResInfo,
    evidence: &HeaderEvidence,
) -> bool {
    let Some(signer) = signing_domain(passed).map(trim_domain) else {
        return false;
    };
    evidence
        .trusted_with_positions()
        .filter(|(other, _)| *other != at)
        .flat_map(|(_, parsed)| parsed.results_for("dkim"))
        .any(|result| {
            is_failure(result)
                && signing_domain(result)
                    .is_some_and(|domain| trim_domain(domain).eq_ignore_ascii_case(signer))
        })
}

/// Whether some trusted header passes `domain` but another contradicts it.
fn has_conflict(domain: &str, evidence: &HeaderEvidence) -> bool {
    evidence
        .trusted_with_positions()
        .any(|(at, parsed)| reports_pass(parsed, domain) && contradicted(at, domain, evidence))
}

/// [`is_authenticated`] for one header, on its own.
fn reports_pass(parsed: &AuthenticationResults, domain: &str) -> bool {
    {
        let dkim = parsed.results_for("dkim").any(|result| {
            result.passed() && signing_domain(result).is_some_and(|d| aligned(domain, d))
        });
        let dmarc = parsed.results_for("dmarc").any(|result| {
            result.passed()
                && result
                    .property("header", "from")
                    .is_some_and(|from| trim_domain(from).eq_ignore_ascii_case(domain))
        });
        dkim || dmarc
    }
}

/// The domain a DKIM result names: `header.d`, else the domain of
/// `header.i`.
fn signing_domain(result: &ResInfo) -> Option<&str> {
    result.property("header", "d").or_else(|| {
        result
            .property("header", "i")
            .and_then(|identity| identity.rsplit_once('@').map(|(_, domain)| domain))
    })
}

/// The From domain is the signing domain or one of its subdomains. A bare
/// top-level name never counts as a parent.
fn aligned(from_domain: &str, signer: &str) -> bool {
    let signer = trim_domain(signer);
    if signer.eq_ignore_ascii_case(from_domain) {
        return true;
    }
    if !signer.contains('.') {
        return false;
    }
    from_domain
        .len()
        .checked_sub(signer.len())
        .and_then(|start| start.checked_sub(1))
        .is_some_and(|dot| {
            from_domain.get(dot..dot.saturating_add(1)) == Some(".")
                && from_domain
                    .get(dot.saturating_add(1)..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(signer))
        })
}

fn trim_domain(domain: &str) -> &str {
    domain.trim().trim_end_matches('.')
}

fn domain_of(address: &CalAddress) -> Option<String> {
    address
        .as_str()
        .rsplit_once('@')
        .map(|(_, domain)| trim_domain(domain).to_lowercase())
        .filter(|domain| !domain.is_empty())
}

fn domain_text(domains: &[String]) -> String {
    if domains.is_empty() {
        "(no From address)".to_owned()
    } else {
        domains
            .iter()
            .map(|domain| quoted(domain))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) fn configured_ids(config: &Config) -> String {
    config
        .trusted_authserv_ids
        .iter()
        .map(|id| quoted(id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The trusted results in a few words, such as
/// `dkim=fail (header.d=example.com), dmarc=fail (header.from=example.com)`.
pub(super) fn results_summary(evidence: &HeaderEvidence) -> String {
    let results: Vec<&ResInfo> = evidence
        .trusted()
        .flat_map(|parsed| parsed.results.iter())
        .collect();
    if results.is_empty() {
        return "no results".to_owned();
    }
    let mut quoted_results: Vec<String> = results
        .iter()
        .take(MAX_RESULTS_QUOTED)
        .map(|result| describe_result(result))
        .collect();
    if results.len() > MAX_RESULTS_QUOTED {
        quoted_results.push(format!(
            "{} more",
            results.len().saturating_sub(MAX_RESULTS_QUOTED)
        ));
    }
    quoted_results.join(", ")
}

fn describe_result(result: &ResInfo) -> String {
    let identifier = match result.method.as_str() {
        "dkim" => signing_domain(result).map(|d| format!("header.d={}", quoted(d))),
        "dmarc" => result
            .property("header", "from")
            .map(|from| format!("header.from={}", quoted(from))),
        "spf" => result
            .property("smtp", "mailfrom")
            .map(|from| format!("smtp.mailfrom={}", quoted(from))),
        _ => None,
    };
    let outcome = format!("{}={}", quoted(&result.method), quoted(&result.result));
    match identifier {
        Some(identifier) => format!("{outcome} ({identifier})"),
        None => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::aligned;

    #[test]
    fn dkim_alignment_accepts_the_domain_and_its_parents_only() {
        assert!(aligned("example.com", "example.com"));
        assert!(aligned("example.com", "Example.COM."));
        assert!(aligned("mail.example.com", "example.com"));
        assert!(!aligned("example.com", "mail.example.com"));
        assert!(!aligned("badexample.com", "example.com"));
        assert!(!aligned("example.com", "com"));
        assert!(!aligned("com", "example.com"));
        assert!(!aligned("", "example.com"));
    }
}
