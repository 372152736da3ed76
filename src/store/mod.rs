//! The calendar stores `processcalendar` writes to (RFC 9671), each a
//! [`CalendarStore`](crate::validate::CalendarStore) and so also the
//! [`CalendarLookup`](crate::validate::CalendarLookup) the validation reads
//! stored copies from:
//!
//! | store | file | for |
//! |---|---|---|
//! | [`VdirStore`] | `vdir.rs` | a local folder in the vdir layout (vdirsyncer, khal): `deliver --calendar DIR` |
//! | [`CalDavStore`] | `caldav/` | a CalDAV server (RFC 4791), `[caldav]` in the configuration file |
//! | [`DryRunStore`] | `dry_run.rs` | reads another store, keeps its writes in memory: `sieve-imip test` |
//!
//! Both name a new item after its UID the same way ([`item_file_name`]),
//! so two deliveries creating one event at once meet on one name and the
//! second is told [`StoreError::Conflict`](crate::validate::StoreError),
//! and both note every [`StoreError::Unavailable`](crate::validate::StoreError)
//! in a [`FailureLog`], which is how a delivery agent learns that the
//! calendar step failed without reading the script's outcome.

mod caldav;
mod dry_run;
mod vdir;

use std::sync::Mutex;

use sha2::{Digest, Sha256};

pub use caldav::CalDavStore;
pub use dry_run::DryRunStore;
pub use vdir::VdirStore;

use crate::calendar::{parse_calendar, CalendarLimits};
use crate::validate::{DirectoryLookup, ItemVersion, StoreError};

/// The `Unavailable` errors a store met, for whoever runs the deliveries:
/// the action sees each as an outcome, the delivery agent reads them here
/// afterwards to decide whether the message must wait for the store.
#[derive(Debug, Default)]
pub struct FailureLog {
    failures: Mutex<Vec<String>>,
}

/// A log that would grow without bound in a long-running embedder that
/// never reads it keeps the first ones.
const MAX_FAILURES_KEPT: usize = 16;

impl FailureLog {
    /// Note one failure.
    pub fn record(&self, failure: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() < MAX_FAILURES_KEPT {
                failures.push(failure.to_owned());
            }
        }
    }

    /// The failures noted since the last call, oldest first; the log is
    /// left empty.
    pub fn take(&self) -> Vec<String> {
        self.failures
            .lock()
            .map(|mut failures| std::mem::take(&mut *failures))
            .unwrap_or_default()
    }
}

/// Longest UID used as a file name as it is (file systems allow 255 bytes).
const MAX_NAME_UID: usize = 200;

/// The name a new item of `uid` gets: `<uid>.ics` when the UID is made of
/// characters safe in a file name and a URL path (the ones vdirsyncer keeps
/// as they are), else the SHA-256 of the UID in hex. A hash, not a random
/// name, so that every writer derives the same name for one UID.
pub fn item_file_name(uid: &str) -> String {
    let safe = !uid.is_empty()
        && uid.len() <= MAX_NAME_UID
        && !uid.starts_with('.')
        && uid
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.+@".contains(&byte));
    if safe {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", hex_sha256(uid.as_bytes()))
    }
}

/// The SHA-256 of `bytes`, in lower-case hex.
fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A local item's version: the SHA-256 of its text, so any change is a
/// new version and equal texts are one.
fn version_of(text: &str) -> ItemVersion {
    ItemVersion(hex_sha256(text.as_bytes()))
}

/// Whether a component of `text` has exactly this UID (a CalDAV text-match
/// is a substring match; a file's name says nothing for sure).
fn holds_uid(text: &str, uid: &str, limits: &CalendarLimits) -> bool {
    parse_calendar(text, limits)
        .components
        .iter()
        .any(|component| component.uid.as_deref() == Some(uid))
}

/// The stored copy of one item as the validation reads it, parsed the way
/// `--calendar DIR` parses a file.
fn lookup_of(text: &str, limits: &CalendarLimits) -> DirectoryLookup {
    let mut lookup = DirectoryLookup::default();
    lookup.add_calendar(text, limits);
    lookup
}

/// The error a store returns when it cannot do its work, noted in its log.
fn unavailable(failures: &FailureLog, detail: String) -> StoreError {
    failures.record(&detail);
    StoreError::Unavailable(detail)
}

#[cfg(test)]
mod tests;
