//! What the embedder decides about validation: weights, thresholds, limits,
//! the clock and the recipient. Every field has a documented default so the
//! `imip` test works with no setup.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::calendar::CalendarLimits;
use crate::finding::Reason;

/// Validation configuration. `Send + Sync`; build it once, share it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Weight of each finding's reason in the risk score (0..=100 each).
    pub weights: BTreeMap<Reason, u32>,
    /// Risk at or above which `imip :suspicious` is true. Default 50.
    pub suspicious_threshold: u32,
    /// Limits on the calendar object (bytes, components, properties).
    pub calendar_limits: CalendarLimits,
    /// The clock: `None` reads the system clock at analysis time.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            weights: default_weights(),
            suspicious_threshold: 50,
            calendar_limits: CalendarLimits::default(),
            now: None,
        }
    }
}

impl Config {
    /// The weight of `reason` (0 when the configuration leaves it out).
    pub fn weight(&self, reason: Reason) -> u32 {
        self.weights.get(&reason).copied().unwrap_or(0)
    }

    /// The analysis time: the configured clock or the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

/// Default weights. A sender that is not who the object says, an attendee
/// nobody invited or a flood of instances each reach the default threshold
/// alone; structural oddities that real producers commit (a missing METHOD,
/// a disagreeing parameter) do not.
fn default_weights() -> BTreeMap<Reason, u32> {
    use Reason::*;
    BTreeMap::from([
        (MethodMismatch, 10),
        (Malformed, 15),
        (Oversized, 50),
        (OrganizerMismatch, 40),
        (AttendeeMismatch, 40),
        (PartyCrash, 50),
        (UnauthenticatedSender, 50),
        (DelegationUnverified, 25),
        (NotInvited, 20),
        (RecurrenceFlood, 50),
        (RecurrenceOverlap, 25),
        (FarFuture, 20),
        (ImipHeaderUnsigned, 15),
    ])
}
