//! The local store the tests act on: a `VdirStore` (the crate's embedded
//! default, what `deliver --calendar DIR` opens) in a fresh temporary
//! folder per test, removed when the test ends. What the tests seed and
//! read goes through the store's own `CalendarStore` methods; only `len`
//! looks at the files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sieve_imip::store::VdirStore;
use sieve_imip::{CalendarLimits, CalendarStore};

/// A vdir root with calendar folders, and the store opened on it.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
    store: Arc<VdirStore>,
}

impl LocalStore {
    /// A store with these calendars (folders); the first is the default.
    pub fn new(calendars: &[&str]) -> LocalStore {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "sieve-imip-processcalendar-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        for name in calendars {
            std::fs::create_dir_all(root.join(name)).expect("calendar folder");
        }
        let mut store = VdirStore::open(&root, &CalendarLimits::default()).expect("vdir store");
        if let Some(first) = calendars.first() {
            store = store.with_default_calendar(*first);
        }
        LocalStore {
            root,
            store: Arc::new(store),
        }
    }

    /// The store, as the engine's configuration takes it.
    pub fn store(&self) -> Arc<VdirStore> {
        self.store.clone()
    }

    /// The vdir root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Store `text` for `uid` in `calendar`, as the user's client would.
    pub fn put(&self, calendar: &str, uid: &str, text: &str) {
        match self.store.find(uid).expect("find") {
            Some(item) => self.store.update(&item, text).map(|_| ()),
            None => self.store.create(calendar, uid, text).map(|_| ()),
        }
        .expect("seed the store");
    }

    /// The stored text of `uid`, in any calendar.
    pub fn text(&self, uid: &str) -> Option<String> {
        self.store.find(uid).expect("find").map(|item| item.text)
    }

    /// The calendar holding `uid`.
    pub fn calendar_of(&self, uid: &str) -> Option<String> {
        self.store
            .find(uid)
            .expect("find")
            .map(|item| item.calendar)
    }

    /// How many items (`.ics` files) the calendar folders hold.
    pub fn len(&self) -> usize {
        let Ok(calendars) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        calendars
            .flatten()
            .filter_map(|calendar| std::fs::read_dir(calendar.path()).ok())
            .flat_map(|items| items.flatten())
            .filter(|item| item.path().extension().is_some_and(|ext| ext == "ics"))
            .count()
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
