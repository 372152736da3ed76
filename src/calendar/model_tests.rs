//! The iTIP model built from hand-written objects, from hostile input, and
//! from the calendar parts of the real corpus. What the `analyze` report
//! shows of each object in `tests/fixtures/calendar/` is checked by
//! `tests/fixtures.rs` against its expected file; these tests check what the
//! report does not show (time zones, counts, RDATE/EXDATE, DUE, parameters).

use std::fs;
use std::path::{Path, PathBuf};

use crate::calendar::values::ObservanceKind;
use crate::calendar::{
    looks_like_icalendar, parse_calendar, Attendee, CalendarLimits, CalendarObject, ComponentKind,
    DateValue, SchedulingComponent,
};
use crate::finding::Reason;
use mail_parser::{MessageParser, MimeHeaders};

fn fixture(name: &str) -> CalendarObject {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/calendar")
        .join(name);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    parse_calendar(&text, &CalendarLimits::default())
}

fn reasons(object: &CalendarObject) -> Vec<Reason> {
    object
        .findings
        .iter()
        .map(|finding| finding.reason)
        .collect()
}

fn only_component(object: &CalendarObject) -> &SchedulingComponent {
    assert_eq!(object.components.len(), 1, "{object:#?}");
    object.components.first().expect("one component")
}

fn addresses(attendees: &[Attendee]) -> Vec<&str> {
    attendees
        .iter()
        .map(|attendee| attendee.address.as_str())
        .collect()
}

fn date(value: &str, tzid: Option<&str>, value_type: Option<&str>) -> DateValue {
    DateValue {
        value: value.to_owned(),
        tzid: tzid.map(str::to_owned),
        value_type: value_type.map(str::to_owned),
    }
}

#[test]
fn outlook_request_with_windows_time_zone() {
    let object = fixture("outlook-request.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    // VTIMEZONE, STANDARD, DAYLIGHT, VEVENT, VALARM
    assert_eq!(object.component_count, 5);
    assert_eq!(object.property_count, 35);

    let timezone = object.timezones.first().expect("a VTIMEZONE");
    assert_eq!(timezone.tzid, "W. Europe Standard Time");
    let kinds: Vec<ObservanceKind> = timezone.observances.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        vec![ObservanceKind::Standard, ObservanceKind::Daylight]
    );
    let standard = timezone.observances.first().expect("STANDARD");
    assert_eq!(standard.dtstart, "16010101T030000");
    assert_eq!(standard.offset_from, "+0200");
    assert_eq!(standard.offset_to, "+0100");
    assert_eq!(
        standard.rrule.as_deref(),
        Some("FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10")
    );

    let event = only_component(&object);
    assert_eq!(event.kind, ComponentKind::Event);
    assert_eq!(
        event.uid.as_deref(),
        Some("040000008200E00074C5B7101A82E0080000000010F0A3B1D25CDB010000000000000000100000006E0E3F1B2C4D4E46A9A47A3C1D0E5B21")
    );
    assert_eq!(event.sequence, Some(0));
    assert_eq!(
        event.dtstart,
        Some(date(
            "20261124T090000",
            Some("W. Europe Standard Time"),
            None
        ))
    );
    assert_eq!(
        event.dtend,
        Some(date(
            "20261124T103000",
            Some("W. Europe Standard Time"),
            None
        ))
    );
    let organizer = event.organizer.as_ref().expect("ORGANIZER");
    assert_eq!(organizer.address.as_str(), "Maja.Lindqvist@contoso.example");
    assert_eq!(organizer.cn.as_deref(), Some("Lindqvist, Maja"));
    assert_eq!(organizer.sent_by, None);
    assert_eq!(
        addresses(&event.attendees),
        vec!["tomas.berg@fabrikam.example", "room412@contoso.example"]
    );
    let room = event.attendees.get(1).expect("second attendee");
    assert_eq!(room.cn.as_deref(), Some("Room 4.12"));
    assert_eq!(room.role.as_deref(), Some("OPT-PARTICIPANT"));
    assert_eq!(room.partstat.as_deref(), Some("NEEDS-ACTION"));
    assert_eq!(room.rsvp, Some(true));
}

