//! Turning a recurrence profile into findings.

use chrono::{DateTime, Utc};

use super::series::{InstanceCount, RecurrenceProfile};
use crate::finding::{Finding, Reason};

/// Limits above which a recurrence is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecurrenceThresholds {
    /// More instances than this in the horizon is a flood (default 500).
    pub flood_instances: u64,
    /// More instances than this on one local day is a flood (default 24).
    pub flood_per_day: u64,
    /// A first instance more than this many days after the reference is far in the future (default 180).
    pub far_future_days: i64,
}

impl Default for RecurrenceThresholds {
    fn default() -> Self {
        RecurrenceThresholds {
            flood_instances: 500,
            flood_per_day: 24,
            far_future_days: 180,
        }
    }
}

/// recurrence-flood / recurrence-overlap / far-future findings for one
/// profile; `reference` is the message Date or now.
pub fn risk_findings(
    profile: &RecurrenceProfile,
    thresholds: &RecurrenceThresholds,
    reference: DateTime<Utc>,
) -> Vec<Finding> {
    let note = profile
        .timezone_note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let total = match profile.instances_total {
        InstanceCount::Exact(n) => n.to_string(),
        InstanceCount::Unbounded => "unbounded".to_string(),
    };
    let mut findings = Vec::new();
    // A rule the implementations read differently floods whichever way the
    // recipient's calendar reads it: the larger count is judged.
    // The count and, when the other reading's is larger, what says so.
    let larger = |own: u64, other: Option<u64>| match other {
        Some(other) if other > own => (other, " under the other reading of the rule"),
        _ => (own, ""),
    };
    let other = profile.other_reading.as_ref();
    let (in_horizon, reading) = larger(
        profile.instances_in_horizon,
        other.map(|o| o.instances_in_horizon),
    );
    if in_horizon > thresholds.flood_instances {
        findings.push(Finding::new(
            Reason::RecurrenceFlood,
            format!(
                "{in_horizon} instances in the horizon{reading} (limit {}), {total} in all{note}",
                thresholds.flood_instances
            ),
        ));
    }
    let (per_day, reading) = larger(profile.max_per_day, other.map(|o| o.max_per_day));
    if per_day > thresholds.flood_per_day {
        findings.push(Finding::new(
            Reason::RecurrenceFlood,
            format!(
                "{per_day} instances on one day{reading} (limit {}){note}",
                thresholds.flood_per_day
            ),
        ));
    }
    if profile.max_overlap > 1 {
        findings.push(Finding::new(
            Reason::RecurrenceOverlap,
            format!(
                "up to {} instances of the series at the same time{note}",
                profile.max_overlap
            ),
        ));
    }
    if let Some(first) = profile.first_start {
        let days = first.signed_duration_since(reference).num_days();
        if days > thresholds.far_future_days {
            findings.push(Finding::new(
                Reason::FarFuture,
                format!(
                    "first instance {} is {days} days after {} (limit {}){note}",
                    first.to_rfc3339(),
                    reference.to_rfc3339(),
                    thresholds.far_future_days
                ),
            ));
        }
    }
    findings
}
