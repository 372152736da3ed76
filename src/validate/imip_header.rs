//! Step 7, iMIP header: a top-level `iMIP-Content-ID` decided which part
//! is the calendar, which makes that header worth forging; it must be
//! covered by a DKIM signature a trusted server reports passing
//! (`imip-header-unsigned`).

use super::authentication::{
    configured_ids, dkim_pass_contradicted, results_summary, HeaderEvidence,
};
use super::detail::quoted;
use super::{Config, FindingList};
use crate::finding::Reason;
use crate::headers::dkim_signature::DkimSignature;

/// The header this crate's draft asks DKIM to sign (draft section 4).
const IMIP_CONTENT_ID: &str = "iMIP-Content-ID";

/// `imip-header-unsigned`, called when a top-level
/// `iMIP-Content-ID` decided where the calendar is.
pub(super) fn check(evidence: &HeaderEvidence, config: &Config, findings: &mut FindingList) {
    let covering: Vec<&DkimSignature> = evidence
        .signatures
        .iter()
        .filter(|signature| signature.covers(IMIP_CONTENT_ID))
        .collect();
    let lead = "the top-level iMIP-Content-ID decided which part is the calendar";
    if covering.is_empty() {
        findings.push(
            Reason::ImipHeaderUnsigned,
            format!(
                "{lead}, but no DKIM-Signature covers it (no h= names iMIP-Content-ID among {} signatures)",
                evidence.signatures.len()
            ),
        );
        return;
    }
    let passing = evidence.trusted_with_positions().any(|(at, parsed)| {
        parsed
            .results_for("dkim")
            .filter(|result| result.passed())
            .any(|result| {
                covering
                    .iter()
                    .any(|signature| signature.matches_result(result))
                    && !dkim_pass_contradicted(at, result, evidence)
            })
    });
    if passing {
        return;
    }
    let signers = covering
        .iter()
        .map(|signature| format!("d={}", quoted(&signature.domain)))
        .collect::<Vec<_>>()
        .join(", ");
    let why = if config.trusted_authserv_ids.is_empty() {
        "no authserv-id is configured as trusted, so nothing says it passed".to_owned()
    } else if evidence.trusted().next().is_none() {
        format!(
            "no Authentication-Results from a trusted server ({}) says it passed",
            configured_ids(config)
        )
    } else {
        format!(
            "the trusted {} does not report that signature passing ({})",
            evidence.trusted_names(),
            results_summary(evidence)
        )
    };
    findings.push(
        Reason::ImipHeaderUnsigned,
        format!("{lead}; the DKIM-Signature {signers} covers it, but {why}"),
    );
}
