//! What the hostile cases share: an engine on a fixed clock, the script
//! that asks for every `imip` item, and message builders.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use sieve_imip::{Analysis, CompiledScript, Config, Engine, Envelope, Outcome, Reason};

/// The engine every case runs on: default limits, the clock the fixtures
/// use.
pub fn engine() -> Engine {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("a valid date");
    Engine::new().with_config(Config::builder().now(now).build())
}

/// Asks for every item, so the whole analysis runs.
pub const EVERY_ITEM: &str = r#"require ["imip", "fileinto", "relational", "variables"];
if imip :present { set "present" "1"; }
if imip :matches :uid "*" { set "uid" "${1}"; }
if imip :count "ge" :reason "0" { set "counted" "1"; }
if imip :value "ge" :comparator "i;ascii-numeric" :risk "0" { set "risk" "1"; }
if imip :reason "oversized" { fileinto "Oversized"; stop; }
if imip :suspicious { fileinto "Junk"; stop; }
if imip :matches :method "*" { fileinto "Calendar/${1}"; }
"#;

pub fn compile(engine: &Engine, source: &str) -> CompiledScript {
    engine
        .compile(source)
        .unwrap_or_else(|error| panic!("{error}\n{source}"))
}

/// Runs [`EVERY_ITEM`] on `message`.
pub fn run_every_item(message: &[u8]) -> Outcome {
    let engine = engine();
    let script = compile(&engine, EVERY_ITEM);
    engine
        .run(&script, message, &Envelope::default())
        .expect("a valid envelope")
}

/// The analysis an [`EVERY_ITEM`] run answered from.
pub fn analysis_of(outcome: &Outcome) -> &Analysis {
    outcome
        .analysis
        .as_ref()
        .unwrap_or_else(|| panic!("no analysis: {outcome:?}"))
}

/// The finding reasons, in validation order.
pub fn reasons(outcome: &Outcome) -> Vec<Reason> {
    analysis_of(outcome)
        .findings()
        .iter()
        .map(|finding| finding.reason)
        .collect()
}

/// The folders the outcome files into.
pub fn folders(outcome: &Outcome) -> Vec<String> {
    outcome
        .actions
        .iter()
        .filter_map(|action| match action {
            sieve_imip::Action::FileInto { folder, .. } => Some(folder.clone()),
            _ => None,
        })
        .collect()
}

/// A valid REQUEST from alice to bob, as iCalendar text.
pub fn request_calendar() -> String {
    "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example//Hostile//EN\r\n\
METHOD:REQUEST\r\n\
BEGIN:VEVENT\r\n\
UID:hostile-1@example.com\r\n\
DTSTAMP:20261120T080000Z\r\n\
DTSTART:20261201T120000Z\r\n\
DTEND:20261201T130000Z\r\n\
ORGANIZER:mailto:alice@example.com\r\n\
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n"
        .to_owned()
}

/// The top-level header fields of a message from alice to bob.
pub const ENVELOPE_HEADERS: &str = "From: alice@example.com\r\n\
To: bob@example.org\r\n\
Subject: Hostile\r\n\
Date: Fri, 20 Nov 2026 08:00:00 +0000\r\n\
Message-ID: <hostile@example.com>\r\n\
MIME-Version: 1.0\r\n";

/// A single-part REQUEST message with `extra` header fields (each ending
/// in CRLF) before its Content-Type.
pub fn request_message(extra: &str) -> Vec<u8> {
    format!(
        "{ENVELOPE_HEADERS}{extra}Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n{}",
        request_calendar()
    )
    .into_bytes()
}
