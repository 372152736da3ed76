//! sieve-imip: an `imip` test for the Sieve mail-filtering language
//! (RFC 5228) on the sieve-rs engine, recognising and validating iMIP
//! (RFC 6047) calendar scheduling mail.
//!
//! ```
//! use sieve_imip::{compile, run, Action, Envelope};
//!
//! let script = compile(r#"
//!     require ["imip", "fileinto", "variables"];
//!     if imip :matches :method "*" { fileinto "Calendar/${1}"; }
//! "#).unwrap();
//!
//! let message = b"From: alice@example.com\r\n\
//! To: bob@example.org\r\n\
//! Subject: Lunch\r\n\
//! Content-Type: text/calendar; method=REQUEST\r\n\r\n\
//! BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n\
//! BEGIN:VEVENT\r\nUID:1@example.com\r\nDTSTAMP:20261120T080000Z\r\n\
//! DTSTART:20261201T120000Z\r\nORGANIZER:mailto:alice@example.com\r\n\
//! ATTENDEE:mailto:bob@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//!
//! let outcome = run(&script, message, &Envelope::default()).unwrap();
//! assert!(matches!(&outcome.actions[..],
//!     [Action::FileInto { folder, .. }] if folder == "Calendar/REQUEST"));
//! ```
//!
//! The `processcalendar` action of RFC 9671 acts on what the test
//! validated: it carries out the message's iTIP method on the user's
//! calendar store ([`CalendarStore`], set with [`ConfigBuilder::store`]),
//! behind the validation, and reports in [`Outcome::calendar`].
//!
//! The public surface is what an embedder needs: the [`Engine`] (compile
//! once, run on every message, alone or as a chain), its result types, the
//! validation [`Config`] and the organizer's stored copies
//! ([`CalendarLookup`]), the analysis with its [`report`] (the
//! `analyze --json` shape), and [`filter`]: one script over a whole mail
//! store in parallel (the `filter` command). The stages themselves are internal and follow
//! the data: `script` (the Sieve front-end), `message` (finding the iMIP
//! object), `calendar` (the iTIP model), `recurrence` (recurrence risk),
//! `validate` (the validation steps and the risk), `analysis` (running the
//! stages for one message), `process` (iTIP on the calendar store) and
//! `engine` (driving sieve-rs), on two shared
//! lexical layers (`syntax`, `headers`).
#![forbid(unsafe_code)]
// No panics from input in shipped code (README "Lint policy"): test builds
// (unit tests) may unwrap and index; `src/recurrence` lifts the arithmetic
// lint module by module, saying what bounds its values.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![warn(missing_docs)]

pub(crate) mod analysis;
pub(crate) mod calendar;
pub mod deliver;
pub(crate) mod engine;
pub mod filter;
pub(crate) mod finding;
#[cfg(any(test, feature = "internals"))]
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod headers;
pub(crate) mod message;
pub(crate) mod process;
pub(crate) mod recurrence;
pub mod report;
pub(crate) mod script;
pub mod store;
pub(crate) mod syntax;
pub(crate) mod validate;

/// The test helpers the integration tests use too (skips that say why).
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_support;

pub use analysis::{Analysis, Depth};
pub use calendar::{CalAddress, CalendarLimits};
pub use engine::{
    compile, run, Action, CalendarProcessing, CompiledScript, DefaultHost, Engine, Envelope,
    Failure, HeaderField, Host, Outcome, ProcessOutcome, RunError,
};
pub use finding::Reason;
pub use headers::authentication_results::{AuthenticationResults, Property, ResInfo};
pub use script::{LexicalError, RegexRefusal, ScriptError, ScriptErrorKind};
pub use validate::{
    AuthResultsEntry, CalDavPassword, CalDavSettings, CalendarLookup, CalendarStore, Config,
    ConfigBuilder, ConfigError, DirectoryLookup, ItemVersion, ProcessingPolicy, SchedulingRelays,
    ScoredFinding, StoreError, StoredAttendee, StoredItem, MAX_CALENDAR_FILES,
    MAX_CONFLICT_RETRIES, MAX_WEIGHT,
};

/// Stages measured on their own by the benchmarks (`cargo bench --features
/// internals`) and probed by `examples/recurrence_probe.rs`. Not part of the
/// API: no stability promise, and absent without the `internals` feature.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::calendar::DateValue;
    pub use crate::headers::authentication_results::parse_authentication_results;
    pub use crate::headers::dkim_signature::parse_dkim_signature;
    pub use crate::message::{locate_imip, repair_raw_message};
    pub use crate::recurrence::{evaluate, EvalOptions, InstanceCount, RecurrenceLimits, Series};
}
