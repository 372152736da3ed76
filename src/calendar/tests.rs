//! Unit tests of the model built from small objects.

use super::*;

fn parse(text: &str) -> CalendarObject {
    parse_calendar(text, &CalendarLimits::default())
}

fn details(object: &CalendarObject) -> Vec<&str> {
    object.findings.iter().map(|f| f.detail.as_str()).collect()
}

fn wrap(body: &str) -> String {
    format!("BEGIN:VCALENDAR\nMETHOD:REQUEST\n{body}END:VCALENDAR\n")
}

#[test]
fn default_limits() {
    let limits = CalendarLimits::default();
    assert_eq!(limits.max_bytes, 1_048_576);
    assert_eq!(limits.max_components, 1000);
    assert_eq!(limits.max_properties, 10_000);
    assert_eq!(limits.max_nesting, 8);
}

#[test]
fn component_kinds_by_name() {
    for kind in ComponentKind::ALL {
        assert_eq!(ComponentKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(
        ComponentKind::from_name("vJournal"),
        Some(ComponentKind::Journal)
    );
    assert_eq!(ComponentKind::from_name("VALARM"), None);
}

#[test]
fn journal_is_modelled() {
    let object = parse(&wrap(
        "BEGIN:VJOURNAL\nUID:j\nDTSTART;VALUE=DATE:20260101\nEND:VJOURNAL\n",
    ));
    assert_eq!(
        object.components.first().map(|c| c.kind),
        Some(ComponentKind::Journal)
    );
    assert!(object.findings.is_empty(), "{:?}", object.findings);
}

#[test]
fn limits_are_inclusive() {
    let text = wrap("BEGIN:VEVENT\nUID:1\nEND:VEVENT\n");
    let exact = CalendarLimits {
        max_bytes: text.len(),
        max_components: 1,
        max_properties: 2,
        max_nesting: 2,
    };
    let object = parse_calendar(&text, &exact);
    assert!(object.findings.is_empty(), "{:?}", object.findings);
    assert_eq!((object.component_count, object.property_count), (1, 2));

    let smaller = CalendarLimits {
        max_properties: 1,
        ..exact.clone()
    };
    assert_eq!(
        details(&parse_calendar(&text, &smaller)),
        vec!["2 properties, over the limit of 1; not parsed"]
    );
    let shallower = CalendarLimits {
        max_nesting: 1,
        ..exact
    };
    assert_eq!(
        details(&parse_calendar(&text, &shallower)),
        vec!["line 3: components nested deeper than 1 levels"]
    );
}

#[test]
fn alarm_attendees_and_other_components_are_not_the_meetings() {
    let object = parse(&wrap(
        "BEGIN:VEVENT\nUID:1\nATTENDEE:mailto:a@x.org\nBEGIN:VALARM\nATTENDEE:mailto:alarm@x.org\nACTION:EMAIL\nEND:VALARM\nEND:VEVENT\nBEGIN:X-THING\nUID:2\nEND:X-THING\n",
    ));
    assert_eq!(object.components.len(), 1);
    let attendees: Vec<&str> = object
        .components
        .iter()
        .flat_map(|c| c.attendees.iter().map(|a| a.address.as_str()))
        .collect();
    assert_eq!(attendees, vec!["a@x.org"]);
    assert_eq!(object.component_count, 3);
}

#[test]
fn broken_time_zones_are_reported() {
    let object = parse(&wrap(
        "BEGIN:VTIMEZONE\nX-NAME:none\nEND:VTIMEZONE\nBEGIN:VTIMEZONE\nTZID:Custom\nBEGIN:STANDARD\nDTSTART:19700101T000000\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700301T020000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\nEND:DAYLIGHT\nEND:VTIMEZONE\n",
    ));
    assert_eq!(
        details(&object),
        vec![
            "line 3: VTIMEZONE without a TZID",
            "line 8: STANDARD in VTIMEZONE Custom lacks DTSTART, TZOFFSETFROM or TZOFFSETTO; it is ignored",
        ]
    );
    let [custom] = object.timezones.as_slice() else {
        panic!("one time zone expected: {:?}", object.timezones);
    };
    assert_eq!(custom.observances.len(), 1);
}

#[test]
fn method_problems() {
    let twice = parse("BEGIN:VCALENDAR\nMETHOD:REPLY\nMETHOD:REQUEST\nEND:VCALENDAR\n");
    assert_eq!(twice.method.as_deref(), Some("REPLY"));
    assert_eq!(
        details(&twice),
        vec!["line 3: a second METHOD; the first is kept"]
    );

    let empty = parse("BEGIN:VCALENDAR\nMETHOD:\nEND:VCALENDAR\n");
    assert_eq!(empty.method, None);
    assert_eq!(details(&empty), vec!["line 2: METHOD without a value"]);

    // A METHOD inside a component is not the object's.
    let nested = parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nMETHOD:CANCEL\nEND:VEVENT\nEND:VCALENDAR\n");
    assert_eq!(nested.method, None);
}

#[test]
fn component_without_vcalendar_is_modelled_and_reported() {
    let object = parse("BEGIN:VEVENT\nUID:bare\nEND:VEVENT\n");
    assert_eq!(
        object.components.first().and_then(|c| c.uid.as_deref()),
        Some("bare")
    );
    assert_eq!(
        details(&object),
        vec!["line 1: no BEGIN:VCALENDAR in the object"]
    );
}

#[test]
fn second_calendar_is_reported_first_kept() {
    let object = parse(&format!(
        "{}BEGIN:VCALENDAR\nMETHOD:CANCEL\nBEGIN:VEVENT\nUID:second\nEND:VEVENT\nEND:VCALENDAR\n",
        wrap("BEGIN:VEVENT\nUID:first\nEND:VEVENT\n")
    ));
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    let uids: Vec<&str> = object
        .components
        .iter()
        .filter_map(|c| c.uid.as_deref())
        .collect();
    assert_eq!(uids, vec!["first"]);
    assert_eq!(
        details(&object),
        vec!["line 7: the iCalendar parser stopped at BEGIN:VCALENDAR"]
    );
}

#[test]
fn a_bad_component_does_not_lose_the_good_ones() {
    let object = parse(&wrap(
        "BEGIN:VEVENT\nUID:good\nEND:VEVENT\nBEGIN:VEVENT\nUID:bad\n%%%\nEND:VEVENT\nBEGIN:VTODO\nUID:also-good\nEND:VTODO\n",
    ));
    let uids: Vec<&str> = object
        .components
        .iter()
        .filter_map(|c| c.uid.as_deref())
        .collect();
    assert_eq!(uids, vec!["good", "also-good"]);
    assert_eq!(
        details(&object),
        vec!["line 8: content line without a colon: %%%"]
    );
}

#[test]
fn end_name_case_differs_from_begin() {
    // RFC 5545 names are case-insensitive; the parser wants the END name as
    // the BEGIN wrote it, so this is reported, with its line.
    let object = parse(&wrap("BEGIN:vevent\nUID:1\nEND:VEVENT\n"));
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    assert_eq!(
        details(&object),
        vec!["line 5: the iCalendar parser stopped at VEVENT"]
    );
}

#[test]
fn many_problems_are_summarised() {
    let body: String = (0..50).map(|n| format!("junk {n}\n")).collect();
    let object = parse(&format!("{body}BEGIN:VCALENDAR\nEND:VCALENDAR\n"));
    assert_eq!(object.findings.len(), MAX_MALFORMED_FINDINGS + 1);
    assert_eq!(
        object.findings.last().map(|f| f.detail.as_str()),
        Some("30 more problems not listed")
    );
}

#[test]
fn rsvp_and_partstat_values() {
    let object = parse(&wrap(
        "BEGIN:VEVENT\nUID:1\nATTENDEE;RSVP=true;PARTSTAT=declined;ROLE=chair:mailto:a@x.org\nATTENDEE;RSVP=maybe:mailto:b@x.org\nATTENDEE:\nEND:VEVENT\n",
    ));
    let event = object.components.first().expect("event");
    let first = event.attendees.first().expect("first attendee");
    assert_eq!(first.rsvp, Some(true));
    assert_eq!(first.partstat.as_deref(), Some("DECLINED"));
    assert_eq!(first.role.as_deref(), Some("CHAIR"));
    assert_eq!(event.attendees.get(1).and_then(|a| a.rsvp), None);
    assert_eq!(event.attendees.len(), 2);
    assert_eq!(
        details(&object),
        vec!["line 7: ATTENDEE without an address"]
    );
}

#[test]
fn sequence_must_be_a_non_negative_integer() {
    const NOT_INTEGER: &str = "SEQUENCE is not a non-negative integer";
    const OUT_OF_RANGE: &str = "SEQUENCE is out of range (more than 4294967295)";
    for (value, expected, why) in [
        ("0", Some(0), ""),
        (" 12 ", Some(12), ""),
        ("+7", Some(7), ""),
        ("-0", Some(0), ""),
        ("000000000000000000042", Some(42), ""),
        ("4294967295", Some(u32::MAX), ""),
        ("-1", None, NOT_INTEGER),
        ("1.5", None, NOT_INTEGER),
        ("+", None, NOT_INTEGER),
        ("", None, NOT_INTEGER),
        ("+-3", None, NOT_INTEGER),
        ("4294967296", None, OUT_OF_RANGE),
        ("99999999999", None, OUT_OF_RANGE),
        ("+99999999999", None, OUT_OF_RANGE),
        ("0099999999999", None, OUT_OF_RANGE),
        ("-99999999999", None, NOT_INTEGER),
    ] {
        let object = parse(&wrap(&format!(
            "BEGIN:VEVENT\nUID:1\nSEQUENCE:{value}\nEND:VEVENT\n"
        )));
        let event = object.components.first().expect("event");
        assert_eq!(event.sequence, expected, "{value}");
        assert_eq!(object.findings.is_empty(), expected.is_some(), "{value}");
        if !why.is_empty() {
            let detail = details(&object).join("; ");
            assert!(detail.contains(why), "{value}: {detail}");
        }
    }
}

/// A METHOD line the outline reports as outside any component (before
/// the VCALENDAR, after it, after an END spelled in another case) is never
/// the object's METHOD, whether or not the object has one of its own.
#[test]
fn method_outside_every_component_is_not_the_objects() {
    let event = "BEGIN:VEVENT\nUID:1\nEND:VEVENT\n";
    for (text, expected) in [
        (
            format!("METHOD:CANCEL\nBEGIN:VCALENDAR\n{event}END:VCALENDAR\n"),
            None,
        ),
        (
            format!("BEGIN:VCALENDAR\n{event}END:VCALENDAR\nMETHOD:CANCEL\n"),
            None,
        ),
        (
            format!("BEGIN:VCALENDAR\n{event}end:vcalendar\nMETHOD:CANCEL\n"),
            None,
        ),
        (
            format!("BEGIN:VCALENDAR\nMETHOD:REPLY\n{event}END:VCALENDAR\nMETHOD:CANCEL\n"),
            Some("REPLY"),
        ),
    ] {
        let object = parse(&text);
        assert_eq!(object.method.as_deref(), expected, "{text}");
        assert!(
            details(&object)
                .iter()
                .any(|detail| detail.contains("content outside any component: METHOD:CANCEL")),
            "{text}: {:?}",
            details(&object)
        );
        assert_eq!(object.components.len(), 1, "{text}");
    }
}

/// A refused first SEQUENCE or ORGANIZER is still the first: a second one
/// does not take its place.
#[test]
fn a_refused_single_property_is_not_replaced_by_a_second() {
    let object = parse(&wrap(
        "BEGIN:VEVENT\nUID:1\nSEQUENCE:99999999999\nSEQUENCE:5\n\
         ORGANIZER:\nORGANIZER:mailto:mallory@evil.example\nEND:VEVENT\n",
    ));
    let event = object.components.first().expect("event");
    assert_eq!(event.sequence, None);
    assert_eq!(event.organizer, None);
    let details = details(&object);
    assert!(
        details
            .iter()
            .any(|detail| detail.contains("SEQUENCE is out of range")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|detail| detail.ends_with("a second SEQUENCE in VEVENT; the first is kept")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|detail| detail.ends_with("a second ORGANIZER in VEVENT; the first is kept")),
        "{details:?}"
    );
}

#[test]
fn parser_error_outside_components_is_kept_beside_model_problems() {
    let object = parse(&wrap(
        "BEGIN:VEVENT\nUID:1\nSEQUENCE:x\nEND:VEVENT\nEND;X=1:y\n",
    ));
    assert_eq!(object.components.len(), 1);
    assert_eq!(
        details(&object),
        vec![
            "line 5: SEQUENCE is not a non-negative integer: x",
            "line 7: the iCalendar parser stopped at END;X=1:y",
        ]
    );
}

/// Calendar texts to compare the two parser inputs on: the crate's samples
/// and fixtures, and the shared corpus when it is there.
fn calendar_texts() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        root.join("samples"),
        root.join("tests/fixtures"),
        root.join("tests/fixtures/calendar"),
        root.join("../shared/corpus"),
    ];
    let mut texts = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            eprintln!(
                "{} not readable; its files are not compared",
                folder.display()
            );
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths {
            let Ok(raw) = std::fs::read(&path) else {
                continue;
            };
            if looks_like_icalendar(&raw) {
                texts.push(String::from_utf8_lossy(&raw).into_owned());
                continue;
            }
            let Some(message) = mail_parser::MessageParser::new().parse(&raw) else {
                continue;
            };
            for part in &message.parts {
                let text = match &part.body {
                    mail_parser::PartType::Text(text) => text.to_string(),
                    mail_parser::PartType::Binary(bytes)
                    | mail_parser::PartType::InlineBinary(bytes) => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                    _ => continue,
                };
                if text.contains("BEGIN:VCALENDAR") {
                    texts.push(text);
                }
            }
        }
    }
    texts
}

