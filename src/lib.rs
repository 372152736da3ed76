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
//! The stages follow the data: [`script`] (the Sieve front-end),
//! [`message`] (finding the iMIP object), [`calendar`] (the iTIP model),
//! [`recurrence`] (recurrence risk), [`validate`] (findings and risk),
//! [`analysis`] (running the stages for one message) and [`engine`]
//! (driving sieve-rs). Below the stages, `syntax` holds the iCalendar
//! content-line scanner that locating and the calendar stage share.

pub mod analysis;
pub mod calendar;
pub mod engine;
pub mod finding;
pub mod headers;
pub mod message;
pub mod recurrence;
pub mod report;
pub mod script;
pub(crate) mod syntax;
pub mod validate;

pub use analysis::{Analysis, Depth};
pub use engine::{
    compile, run, Action, CompileError, CompiledScript, DefaultHost, Engine, Envelope, Failure,
    Host, Outcome, RunError,
};
pub use finding::{Finding, Reason};
pub use validate::Config;
