//! A local folder in the vdir layout (the one vdirsyncer and khal use): one
//! sub-folder per calendar, one `.ics` file per item, written atomically
//! and compared-and-swapped under a lock file per item.
//!
//! - **Layout.** `ROOT/<calendar>/<item>.ics`. A folder that holds `.ics`
//!   files itself (the flat folder `--calendar` has always read, or khal
//!   pointed at one vdir) is one calendar, named after the folder, and new
//!   items go into it. A folder holding both its own items and calendar
//!   sub-folders is refused: which of them would new items go to?
//! - **Versions** are the SHA-256 of an item's file.
//! - **Writes** go to a hidden `.tmp` file in the calendar's folder (the
//!   vdir format reserves that extension), synced, then renamed over the
//!   item, and the folder is synced: a reader sees the old text or the new,
//!   never half of one, and a crash loses at most the write under way.
//! - **Compare-and-swap.** `update` and `delete` take the item's lock file
//!   (`.<item>.lock` beside it, an advisory `flock` that is never removed,
//!   so two writers never lock different files for one item), read the file
//!   again and go on only when its hash is the version they were given;
//!   `create` fails when the file exists. Every writer of this crate takes
//!   the same lock, so concurrent deliveries never lose an update; another
//!   program writing the same file at the same moment is not held off (the
//!   vdir format has no lock), but atomic renames still keep each file
//!   whole.
//! - **Finding a UID.** The item named after the UID ([`item_file_name`]) is
//!   tried first in each calendar; failing that, the UIDs of every item are
//!   indexed (at most [`MAX_CALENDAR_FILES`] files), and a calendar is
//!   listed again only when its folder's modification time changed (or was
//!   too recent to be sure of when it was listed).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{holds_uid, item_file_name, lookup_of, unavailable, version_of, FailureLog};
use crate::calendar::{parse_calendar, CalAddress, CalendarLimits};
use crate::validate::{
    item_files, read_bounded, CalendarLookup, CalendarStore, FolderLayout, StoreError,
    StoredAttendee, StoredItem, MAX_CALENDAR_FILES,
};

/// The calendar new items go to in an empty root.
const DEFAULT_CALENDAR: &str = "default";

/// A folder modified this recently may change again within the same
/// modification-time tick (coarse on some file systems), so its listing is
/// not trusted for the next look-up.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Distinguishes the temporary files one process writes.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A user's calendars in a local folder: see the module documentation.
///
/// ```
/// use sieve_imip::store::VdirStore;
/// use sieve_imip::{CalendarLimits, CalendarStore};
///
/// let root = std::env::temp_dir().join(format!("vdir-doc-{}", std::process::id()));
/// let store = VdirStore::open(&root, &CalendarLimits::default())?;
/// let calendar = store.default_calendar()?; // `default`, created
/// let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
/// let item = store.create(&calendar, "a@example.com", text)?;
/// assert_eq!(store.find("a@example.com")?, Some(item));
/// # std::fs::remove_dir_all(&root)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct VdirStore {
    root: PathBuf,
    /// The root is one calendar (it holds items itself), of this name.
    single: Option<String>,
    default_calendar: Option<String>,
    limits: CalendarLimits,
    index: Mutex<HashMap<String, FolderIndex>>,
    failures: Arc<FailureLog>,
}

/// The UIDs of one calendar's items, as of one listing.
#[derive(Debug)]
struct FolderIndex {
    /// The folder's modification time at the listing.
    modified: Option<SystemTime>,
    /// Whether that time was old enough to rely on.
    settled: bool,
    files: usize,
    /// UID -> file name (the first file in name order, when several).
    names: HashMap<String, String>,
}

