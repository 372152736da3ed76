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

use super::{lookup_of, version_of};
use crate::calendar::{CalAddress, CalendarLimits};
use crate::validate::{
    CalendarLookup, CalendarStore, DirectoryLookup, StoreError, StoredAttendee, StoredItem,
};

/// See the module documentation.
pub struct DryRunStore {
    inner: Arc<dyn CalendarStore>,
    limits: CalendarLimits,
    /// UID -> what this run wrote: the item, or `None` once deleted.
    overlay: Mutex<HashMap<String, Option<StoredItem>>>,
    /// (calendar, href) -> UID of every item found, so a write names the
    /// UID its item was found by.
    found: Mutex<HashMap<(String, String), String>>,
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
            overlay: Mutex::new(HashMap::new()),
            found: Mutex::new(HashMap::new()),
        }
    }

    fn overlay(&self) -> MutexGuard<'_, HashMap<String, Option<StoredItem>>> {
        self.overlay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The UIDs this run would have written (created, updated or deleted),
    /// sorted.
    pub fn written(&self) -> Vec<String> {
        let mut uids: Vec<String> = self.overlay().keys().cloned().collect();
        uids.sort();
        uids
    }

    /// The item as this run left it: the overlay's, else the inner store's.
    fn current(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        let written = self.overlay().get(uid).cloned();
        let item = match written {
            Some(written) => written,
            None => self.inner.find(uid)?,
        };
        if let Some(item) = &item {
            self.found
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert((item.calendar.clone(), item.href.clone()), uid.to_owned());
        }
        Ok(item)
    }

    /// The UID `item` was found by; an item never found is not this run's
    /// to write.
    fn uid_of(&self, item: &StoredItem) -> Option<String> {
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(item.calendar.clone(), item.href.clone()))
            .cloned()
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
            href: super::item_file_name(uid),
            version: version_of(text),
            text: text.to_owned(),
        };
        self.overlay().insert(uid.to_owned(), Some(item.clone()));
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((item.calendar.clone(), item.href.clone()), uid.to_owned());
        Ok(item)
    }

    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError> {
        let uid = self.uid_of(item).ok_or(StoreError::Conflict)?;
        match self.current(&uid)? {
            Some(current) if current.version == item.version => {}
            _ => return Err(StoreError::Conflict),
        }
        let updated = StoredItem {
            version: version_of(text),
            text: text.to_owned(),
            ..item.clone()
        };
        self.overlay().insert(uid, Some(updated.clone()));
        Ok(updated)
    }

    fn delete(&self, item: &StoredItem) -> Result<(), StoreError> {
        let uid = self.uid_of(item).ok_or(StoreError::Conflict)?;
        match self.current(&uid)? {
            Some(current) if current.version == item.version => {}
            _ => return Err(StoreError::Conflict),
        }
        self.overlay().insert(uid, None);
        Ok(())
    }
}