#[test]
fn google_request_with_many_attendees() {
    let object = fixture("google-request.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    let event = only_component(&object);
    assert_eq!(
        event.uid.as_deref(),
        Some("7kukuqrfedlm2f9t0vr42q2ok6@google.com")
    );
    // The VALARM's ATTENDEE is the alarm's, not the meeting's.
    assert_eq!(event.attendees.len(), 13);
    let host = event.attendees.first().expect("host");
    assert_eq!(host.address.as_str(), "host@example.net");
    assert_eq!(host.partstat.as_deref(), Some("ACCEPTED"));
    let last = event.attendees.last().expect("last guest");
    assert_eq!(last.address.as_str(), "guest12@example.net");
    assert_eq!(last.cn.as_deref(), Some("Guest 12"));
    assert_eq!(last.rsvp, Some(true));
    assert_eq!(last.role.as_deref(), Some("REQ-PARTICIPANT"));
    assert_eq!(event.dtstart, Some(date("20261203T150000Z", None, None)));
}

#[test]
fn reply_with_lower_case_names_and_values() {
    let object = fixture("reply.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!(object.method.as_deref(), Some("REPLY"));
    let event = only_component(&object);
    assert_eq!(event.sequence, Some(2));
    let organizer = event.organizer.as_ref().expect("ORGANIZER");
    assert_eq!(organizer.cn.as_deref(), Some("Doe, John"));
    let attendee = event.attendees.first().expect("the replying attendee");
    assert_eq!(attendee.address.as_str(), "Ana.Silva@example.org");
    assert!(attendee.address.eq_ignore_case("ana.silva@EXAMPLE.org"));
    assert_eq!(attendee.partstat.as_deref(), Some("ACCEPTED"));
    assert_eq!(attendee.cn.as_deref(), Some("Ana Silva"));
}

#[test]
fn delegation_lists_and_sent_by() {
    let object = fixture("delegation.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    let event = only_component(&object);
    assert_eq!(event.dtstart, Some(date("20261210", None, Some("DATE"))));
    let organizer = event.organizer.as_ref().expect("ORGANIZER");
    assert_eq!(organizer.address.as_str(), "chair@example.com");
    assert_eq!(
        organizer.sent_by.as_ref().map(|a| a.as_str()),
        Some("Assistant@example.com")
    );

    let [boss, deputy1, deputy2, member] = event.attendees.as_slice() else {
        panic!("four attendees expected: {:#?}", event.attendees);
    };
    let delegated_to: Vec<&str> = boss.delegated_to.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        delegated_to,
        vec!["deputy1@example.com", "Deputy2@example.com"]
    );
    assert_eq!(boss.partstat.as_deref(), Some("DELEGATED"));
    assert_eq!(boss.role.as_deref(), Some("NON-PARTICIPANT"));
    assert_eq!(boss.cn.as_deref(), Some("Boss"));
    assert!(boss.delegated_from.is_empty());
    let from: Vec<&str> = deputy1.delegated_from.iter().map(|a| a.as_str()).collect();
    assert_eq!(from, vec!["boss@example.com"]);
    assert_eq!(deputy1.cn.as_deref(), Some("Deputy One"));
    assert_eq!(deputy2.rsvp, Some(false));
    assert_eq!(deputy2.delegated_from.len(), 1);
    assert_eq!(
        member.sent_by.as_ref().map(|a| a.as_str()),
        Some("secretary@example.com")
    );
    assert_eq!(member.rsvp, None);
}

#[test]
fn publish_with_several_events() {
    let object = fixture("publish-several.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!(object.method.as_deref(), Some("PUBLISH"));
    let uids: Vec<&str> = object
        .components
        .iter()
        .filter_map(|c| c.uid.as_deref())
        .collect();
    assert_eq!(
        uids,
        vec![
            "event-1@club.example",
            "event-2@club.example",
            "event-3@club.example"
        ]
    );
    let durations: Vec<&str> = object
        .components
        .iter()
        .filter_map(|c| c.duration.as_deref())
        .collect();
    assert_eq!(durations, vec!["PT2H", "PT2H", "PT90M"]);
    assert_eq!(object.component_count, 3);
}

#[test]
fn todo_with_due() {
    let object = fixture("todo-request.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    let todo = only_component(&object);
    assert_eq!(todo.kind, ComponentKind::Todo);
    assert_eq!(todo.kind.as_str(), "VTODO");
    assert_eq!(
        todo.due,
        Some(date("20261106T170000", Some("Europe/Berlin"), None))
    );
    assert_eq!(todo.dtend, None);
    assert_eq!(
        todo.attendees.first().and_then(|a| a.role.as_deref()),
        Some("REQ-PARTICIPANT")
    );
}

#[test]
fn recurrence_texts_and_exception() {
    let object = fixture("recurring-request.ics");
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    let [series, exception] = object.components.as_slice() else {
        panic!("two VEVENTs expected: {object:#?}");
    };
    assert_eq!(
        series.rrules,
        vec!["FREQ=WEEKLY;BYDAY=MO;COUNT=10".to_owned()]
    );
    assert_eq!(
        series.rdates,
        vec![
            date("20261120T090000Z/20261120T100000Z", None, Some("PERIOD")),
            date("20261127T090000Z/PT1H", None, Some("PERIOD")),
            date("20261203T100000", Some("Europe/Paris"), None),
        ]
    );
    assert_eq!(
        series.exdates,
        vec![
            date("20261109T100000", Some("Europe/Paris"), None),
            date("20261116T100000", Some("Europe/Paris"), None),
            date("20261123", None, Some("DATE")),
        ]
    );
    assert_eq!(series.recurrence_id, None);
    assert_eq!(
        exception.recurrence_id,
        Some(date("20261130T100000", Some("Europe/Paris"), None))
    );
    assert_eq!(exception.uid, series.uid);

    let timezone = object.timezones.first().expect("VTIMEZONE");
    assert_eq!(timezone.tzid, "Europe/Paris");
    let standard = timezone
        .observances
        .iter()
        .find(|o| o.kind == ObservanceKind::Standard)
        .expect("STANDARD");
    assert_eq!(standard.rdates, vec!["19961027T030000", "19971026T030000"]);
}

#[test]
fn truncated_object_keeps_method_and_complete_parts() {
    let object = fixture("truncated-counter.ics");
    assert_eq!(object.method.as_deref(), Some("COUNTER"));
    assert!(object.components.is_empty());
    // The VTIMEZONE before the cut is complete and still read.
    assert_eq!(
        object.timezones.first().map(|t| t.tzid.as_str()),
        Some("Romance Standard Time")
    );
    assert_eq!(reasons(&object), vec![Reason::Malformed, Reason::Malformed]);
    let details: Vec<&str> = object.findings.iter().map(|f| f.detail.as_str()).collect();
    assert!(details.contains(&"line 1: BEGIN:VCALENDAR is never closed (the object is cut off)"));
    assert!(details.contains(&"line 20: BEGIN:VEVENT is never closed (the object is cut off)"));
}

#[test]
fn empty_object_is_malformed() {
    let object = fixture("empty.ics");
    assert_eq!(object.method, None);
    assert_eq!(object.size, 0);
    assert_eq!(reasons(&object), vec![Reason::Malformed]);
    let blank = parse_calendar(" \r\n\r\n\t\n", &CalendarLimits::default());
    assert_eq!(reasons(&blank), vec![Reason::Malformed]);
}

#[test]
fn garbage_is_malformed_without_a_model() {
    let object = fixture("garbage.ics");
    assert!(object.components.is_empty());
    assert!(!object.findings.is_empty());
    assert!(object
        .findings
        .iter()
        .all(|finding| finding.reason == Reason::Malformed));
    assert!(object
        .findings
        .iter()
        .any(|finding| finding.detail.starts_with("line 1: ")));
}

#[test]
fn problems_carry_the_line_of_the_folded_text() {
    let text = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:a long\r\n  folded\r\n  summary\r\nSEQUENCE:first\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let object = parse_calendar(text, &CalendarLimits::default());
    let details: Vec<&str> = object.findings.iter().map(|f| f.detail.as_str()).collect();
    assert_eq!(
        details,
        vec!["line 7: SEQUENCE is not a non-negative integer: first"]
    );
    assert_eq!(only_component(&object).uid.as_deref(), Some("1"));

    let broken = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nDESCRIPTION:one\n two\nUID:1\n@@@ not a property\nEND:VEVENT\nEND:VCALENDAR\n";
    let object = parse_calendar(broken, &CalendarLimits::default());
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    let first = object.findings.first().map(|f| f.detail.as_str());
    assert!(
        first.is_some_and(|detail| detail.starts_with("line 7: ")),
        "{:?}",
        object.findings
    );
}

#[test]
fn unquoted_sent_by_is_reported_and_dropped() {
    let text = "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:1\nATTENDEE;SENT-BY=mailto:helper@example.com:mailto:a@example.com\nEND:VEVENT\nEND:VCALENDAR\n";
    let object = parse_calendar(text, &CalendarLimits::default());
    assert_eq!(reasons(&object), vec![Reason::Malformed]);
    let attendee = only_component(&object).attendees.first().expect("attendee");
    assert_eq!(attendee.sent_by, None);
}

#[test]
fn duplicate_single_properties_keep_the_first() {
    let text = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1\nUID:2\nORGANIZER:mailto:a@x.org\nORGANIZER:mailto:b@x.org\nEND:VEVENT\nEND:VCALENDAR\n";
    let object = parse_calendar(text, &CalendarLimits::default());
    let event = only_component(&object);
    assert_eq!(event.uid.as_deref(), Some("1"));
    assert_eq!(
        event.organizer.as_ref().map(|o| o.address.as_str()),
        Some("a@x.org")
    );
    let details: Vec<&str> = object.findings.iter().map(|f| f.detail.as_str()).collect();
    assert_eq!(
        details,
        vec![
            "line 5: a second UID in VEVENT; the first is kept",
            "line 7: a second ORGANIZER in VEVENT; the first is kept"
        ]
    );
}

#[test]
fn bare_icalendar_detection() {
    assert!(looks_like_icalendar(b"BEGIN:VCALENDAR\r\n"));
    assert!(looks_like_icalendar(
        b"\xEF\xBB\xBF \r\n\tbegin:vcalendar\n"
    ));
    assert!(!looks_like_icalendar(
        b"From: a@example.com\r\n\r\nBEGIN:VCALENDAR"
    ));
    assert!(!looks_like_icalendar(b"BEGIN:VCAL"));
    assert!(!looks_like_icalendar(b""));
    assert!(!looks_like_icalendar(&[0xff, 0xfe, 0x00]));
}

// Hostile input: each must come back with a finding, never a panic.

#[test]
fn hostile_over_max_bytes_is_oversized_and_not_parsed() {
    let mut text = String::from("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n");
    while text.len() <= 2 * 1024 * 1024 {
        text.push_str("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n");
    }
    let object = parse_calendar(&text, &CalendarLimits::default());
    assert_eq!(reasons(&object), vec![Reason::Oversized]);
    assert!(object.components.is_empty());
    assert_eq!(object.method.as_deref(), Some("PUBLISH"));
    assert_eq!(object.size, text.len());
}

#[test]
fn hostile_too_many_components_is_oversized() {
    let mut text = String::from("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n");
    for number in 0..5000 {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{number}\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    let object = parse_calendar(&text, &CalendarLimits::default());
    assert_eq!(reasons(&object), vec![Reason::Oversized]);
    assert_eq!(object.component_count, 5000);
    assert!(object.components.is_empty());
    assert_eq!(object.method.as_deref(), Some("PUBLISH"));
}

#[test]
fn hostile_too_many_properties_is_oversized() {
    let mut text = String::from("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n");
    for _ in 0..20_000 {
        text.push_str("X-A:1\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let object = parse_calendar(&text, &CalendarLimits::default());
    assert_eq!(reasons(&object), vec![Reason::Oversized]);
    assert_eq!(object.property_count, 20_000);
}

#[test]
fn hostile_deep_nesting_is_refused_before_the_parser() {
    let limits = CalendarLimits {
        max_components: usize::MAX,
        ..CalendarLimits::default()
    };
    let depth = 50_000;
    let text = format!(
        "BEGIN:VCALENDAR\r\n{}{}END:VCALENDAR\r\n",
        "BEGIN:X\r\n".repeat(depth),
        "END:X\r\n".repeat(depth)
    );
    let object = parse_calendar(&text, &limits);
    assert!(reasons(&object).contains(&Reason::Malformed));
    assert!(object
        .findings
        .iter()
        .any(|finding| finding.detail == "line 9: components nested deeper than 8 levels"));

    // A limit set absurdly high is still capped.
    let generous = CalendarLimits {
        max_nesting: usize::MAX,
        ..limits
    };
    let object = parse_calendar(&text, &generous);
    assert!(reasons(&object).contains(&Reason::Malformed));
}

#[test]
fn hostile_unbalanced_structure() {
    let cases = [
        "BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
        "END:VCALENDAR\r\nBEGIN:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\nEND:VEVENT\r\nEND:VALARM\r\nEND:VCALENDAR\r\n",
        "BEGIN:\r\nEND:\r\n",
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nEND:vcalendar\r\n",
        &"BEGIN:VCALENDAR\r\n".repeat(500),
        &"END:VCALENDAR\r\n".repeat(500),
    ];
    for text in cases {
        let object = parse_calendar(text, &CalendarLimits::default());
        assert!(
            reasons(&object).contains(&Reason::Malformed),
            "{text:?}: {:?}",
            object.findings
        );
        assert!(object.findings.len() <= 21, "{:?}", object.findings.len());
    }
}

#[test]
fn hostile_binary_garbage() {
    let mut state: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    let object = parse_calendar(&text, &CalendarLimits::default());
    assert!(reasons(&object).contains(&Reason::Malformed));
    assert!(object.findings.len() <= 21);

    let inside = format!("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n{text}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let object = parse_calendar(&inside, &CalendarLimits::default());
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    assert!(!object.findings.is_empty());
}

#[test]
fn hostile_huge_single_line() {
    let line = "A".repeat(900 * 1024);
    let text = format!("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let object = parse_calendar(&text, &CalendarLimits::default());
    // The parser reads a line without a colon as a property with no value;
    // RFC 5545 does not, so it is reported, and the rest is still modelled.
    assert_eq!(
        object
            .findings
            .iter()
            .map(|f| f.detail.as_str())
            .collect::<Vec<_>>(),
        vec![format!(
            "line 4: content line without a colon: {}…",
            "A".repeat(40)
        )]
    );
    assert_eq!(object.components.len(), 1);

    let words = "word ; @@ ".repeat(90 * 1024);
    let text = format!("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n{words}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let object = parse_calendar(&text, &CalendarLimits::default());
    assert!(reasons(&object).contains(&Reason::Malformed));
    assert!(object
        .findings
        .iter()
        .any(|finding| finding.detail.starts_with("line 4: ")));

    let over = "B".repeat(3 * 1024 * 1024);
    let object = parse_calendar(&over, &CalendarLimits::default());
    assert_eq!(reasons(&object), vec![Reason::Oversized]);
}

#[test]
fn hostile_lf_only_object_near_the_limit_stays_linear() {
    // LF-only line ends would make the parser scan to the end of the text
    // for every line if they reached it unchanged.
    let mut text = String::from("BEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VEVENT\nUID:1\n");
    while text.len() < 1000 * 1024 {
        text.push_str("X-FILLER:0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\n");
    }
    text.push_str("END:VEVENT\nEND:VCALENDAR\n");
    let object = parse_calendar(
        &text,
        &CalendarLimits {
            max_properties: usize::MAX,
            ..CalendarLimits::default()
        },
    );
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!(object.components.len(), 1);
}

// The real corpus.

fn corpus_dir() -> Option<PathBuf> {
    crate::test_support::shared_path("corpus")
}

/// Lone CRs become CRLF: mail-parser does not split a bare-CR message (005).
fn with_crlf_for_lone_cr(raw: &[u8]) -> Vec<u8> {
    let mut fixed = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&byte) = bytes.next() {
        fixed.push(byte);
        if byte == b'\r' && bytes.peek() != Some(&&b'\n') {
            fixed.push(b'\n');
        }
    }
    fixed
}

/// The decoded text of every calendar-looking part of a message.
fn calendar_parts(raw: &[u8]) -> Vec<String> {
    let fixed = with_crlf_for_lone_cr(raw);
    let Some(message) = MessageParser::default().parse(&fixed) else {
        return Vec::new();
    };
    message
        .parts
        .iter()
        .filter(|part| {
            let media_type = part.content_type().map(|ct| {
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase()
            });
            let named_ics = part
                .attachment_name()
                .is_some_and(|name| name.to_ascii_lowercase().ends_with(".ics"));
            matches!(
                media_type.as_deref(),
                Some("text/calendar" | "application/ics")
            ) || named_ics
        })
        .map(|part| match part.text_contents() {
            Some(text) => text.to_owned(),
            None => String::from_utf8_lossy(part.contents()).into_owned(),
        })
        .collect()
}

struct ManifestRow {
    file: String,
    expected_component: String,
}

fn manifest(dir: &Path) -> Vec<ManifestRow> {
    let text = fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let file = columns.next()?.to_owned();
            let expected_component = columns.nth(2)?.to_owned();
            Some(ManifestRow {
                file,
                expected_component,
            })
        })
        .collect()
}

#[test]
fn corpus_calendar_parts_model_as_expected() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut checked = 0;
    let rows = manifest(&dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("corpus folder")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        let raw = fs::read(&path).expect("corpus message");
        let row = rows.iter().find(|row| row.file == name);
        for text in calendar_parts(&raw) {
            let object = parse_calendar(&text, &CalendarLimits::default());
            println!(
                "{name}: method {:?}, {} components, findings {:?}",
                object.method,
                object.components.len(),
                object.findings
            );
            let (Some(row), Some(_)) = (row, object.method.as_ref()) else {
                continue;
            };
            let first_kind = object
                .components
                .first()
                .map_or("-", |component| component.kind.as_str());
            assert_eq!(first_kind, row.expected_component, "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} calendar parts checked");
}
