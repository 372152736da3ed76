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

    /// The attendees of the stored event with what the organizer's copy
    /// records of their delegations, for telling a delegate whose
    /// delegator never delegated from one whose delegator did. `None` (the
    /// default) when the lookup does not keep it: then a delegate of a
    /// stored attendee is given the benefit of the doubt.
    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        let _ = uid;
        None
    }
}

/// One attendee of a stored event, as far as delegation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttendee {
    /// The attendee's address.
    pub address: CalAddress,
    /// PARTSTAT, upper-cased (`DELEGATED` once the attendee delegated).
    pub partstat: Option<String>,
    /// DELEGATED-TO: to whom the attendee delegated.
    pub delegated_to: Vec<CalAddress>,
}

/// At most this many `.ics` files are read from one folder (all its
/// calendars together); a folder with more is refused rather than read in
/// part, since a missing copy would silently hide a party crash.
pub const MAX_CALENDAR_FILES: usize = 10_000;

/// A [`CalendarLookup`] over a folder of `.ics` files (`--calendar DIR`).
///
/// The folder is either a calendar itself (`.ics` files directly in it) or
/// a vdir root, the layout vdirsyncer and khal use: one sub-folder per
/// calendar, one `.ics` file per item. Both are read: the folder's own
/// `*.ics` files and those of each sub-folder, once, at construction
/// (hidden files and folders, whose names start with a dot, are left out:
/// they are other programs' temporary files). The attendees of every
/// component are indexed by UID (components sharing a UID, such as a series
/// and its changed instances, pool their attendees, and an attendee counts
/// as delegating when any of them says so). Files larger than the calendar
/// limit's `max_bytes` are skipped and listed in [`DirectoryLookup::skipped`].
#[derive(Debug, Clone, Default)]
pub struct DirectoryLookup {
    attendees_by_uid: HashMap<String, StoredAttendees>,
    skipped: Vec<PathBuf>,
}

impl DirectoryLookup {
    /// Read every `*.ics` file in `dir` and in its calendar sub-folders.
    /// Fails when a folder cannot be listed, a file cannot be read, or
    /// there are more than [`MAX_CALENDAR_FILES`] of them.
    pub fn open(dir: &Path, limits: &CalendarLimits) -> Result<DirectoryLookup, io::Error> {
        let layout = FolderLayout::of(dir)?;
        let mut folders = Vec::new();
        if layout.holds_items {
            folders.push(dir.to_path_buf());
        }
        folders.extend(layout.calendars.iter().map(|name| dir.join(name)));
        let mut files = Vec::new();
        for folder in &folders {
            let budget = MAX_CALENDAR_FILES.saturating_sub(files.len());
            files.extend(item_files(folder, budget).map_err(|error| in_folder(folder, error))?);
        }

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
                let key = address_key(&attendee.address);
                match known.keys.get(&key) {
                    Some(&position) => {
                        if let Some(stored) = known.attendees.get_mut(position) {
                            merge_delegation(stored, attendee.partstat, attendee.delegated_to);
                        }
                    }
                    None => {
                        known.keys.insert(key, known.attendees.len());
                        known.attendees.push(StoredAttendee {
                            address: attendee.address,
                            partstat: attendee.partstat,
                            delegated_to: attendee.delegated_to,
                        });
                    }
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
        self.attendees_by_uid.get(uid).map(|known| {
            known
                .attendees
                .iter()
                .map(|attendee| attendee.address.clone())
                .collect()
        })
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        self.attendees_by_uid
            .get(uid)
            .map(|known| known.attendees.clone())
    }
}

/// The attendees of one UID, in file order, each once.
#[derive(Debug, Clone, Default)]
struct StoredAttendees {
    attendees: Vec<StoredAttendee>,
    /// Address key -> position in `attendees`.
    keys: HashMap<String, usize>,
}

/// Delegations kept per stored attendee. A real one names one or two
/// people; a hostile file must not grow the index without bound.
const MAX_DELEGATES_KEPT: usize = 32;

/// A second component of the same UID lists the attendee again: it
/// delegated when either says so, to everyone either names.
fn merge_delegation(
    stored: &mut StoredAttendee,
    partstat: Option<String>,
    delegated_to: Vec<CalAddress>,
) {
    let delegated = |partstat: &Option<String>| partstat.as_deref() == Some("DELEGATED");
    if stored.partstat.is_none() || (delegated(&partstat) && !delegated(&stored.partstat)) {
        stored.partstat = partstat;
    }
    for delegate in delegated_to {
        if stored.delegated_to.len() >= MAX_DELEGATES_KEPT {
            break;
        }
        if !stored
            .delegated_to
            .iter()
            .any(|known| known.matches(&delegate))
        {
            stored.delegated_to.push(delegate);
        }
    }
}

/// What a calendar folder holds, in the vdir layout: its own items and its
/// calendar sub-folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FolderLayout {
    /// `.ics` files lie directly in the folder: it is a calendar itself (a
    /// single vdir, or a flat folder of events).
    pub(crate) holds_items: bool,
    /// The sub-folders, sorted: a vdir root's calendars. When the folder
    /// holds items itself, only sub-folders that hold items too count (a
    /// stray folder beside a calendar's files is not a calendar); otherwise
    /// every sub-folder does, empty ones included.
    pub(crate) calendars: Vec<String>,
}

