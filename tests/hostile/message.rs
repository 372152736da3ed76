//! Hostile mail: each message runs through the script asking for every
//! `imip` item (so the whole analysis runs), or through `addheader`.
//!
//! The bounds are the crate's: the MIME walk follows at most 32 levels and
//! 100,000 entities (`message/walk.rs`), a calendar object is parsed only
//! up to `calendar_limits.max_bytes` (1 MiB by default), and what is left
//! out is an `oversized` finding, never a silent cut.

use sieve_imip::{Action, Envelope, Failure, HeaderField, Reason};

use crate::support::*;

/// A multipart/mixed message with `body` between its header and the end.
fn multipart(boundary: &str, body: &str) -> Vec<u8> {
    format!(
        "{ENVELOPE_HEADERS}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n{body}"
    )
    .into_bytes()
}

fn calendar_part(boundary: &str) -> String {
    format!(
        "--{boundary}\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n{}\r\n",
        request_calendar()
    )
}

#[test]
fn mime_nested_200_levels_deep_is_oversized_not_followed() {
    let depth = 200;
    let mut body = String::new();
    for level in 0..depth {
        body.push_str(&format!(
            "--b{level}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
            level + 1
        ));
    }
    body.push_str(&calendar_part(&format!("b{depth}")));
    for level in (0..=depth).rev() {
        body.push_str(&format!("--b{level}--\r\n"));
    }
    let outcome = run_every_item(&multipart("b0", &body));
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    // The calendar 200 levels down is not reached: the walk stops at 32
    // levels and says so, which fails closed.
    assert!(!analysis_of(&outcome).is_imip());
    assert_eq!(reasons(&outcome), [Reason::Oversized]);
    assert_eq!(folders(&outcome), ["Oversized"]);
}

#[test]
fn a_hundred_thousand_empty_parts_are_oversized() {
    let mut body = "--b\r\n\r\n".repeat(100_000);
    body.push_str(&calendar_part("b"));
    body.push_str("--b--\r\n");
    let outcome = run_every_item(&multipart("b", &body));
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    // The walk's entity budget (100,000) runs out before the calendar, the
    // 100,001st part.
    let analysis = analysis_of(&outcome);
    assert!(!analysis.is_imip());
    let findings = analysis.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].reason, Reason::Oversized);
    assert!(findings[0].detail.contains("part 100001"), "{findings:?}");
}

#[test]
fn boundaries_that_are_prefixes_of_each_other_split_as_rfc_2046_says() {
    // A delimiter line is the boundary and nothing else (RFC 2046 5.1.1),
    // so "--=" does not end a part delimited by "--==", nor the reverse.
    for (outer, inner) in [("=", "=="), ("==", "=")] {
        let body = format!(
            "--{outer}\r\nContent-Type: multipart/alternative; boundary=\"{inner}\"\r\n\r\n\
             --{inner}\r\nContent-Type: text/plain\r\n\r\nSee the invitation.\r\n\
             {}--{inner}--\r\n--{outer}--\r\n",
            calendar_part(inner)
        );
        let outcome = run_every_item(&multipart(outer, &body));
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        let analysis = analysis_of(&outcome);
        assert!(analysis.is_imip(), "outer {outer:?}, inner {inner:?}");
        assert_eq!(analysis.method(), Some("REQUEST"));
        assert_eq!(reasons(&outcome), []);
        assert_eq!(folders(&outcome), ["Calendar/REQUEST"]);
    }
}

#[test]
fn a_10_mb_header_line_does_not_hide_the_calendar() {
    let extra = format!("X-Junk: {}\r\n", "a".repeat(10 << 20));
    let outcome = run_every_item(&request_message(&extra));
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert_eq!(analysis_of(&outcome).method(), Some("REQUEST"));
    assert_eq!(reasons(&outcome), []);
}

