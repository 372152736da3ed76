//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), one per
//! target, each taking the fuzzer's bytes. None of them panics on any input
//! by design; a panic, a hang or a blow-up in memory is a bug the fuzzer
//! found. Inputs it found are kept in `fuzz/regressions/<target>/` and
//! replayed by the test below, so a plain `cargo test` runs them without a
//! fuzzer.
//!
//! `mailbox` reads the bytes as an mbox file, through the reader `filter`
//! uses. A Maildir has no such target: reading one parses nothing but a
//! directory listing (mail-parser reads Maildir flags from file names,
//! which the filter does not use), and each file is one message, which
//! `engine` covers.

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use chrono::DateTime;

use crate::analysis::Analysis;
use crate::calendar::{parse_calendar, CalendarLimits};
use crate::engine::{CompiledScript, Engine, Envelope, Failure};
use crate::filter::{read_mbox_from, Item, Source};
use crate::headers::authentication_results::parse_authentication_results;
use crate::headers::dkim_signature::parse_dkim_signature;
use crate::headers::msg_id::parse_msg_id_bytes;
use crate::store::DryRunStore;
use crate::validate::{Config, StoreError};

/// The clock every target runs at (2026-11-20T12:00:00Z, that of the
/// fixtures), so that a finding replays the same on another day.
const FIXED_NOW_SECONDS: i64 = 1_795_176_000;

/// Asks for every `imip` item, so that `engine` drives the analysis to its
/// deepest stage and hands each answer back to sieve-rs.
const ALL_ITEMS_SCRIPT: &str = r#"
require ["imip", "variables", "imap4flags", "fileinto", "relational",
         "comparator-i;ascii-numeric"];
if imip :present { addflag "present"; }
if imip :matches :method "*" { addflag "method-${1}"; }
if imip :matches :component "*" { addflag "component-${1}"; }
if imip :matches :uid "*" { addflag "uid-${1}"; }
if imip :matches :organizer "*" { addflag "organizer-${1}"; }
if imip :matches :reason "*" { addflag "reason-${1}"; }
if imip :count "ge" :comparator "i;ascii-numeric" :reason "2" { addflag "reasons"; }
if imip :value "ge" :comparator "i;ascii-numeric" :risk "20" { addflag "risky"; }
if imip :suspicious { fileinto "Junk"; }
"#;

/// The configuration of the targets: the defaults at the fixed clock.
fn fuzz_config() -> Config {
    Config {
        now: DateTime::from_timestamp(FIXED_NOW_SECONDS, 0),
        ..Config::default()
    }
}

fn shared_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new().with_config(fuzz_config()))
}

// The one `expect` outside tests: see the comment at the call.
#[allow(clippy::expect_used)]
fn all_items_script() -> &'static CompiledScript {
    static SCRIPT: OnceLock<CompiledScript> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        // A fixed script of ours, not input: if it stopped compiling, every
        // run of the target would test nothing, so it fails loudly.
        shared_engine()
            .compile(ALL_ITEMS_SCRIPT)
            .expect("the all-items fuzz script compiles")
    })
}

/// For the targets that run the engine: libFuzzer's panic hook aborts on
/// every panic, also on one the engine contains (a dependency's defect,
/// reported as `engine-failed` or a refused script), which would stop the
/// run on a handled input. This hook only prints; a panic that escapes the
/// entry point still aborts, since the harness aborts on an unwinding
/// input. Installed once, on the first call.
pub fn print_contained_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("panic (contained unless the run aborts): {info}");
        }));
    });
}

/// The bytes as Sieve script text (invalid UTF-8 replaced), compiled
/// through the `imip` front-end and sieve-rs.
pub fn script(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let _ = shared_engine().compile(&source);
}

/// The bytes as a raw message, run through a script that asks for every
/// `imip` item. An analysis that panicked is contained by the engine (the
/// message is kept); here it is raised again so the fuzzer sees it.
pub fn engine(data: &[u8]) {
    let envelope = Envelope {
        to: Some("bob@example.org".into()),
        ..Envelope::default()
    };
    let Ok(outcome) = shared_engine().run(all_items_script(), data, &envelope) else {
        return;
    };
    if let Some(failure @ Failure::AnalysisFailed { .. }) = &outcome.failure {
        panic!(
            "the analysis panicked inside the engine: {}",
            failure.kind()
        );
    }
}

/// The separator of the fields `calendar` reads from its input.
const FIELD_SEPARATOR: u8 = b'\n';

