//! The organizer's stored copy of events: the evidence `party-crash` and the
//! stored-copy side of `delegation-unverified` need.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::address_key;
use crate::calendar::{parse_calendar, CalAddress, CalendarLimits};

/// The organizer's stored copy of events, by UID (embedder-provided).
///
/// A mail server that also stores calendars answers from its store; the
/// CLI answers from a folder of `.ics` files ([`DirectoryLookup`]).
pub trait CalendarLookup: Send + Sync {
    /// The attendees of the stored event with this UID; `None` when the UID
    /// is unknown (then nothing can be concluded from it).
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>>;
}

/// At most this many `.ics` files are read from one folder; a folder with
/// more is refused rather than read in part, since a missing copy would
/// silently hide a party crash.
pub const MAX_CALENDAR_FILES: usize = 10_000;

/// A [`CalendarLookup`] over a folder of `.ics` files (`--calendar DIR`).
///
/// Every `*.ics` file directly in the folder is read once, at construction;
/// the attendees of every component are indexed by UID (components sharing
/// a UID, such as a series and its changed instances, pool their attendees).
/// Files larger than the calendar limit's `max_bytes` are skipped and listed
/// in [`DirectoryLookup::skipped`].
#[derive(Debug, Clone, Default)]
pub struct DirectoryLookup {
    attendees_by_uid: HashMap<String, StoredAttendees>,
    skipped: Vec<PathBuf>,
}

impl DirectoryLookup {
    /// Read every `*.ics` file in `dir`. Fails when the folder cannot be
    /// listed, a file cannot be read, or there are more than
    /// [`MAX_CALENDAR_FILES`] of them.
    pub fn open(dir: &Path, limits: &CalendarLimits) -> Result<DirectoryLookup, io::Error> {
        let mut files = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let is_ics = path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("ics"));
            if !is_ics || !path.is_file() {
                continue;
            }
            if files.len() >= MAX_CALENDAR_FILES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: more than {MAX_CALENDAR_FILES} .ics files",
                        dir.display()
                    ),
                ));
            }
            files.push(path);
        }
        files.sort();

        let mut lookup = DirectoryLookup::default();
        for path in files {
            match read_bounded(&path, limits.max_bytes)? {
                Some(text) => lookup.add_calendar(&text, limits),
                None => lookup.skipped.push(path),
            }
        }
        Ok(lookup)
    }

    /// Index the events of one iCalendar text, as if it were a file of the
    /// folder.
    pub fn add_calendar(&mut self, text: &str, limits: &CalendarLimits) {
        let object = parse_calendar(text, limits);
        for component in object.components {
            let Some(uid) = component.uid else {
                continue;
            };
            let known = self.attendees_by_uid.entry(uid).or_default();
            for attendee in component.attendees {
                if known.keys.insert(address_key(&attendee.address)) {
                    known.addresses.push(attendee.address);
                }
            }
        }
    }

    /// How many UIDs are known.
    pub fn len(&self) -> usize {
        self.attendees_by_uid.len()
    }

    /// Whether no UID is known.
    pub fn is_empty(&self) -> bool {
        self.attendees_by_uid.is_empty()
    }

    /// Files left out for being over the size limit.
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }
}

impl CalendarLookup for DirectoryLookup {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.attendees_by_uid
            .get(uid)
            .map(|known| known.addresses.clone())
    }
}

/// The attendees of one UID, in file order, each once.
#[derive(Debug, Clone, Default)]
struct StoredAttendees {
    addresses: Vec<CalAddress>,
    keys: HashSet<String>,
}

/// The file's text, or `None` when it is over `max_bytes`. Reads at most one
/// byte past the limit, so a file that grows meanwhile costs no more.
fn read_bounded(path: &Path, max_bytes: usize) -> Result<Option<String>, io::Error> {
    let with_context =
        |error: io::Error| io::Error::new(error.kind(), format!("{}: {error}", path.display()));
    let file = fs::File::open(path).map_err(with_context)?;
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(with_context)?;
    if bytes.len() > max_bytes {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The organizer's stored copies, asked once per UID.
pub(super) struct StoredCopies<'a> {
    lookup: Option<&'a dyn CalendarLookup>,
    by_uid: HashMap<String, Option<HashSet<String>>>,
}

impl<'a> StoredCopies<'a> {
    pub(super) fn new(lookup: Option<&'a dyn CalendarLookup>) -> StoredCopies<'a> {
        StoredCopies {
            lookup,
            by_uid: HashMap::new(),
        }
    }

    /// The address keys of the stored copy's attendees, when the lookup
    /// knows the UID.
    pub(super) fn attendees(&mut self, uid: &str) -> Option<&HashSet<String>> {
        let lookup = self.lookup?;
        self.by_uid
            .entry(uid.to_owned())
            .or_insert_with(|| {
                lookup
                    .attendees(uid)
                    .map(|addresses| addresses.iter().map(address_key).collect())
            })
            .as_ref()
    }
}
