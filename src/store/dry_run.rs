//! A store that reads another and writes nowhere: `sieve-imip test` runs
//! `processcalendar` on it, so a script author sees what the action would
//! do to the calendars of `--calendar DIR` (or the `[caldav]` server)
//! without changing them.
//!
//! Writes land in an overlay kept for the life of the store, so the
//! messages of one `test` run see each other's changes, as they would one
//! after the other in deliveries: an invitation "added", then its update
//! "updated", then a reply to it applied. Versions are the content hash,
//! as the vdir store's are, so a stale write is still a conflict.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{holds_uid, item_file_name, lookup_of, version_of};
use crate::calendar::{CalAddress, CalendarLimits};
use crate::validate::{
    CalendarLookup, CalendarStore, DirectoryLookup, StoreError, StoredAttendee, StoredItem,
};

/// An item's place: calendar and href.
type ItemKey = (String, String);

/// See the module documentation.
pub struct DryRunStore {
    inner: Arc<dyn CalendarStore>,
    limits: CalendarLimits,
    writes: Mutex<Writes>,
}

/// What this run wrote, by item (one item may hold several UIDs, and a
/// write for one of them carries the others along).
#[derive(Default)]
struct Writes {
    /// Each item written: its text now, or `None` once deleted.
    items: HashMap<ItemKey, Option<StoredItem>>,
    /// Where each UID the run created is.
    created: HashMap<String, ItemKey>,
}

impl std::fmt::Debug for DryRunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DryRunStore")
            .field("written", &self.written().len())
            .finish_non_exhaustive()
    }
}

impl DryRunStore {
    /// Reads `inner`, writes into memory only.
    pub fn new(inner: Arc<dyn CalendarStore>, limits: &CalendarLimits) -> DryRunStore {
        DryRunStore {
            inner,
            limits: limits.clone(),
            writes: Mutex::new(Writes::default()),
        }
    }

    fn writes(&self) -> MutexGuard<'_, Writes> {
        self.writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The items this run would have written (created, updated or
    /// deleted), as `calendar/href`, sorted.
    pub fn written(&self) -> Vec<String> {
        let mut items: Vec<String> = self
            .writes()
            .items
            .keys()
            .map(|(calendar, href)| format!("{calendar}/{href}"))
            .collect();
        items.sort();
        items
    }

    /// The item holding `uid` as this run left it: the run's version of
    /// the item the inner store finds it in, or one the run created.
    fn current(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        let created = {
            let writes = self.writes();
            writes
                .created
                .get(uid)
                .map(|key| writes.items.get(key).cloned().flatten())
        };
        if let Some(item) = created {
            return Ok(item.filter(|item| holds_uid(&item.text, uid, &self.limits)));
        }
        let Some(found) = self.inner.find(uid)? else {
            return Ok(None);
        };
        let key = (found.calendar.clone(), found.href.clone());
        match self.writes().items.get(&key) {
            // Rewritten by this run: it may no longer hold the UID.
            Some(written) => Ok(written
                .clone()
                .filter(|item| holds_uid(&item.text, uid, &self.limits))),
            None => Ok(Some(found)),
        }
    }

    /// Whether `item` is still the version this run knows at its place.
    fn is_current(&self, item: &StoredItem) -> bool {
        let key = (item.calendar.clone(), item.href.clone());
        match self.writes().items.get(&key) {
            Some(Some(current)) => current.version == item.version,
            Some(None) => false,
            // Not written by the run: the inner store's version stands.
            None => true,
        }
    }

    fn stored_copy(&self, uid: &str) -> Option<DirectoryLookup> {
        let item = self.current(uid).ok()??;
        Some(lookup_of(&item.text, &self.limits))
    }
}

impl CalendarLookup for DryRunStore {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.stored_copy(uid)?.attendees(uid)
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        self.stored_copy(uid)?.stored_attendees(uid)
    }
}

impl CalendarStore for DryRunStore {
    fn find(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        self.current(uid)
    }

    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError> {
        self.inner.has_calendar(calendar)
    }

    fn default_calendar(&self) -> Result<String, StoreError> {
        self.inner.default_calendar()
    }

    fn create(&self, calendar: &str, uid: &str, text: &str) -> Result<StoredItem, StoreError> {
        if self.current(uid)?.is_some() {
            return Err(StoreError::Conflict);
        }
        if !self.inner.has_calendar(calendar)? {
            return Err(StoreError::NoSuchCalendar(calendar.to_owned()));
        }
        let item = StoredItem {
            calendar: calendar.to_owned(),
            href: item_file_name(uid),
            version: version_of(text),
            text: text.to_owned(),
        };
        let key = (item.calendar.clone(), item.href.clone());
        let mut writes = self.writes();
        if matches!(writes.items.get(&key), Some(Some(_))) {
            return Err(StoreError::Conflict);
        }
        writes.items.insert(key.clone(), Some(item.clone()));
        writes.created.insert(uid.to_owned(), key);
        Ok(item)
    }

    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError> {
        if !self.is_current(item) {
            return Err(StoreError::Conflict);
        }
        let updated = StoredItem {
            version: version_of(text),
            text: text.to_owned(),
            ..item.clone()
        };
        self.writes().items.insert(
            (item.calendar.clone(), item.href.clone()),
            Some(updated.clone()),
        );
        Ok(updated)
    }

    fn delete(&self, item: &StoredItem) -> Result<(), StoreError> {
        if !self.is_current(item) {
            return Err(StoreError::Conflict);
        }
        self.writes()
            .items
            .insert((item.calendar.clone(), item.href.clone()), None);
        Ok(())
    }
}