/// One random edit of a content line: the kinds of damage and oddity that
/// decide whether a line is left out of the parser's input.
fn mutate(line: &str, random: &mut rand::rngs::StdRng) -> String {
    use rand::Rng;
    let edits = [
        " ",
        "\t",
        ";",
        ":",
        "\"",
        ",",
        "=",
        "é",
        "BEGIN",
        "END",
        "X-",
        "\\",
        ";A=",
        ";A=\"b\"",
        ";A=\"b:c\"",
        "END:",
        "BEGIN:",
        "VALARM",
        "vevent",
        "",
    ];
    let edit = edits
        .get(random.gen_range(0..edits.len()))
        .copied()
        .unwrap_or_default();
    let cut = random.gen_range(0..=line.len());
    let cut = (0..=cut)
        .rev()
        .find(|at| line.is_char_boundary(*at))
        .unwrap_or(0);
    let (head, tail) = line.split_at(cut);
    match random.gen_range(0..4) {
        0 => format!("{head}{edit}{tail}"),
        1 => format!("{head}{edit}"),
        2 => line.to_ascii_lowercase(),
        _ => String::new(),
    }
}

#[test]
fn relevant_lines_give_the_whole_texts_model() {
    use rand::{Rng, SeedableRng};
    let texts = calendar_texts();
    assert!(!texts.is_empty(), "no calendar texts found");
    let limits = CalendarLimits::default();
    let same = |text: &str| {
        assert_eq!(
            parse_calendar_from(text, &limits, ParserInput::RelevantLines),
            parse_calendar_from(text, &limits, ParserInput::WholeText),
            "{text}"
        );
    };
    let mut random = rand::rngs::StdRng::seed_from_u64(6047);
    for text in &texts {
        same(text);
        let lines: Vec<&str> = text.lines().collect();
        for _ in 0..40 {
            let mut edited: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
            for _ in 0..random.gen_range(1..4) {
                let at = random.gen_range(0..edited.len().max(1));
                if let Some(line) = edited.get_mut(at) {
                    *line = mutate(line, &mut random);
                }
            }
            same(&edited.join("\r\n"));
        }
    }
}