impl FolderLayout {
    /// List `dir` (one level: a calendar's sub-folders are not descended).
    pub(crate) fn of(dir: &Path) -> Result<FolderLayout, io::Error> {
        let mut holds_items = false;
        let mut folders = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                folders.push(name.to_owned());
            } else if is_item_file(&path) {
                holds_items = true;
            }
        }
        folders.sort();
        if holds_items {
            // One listing per sub-folder; a folder that cannot be listed
            // holds nothing we could read anyway.
            folders.retain(|name| {
                fs::read_dir(dir.join(name)).is_ok_and(|mut entries| {
                    entries.any(|entry| entry.is_ok_and(|entry| is_item_file(&entry.path())))
                })
            });
        }
        Ok(FolderLayout {
            holds_items,
            calendars: folders,
        })
    }
}

/// Whether `path` is a calendar item: a `*.ics` file (any case) whose name
/// does not start with a dot.
pub(crate) fn is_item_file(path: &Path) -> bool {
    let visible = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| !name.starts_with('.'));
    let is_ics = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("ics"));
    visible && is_ics && path.is_file()
}

/// The item files directly in `dir`, sorted; more than `budget` of them is
/// an error ([`io::ErrorKind::InvalidInput`]).
pub(crate) fn item_files(dir: &Path, budget: usize) -> Result<Vec<PathBuf>, io::Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if !is_item_file(&path) {
            continue;
        }
        if files.len() >= budget {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("more than {MAX_CALENDAR_FILES} .ics files"),
            ));
        }
        files.push(path);
    }
    files.sort();
    Ok(files)
}

/// An error reading `dir`, saying which folder it was.
fn in_folder(dir: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", dir.display()))
}

/// The file's text, or `None` when it is over `max_bytes`. Reads at most one
/// byte past the limit, so a file that grows meanwhile costs no more.
pub(crate) fn read_bounded(path: &Path, max_bytes: usize) -> Result<Option<String>, io::Error> {
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
    by_uid: HashMap<String, Option<StoredCopy>>,
}

impl<'a> StoredCopies<'a> {
    pub(super) fn new(lookup: Option<&'a dyn CalendarLookup>) -> StoredCopies<'a> {
        StoredCopies {
            lookup,
            by_uid: HashMap::new(),
        }
    }

    /// The stored copy of `uid`, when the lookup knows the UID.
    pub(super) fn copy(&mut self, uid: &str) -> Option<&StoredCopy> {
        let lookup = self.lookup?;
        self.by_uid
            .entry(uid.to_owned())
            .or_insert_with(|| StoredCopy::from_lookup(lookup, uid))
            .as_ref()
    }
}

/// What the organizer's copy of one UID says, by address key.
pub(super) struct StoredCopy {
    attendees: HashSet<String>,
    /// `None` when the lookup keeps no delegation state.
    delegations: Option<HashMap<String, Delegation>>,
}

/// One stored attendee's delegation state.
struct Delegation {
    partstat: Option<String>,
    delegated_to: HashSet<String>,
}

/// The stored copy shows the delegator, and shows it not delegating to
/// the delegate: no DELEGATED-TO naming it, and a PARTSTAT other than
/// DELEGATED.
pub(super) struct RefutedDelegation {
    /// The delegator's stored PARTSTAT, as the detail shows it.
    pub(super) partstat: String,
}

impl StoredCopy {
    fn from_lookup(lookup: &dyn CalendarLookup, uid: &str) -> Option<StoredCopy> {
        let attendees = lookup.attendees(uid)?.iter().map(address_key).collect();
        let delegations = lookup.stored_attendees(uid).map(|stored| {
            let mut by_key: HashMap<String, Delegation> = HashMap::new();
            for attendee in stored {
                let entry = by_key
                    .entry(address_key(&attendee.address))
                    .or_insert_with(|| Delegation {
                        partstat: None,
                        delegated_to: HashSet::new(),
                    });
                if entry.partstat.is_none() || attendee.partstat.as_deref() == Some("DELEGATED") {
                    entry.partstat = attendee.partstat;
                }
                entry.delegated_to.extend(
                    attendee
                        .delegated_to
                        .iter()
                        .take(MAX_DELEGATES_KEPT)
                        .map(address_key),
                );
            }
            by_key
        });
        Some(StoredCopy {
            attendees,
            delegations,
        })
    }

    /// How many attendees the copy lists.
    pub(super) fn len(&self) -> usize {
        self.attendees.len()
    }

    /// Whether the copy lists `address` as an attendee.
    pub(super) fn lists(&self, address: &CalAddress) -> bool {
        self.attendees.contains(&address_key(address))
    }

    /// Whether the copy shows `delegator` with a DELEGATED-TO naming
    /// `delegate`: the delegation's other side, as the organizer recorded it.
    pub(super) fn confirms_delegation(
        &self,
        delegator: &CalAddress,
        delegate: &CalAddress,
    ) -> bool {
        self.delegations
            .as_ref()
            .and_then(|delegations| delegations.get(&address_key(delegator)))
            .is_some_and(|stored| stored.delegated_to.contains(&address_key(delegate)))
    }

    /// Whether the copy shows `delegator` and shows it not having delegated
    /// to `delegate`; `None` when it does not list the delegator, or keeps
    /// no delegation state, or shows the delegation.
    pub(super) fn refutes_delegation(
        &self,
        delegator: &CalAddress,
        delegate: &CalAddress,
    ) -> Option<RefutedDelegation> {
        let stored = self.delegations.as_ref()?.get(&address_key(delegator))?;
        let delegated = stored.partstat.as_deref() == Some("DELEGATED")
            || stored.delegated_to.contains(&address_key(delegate));
        (!delegated).then(|| RefutedDelegation {
            partstat: stored
                .partstat
                .clone()
                .unwrap_or_else(|| "(none)".to_owned()),
        })
    }
}