/// RFC 4648 base64 of `bytes`, without line breaks.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |at: usize| u32::from(chunk.get(at).copied().unwrap_or(0));
        let triple = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for sextet in 0..4 {
            if sextet <= chunk.len() {
                let index = (triple >> (18 - 6 * sextet)) & 63;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_50_mb_base64_calendar_is_reported_oversized_not_truncated() {
    // (The slowest case in a debug build, about 2 s: mail-parser decodes
    // the 50 MB and the METHOD is found by a line scan of 37 MB.)
    let calendar = request_calendar();
    let (head, tail) = calendar.split_at(calendar.find("BEGIN:VEVENT").expect("a VEVENT"));
    // The head is padded to whole base64 quanta so that the 57-byte
    // padding lines encode to the same 76 characters each time.
    let mut head = head.replace(
        "PRODID:-//Example//Hostile//EN",
        "PRODID:-//Example//Hostile//EN/",
    );
    while head.len() % 3 != 0 {
        head = head.replace("EN/", "EN//");
    }
    let padding_line = format!("X-PAD:{}\r\n", "p".repeat(49));
    assert_eq!(padding_line.len(), 57);
    let padding_lines = (37 << 20) / 57;
    let encoded_padding = format!("{}\r\n", base64(padding_line.as_bytes())).repeat(padding_lines);
    let message = format!(
        "{ENVELOPE_HEADERS}Content-Type: text/calendar; method=REQUEST\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n{encoded_padding}{}\r\n",
        base64(head.as_bytes()),
        base64(tail.as_bytes())
    );
    assert!(message.len() > 50 << 20);
    let outcome = run_every_item(message.as_bytes());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let analysis = analysis_of(&outcome);
    // Still recognised (METHOD by a line scan), and the size is a finding:
    // the object is not parsed, nor parsed cut at the limit.
    assert!(analysis.is_imip());
    assert_eq!(analysis.method(), Some("REQUEST"));
    let findings = analysis.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].reason, Reason::Oversized);
    assert!(
        findings[0]
            .detail
            .contains("over the limit of 1048576 bytes"),
        "{}",
        findings[0].detail
    );
    assert_eq!(folders(&outcome), ["Oversized"]);
}

#[test]
fn invalid_utf8_and_mixed_charsets_in_every_field_end_in_findings() {
    let mut message: Vec<u8> = Vec::new();
    message.extend_from_slice(b"From: =?iso-8859-1?Q?Al=E9ce?= <alice@example.com\xff>\r\n");
    message.extend_from_slice(b"To: =?utf-8?B?Ym9i/w==?= <bob@example.org>\r\n");
    message.extend_from_slice(b"Subject: \xc3\x28 =?koi8-r?B?8fHx?= \xe2\x82\r\n");
    message.extend_from_slice(b"Date: Fri, 20 Nov 2026 08:00:00 +0000\xff\r\n");
    message.extend_from_slice(b"iMIP-Content-ID: <\xff\xfe@example.com>\r\n");
    message.extend_from_slice(b"MIME-Version: 1.0\r\n");
    message.extend_from_slice(b"Content-Type: multipart/mixed; boundary=\"b\xff\"\r\n\r\n");
    message.extend_from_slice(
        b"--b\xff\r\nContent-Type: text/plain; charset=\"utf-7\"\r\n\r\n+AGEAYgBj-\xff\r\n",
    );
    message.extend_from_slice(
        b"--b\xff\r\nContent-Type: text/calendar; method=REQ\xffUEST; charset=iso-2022-jp\r\n\
          iMIP-Content-ID: <\xff\xfe@example.com>\r\n\r\n",
    );
    let calendar = request_calendar()
        .replace(
            "ORGANIZER:mailto:alice@example.com",
            "ORGANIZER;CN=\u{0}:mailto:alice@exa\u{7f}mple.com",
        )
        .replace("UID:hostile-1@example.com", "UID:\u{1b}$B$3$s\u{1b}(B");
    message.extend_from_slice(calendar.as_bytes());
    message.extend_from_slice(b"X-BAD:\xff\xfe\xc3\r\n\r\n--b\xff--\r\n");

    let outcome = run_every_item(&message);
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let analysis = analysis_of(&outcome);
    assert!(analysis.is_imip());
    assert_eq!(analysis.method(), Some("REQUEST"));
    // mail-parser does not split on a boundary with an invalid byte, so
    // the part is read whole: its MIME lines are malformed content, the
    // damaged ORGANIZER is not the sender; together suspicious.
    let found = reasons(&outcome);
    for expected in [Reason::Malformed, Reason::OrganizerMismatch] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    assert!(analysis.is_suspicious());
    assert_eq!(folders(&outcome), ["Junk"]);
}

#[test]
fn unterminated_quoted_printable_is_malformed() {
    // A soft line break at the very end ("=") and a cut escape ("=4").
    let calendar = request_calendar().replace("\r\nEND:VCALENDAR\r\n", "\r\nEND:VCALENDAR=");
    let message = format!(
        "{ENVELOPE_HEADERS}Content-Type: text/calendar; method=REQUEST\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n{calendar}=4"
    );
    let outcome = run_every_item(message.as_bytes());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let analysis = analysis_of(&outcome);
    assert_eq!(analysis.method(), Some("REQUEST"));
    assert_eq!(reasons(&outcome), [Reason::Malformed, Reason::Malformed]);
    let details: Vec<&str> = analysis
        .findings()
        .iter()
        .map(|finding| finding.detail.as_str())
        .collect();
    assert!(details[0].contains("never closed"), "{details:?}");
}

