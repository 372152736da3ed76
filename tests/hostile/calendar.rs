//! Hostile calendars: recurrence rules built to cost, objects built to be
//! large. Each ends in a finding (or a profile) from bounded work: the
//! evaluator spends one work budget per object and the calendar model has
//! named limits, so none of these depends on a wall clock.

use sieve_imip::{Analysis, Config, Reason};

fn config() -> Config {
    Config::builder()
        .now("2026-11-20T12:00:00Z".parse().expect("time"))
        .build()
}

fn analyse(calendar: &str) -> Analysis {
    Analysis::of_calendar_text(calendar, &config())
}

fn reasons(analysis: &Analysis) -> Vec<Reason> {
    analysis.findings().iter().map(|f| f.reason).collect()
}

fn detail_of(analysis: &Analysis, reason: Reason) -> String {
    analysis
        .findings()
        .iter()
        .filter(|f| f.reason == reason)
        .map(|f| f.detail.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A REQUEST with one VEVENT whose body lines are `lines`.
fn event(lines: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\nMETHOD:REQUEST\r\n\
         BEGIN:VEVENT\r\nUID:hostile@example.com\r\nDTSTAMP:20261120T100000Z\r\n\
         ORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.org\r\n\
         {lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[test]
fn count_of_four_billion_is_a_flood_counted_not_expanded() {
    let analysis = analyse(&event(
        "DTSTART:20261121T090000Z\r\nRRULE:FREQ=SECONDLY;COUNT=4294967295\r\n",
    ));
    assert!(reasons(&analysis).contains(&Reason::RecurrenceFlood));
    let detail = detail_of(&analysis, Reason::RecurrenceFlood);
    assert!(detail.contains("4294967295 in all"), "{detail}");
}

#[test]
fn secondly_with_every_list_at_its_longest_and_bysetpos_ends() {
    let list = |from: u32, to: u32| {
        (from..=to)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let negative = |to: i32| (1..=to).map(|n| (-n).to_string()).collect::<Vec<_>>();
    let month_days = [list(1, 31), negative(31).join(",")].join(",");
    let year_days = [list(1, 366), negative(366).join(",")].join(",");
    let week_numbers = [list(1, 53), negative(53).join(",")].join(",");
    let set_positions = [list(1, 366), negative(366).join(",")].join(",");
    let rule = format!(
        "FREQ=SECONDLY;BYSECOND={};BYMINUTE={};BYHOUR={};BYDAY=MO,TU,WE,TH,FR,SA,SU;\
         BYMONTHDAY={month_days};BYYEARDAY={year_days};BYWEEKNO={week_numbers};\
         BYMONTH={};BYSETPOS={set_positions}",
        list(0, 59),
        list(0, 59),
        list(0, 23),
        list(1, 12)
    );
    let analysis = analyse(&event(&format!(
        "DTSTART:20261121T090000Z\r\nRRULE:{rule}\r\n"
    )));
    let found = reasons(&analysis);
    // BYWEEKNO is YEARLY-only (RFC 5545 3.3.10): the rule is malformed.
    assert!(found.contains(&Reason::Malformed), "{found:?}");
    // The same lists without BYWEEKNO and BYYEARDAY are allowed: a flood,
    // or the work limit, never an unbounded walk.
    let rule = rule
        .split(';')
        .filter(|part| !part.starts_with("BYWEEKNO") && !part.starts_with("BYYEARDAY"))
        .collect::<Vec<_>>()
        .join(";");
    let analysis = analyse(&event(&format!(
        "DTSTART:20261121T090000Z\r\nRRULE:{rule}\r\n"
    )));
    let found = reasons(&analysis);
    assert!(
        found.contains(&Reason::RecurrenceFlood) || found.contains(&Reason::Oversized),
        "{found:?}"
    );
}

#[test]
fn a_rule_that_never_produces_an_instance_is_reported() {
    // 30 February never exists.
    let analysis = analyse(&event(
        "DTSTART:20261121T090000Z\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n",
    ));
    let detail = detail_of(&analysis, Reason::Malformed);
    assert!(detail.contains("never produces"), "{detail}");
}

#[test]
fn hostile_rules_inside_a_vtimezone_end_within_the_budget() {
    let calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n\
        BEGIN:VTIMEZONE\r\nTZID:Hostile\r\n\
        BEGIN:STANDARD\r\nDTSTART:00010101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n\
        RRULE:FREQ=SECONDLY;BYSETPOS=1,-1;BYMINUTE=1,7,13,29\r\nEND:STANDARD\r\n\
        BEGIN:DAYLIGHT\r\nDTSTART:00010101T000030\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\n\
        RRULE:FREQ=MINUTELY;INTERVAL=7;BYSETPOS=2,-3;BYHOUR=1,2,3\r\nEND:DAYLIGHT\r\n\
        END:VTIMEZONE\r\n\
        BEGIN:VEVENT\r\nUID:tz@example.com\r\nDTSTAMP:20261120T100000Z\r\n\
        ORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.org\r\n\
        DTSTART;TZID=Hostile:20261121T090000\r\nRRULE:FREQ=DAILY;COUNT=30\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";
    let analysis = analyse(calendar);
    // Either counted (the zone's onsets cost from the same budget) or
    // reported as too costly; never a hang.
    assert!(analysis.is_imip());
    let found = reasons(&analysis);
    assert!(
        found.is_empty() || found.contains(&Reason::Oversized),
        "{found:?}"
    );
}

#[test]
fn dtstart_in_year_one_and_year_9999() {
    for (dtstart, expect_far_future) in [("00010101T000000Z", false), ("99991231T235959Z", true)] {
        let analysis = analyse(&event(&format!(
            "DTSTART:{dtstart}\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"
        )));
        assert!(analysis.is_imip(), "{dtstart}");
        assert_eq!(
            reasons(&analysis).contains(&Reason::FarFuture),
            expect_far_future,
            "{dtstart}: {:?}",
            reasons(&analysis)
        );
    }
    // Unbounded from year 1: counted in the horizon, no walk from year 1.
    let analysis = analyse(&event(
        "DTSTART:00010101T090000Z\r\nRRULE:FREQ=MINUTELY\r\n",
    ));
    assert!(reasons(&analysis).contains(&Reason::RecurrenceFlood));
}

#[test]
fn ten_thousand_vevents_stop_at_the_component_limit() {
    let mut calendar = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n");
    for n in 0..10_000 {
        calendar.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{n}@example.com\r\nDTSTART:20261121T090000Z\r\n\
             RRULE:FREQ=DAILY;COUNT=5\r\nORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"
        ));
    }
    calendar.push_str("END:VCALENDAR\r\n");
    let analysis = analyse(&calendar);
    assert!(
        reasons(&analysis).contains(&Reason::Oversized),
        "{:?}",
        reasons(&analysis)
    );
}

#[test]
fn ten_thousand_vtimezones_stop_at_the_component_limit() {
    let mut calendar = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n");
    for n in 0..10_000 {
        calendar.push_str(&format!(
            "BEGIN:VTIMEZONE\r\nTZID:Zone{n}\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
             TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n\
             END:STANDARD\r\nEND:VTIMEZONE\r\n"
        ));
    }
    calendar.push_str(
        "BEGIN:VEVENT\r\nUID:z@example.com\r\nDTSTART;TZID=Zone9999:20261121T090000\r\n\
         ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let analysis = analyse(&calendar);
    assert!(
        reasons(&analysis).contains(&Reason::Oversized),
        "{:?}",
        reasons(&analysis)
    );
}

#[test]
fn a_hundred_thousand_attendees_stop_at_the_property_limit() {
    let attendees: String = (0..100_000)
        .map(|n| format!("ATTENDEE:mailto:a{n}@example.org\r\n"))
        .collect();
    let analysis = analyse(&event(&format!("DTSTART:20261121T090000Z\r\n{attendees}")));
    assert!(
        reasons(&analysis).contains(&Reason::Oversized),
        "{:?}",
        reasons(&analysis)
    );
}

#[test]
fn a_hundred_thousand_rdate_values_on_one_line_are_counted_up_to_the_limit() {
    // DATE values keep the line (900 KB) under the object size limit.
    let values: Vec<String> = (0..100_000)
        .map(|n| format!("{}{:02}{:02}", 2027 + n / 336, 1 + n / 28 % 12, 1 + n % 28))
        .collect();
    let analysis = analyse(&event(&format!(
        "DTSTART;VALUE=DATE:20261121\r\nRDATE;VALUE=DATE:{}\r\n",
        values.join(",")
    )));
    let detail = detail_of(&analysis, Reason::Oversized);
    assert!(
        detail.contains("RDATE values"),
        "{:?}: {detail}",
        reasons(&analysis)
    );
}

#[test]
fn thousands_of_rrule_lines_in_one_component_cost_eight_rules() {
    // About 63 KB: each line stays inside every per-rule allowance, and
    // once they multiplied.
    let rules: String = (0..3000)
        .map(|n| {
            format!(
                "RRULE:FREQ=MINUTELY;INTERVAL={};BYSETPOS=2,-1;BYHOUR=1,5\r\n",
                7 + n
            )
        })
        .collect();
    let analysis = analyse(&event(&format!("DTSTART:20261121T090000Z\r\n{rules}")));
    let detail = detail_of(&analysis, Reason::Oversized);
    assert!(detail.contains("RRULE lines"), "{detail}");
}

#[test]
fn a_hundred_components_with_fifty_rules_share_one_budget() {
    let mut calendar = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n");
    for c in 0..100 {
        calendar.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:c{c}@example.com\r\nDTSTART:20261121T090000Z\r\n\
             ORGANIZER:mailto:alice@example.com\r\n"
        ));
        for r in 0..50 {
            calendar.push_str(&format!(
                "RRULE:FREQ=SECONDLY;INTERVAL={};BYSETPOS=3,-2;BYMINUTE=0,30\r\n",
                61 + c * 50 + r
            ));
        }
        calendar.push_str("END:VEVENT\r\n");
    }
    calendar.push_str("END:VCALENDAR\r\n");
    let analysis = analyse(&calendar);
    assert!(
        reasons(&analysis).contains(&Reason::Oversized),
        "{:?}",
        reasons(&analysis)
    );
}
