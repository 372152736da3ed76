//! The CalDAV store against servers: a fake one on 127.0.0.1 that answers
//! what a hostile or broken server would, and a real Radicale when
//! `tests/e2e/radicale.sh` runs one (`SIEVE_IMIP_RADICALE_URL`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use sieve_imip::store::CalDavStore;
use sieve_imip::{
    CalDavPassword, CalDavSettings, CalendarLimits, CalendarLookup, CalendarStore, StoreError,
};

/// The calendar home of the Radicale user, e.g. `http://127.0.0.1:5232/jane/`.
const RADICALE_URL: &str = "SIEVE_IMIP_RADICALE_URL";
/// Its user, and a file holding its password.
const RADICALE_USER: &str = "SIEVE_IMIP_RADICALE_USER";
const RADICALE_PASSWORD_FILE: &str = "SIEVE_IMIP_RADICALE_PASSWORD_FILE";
/// Set to `1` (the Radicale script does) to make a missing server a failure.
const REQUIRE_RADICALE: &str = "SIEVE_IMIP_REQUIRE_RADICALE";

fn event(uid: &str, sequence: u32, attendees: &[&str]) -> String {
    let mut text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sieve-imip test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nSEQUENCE:{sequence}\r\nDTSTAMP:20261120T120000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:Planning\r\nORGANIZER:mailto:olivia@example.com\r\n"
    );
    for attendee in attendees {
        text.push_str(&format!(
            "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{attendee}\r\n"
        ));
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

fn ok<T>(result: Result<T, StoreError>) -> T {
    result.unwrap_or_else(|err| panic!("{err}"))
}

fn attendees_of(store: &dyn CalendarLookup, uid: &str) -> Vec<String> {
    let mut attendees: Vec<String> = store
        .attendees(uid)
        .unwrap_or_default()
        .iter()
        .map(|address| address.as_str().to_owned())
        .collect();
    attendees.sort();
    attendees
}

// ---------------------------------------------------------------------------
// A fake server: one canned answer per connection, then it stops.

/// Serve `answers` in order, one request each (a connection per request:
/// every answer says `Connection: close`), on a free port; the home URL.
fn fake_server(answers: Vec<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|err| panic!("{err}"))
        .port();
    std::thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            serve_one(stream, &answer);
        }
    });
    format!("http://127.0.0.1:{port}/jane/")
}

