//! What a validation step found: a reason name from a closed set and a
//! human-readable explanation. Weights are applied by `validate`, so the
//! stages that find things do not need the configuration.

use std::fmt;

/// The closed set of `:reason` values, in the order of the validation steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// Content-Type `method` differs from the object's METHOD, or candidates disagree.
    MethodMismatch,
    /// No parsable iCalendar object, no METHOD, invalid RRULE or dates.
    Malformed,
    /// Over a configured limit (bytes, components, properties, instances).
    Oversized,
    /// An organizer-sent METHOD whose From is neither ORGANIZER nor its SENT-BY.
    OrganizerMismatch,
    /// An attendee-sent METHOD whose From is neither the ATTENDEE nor its SENT-BY.
    AttendeeMismatch,
    /// A reply from an attendee the organizer's stored copy does not list.
    PartyCrash,
    /// A trusted Authentication-Results says the From domain failed DKIM and DMARC.
    UnauthenticatedSender,
    /// DELEGATED-FROM / DELEGATED-TO that the object does not confirm.
    DelegationUnverified,
    /// A REQUEST in which none of the recipient's addresses is an ATTENDEE.
    NotInvited,
    /// More instances in the horizon, or per day, than the configured limit.
    RecurrenceFlood,
    /// Instances of one series overlap each other.
    RecurrenceOverlap,
    /// The first instance starts far after the message date.
    FarFuture,
    /// A top-level iMIP-Content-ID not covered by a passing DKIM signature.
    ImipHeaderUnsigned,
}

impl Reason {
    /// Every reason, in step order. Its length bounds the `:reason` slots.
    pub const ALL: [Reason; 13] = [
        Reason::MethodMismatch,
        Reason::Malformed,
        Reason::Oversized,
        Reason::OrganizerMismatch,
        Reason::AttendeeMismatch,
        Reason::PartyCrash,
        Reason::UnauthenticatedSender,
        Reason::DelegationUnverified,
        Reason::NotInvited,
        Reason::RecurrenceFlood,
        Reason::RecurrenceOverlap,
        Reason::FarFuture,
        Reason::ImipHeaderUnsigned,
    ];

    /// The name scripts see through `imip :reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MethodMismatch => "method-mismatch",
            Reason::Malformed => "malformed",
            Reason::Oversized => "oversized",
            Reason::OrganizerMismatch => "organizer-mismatch",
            Reason::AttendeeMismatch => "attendee-mismatch",
            Reason::PartyCrash => "party-crash",
            Reason::UnauthenticatedSender => "unauthenticated-sender",
            Reason::DelegationUnverified => "delegation-unverified",
            Reason::NotInvited => "not-invited",
            Reason::RecurrenceFlood => "recurrence-flood",
            Reason::RecurrenceOverlap => "recurrence-overlap",
            Reason::FarFuture => "far-future",
            Reason::ImipHeaderUnsigned => "imip-header-unsigned",
        }
    }

    /// The reason with this name, if any.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == name)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a validation step found, with the reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub reason: Reason,
    /// A short explanation naming the evidence (addresses, part, rule part, line).
    pub detail: String,
}

impl Finding {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Finding {
        Finding {
            reason,
            detail: detail.into(),
        }
    }
}