impl VdirStore {
    /// The store at `root` (created when missing). Fails when the root
    /// cannot be created or listed, or holds both items and calendar
    /// folders.
    pub fn open(root: &Path, limits: &CalendarLimits) -> Result<VdirStore, io::Error> {
        fs::create_dir_all(root)?;
        let layout = FolderLayout::of(root)?;
        let single = match (layout.holds_items, layout.calendars.first()) {
            (false, _) => None,
            (true, None) => Some(
                root.canonicalize()
                    .ok()
                    .and_then(|path| path.file_name()?.to_str().map(str::to_owned))
                    .filter(|name| is_calendar_name(name))
                    .unwrap_or_else(|| DEFAULT_CALENDAR.to_owned()),
            ),
            (true, Some(folder)) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: holds .ics files and calendar folders ({folder}/); move the files into a calendar folder",
                        root.display()
                    ),
                ))
            }
        };
        Ok(VdirStore {
            root: root.to_path_buf(),
            single,
            default_calendar: None,
            limits: limits.clone(),
            index: Mutex::new(HashMap::new()),
            failures: Arc::default(),
        })
    }

    /// New events go to this calendar when the script names none (created
    /// when missing). Without it: the first calendar in name order, or
    /// `default` in an empty root. A root that is one calendar ignores it.
    pub fn with_default_calendar(mut self, name: impl Into<String>) -> VdirStore {
        self.default_calendar = Some(name.into());
        self
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the store notes what it could not do.
    pub fn failures(&self) -> Arc<FailureLog> {
        Arc::clone(&self.failures)
    }

    fn fail(&self, path: &Path, error: &io::Error) -> StoreError {
        unavailable(&self.failures, format!("{}: {error}", path.display()))
    }

    /// The calendars, in name order.
    fn calendars(&self) -> Result<Vec<String>, StoreError> {
        if let Some(name) = &self.single {
            return Ok(vec![name.clone()]);
        }
        let layout = FolderLayout::of(&self.root).map_err(|error| self.fail(&self.root, &error))?;
        Ok(layout
            .calendars
            .into_iter()
            .filter(|name| is_calendar_name(name))
            .collect())
    }

    /// The folder of `calendar`, when the name can be one (never a path).
    fn folder(&self, calendar: &str) -> Option<PathBuf> {
        match &self.single {
            Some(name) => (name == calendar).then(|| self.root.clone()),
            None => is_calendar_name(calendar).then(|| self.root.join(calendar)),
        }
    }

    /// The folder of an item this store handed out.
    fn item_folder(&self, item: &StoredItem) -> Result<PathBuf, StoreError> {
        let folder = self
            .folder(&item.calendar)
            .ok_or_else(|| StoreError::NoSuchCalendar(item.calendar.clone()))?;
        if !is_item_name(&item.href) {
            return Err(StoreError::Unavailable(format!(
                "{:?} is not an item of a vdir calendar",
                item.href
            )));
        }
        Ok(folder)
    }

    /// The item in `folder` named `name`, with its version; `None` when
    /// there is no such file.
    fn read_item(
        &self,
        calendar: &str,
        folder: &Path,
        name: &str,
    ) -> Result<Option<StoredItem>, StoreError> {
        let path = folder.join(name);
        match read_bounded(&path, self.limits.max_bytes) {
            Ok(Some(text)) => Ok(Some(StoredItem {
                calendar: calendar.to_owned(),
                href: name.to_owned(),
                version: version_of(&text),
                text,
            })),
            Ok(None) => Err(unavailable(
                &self.failures,
                format!(
                    "{}: larger than the calendar limit ({} bytes)",
                    path.display(),
                    self.limits.max_bytes
                ),
            )),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(self.fail(&path, &error)),
        }
    }

    /// The item holding `uid` according to the index, brought up to date.
    fn find_indexed(
        &self,
        uid: &str,
        calendars: &[String],
    ) -> Result<Option<StoredItem>, StoreError> {
        let mut index = self
            .index
            .lock()
            .map_err(|_| StoreError::Unavailable("the UID index is poisoned".to_owned()))?;
        index.retain(|calendar, _| calendars.contains(calendar));
        for calendar in calendars {
            let Some(folder) = self.folder(calendar) else {
                continue;
            };
            let modified = fs::metadata(&folder)
                .and_then(|meta| meta.modified())
                .map_err(|error| self.fail(&folder, &error))?;
            let current = index
                .get(calendar)
                .is_some_and(|known| known.settled && known.modified == Some(modified));
            if !current {
                let others: usize = index
                    .iter()
                    .filter(|(name, _)| *name != calendar)
                    .map(|(_, known)| known.files)
                    .sum();
                let listing =
                    self.list(&folder, modified, MAX_CALENDAR_FILES.saturating_sub(others))?;
                index.insert(calendar.clone(), listing);
            }
        }
        for calendar in calendars {
            let Some(name) = index.get(calendar).and_then(|known| known.names.get(uid)) else {
                continue;
            };
            let Some(folder) = self.folder(calendar) else {
                continue;
            };
            if let Some(item) = self.read_item(calendar, &folder, name)? {
                if holds_uid(&item.text, uid, &self.limits) {
                    return Ok(Some(item));
                }
            }
            // The file changed since the listing: list it again next time.
            index.remove(calendar);
        }
        Ok(None)
    }

    /// Index the UIDs of one calendar folder.
    fn list(
        &self,
        folder: &Path,
        modified: SystemTime,
        budget: usize,
    ) -> Result<FolderIndex, StoreError> {
        let settled = SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age > RACY_WINDOW);
        let files = item_files(folder, budget).map_err(|error| self.fail(folder, &error))?;
        let mut names = HashMap::new();
        for path in &files {
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            // Too large to read is also too large to be the stored copy.
            let Ok(Some(text)) = read_bounded(path, self.limits.max_bytes) else {
                continue;
            };
            for component in parse_calendar(&text, &self.limits).components {
                if let Some(uid) = component.uid {
                    names.entry(uid).or_insert_with(|| name.to_owned());
                }
            }
        }
        Ok(FolderIndex {
            modified: Some(modified),
            settled,
            files: files.len(),
            names,
        })
    }

    /// Run `work` holding the lock of item `name` in `folder`.
    fn locked<T>(
        &self,
        folder: &Path,
        name: &str,
        work: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = folder.join(format!(".{name}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| self.fail(&path, &error))?;
        let mut lock = fd_lock::RwLock::new(file);
        let _held = lock.write().map_err(|error| self.fail(&path, &error))?;
        work()
    }

    /// Check, under the item's lock, that the file is still at `item`'s
    /// version.
    fn still_current(&self, folder: &Path, item: &StoredItem) -> Result<(), StoreError> {
        match self.read_item(&item.calendar, folder, &item.href)? {
            Some(current) if current.version == item.version => Ok(()),
            _ => Err(StoreError::Conflict),
        }
    }

    fn write(&self, folder: &Path, name: &str, text: &str) -> Result<(), StoreError> {
        write_atomically(folder, name, text).map_err(|error| self.fail(&folder.join(name), &error))
    }

    /// The stored copy as the validation reads it; a failure is noted in
    /// the log and reads as no copy.
    fn stored_copy(&self, uid: &str) -> Option<crate::validate::DirectoryLookup> {
        let item = self.find(uid).ok()??;
        Some(lookup_of(&item.text, &self.limits))
    }
}

impl CalendarLookup for VdirStore {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.stored_copy(uid)?.attendees(uid)
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        self.stored_copy(uid)?.stored_attendees(uid)
    }
}