fn serve_one(stream: TcpStream, answer: &[u8]) {
    let mut reader = BufReader::new(&stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let _ = (&stream).write_all(answer);
}

fn http(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn settings(url: &str) -> CalDavSettings {
    CalDavSettings {
        calendars: vec!["work".to_owned()],
        user: Some("jane".to_owned()),
        password: Some(CalDavPassword::Inline("secret".to_owned())),
        ..CalDavSettings::new(url)
    }
}

#[test]
fn an_unreachable_server_is_unavailable_and_logged() {
    // A port nobody listens on: bound, then freed.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|err| panic!("{err}"))
        .port();
    let url = format!("http://127.0.0.1:{port}/jane/");
    // Discovering the calendars is the first exchange: opening fails.
    let discover = CalDavSettings::new(&url);
    assert!(matches!(
        CalDavStore::open(&discover, &CalendarLimits::default()),
        Err(StoreError::Unavailable(_))
    ));
    // With the calendars named, opening sends nothing; the first look-up
    // fails, and the log says so (the validation reads it as no copy).
    let store = CalDavStore::open(&settings(&url), &CalendarLimits::default())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(matches!(
        store.find("a@example.com"),
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(store.attendees("b@example.com"), None);
    let failures = store.failures().take();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures.iter().all(|failure| failure.contains("REPORT")));
    assert_eq!(store.round_trips(), 2);
}

#[test]
fn hostile_answers_are_errors_not_panics() {
    let huge = "x".repeat(4096);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a login page", http("200 OK", "", "<html>log in</html>")),
        ("not XML", http("207 Multi-Status", "", "<<<>")),
        ("too large", http("207 Multi-Status", "", &huge)),
        (
            "a redirect",
            http("301 Moved", "Location: http://evil.example/\r\n", ""),
        ),
        ("no answer", Vec::new()),
        ("garbage", b"SSH-2.0-OpenSSH\r\n".to_vec()),
    ];
    for (case, answer) in cases {
        let url = fake_server(vec![answer]);
        let mut settings = settings(&url);
        settings.max_response_bytes = 2048;
        let store = CalDavStore::open(&settings, &CalendarLimits::default())
            .unwrap_or_else(|err| panic!("{err}"));
        let found = store.find("a@example.com");
        assert!(
            matches!(found, Err(StoreError::Unavailable(_))),
            "{case}: {found:?}"
        );
    }
}

#[test]
fn answers_elsewhere_or_with_another_uid_are_not_the_item() {
    // text-match is a substring match: the server may answer with a
    // longer UID; and an href on another host is never followed.
    let body = concat!(
        r#"<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">"#,
        r#"<D:response><D:href>http://evil.example/jane/work/a.ics</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag>"#,
        r#"<C:calendar-data>BEGIN:VCALENDAR&#13;
BEGIN:VEVENT&#13;
UID:a@example.com&#13;
END:VEVENT&#13;
END:VCALENDAR&#13;
</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
        r#"<D:response><D:href>/jane/work/b.ics</D:href><D:propstat><D:prop><D:getetag>"2"</D:getetag>"#,
        r#"<C:calendar-data>BEGIN:VCALENDAR&#13;
BEGIN:VEVENT&#13;
UID:xa@example.com&#13;
END:VEVENT&#13;
END:VCALENDAR&#13;
</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
        r#"<D:response><D:href>/jane/work/c.ics</D:href><D:propstat><D:prop><D:getetag>"3"</D:getetag>"#,
        r#"<C:calendar-data>BEGIN:VCALENDAR&#13;
BEGIN:VEVENT&#13;
UID:a@example.com&#13;
END:VEVENT&#13;
END:VCALENDAR&#13;
</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
        r#"</D:multistatus>"#
    );
    let url = fake_server(vec![http("207 Multi-Status", "", body)]);
    let store = CalDavStore::open(&settings(&url), &CalendarLimits::default())
        .unwrap_or_else(|err| panic!("{err}"));
    let item = ok(store.find("a@example.com")).unwrap_or_else(|| panic!("found"));
    assert_eq!(item.href, "/jane/work/c.ics");
    assert_eq!(item.version.0, "\"3\"");
    assert_eq!(item.calendar, "work");
}

/// A multistatus of hrefs without calendar-data.
fn bare_hrefs(count: usize) -> String {
    let mut body = String::from(r#"<D:multistatus xmlns:D="DAV:">"#);
    for n in 0..count {
        body.push_str(&format!(
            r#"<D:response><D:href>/jane/work/{n}.ics</D:href><D:propstat><D:prop><D:getetag>"{n}"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#
        ));
    }
    body.push_str("</D:multistatus>");
    body
}

#[test]
fn answers_without_calendar_data_are_fetched_within_a_bound() {
    let item =
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let url = fake_server(vec![
        http("207 Multi-Status", "", &bare_hrefs(1)),
        http("200 OK", "ETag: \"7\"\r\n", item),
    ]);
    let store = CalDavStore::open(&settings(&url), &CalendarLimits::default())
        .unwrap_or_else(|err| panic!("{err}"));
    let found = ok(store.find("a@example.com")).unwrap_or_else(|| panic!("fetched"));
    assert_eq!(
        (found.href.as_str(), found.version.0.as_str()),
        ("/jane/work/0.ics", "\"7\"")
    );
    assert_eq!(store.round_trips(), 2);

    // A server listing many without their data does not get a GET each.
    let mut answers = vec![http("207 Multi-Status", "", &bare_hrefs(50))];
    answers.extend((0..8).map(|_| http("404 Not Found", "", "")));
    let url = fake_server(answers);
    let store = CalDavStore::open(&settings(&url), &CalendarLimits::default())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(matches!(
        store.find("a@example.com"),
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(store.round_trips(), 9);
}

// ---------------------------------------------------------------------------
// Radicale (tests/e2e/radicale.sh starts it and sets the variables).

fn radicale_settings() -> Option<CalDavSettings> {
    let Ok(url) = std::env::var(RADICALE_URL) else {
        common::skip_unless_required(
            REQUIRE_RADICALE,
            &format!("{RADICALE_URL} is not set (tests/e2e/radicale.sh sets it)"),
        );
        return None;
    };
    let mut settings = CalDavSettings::new(url);
    settings.user = std::env::var(RADICALE_USER).ok();
    settings.password = std::env::var(RADICALE_PASSWORD_FILE)
        .ok()
        .map(|path| CalDavPassword::File(PathBuf::from(path)));
    Some(settings)
}

/// Round trips one operation took.
fn counted<T>(store: &CalDavStore, operation: impl FnOnce() -> T) -> (T, u64) {
    let before = store.round_trips();
    let result = operation();
    (result, store.round_trips().saturating_sub(before))
}

/// Create, find, update with the right ETag and a stale one, delete, and
/// eight concurrent writers, on the calendar the script made; the event
/// `kept@example.com` stays for the script to read back with curl.
#[test]
fn radicale_round_trip() {
    let Some(settings) = radicale_settings() else {
        return;
    };
    let limits = CalendarLimits::default();
    let store = CalDavStore::open(&settings, &limits).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(store.calendar_names(), ["calendar"]);
    let mut trips = vec![("open (PROPFIND the home)", store.round_trips())];

    let uid = "cycle@example.com";
    let (missing, cost) = counted(&store, || ok(store.find(uid)));
    assert_eq!(missing, None);
    trips.push(("find, not stored", cost));
    let calendar = ok(store.default_calendar());
    let (created, cost) = counted(&store, || {
        ok(store.create(&calendar, uid, &event(uid, 0, &["bob@example.org"])))
    });
    trips.push(("create", cost));
    assert_eq!(
        store.create(&calendar, uid, &event(uid, 0, &[])),
        Err(StoreError::Conflict)
    );

    // The validation's reads and the action's find share one answer.
    store.forget_recent();
    let (found, cost) = counted(&store, || {
        let attendees = attendees_of(&store, uid);
        let found = ok(store.find(uid));
        (attendees, found)
    });
    assert_eq!(found.0, ["bob@example.org"]);
    assert_eq!(
        found.1.as_ref().map(|item| &item.version),
        Some(&created.version)
    );
    trips.push(("lookup + find, stored", cost));
    let found = found.1.unwrap_or_else(|| panic!("found"));

    let (updated, cost) = counted(&store, || {
        ok(store.update(
            &found,
            &event(uid, 1, &["bob@example.org", "carol@example.net"]),
        ))
    });
    trips.push(("update", cost));
    assert_ne!(updated.version, created.version);
    assert_eq!(
        store.update(&created, &event(uid, 2, &[])),
        Err(StoreError::Conflict)
    );
    assert_eq!(store.delete(&created), Err(StoreError::Conflict));

    // What the server holds, read by a store that remembers nothing.
    let fresh = CalDavStore::open(&settings, &limits).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        attendees_of(&fresh, uid),
        ["bob@example.org", "carol@example.net"]
    );

    let (deleted, cost) = counted(&store, || store.delete(&updated));
    ok(deleted);
    trips.push(("delete", cost));
    fresh.forget_recent();
    assert_eq!(ok(fresh.find(uid)), None);

    // Eight writers adding themselves to one event, retrying on 412.
    let kept = "kept@example.com";
    ok(store.create(&calendar, kept, &event(kept, 0, &[])));
    let settings = Arc::new(settings);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let settings = Arc::clone(&settings);
            std::thread::spawn(move || {
                let store = CalDavStore::open(&settings, &CalendarLimits::default())
                    .unwrap_or_else(|err| panic!("{err}"));
                let line =
                    format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:guest{writer}@example.org\r\n");
                loop {
                    store.forget_recent();
                    let item = ok(store.find(kept)).unwrap_or_else(|| panic!("stored"));
                    let text = item
                        .text
                        .replacen("END:VEVENT", &format!("{line}END:VEVENT"), 1);
                    match store.update(&item, &text) {
                        Ok(_) => return,
                        Err(StoreError::Conflict) => continue,
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
    fresh.forget_recent();
    let expected: Vec<String> = (0..8).map(|n| format!("guest{n}@example.org")).collect();
    assert_eq!(attendees_of(&fresh, kept), expected);
    assert!(store.failures().take().is_empty());

    let mut stderr = std::io::stderr();
    let _ = writeln!(stderr, "CalDAV round trips on Radicale:");
    for (operation, cost) in trips {
        let _ = writeln!(stderr, "  {operation}: {cost}");
    }
}
