//! A `CalendarStore` in memory, for the tests and the benchmark: calendars
//! by name, items by href, a version counter, and conflicts on demand (as
//! if another delivery had written the item just before). Each user of it
//! uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use sieve_imip::{
    CalAddress, CalendarLimits, CalendarLookup, CalendarStore, DirectoryLookup, ItemVersion,
    StoreError, StoredAttendee, StoredItem,
};

#[derive(Debug, Default)]
struct State {
    /// calendar -> href -> (version, uid, text)
    calendars: BTreeMap<String, BTreeMap<String, (u64, String, String)>>,
    next_version: u64,
    /// Writes to refuse with a conflict before letting one through.
    conflicts: u32,
    writes: u32,
}

/// The in-memory store.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    default_calendar: String,
}

impl MemoryStore {
    /// A store with these calendars; the first is the default.
    pub fn new(calendars: &[&str]) -> MemoryStore {
        let mut state = State::default();
        for name in calendars {
            state.calendars.insert((*name).to_owned(), BTreeMap::new());
        }
        MemoryStore {
            state: Mutex::new(state),
            default_calendar: calendars.first().copied().unwrap_or("calendar").to_owned(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Store `text` for `uid` in `calendar`, as the user's client would.
    pub fn put(&self, calendar: &str, uid: &str, text: &str) {
        let mut state = self.state();
        state.next_version += 1;
        let version = state.next_version;
        state
            .calendars
            .entry(calendar.to_owned())
            .or_default()
            .insert(href(uid), (version, uid.to_owned(), text.to_owned()));
    }

    /// The stored text of `uid`, in any calendar.
    pub fn text(&self, uid: &str) -> Option<String> {
        self.locate(uid).map(|(_, _, text)| text)
    }

    /// The calendar holding `uid`.
    pub fn calendar_of(&self, uid: &str) -> Option<String> {
        self.locate(uid).map(|(calendar, _, _)| calendar)
    }

    /// How many items the store holds.
    pub fn len(&self) -> usize {
        self.state().calendars.values().map(BTreeMap::len).sum()
    }

    /// Refuse the next `count` writes with a conflict.
    pub fn conflict_next(&self, count: u32) {
        self.state().conflicts = count;
    }

    /// How many writes went through.
    pub fn writes(&self) -> u32 {
        self.state().writes
    }

    fn locate(&self, uid: &str) -> Option<(String, String, String)> {
        let state = self.state();
        for (calendar, items) in &state.calendars {
            for (href, (_, item_uid, text)) in items {
                if item_uid == uid {
                    return Some((calendar.clone(), href.clone(), text.clone()));
                }
            }
        }
        None
    }

    fn lookup(&self, uid: &str) -> Option<DirectoryLookup> {
        let text = self.text(uid)?;
        let mut lookup = DirectoryLookup::default();
        lookup.add_calendar(&text, &CalendarLimits::default());
        Some(lookup)
    }

    /// A concurrent writer won: the item changes version (and the write is
    /// refused) when a conflict is pending.
    fn take_conflict(state: &mut State, calendar: &str, href: &str) -> bool {
        if state.conflicts == 0 {
            return false;
        }
        state.conflicts -= 1;
        state.next_version += 1;
        let version = state.next_version;
        if let Some(entry) = state
            .calendars
            .get_mut(calendar)
            .and_then(|items| items.get_mut(href))
        {
            entry.0 = version;
        }
        true
    }
}

fn href(uid: &str) -> String {
    let safe: String = uid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.ics")
}

impl CalendarLookup for MemoryStore {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.lookup(uid)?.attendees(uid)
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        self.lookup(uid)?.stored_attendees(uid)
    }
}

impl CalendarStore for MemoryStore {
    fn find(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        let state = self.state();
        for (calendar, items) in &state.calendars {
            for (href, (version, item_uid, text)) in items {
                if item_uid == uid {
                    return Ok(Some(StoredItem {
                        calendar: calendar.clone(),
                        href: href.clone(),
                        version: ItemVersion(version.to_string()),
                        text: text.clone(),
                    }));
                }
            }
        }
        Ok(None)
    }

    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError> {
        Ok(self.state().calendars.contains_key(calendar))
    }

    fn default_calendar(&self) -> Result<String, StoreError> {
        Ok(self.default_calendar.clone())
    }

    fn create(&self, calendar: &str, uid: &str, text: &str) -> Result<StoredItem, StoreError> {
        let mut state = self.state();
        let href = href(uid);
        if MemoryStore::take_conflict(&mut state, calendar, &href) {
            return Err(StoreError::Conflict);
        }
        if state
            .calendars
            .values()
            .flat_map(BTreeMap::values)
            .any(|(_, item_uid, _)| item_uid == uid)
        {
            return Err(StoreError::Conflict);
        }
        state.next_version += 1;
        let version = state.next_version;
        state.writes += 1;
        let items = state
            .calendars
            .get_mut(calendar)
            .ok_or_else(|| StoreError::NoSuchCalendar(calendar.to_owned()))?;
        items.insert(href.clone(), (version, uid.to_owned(), text.to_owned()));
        Ok(StoredItem {
            calendar: calendar.to_owned(),
            href,
            version: ItemVersion(version.to_string()),
            text: text.to_owned(),
        })
    }

    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError> {
        let mut state = self.state();
        if MemoryStore::take_conflict(&mut state, &item.calendar, &item.href) {
            return Err(StoreError::Conflict);
        }
        state.next_version += 1;
        let version = state.next_version;
        let entry = state
            .calendars
            .get_mut(&item.calendar)
            .and_then(|items| items.get_mut(&item.href))
            .ok_or(StoreError::Conflict)?;
        if entry.0.to_string() != item.version.0 {
            return Err(StoreError::Conflict);
        }
        entry.0 = version;
        entry.2 = text.to_owned();
        state.writes += 1;
        Ok(StoredItem {
            version: ItemVersion(version.to_string()),
            text: text.to_owned(),
            ..item.clone()
        })
    }

    fn delete(&self, item: &StoredItem) -> Result<(), StoreError> {
        let mut state = self.state();
        if MemoryStore::take_conflict(&mut state, &item.calendar, &item.href) {
            return Err(StoreError::Conflict);
        }
        let items = state
            .calendars
            .get_mut(&item.calendar)
            .ok_or(StoreError::Conflict)?;
        match items.get(&item.href) {
            Some((version, _, _)) if version.to_string() == item.version.0 => {
                items.remove(&item.href);
                state.writes += 1;
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}