impl CalendarStore for VdirStore {
    fn find(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        let calendars = self.calendars()?;
        let name = item_file_name(uid);
        for calendar in &calendars {
            let Some(folder) = self.folder(calendar) else {
                continue;
            };
            if let Some(item) = self.read_item(calendar, &folder, &name)? {
                if holds_uid(&item.text, uid, &self.limits) {
                    return Ok(Some(item));
                }
            }
        }
        self.find_indexed(uid, &calendars)
    }

    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError> {
        Ok(self.calendars()?.iter().any(|name| name == calendar))
    }

    fn default_calendar(&self) -> Result<String, StoreError> {
        if let Some(name) = &self.single {
            return Ok(name.clone());
        }
        let calendars = self.calendars()?;
        let name = match (&self.default_calendar, calendars.first()) {
            (Some(configured), _) => configured.clone(),
            (None, Some(first)) => first.clone(),
            (None, None) => DEFAULT_CALENDAR.to_owned(),
        };
        let folder = self
            .folder(&name)
            .ok_or_else(|| StoreError::NoSuchCalendar(name.clone()))?;
        if !calendars.contains(&name) {
            fs::create_dir_all(&folder).map_err(|error| self.fail(&folder, &error))?;
        }
        Ok(name)
    }

    fn create(&self, calendar: &str, uid: &str, text: &str) -> Result<StoredItem, StoreError> {
        let folder = match self.folder(calendar) {
            Some(folder) if self.has_calendar(calendar)? => folder,
            _ => return Err(StoreError::NoSuchCalendar(calendar.to_owned())),
        };
        let name = item_file_name(uid);
        self.locked(&folder, &name, || {
            match fs::symlink_metadata(folder.join(&name)) {
                Ok(_) => return Err(StoreError::Conflict),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(self.fail(&folder.join(&name), &error)),
            }
            self.write(&folder, &name, text)?;
            Ok(StoredItem {
                calendar: calendar.to_owned(),
                href: name.clone(),
                version: version_of(text),
                text: text.to_owned(),
            })
        })
    }

    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError> {
        let folder = self.item_folder(item)?;
        self.locked(&folder, &item.href, || {
            self.still_current(&folder, item)?;
            self.write(&folder, &item.href, text)?;
            Ok(StoredItem {
                version: version_of(text),
                text: text.to_owned(),
                ..item.clone()
            })
        })
    }

    fn delete(&self, item: &StoredItem) -> Result<(), StoreError> {
        let folder = self.item_folder(item)?;
        self.locked(&folder, &item.href, || {
            self.still_current(&folder, item)?;
            let path = folder.join(&item.href);
            fs::remove_file(&path).map_err(|error| self.fail(&path, &error))?;
            sync_folder(&folder).map_err(|error| self.fail(&folder, &error))
        })
    }
}

/// An item's version: the SHA-256 of its text.
/// A calendar name that is one folder of the root: no separator, not
/// hidden, not empty, nothing a script could use to reach elsewhere.
fn is_calendar_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// An item's file name: a calendar name ending in `.ics`.
fn is_item_name(name: &str) -> bool {
    is_calendar_name(name)
        && Path::new(name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("ics"))
}

/// Write `text` as `folder/name`: a temporary file in the same folder,
/// synced, renamed over the item, then the folder synced.
fn write_atomically(folder: &Path, name: &str, text: &str) -> io::Result<()> {
    let serial = WRITES.fetch_add(1, Ordering::Relaxed);
    let temporary = folder.join(format!(".{name}.{}.{serial}.tmp", std::process::id()));
    let written = (|| {
        let mut file = new_private_file(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, folder.join(name))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    sync_folder(folder)
}

/// A new file only its owner can read: calendars are private.
fn new_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Make a rename or removal in `folder` durable.
fn sync_folder(folder: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}