#[test]
fn plain_property_lines() {
    for (line, name) in [
        ("X-A:1", Some("X-A")),
        ("SUMMARY;LANGUAGE=en-US:Hi; there", Some("SUMMARY")),
        (
            "ATTENDEE;CN=\"Doe, J\";RSVP=TRUE:mailto:j@x.org",
            Some("ATTENDEE"),
        ),
        ("begin;x=y:z", None),
        ("END:VEVENT", None),
        ("X A:1", None),
        ("X-A;P=\"a\",\"b\":1", None),
        ("X-A;P=:1", None),
        ("X-A;P=\"\":1", None),
        ("X-A;P=a\"b:1", None),
        ("X-A; P=a:1", None),
        ("X_A:1", None),
        ("X-A", None),
        ("", None),
    ] {
        assert_eq!(lines::plain_property_name(line), name, "{line}");
    }
}

/// The example of the module documentation.
#[test]
fn module_example() {
    use crate::calendar::{parse_calendar, CalendarLimits, ComponentKind};

    let text = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:42\r\n\
                ORGANIZER:MAILTO:Boss@Example.COM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let object = parse_calendar(text, &CalendarLimits::default());
    assert_eq!(object.method.as_deref(), Some("REQUEST"));
    let event = object.components.first().expect("one VEVENT");
    assert_eq!(event.kind, ComponentKind::Event);
    let organizer = event.organizer.as_ref().map(|o| o.address.as_str());
    assert_eq!(organizer, Some("Boss@example.com"));
    assert!(object.findings.is_empty());
}
