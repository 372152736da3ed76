//! The calendar store `processcalendar` writes to (RFC 9671): the read half
//! is [`CalendarLookup`], which the validation reads stored copies through;
//! the write half creates, updates and deletes calendar object resources
//! with optimistic concurrency (each write names the version it replaces).
//!
//! One store serves one user (the recipient a delivery is for): it looks
//! UIDs up across that user's calendars.

use std::fmt;

use super::lookup::CalendarLookup;

/// An opaque version of a stored item: a CalDAV ETag, a hash of a file's
/// content. A write that names a version other than the current one fails
/// with [`StoreError::Conflict`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemVersion(pub String);

/// One stored calendar object resource: every component of one UID (a
/// series master and its overridden instances).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// The calendar holding it (a vdir folder name, a CalDAV collection).
    pub calendar: String,
    /// The item's name within the calendar (a file name, an href).
    pub href: String,
    /// The version this text is.
    pub version: ItemVersion,
    /// The iCalendar object (`BEGIN:VCALENDAR` ... `END:VCALENDAR`).
    pub text: String,
}

/// Why a store operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The item changed (or was created, or deleted) since it was read:
    /// read it again and retry.
    Conflict,
    /// The calendar named does not exist.
    NoSuchCalendar(String),
    /// The store cannot be reached or refused the operation (I/O error,
    /// network error, an HTTP status); the text says what.
    Unavailable(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("the stored item changed meanwhile"),
            StoreError::NoSuchCalendar(name) => write!(f, "no calendar named \"{name}\""),
            StoreError::Unavailable(detail) => write!(f, "calendar store unavailable: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A user's calendars, as `processcalendar` reads and writes them.
///
/// Implementations: a local folder in the vdir layout (one directory per
/// calendar, one `.ics` per item) and a CalDAV server (RFC 4791). An
/// embedder (a mail server with its own calendar store) implements it over
/// that store.
pub trait CalendarStore: CalendarLookup {
    /// The item holding the UID, in any of the user's calendars; `None`
    /// when no calendar has it.
    fn find(&self, uid: &str) -> Result<Option<StoredItem>, StoreError>;

    /// Whether the user has a calendar of this name (`:calendarid`).
    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError>;

    /// The calendar new events go to when the script names none.
    fn default_calendar(&self) -> Result<String, StoreError>;

    /// Store a new item for `uid` in `calendar`; [`StoreError::Conflict`]
    /// when an item of that UID appeared meanwhile.
    fn create(&self, calendar: &str, uid: &str, text: &str) -> Result<StoredItem, StoreError>;

    /// Replace `item` (at the version it was read) with `text`.
    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError>;

    /// Remove `item` (at the version it was read).
    fn delete(&self, item: &StoredItem) -> Result<(), StoreError>;
}
