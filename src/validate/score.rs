//! The risk score: every finding weighed by its reason's configured weight,
//! summed and capped at 100.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::Config;
use crate::finding::{Finding, Reason};

/// A finding with the weight the configuration gives its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoredFinding {
    /// The `:reason` name.
    #[serde(serialize_with = "reason_name")]
    pub reason: Reason,
    /// The configured weight of that reason.
    pub weight: u32,
    /// The explanation naming the evidence.
    pub detail: String,
}

fn reason_name<S: Serializer>(reason: &Reason, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(reason.as_str())
}

/// Weigh findings and sum them into a risk score capped at 100.
///
/// Each reason counts once, with the strongest weight among its findings:
/// one defect often shows in several places (a framing error breaks every
/// line after it, one unknown rule part repeats in every RRULE), and four
/// pieces of evidence for one `malformed` are not four times the risk.
/// The report still lists every finding.
pub fn score(findings: &[Finding], config: &Config) -> (Vec<ScoredFinding>, u32) {
    let scored: Vec<ScoredFinding> = findings
        .iter()
        .map(|finding| ScoredFinding {
            reason: finding.reason,
            weight: config.weight(finding.reason),
            detail: finding.detail.clone(),
        })
        .collect();
    let mut strongest: BTreeMap<Reason, u32> = BTreeMap::new();
    for finding in &scored {
        let weight = strongest.entry(finding.reason).or_default();
        *weight = (*weight).max(finding.weight);
    }
    let risk = strongest
        .values()
        .fold(0u32, |sum, weight| sum.saturating_add(*weight))
        .min(100);
    (scored, risk)
}

/// Whether `risk` reaches the configured threshold (`imip :suspicious`).
pub fn is_suspicious(risk: u32, config: &Config) -> bool {
    risk >= config.suspicious_threshold
}
