//! The validation in front of the action: what the analysis found decides
//! whether `processcalendar` may act at all, before any method is looked at.
//! The administrator's [`ProcessingPolicy`] may open the gate; a user's
//! script cannot.

use crate::analysis::Analysis;
use crate::finding::Reason;
use crate::validate::ProcessingPolicy;

/// Why the message may not be acted on, or `None` when it may.
pub(super) fn refusal(
    analysis: &Analysis,
    method: &str,
    policy: &ProcessingPolicy,
) -> Option<String> {
    if analysis.is_suspicious() && !policy.act_on_suspicious {
        let findings: Vec<String> = analysis
            .findings()
            .iter()
            .map(|finding| format!("{} ({})", finding.reason.as_str(), finding.detail))
            .collect();
        return Some(format!(
            "the message is suspicious (risk {}), so the calendar is not changed: {}",
            analysis.risk(),
            findings.join("; ")
        ));
    }
    if policy.act_on_unverified_sender {
        return None;
    }
    let failing: &[Reason] = match method {
        "REQUEST" | "ADD" | "CANCEL" | "PUBLISH" | "DECLINECOUNTER" => {
            &[Reason::OrganizerMismatch, Reason::SenderUnverifiable]
        }
        "REPLY" | "REFRESH" | "COUNTER" => &[Reason::AttendeeMismatch, Reason::SenderUnverifiable],
        _ => &[],
    };
    analysis
        .findings()
        .iter()
        .find(|finding| failing.contains(&finding.reason))
        .map(|finding| {
            format!(
                "the sender fails the {method} sender check, so the calendar is not changed: {} ({})",
                finding.reason.as_str(),
                finding.detail
            )
        })
}
