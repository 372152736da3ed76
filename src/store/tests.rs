//! The local store: layout, versions, compare-and-swap, and eight writers
//! on one event.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::calendar::CalendarLimits;
use crate::validate::{CalendarLookup, CalendarStore, StoreError, StoredItem};

/// A fresh folder under the system's temporary folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sieve-imip-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
    dir
}

fn event(uid: &str, attendees: &[&str]) -> String {
    let mut text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261120T120000Z\r\nDTSTART:20261201T100000Z\r\nORGANIZER:mailto:olivia@example.com\r\n"
    );
    for attendee in attendees {
        text.push_str(&format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{attendee}\r\n"));
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

fn open(root: &Path) -> VdirStore {
    VdirStore::open(root, &CalendarLimits::default()).unwrap_or_else(|err| panic!("{err}"))
}

fn ok<T>(result: Result<T, StoreError>) -> T {
    result.unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn file_names_follow_the_uid_when_safe() {
    assert_eq!(
        item_file_name("abc-123@example.com"),
        "abc-123@example.com.ics"
    );
    for unsafe_uid in ["a/b", "../x", ".hidden", "", "sp ace", "ü"] {
        let name = item_file_name(unsafe_uid);
        assert_eq!(name.len(), 64 + 4, "{unsafe_uid:?} -> {name}");
        assert!(!name.contains('/'));
    }
    assert_eq!(item_file_name("a/b"), item_file_name("a/b"));
    assert_ne!(item_file_name("a/b"), item_file_name("a/c"));
    assert_eq!(item_file_name(&"x".repeat(201)).len(), 68);
}

#[test]
fn an_empty_root_gets_a_default_calendar() {
    let root = scratch("empty");
    let store = open(&root);
    assert_eq!(ok(store.default_calendar()), "default");
    assert!(root.join("default").is_dir());
    assert!(ok(store.has_calendar("default")));
    // A configured name wins, and is created too.
    let store = open(&root).with_default_calendar("work");
    assert_eq!(ok(store.default_calendar()), "work");
    assert!(ok(store.has_calendar("work")));
    // Otherwise the first in name order.
    assert_eq!(ok(open(&root).default_calendar()), "default");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn create_find_update_delete() {
    let root = scratch("cycle");
    std::fs::create_dir_all(root.join("home")).unwrap_or_else(|err| panic!("{err}"));
    std::fs::create_dir_all(root.join("work")).unwrap_or_else(|err| panic!("{err}"));
    let store = open(&root);
    let uid = "cycle-1@example.com";
    assert_eq!(ok(store.find(uid)), None);
    assert_eq!(store.attendees(uid), None);

    let created = ok(store.create("work", uid, &event(uid, &["bob@example.org"])));
    assert_eq!(created.calendar, "work");
    assert_eq!(created.href, "cycle-1@example.com.ics");
    assert_eq!(ok(store.find(uid)), Some(created.clone()));
    assert_eq!(
        store.create("work", uid, &event(uid, &[])),
        Err(StoreError::Conflict),
        "a second create of one UID"
    );
    assert_eq!(
        store.create("nowhere", uid, &event(uid, &[])),
        Err(StoreError::NoSuchCalendar("nowhere".to_owned()))
    );
    for hostile in ["../home", "work/../home", ".", "", "/etc"] {
        assert!(
            matches!(
                store.create(hostile, uid, &event(uid, &[])),
                Err(StoreError::NoSuchCalendar(_))
            ),
            "{hostile:?}"
        );
    }
    let attendees: Vec<String> = store
        .attendees(uid)
        .unwrap_or_default()
        .iter()
        .map(|address| address.as_str().to_owned())
        .collect();
    assert_eq!(attendees, ["bob@example.org"]);

    let updated = ok(store.update(
        &created,
        &event(uid, &["bob@example.org", "carol@example.net"]),
    ));
    assert_ne!(updated.version, created.version);
    assert_eq!(ok(store.find(uid)), Some(updated.clone()));
    // The stale version is refused, whatever the new text.
    assert_eq!(
        store.update(&created, &event(uid, &[])),
        Err(StoreError::Conflict)
    );
    assert_eq!(store.delete(&created), Err(StoreError::Conflict));
    // An item naming a path outside its calendar is refused.
    let escape = StoredItem {
        href: "../home/x.ics".to_owned(),
        ..updated.clone()
    };
    assert!(store.update(&escape, "x").is_err());

    ok(store.delete(&updated));
    assert_eq!(ok(store.find(uid)), None);
    assert_eq!(store.update(&updated, "x"), Err(StoreError::Conflict));
    // No temporary file is left behind; the lock file stays, hidden.
    let leftovers: Vec<String> = std::fs::read_dir(root.join("work"))
        .unwrap_or_else(|err| panic!("{err}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    assert_eq!(leftovers, [".cycle-1@example.com.ics.lock"]);
    assert!(store.failures().take().is_empty());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn items_under_other_names_are_found_by_uid() {
    let root = scratch("index");
    let calendar = root.join("personal");
    std::fs::create_dir_all(&calendar).unwrap_or_else(|err| panic!("{err}"));
    // As another client names files: random names, one UID per file.
    std::fs::write(
        calendar.join("4f1c.ics"),
        event("x@example.com", &["bob@example.org"]),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(calendar.join("notes.txt"), "not an item").unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(calendar.join(".4f1c.ics.tmp"), "half").unwrap_or_else(|err| panic!("{err}"));
    let store = open(&root);
    let found = ok(store.find("x@example.com")).unwrap_or_else(|| panic!("indexed"));
    assert_eq!(found.href, "4f1c.ics");
    ok(store.update(&found, &event("x@example.com", &[])));
    assert!(
        calendar.join("4f1c.ics").exists(),
        "the original name is kept"
    );
    assert_eq!(ok(store.find("y@example.com")), None);
    // A file that appears later is found too (its folder changed).
    std::fs::write(calendar.join("later.ics"), event("y@example.com", &[]))
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        ok(store.find("y@example.com")).map(|item| item.href),
        Some("later.ics".to_owned())
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_flat_folder_is_one_calendar() {
    let root = scratch("flat");
    std::fs::write(
        root.join("a.ics"),
        event("flat@example.com", &["bob@example.org"]),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    // A stray folder beside the files is no calendar.
    std::fs::create_dir_all(root.join("attic")).unwrap_or_else(|err| panic!("{err}"));
    let store = open(&root);
    let name = ok(store.default_calendar());
    assert!(name.starts_with("sieve-imip-store-flat"), "{name}");
    let found = ok(store.find("flat@example.com")).unwrap_or_else(|| panic!("found"));
    assert_eq!(found.calendar, name);
    let created = ok(store.create(&name, "new@example.com", &event("new@example.com", &[])));
    assert!(root.join(&created.href).is_file());

    // Files and calendar folders together: which would new items go to?
    std::fs::write(root.join("attic/b.ics"), event("b@example.com", &[]))
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(VdirStore::open(&root, &CalendarLimits::default()).is_err());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_oversized_item_is_an_error_not_a_miss() {
    let root = scratch("oversized");
    let limits = CalendarLimits {
        max_bytes: 600,
        ..CalendarLimits::default()
    };
    let store = VdirStore::open(&root, &limits).unwrap_or_else(|err| panic!("{err}"));
    let calendar = ok(store.default_calendar());
    let uid = "big@example.com";
    let many: Vec<String> = (0..20).map(|n| format!("guest{n}@example.org")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    ok(store.create(&calendar, uid, &event(uid, &many)));
    // Missing it would make the action create it again, for ever.
    assert!(matches!(store.find(uid), Err(StoreError::Unavailable(_))));
    assert_eq!(store.failures().take().len(), 1);
    let _ = std::fs::remove_dir_all(&root);
}

/// Eight deliveries, each its own store on the same folder (as eight
/// `deliver` processes would be), each adding its attendee to one event
/// by read-modify-write, retrying on conflict: all eight are there at the
/// end.
#[test]
fn eight_writers_lose_no_update() {
    let root = scratch("eight");
    let uid = "concurrent@example.com";
    let setup = open(&root);
    let calendar = ok(setup.default_calendar());
    ok(setup.create(&calendar, uid, &event(uid, &[])));
    let root = Arc::new(root);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let root = Arc::clone(&root);
            std::thread::spawn(move || {
                let store = open(&root);
                let me = format!("guest{writer}@example.org");
                let mut conflicts = 0u32;
                loop {
                    let item = ok(store.find(uid)).unwrap_or_else(|| panic!("stored"));
                    let line = format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{me}\r\n");
                    let text = item
                        .text
                        .replacen("END:VEVENT", &format!("{line}END:VEVENT"), 1);
                    match store.update(&item, &text) {
                        Ok(_) => return conflicts,
                        Err(StoreError::Conflict) => conflicts = conflicts.saturating_add(1),
                        Err(error) => panic!("{error}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer
            .join()
            .unwrap_or_else(|_| panic!("a writer panicked"));
    }
    let mut attendees: Vec<String> = setup
        .attendees(uid)
        .unwrap_or_default()
        .iter()
        .map(|address| address.as_str().to_owned())
        .collect();
    attendees.sort();
    let expected: Vec<String> = (0..8).map(|n| format!("guest{n}@example.org")).collect();
    assert_eq!(attendees, expected);
    let _ = std::fs::remove_dir_all(&*root);
}

#[test]
fn failures_are_logged_once_taken() {
    let log = FailureLog::default();
    for n in 0..40 {
        log.record(&format!("failure {n}"));
    }
    let taken = log.take();
    assert_eq!(taken.len(), MAX_FAILURES_KEPT);
    assert_eq!(taken.first().map(String::as_str), Some("failure 0"));
    assert!(log.take().is_empty());
}

#[test]
fn a_dry_run_reads_through_and_writes_nowhere() {
    let root = scratch("dry-run");
    std::fs::create_dir_all(root.join("home")).unwrap_or_else(|err| panic!("{err}"));
    let inner = Arc::new(open(&root));
    let stored = ok(inner.create("home", "kept@example.com", &event("kept@example.com", &[])));
    let before = std::fs::read(root.join("home/kept@example.com.ics")).unwrap_or_default();
    let dry = DryRunStore::new(inner.clone(), &CalendarLimits::default());

    // Reads come from the folder.
    assert_eq!(ok(dry.find("kept@example.com")), Some(stored.clone()));
    assert_eq!(ok(dry.default_calendar()), "home");
    // A create is seen by the dry run only.
    let created = ok(dry.create(
        "home",
        "new@example.com",
        &event("new@example.com", &["a@example.org"]),
    ));
    assert_eq!(ok(dry.find("new@example.com")), Some(created.clone()));
    assert_eq!(ok(inner.find("new@example.com")), None);
    assert_eq!(
        dry.attendees("new@example.com").map(|people| people.len()),
        Some(1)
    );
    assert_eq!(
        dry.create("home", "new@example.com", "x"),
        Err(StoreError::Conflict)
    );
    assert_eq!(
        dry.create("nowhere", "other@example.com", "x"),
        Err(StoreError::NoSuchCalendar("nowhere".to_owned()))
    );
    // Updates compare versions as the real store does.
    let updated = ok(dry.update(&stored, &event("kept@example.com", &["b@example.org"])));
    assert_eq!(dry.update(&stored, "stale"), Err(StoreError::Conflict));
    assert_eq!(ok(dry.find("kept@example.com")), Some(updated.clone()));
    // A delete hides the item from the dry run, not from the folder.
    ok(dry.delete(&updated));
    assert_eq!(ok(dry.find("kept@example.com")), None);
    assert_eq!(ok(inner.find("kept@example.com")), Some(stored));
    assert_eq!(
        std::fs::read(root.join("home/kept@example.com.ics")).unwrap_or_default(),
        before
    );
    assert_eq!(
        dry.written(),
        ["home/kept@example.com.ics", "home/new@example.com.ics"]
    );

    // One item holding two UIDs: a write for one carries the other along,
    // and the other is then read from the run's version of the item.
    let two = format!(
        "{}{}",
        event("a@example.com", &[]).replace("END:VCALENDAR\r\n", ""),
        event("b@example.com", &[])
            .split_once("BEGIN:VEVENT")
            .map(|(_, rest)| format!("BEGIN:VEVENT{rest}"))
            .unwrap_or_default()
    );
    std::fs::write(root.join("home/pair.ics"), &two).unwrap_or_else(|err| panic!("{err}"));
    let dry = DryRunStore::new(Arc::new(open(&root)), &CalendarLimits::default());
    let pair = ok(dry.find("a@example.com")).unwrap_or_else(|| panic!("a is stored"));
    let changed = pair
        .text
        .replace("UID:a@example.com", "UID:a@example.com\r\nSUMMARY:changed");
    ok(dry.update(&pair, &changed));
    let b = ok(dry.find("b@example.com")).unwrap_or_else(|| panic!("b is stored"));
    assert!(b.text.contains("SUMMARY:changed"), "{}", b.text);
    // The item as first read is stale now, for either UID.
    assert_eq!(dry.update(&pair, &two), Err(StoreError::Conflict));
    let _ = std::fs::remove_dir_all(&root);
}
