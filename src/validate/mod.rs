//! The validation steps, the risk score and their configuration.

mod config;

pub use config::Config;

use crate::finding::Finding;

/// A finding with the weight the configuration gives its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoredFinding {
    pub reason: &'static str,
    pub weight: u32,
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
