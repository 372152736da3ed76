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
    /// An organizer-sent METHOD whose From is neither ORGANIZER nor its
    /// SENT-BY, or whose copies name different ORGANIZERs.
    OrganizerMismatch,
    /// An attendee-sent METHOD whose From is neither the ATTENDEE nor its
    /// SENT-BY, or whose copies list different ATTENDEEs.
    AttendeeMismatch,
    /// The sender check could not be made: the message has no From, or the
    /// object lacks the ORGANIZER or ATTENDEE the METHOD is checked against.
    SenderUnverifiable,
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
    pub const ALL: [Reason; 14] = [
        Reason::MethodMismatch,
        Reason::Malformed,
        Reason::Oversized,
        Reason::OrganizerMismatch,
        Reason::AttendeeMismatch,
        Reason::SenderUnverifiable,
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
            Reason::SenderUnverifiable => "sender-unverifiable",
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

/// How much of an untrusted value an explanation quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// A piece of a content line (a calendar line, a parser's stopping place).
    Excerpt,
    /// A whole value: an address, a UID, a domain, a rule.
    Value,
}

impl Quote {
    /// The most characters quoted before `…`.
    pub const fn max_chars(self) -> usize {
        match self {
            Quote::Excerpt => 40,
            Quote::Value => 100,
        }
    }
}

/// Untrusted text (from a message, a calendar, a header) as an explanation
/// quotes it: at most `quote.max_chars()` characters, then `…`, with
/// control characters escaped (`\n`, `\t`, `\u{1b}`), so a detail stays one
/// short line a person can read, however hostile the value.
pub fn quote_untrusted(text: &str, quote: Quote) -> String {
    let limit = quote.max_chars();
    let mut shown = String::with_capacity(text.len().min(limit.saturating_mul(2)));
    for character in text.chars().take(limit) {
        if character.is_control() {
            shown.extend(character.escape_debug());
        } else {
            shown.push(character);
        }
    }
    if text.chars().nth(limit).is_some() {
        shown.push('…');
    }
    shown
}

impl Finding {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Finding {
        Finding {
            reason,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_quoted_short_and_on_one_line() {
        assert_eq!(
            quote_untrusted("a\u{0}b\nc\u{1b}", Quote::Value),
            "a\\0b\\nc\\u{1b}"
        );
        assert_eq!(quote_untrusted("CN=\"Bob\"", Quote::Excerpt), "CN=\"Bob\"");
        let long = "é".repeat(500);
        assert_eq!(quote_untrusted(&long, Quote::Excerpt).chars().count(), 41);
        assert_eq!(quote_untrusted(&long, Quote::Value).chars().count(), 101);
        assert_eq!(
            quote_untrusted(&"x".repeat(100), Quote::Value),
            "x".repeat(100)
        );
    }
}