/// The fields of the calendar `calendar` assembles, in input order: the
/// property line each fills, and what the line holds when the field is
/// empty or missing. A field of exactly `-` leaves its line out. The text
/// after the last field is appended to the VEVENT as it is.
const CALENDAR_FIELDS: [(&str, &str); 13] = [
    ("RRULE:", "FREQ=DAILY;COUNT=10"),
    ("RDATE", ";TZID=Fuzz/Zone:20261215T090000,20261216T090000"),
    ("EXDATE", ";TZID=Fuzz/Zone:20261203T090000"),
    ("DTSTART", ";TZID=Fuzz/Zone:20261201T090000"),
    ("DURATION:", "PT1H"),
    ("RRULE:", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
    ("DTSTART:", "16010101T030000"),
    ("TZOFFSETFROM:", "+0200"),
    ("TZOFFSETTO:", "+0100"),
    ("RRULE:", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
    ("DTSTART:", "16010101T020000"),
    ("TZOFFSETFROM:", "+0100"),
    ("TZOFFSETTO:", "+0200"),
];

/// Where each field's line goes: indexes into [`CALENDAR_FIELDS`].
const EVENT_FIELDS: [usize; 5] = [3, 4, 0, 1, 2];
const STANDARD_FIELDS: [usize; 4] = [6, 7, 8, 5];
const DAYLIGHT_FIELDS: [usize; 4] = [10, 11, 12, 9];

/// A bare iCalendar REQUEST built around the bytes, so that the recurrence
/// evaluator and the VTIMEZONE handling see them: the input is split on
/// line feeds into the fields of [`CALENDAR_FIELDS`] (the event's RRULE,
/// RDATE, EXDATE, DTSTART and DURATION, then the STANDARD and DAYLIGHT
/// observances' RRULE, DTSTART and offsets), the rest is extra event lines.
/// The bytes are also parsed as they are, as a whole calendar object.
pub fn calendar(data: &[u8]) {
    let text = assemble_calendar(data);
    let _ = Analysis::of_calendar_text(&text, &fuzz_config());
    let _ = parse_calendar(&String::from_utf8_lossy(data), &CalendarLimits::default());
}

fn assemble_calendar(data: &[u8]) -> String {
    let mut pieces = data.splitn(CALENDAR_FIELDS.len().saturating_add(1), |&b| {
        b == FIELD_SEPARATOR
    });
    let fields: Vec<Cow<'_, str>> = (0..CALENDAR_FIELDS.len())
        .map(|_| {
            let piece = pieces.next().unwrap_or_default();
            let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
            String::from_utf8_lossy(piece)
        })
        .collect();
    let rest = pieces
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();

    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sieve-imip//fuzz//EN\r\n\
         METHOD:REQUEST\r\nBEGIN:VTIMEZONE\r\nTZID:Fuzz/Zone\r\n",
    );
    text.push_str("BEGIN:STANDARD\r\n");
    push_lines(&mut text, &fields, &STANDARD_FIELDS);
    text.push_str("END:STANDARD\r\nBEGIN:DAYLIGHT\r\n");
    push_lines(&mut text, &fields, &DAYLIGHT_FIELDS);
    text.push_str(
        "END:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:fuzz@example.com\r\n\
         DTSTAMP:20261120T080000Z\r\nORGANIZER:mailto:alice@example.com\r\n\
         ATTENDEE:mailto:bob@example.org\r\n",
    );
    push_lines(&mut text, &fields, &EVENT_FIELDS);
    text.push_str(&rest);
    if !rest.is_empty() && !rest.ends_with('\n') {
        text.push_str("\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

/// Append the property line of each field of `indexes`: the default for an
/// empty field, nothing for `-`.
fn push_lines(text: &mut String, fields: &[Cow<'_, str>], indexes: &[usize]) {
    for &index in indexes {
        let (Some((name, default)), Some(value)) = (CALENDAR_FIELDS.get(index), fields.get(index))
        else {
            continue;
        };
        let value: &str = match value.as_ref() {
            "-" => continue,
            "" => default,
            given => given,
        };
        text.push_str(name);
        text.push_str(value);
        text.push_str("\r\n");
    }
}

/// The bytes as an mbox file, read by the `filter` command's mbox reader
/// as it reads a file. Nothing may be lost: every `From ` line starts one
/// message, counted from 1 in order, and bytes before the first one that
/// are not all whitespace are listed (as `#0`); a breach panics, so the
/// fuzzer reports it.
pub fn mailbox(data: &[u8]) {
    let mut ordinals = Vec::new();
    let mut held = 0usize;
    let _ = read_mbox_from(Path::new("fuzz.mbox"), data, &mut |item: Item| {
        if let Source::Mbox { ordinal, .. } = item.source {
            ordinals.push(ordinal);
        }
        if let Ok(payload) = &item.payload {
            held = held.saturating_add(payload.bytes().len());
        }
        ControlFlow::Continue(())
    });
    let lines = || data.split_inclusive(|&byte| byte == b'\n');
    let from_lines = lines().filter(|line| line.starts_with(b"From ")).count();
    let before_first: Vec<u8> = lines()
        .take_while(|line| !line.starts_with(b"From "))
        .flatten()
        .copied()
        .collect();
    let listed_before = !before_first.iter().all(u8::is_ascii_whitespace);
    let expected: Vec<u64> = (u64::from(!listed_before)..)
        .take(from_lines.saturating_add(usize::from(listed_before)))
        .collect();
    assert_eq!(
        ordinals, expected,
        "{from_lines} `From ` lines, bytes before them listed: {listed_before}"
    );
    assert!(
        held <= data.len(),
        "the messages hold more bytes than the mbox"
    );
}

/// The bytes as an iCalendar object (invalid UTF-8 replaced), as
/// `processcalendar` reads a message's object and a stored copy: read
/// whole, written back (the writing must read back the same object), and
/// every iTIP method planned with it, as the message against no copy and
/// against itself as the stored copy (each plan's object must read back).
pub fn processcalendar(data: &[u8]) {
    crate::process::exercise(&String::from_utf8_lossy(data));
}

/// The script `calendar_flow` runs: the action with every argument a
/// script can give it, then tests on what it left.
const PROCESS_SCRIPT: &str = r#"
require ["imip", "processcalendar", "variables", "imap4flags", "fileinto"];
processcalendar :addresses ["bob@example.org"]
                :allowpublic :outcome "outcome" :reason "reason";
addflag "${outcome}";
if not string "${reason}" "" { fileinto "Calendar/${outcome}"; }
"#;

/// A store with one empty calendar, `personal`, under a dry run: what the
/// action writes stays in memory, for the run of one input.
struct EmptyCalendar;

impl crate::validate::CalendarLookup for EmptyCalendar {
    fn attendees(&self, _uid: &str) -> Option<Vec<crate::calendar::CalAddress>> {
        None
    }

    fn stored_attendees(&self, _uid: &str) -> Option<Vec<crate::validate::StoredAttendee>> {
        None
    }
}

impl crate::validate::CalendarStore for EmptyCalendar {
    fn find(&self, _uid: &str) -> Result<Option<crate::validate::StoredItem>, StoreError> {
        Ok(None)
    }

    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError> {
        Ok(calendar == "personal")
    }

    fn default_calendar(&self) -> Result<String, StoreError> {
        Ok("personal".to_owned())
    }

    // The dry run above it never hands a write down.
    fn create(
        &self,
        _calendar: &str,
        _uid: &str,
        _text: &str,
    ) -> Result<crate::validate::StoredItem, StoreError> {
        Err(StoreError::Conflict)
    }

    fn update(
        &self,
        _item: &crate::validate::StoredItem,
        _text: &str,
    ) -> Result<crate::validate::StoredItem, StoreError> {
        Err(StoreError::Conflict)
    }

    fn delete(&self, _item: &crate::validate::StoredItem) -> Result<(), StoreError> {
        Err(StoreError::Conflict)
    }
}

/// The bytes as a raw message delivered three times, on one store, to a
/// script with `processcalendar` (the gate opened, so that every method
/// reaches the store): for bob (an invitation is added), for bob again (the
/// same message is now an update or a repeat), and for alice (a REPLY to
/// the event she organizes). The store is a dry run over an empty
/// calendar, fresh for each input. The action's outcome must be in the
/// outcome, and a contained panic of the processing is raised again.
pub fn calendar_flow(data: &[u8]) {
    let _ = calendar_flow_outcomes(data);
}

/// [`calendar_flow`], giving the outcome of each action run, in order.
fn calendar_flow_outcomes(data: &[u8]) -> Vec<&'static str> {
    let mut outcomes = Vec::new();
    let store: Arc<dyn crate::validate::CalendarStore> = Arc::new(DryRunStore::new(
        Arc::new(EmptyCalendar),
        &CalendarLimits::default(),
    ));
    let mut config = fuzz_config();
    config.processing.act_on_suspicious = true;
    config.processing.act_on_unverified_sender = true;
    config.lookup = Some(store.clone());
    config.store = Some(store);
    let engine = Engine::new().with_config(config);
    let Ok(script) = engine.compile(PROCESS_SCRIPT) else {
        // A fixed script of ours: not compiling is a defect, shown as one.
        panic!("the processcalendar fuzz script does not compile");
    };
    for recipient in ["bob@example.org", "bob@example.org", "alice@example.com"] {
        let envelope = Envelope {
            to: Some(recipient.into()),
            ..Envelope::default()
        };
        let Ok(outcome) = engine.run(&script, data, &envelope) else {
            return outcomes;
        };
        if let Some(failure @ Failure::AnalysisFailed { .. }) = &outcome.failure {
            panic!(
                "the analysis panicked inside the engine: {}",
                failure.kind()
            );
        }
        for done in &outcome.calendar {
            outcomes.push(done.outcome.as_str());
            if done
                .reason
                .as_deref()
                .is_some_and(|reason| reason.contains("a defect, contained"))
            {
                panic!("processcalendar panicked inside the engine");
            }
        }
    }
    outcomes
}

/// The bytes as a `Message-ID`-style header field value.
pub fn msg_id(data: &[u8]) {
    let _ = parse_msg_id_bytes(data);
}

/// The bytes as an `Authentication-Results` header field value (invalid
/// UTF-8 replaced, as the message reader hands it over).
pub fn authentication_results(data: &[u8]) {
    let _ = parse_authentication_results(&String::from_utf8_lossy(data));
}

/// The bytes as a `DKIM-Signature` header field value (invalid UTF-8
/// replaced).
pub fn dkim_signature(data: &[u8]) {
    let _ = parse_dkim_signature(&String::from_utf8_lossy(data));
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;

    /// A target's entry point.
    type Target = fn(&[u8]);

    /// Every target, by the name of its folder under `fuzz/regressions/`.
    const TARGETS: [(&str, Target); 9] = [
        ("script", script),
        ("engine", engine),
        ("mailbox", mailbox),
        ("calendar", calendar),
        ("processcalendar", processcalendar),
        ("calendar_flow", calendar_flow),
        ("msg_id", msg_id),
        ("authentication_results", authentication_results),
        ("dkim_signature", dkim_signature),
    ];

    #[test]
    fn fuzz_regressions_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let dir = root.join(name);
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file())
                .collect();
            paths.sort();
            for path in paths {
                let data =
                    fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                eprintln!("replaying {}", path.display());
                target(&data);
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no inputs under {}", root.display());
    }

    #[test]
    fn calendar_flow_reaches_the_store() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let read = |name: &str| fs::read(root.join(name)).unwrap_or_default();
        // Added for bob, then already stored; alice does not organize it.
        assert_eq!(
            calendar_flow_outcomes(&read("invitation-outlook.eml")),
            ["added", "no_action", "no_action"]
        );
        // A REPLY: not bob's to apply, and nothing stored for alice.
        assert_eq!(
            calendar_flow_outcomes(&read("reply-thunderbird.eml")),
            ["no_action", "no_action", "no_action"]
        );
    }

    #[test]
    fn empty_calendar_input_is_the_template() {
        let text = assemble_calendar(b"");
        let analysis = Analysis::of_calendar_text(&text, &fuzz_config());
        assert_eq!(analysis.method(), Some("REQUEST"));
        assert!(text.contains("RRULE:FREQ=DAILY;COUNT=10\r\n"), "{text}");
        assert!(text.contains("TZOFFSETTO:+0100\r\n"), "{text}");
    }

    #[test]
    fn calendar_rrule_field_reaches_the_evaluator() {
        let text = assemble_calendar(b"FREQ=MINUTELY;COUNT=4294967295");
        let analysis = Analysis::of_calendar_text(&text, &fuzz_config());
        let reasons: Vec<&str> = analysis
            .findings()
            .iter()
            .map(|finding| finding.reason.as_str())
            .collect();
        assert!(reasons.contains(&"recurrence-flood"), "{reasons:?}\n{text}");
    }

    #[test]
    fn calendar_fields_land_in_their_lines() {
        let text = assemble_calendar(b"FREQ=HOURLY\n-\n\n\n\n\n\n\n\n\n\n\n\nX-EXTRA:1");
        assert!(text.contains("RRULE:FREQ=HOURLY\r\n"), "{text}");
        assert!(!text.contains("RDATE"), "{text}");
        assert!(text.contains("X-EXTRA:1\r\nEND:VEVENT"), "{text}");
    }

    #[test]
    fn mailbox_accepts_what_the_reader_does() {
        for data in [
            &b""[..],
            b"  \n\n",
            b"no From line at all\n",
            b"From a@example.com Fri Nov 20 08:00:00 2026\nSubject: x\n\n>From quoted\n",
            b"junk\nFrom a\nFrom b\r\n\r\nFrom ",
            b"From a@example.com Thu Feb 31 99:99:99 65535\n",
        ] {
            mailbox(data);
        }
    }

    #[test]
    fn processcalendar_takes_the_fixture_objects() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calendar");
        let Ok(entries) = fs::read_dir(&root) else {
            panic!("{} is missing", root.display());
        };
        let mut read = 0;
        for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
            if path.extension().is_some_and(|ext| ext == "ics") {
                let data = fs::read(&path).unwrap_or_default();
                processcalendar(&data);
                read += 1;
            }
        }
        assert!(read > 0);
        for data in [
            &b""[..],
            b"BEGIN:VCALENDAR\r\n",
            b"\xff\xfe",
            b"BEGIN:VCALENDAR\nEND:VCALENDAR",
        ] {
            processcalendar(data);
        }
    }

    #[test]
    fn all_items_script_compiles() {
        let _ = all_items_script();
    }
}