#[test]
fn imip_content_id_repeated_a_thousand_times() {
    let headers: String = (0..1000)
        .map(|n| format!("iMIP-Content-ID: <id-{n}@example.com>\r\n"))
        .collect();
    let body = format!(
        "--b\r\nContent-Type: text/plain\r\n{headers}\r\nhello\r\n\
         --b\r\nContent-Type: text/calendar; method=REQUEST\r\n{headers}\r\n{}\r\n--b--\r\n",
        request_calendar()
    );
    let message = format!(
        "{ENVELOPE_HEADERS}{headers}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n{body}"
    );
    let outcome = run_every_item(message.as_bytes());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let analysis = analysis_of(&outcome);
    // The first top-level field decides (rule 1); only the calendar part
    // is iCalendar data, so it is the one, and the header is unsigned.
    assert!(analysis.is_imip());
    assert_eq!(analysis.method(), Some("REQUEST"));
    assert_eq!(reasons(&outcome), [Reason::ImipHeaderUnsigned]);
}

#[test]
fn a_message_that_is_only_a_header() {
    // No blank line, no body: a text/calendar message with an empty object.
    let outcome = run_every_item(
        b"From: alice@example.com\r\nTo: bob@example.org\r\n\
          Content-Type: text/calendar; method=REQUEST\r\n",
    );
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let analysis = analysis_of(&outcome);
    assert!(analysis.is_imip());
    assert_eq!(analysis.method(), Some("REQUEST"));
    assert_eq!(reasons(&outcome), [Reason::Malformed, Reason::Malformed]);

    // Without even the last line break, mail-parser drops the unfinished
    // field, for sieve-rs's own tests as for the analysis: both see a
    // message without a Content-Type.
    let engine = engine();
    let script = compile(
        &engine,
        "require [\"imip\", \"fileinto\"];\n\
         if header :contains \"content-type\" \"calendar\" { fileinto \"Header\"; }\n\
         if imip :present { fileinto \"Imip\"; }",
    );
    let outcome = engine
        .run(
            &script,
            b"From: alice@example.com\r\nContent-Type: text/calendar; method=REQUEST",
            &Envelope::default(),
        )
        .expect("a valid envelope");
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert!(!analysis_of(&outcome).is_imip());
    assert!(
        matches!(&outcome.actions[..], [Action::Keep { .. }]),
        "{:?}",
        outcome.actions
    );

    // Bytes with no header field at all are no mail: a clear failure; the
    // script still runs and `imip :suspicious` fails closed, so the
    // quarantine rule files it (nothing lost).
    let outcome = run_every_item(b"\x00\x01 not a header");
    assert!(
        matches!(outcome.failure, Some(Failure::UnparsableMessage { .. })),
        "{:?}",
        outcome.failure
    );
    assert!(
        matches!(&outcome.actions[..], [Action::FileInto { folder, .. }] if folder == "Junk"),
        "{:?}",
        outcome.actions
    );
}

#[test]
fn addheader_on_50000_header_fields_is_one_edit() {
    // The edit used to be matched against the original fields by scanning
    // and removing at the front of a list: seconds for this message. It is
    // one hash look-up per field now.
    let fields: String = (0..50_000).map(|n| format!("X-{}: v\r\n", n % 7)).collect();
    let message = format!("{ENVELOPE_HEADERS}{fields}\r\nbody\r\n");
    let engine = engine();
    let script = compile(
        &engine,
        "require \"editheader\";\naddheader \"X-Added\" \"1\";\n",
    );
    let outcome = engine
        .run(&script, message.as_bytes(), &Envelope::default())
        .expect("a valid envelope");
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let edit = outcome
        .actions
        .iter()
        .find_map(|action| match action {
            Action::EditHeader { added, deleted } => Some((added, deleted)),
            _ => None,
        })
        .expect("a header edit");
    assert_eq!(
        edit.0,
        &[HeaderField {
            name: "X-Added".to_owned(),
            value: "1".to_owned()
        }]
    );
    assert!(edit.1.is_empty(), "{} deleted", edit.1.len());
    assert!(outcome.is_kept());
}
