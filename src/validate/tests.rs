//! Validation steps 3, 4, 5 and 7: one test per scenario of the CalConnect
//! "iMIP and Security issues" paper (forwarding, delegation, party crashing,
//! acting on behalf of, cross-domain SENT-BY), ordinary producer mail that
//! must stay clean, the trust rules for Authentication-Results, the risk
//! score and the configuration.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::calendar::{parse_calendar, CalAddress, CalendarLimits, CalendarObject};
use crate::finding::{Finding, Reason};
use crate::message::{Located, LocatedBy, LocatedObject};
use crate::validate::{
    self, is_suspicious, score, AuthResultsEntry, CalendarLookup, Config, ConfigError,
    DirectoryLookup, SchedulingRelays, StoredAttendee, Validation, ValidationInput,
};
use mail_parser::{MessageParser, MimeHeaders};

// ---------------------------------------------------------------------------
// Helpers

/// A lookup answering from a fixed table, standing in for the organizer's
/// calendar store.
struct StoredCopies(HashMap<String, Vec<CalAddress>>);

impl StoredCopies {
    fn with(uid: &str, attendees: &[&str]) -> Arc<StoredCopies> {
        let addresses = attendees
            .iter()
            .filter_map(|address| CalAddress::parse(address))
            .collect();
        Arc::new(StoredCopies(HashMap::from([(uid.to_owned(), addresses)])))
    }
}

impl CalendarLookup for StoredCopies {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.0.get(uid).cloned()
    }
}

/// One VEVENT with the given people lines, in a VCALENDAR with `method`.
fn calendar(method: &str, uid: &str, people: &[&str]) -> String {
    let mut text = format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Example Corp//Scheduler 3.1//EN\r\nVERSION:2.0\r\nMETHOD:{method}\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250110T090000Z\r\nDTSTART:20250120T140000Z\r\n\
         DTEND:20250120T150000Z\r\nSUMMARY:Budget review\r\nSEQUENCE:0\r\n"
    );
    for line in people {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

/// A single-part iMIP message: `headers` (one field per entry, folded lines
/// allowed) above a text/calendar body.
fn message(headers: &[&str], method: &str, calendar: &str) -> String {
    let mut raw = String::new();
    for header in headers {
        raw.push_str(header);
        raw.push_str("\r\n");
    }
    raw.push_str(&format!(
        "Subject: Budget review\r\nDate: Fri, 10 Jan 2025 09:00:00 +0000\r\n\
         Message-ID: <budget-review-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n{calendar}"
    ));
    raw
}

/// The first text/calendar or application/ics part's text: a stand-in for
/// the locate step, enough for messages whose calendar is not ambiguous.
fn calendar_text(message: &mail_parser::Message<'_>) -> Option<String> {
    message.parts.iter().find_map(|part| {
        let content_type = part.content_type()?;
        let subtype = content_type.subtype()?;
        let is_calendar = (content_type.ctype().eq_ignore_ascii_case("text")
            && subtype.eq_ignore_ascii_case("calendar"))
            || (content_type.ctype().eq_ignore_ascii_case("application")
                && subtype.eq_ignore_ascii_case("ics"));
        is_calendar.then(|| String::from_utf8_lossy(part.contents()).into_owned())
    })
}

/// The located object for a calendar: a stand-in for the locate step,
/// located by the top-level header or by structure, with `method` as the
/// effective METHOD when given (else the object's own).
fn located(text: &str, calendar: &CalendarObject, method: Option<&str>, top: bool) -> Located {
    Located {
        object: Some(LocatedObject {
            located_by: if top {
                LocatedBy::ImipContentIdTop
            } else {
                LocatedBy::Structure
            },
            part: "1".into(),
            part_id: 0,
            text: text.to_owned(),
            method: method.map(str::to_owned),
            parameter_method: None,
            object_method: calendar.method.clone(),
            uid: None,
        }),
        ..Located::default()
    }
}

struct Run<'c> {
    config: &'c Config,
    envelope_recipient: Option<&'c str>,
    top_level_imip_content_id: bool,
}

impl<'c> Run<'c> {
    fn new(config: &'c Config) -> Run<'c> {
        Run {
            config,
            envelope_recipient: None,
            top_level_imip_content_id: false,
        }
    }

    fn to(mut self, envelope_recipient: &'c str) -> Run<'c> {
        self.envelope_recipient = Some(envelope_recipient);
        self
    }

    fn top_level_imip_content_id(mut self) -> Run<'c> {
        self.top_level_imip_content_id = true;
        self
    }

    fn on(&self, raw: &str) -> Validation {
        let message = MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap_or_else(|| panic!("mail-parser rejected the message"));
        let text = calendar_text(&message).unwrap_or_else(|| panic!("no calendar part"));
        let calendar = parse_calendar(&text, &self.config.calendar_limits);
        assert!(
            calendar.findings.is_empty(),
            "test calendars are well formed: {:?}",
            calendar.findings
        );
        let located = located(&text, &calendar, None, self.top_level_imip_content_id);
        let input = ValidationInput {
            message: Some(&message),
            located: &located,
            calendar: Some(&calendar),
            envelope_recipient: self.envelope_recipient,
        };
        validate::run(&input, self.config)
    }
}

fn reasons(validation: &Validation) -> Vec<&'static str> {
    validation
        .findings
        .iter()
        .map(|finding| finding.reason.as_str())
        .collect()
}

fn detail(validation: &Validation, reason: Reason) -> &str {
    validation
        .findings
        .iter()
        .find(|finding| finding.reason == reason)
        .map(|finding| finding.detail.as_str())
        .unwrap_or_else(|| panic!("no {reason} finding in {:?}", validation.findings))
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/validation")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn trusting(authserv_id: &str) -> Config {
    Config::builder().trust_authserv_id(authserv_id).build()
}

/// Trusting `authserv_id`, and flagging mail that nothing it reports
/// authenticates.
fn flagging(authserv_id: &str) -> Config {
    Config::builder()
        .trust_authserv_id(authserv_id)
        .flag_unauthenticated(true)
        .build()
}

/// The organizer's stored copy of `uid` lists `attendees`.
fn storing(uid: &str, attendees: &[&str]) -> Config {
    Config::builder()
        .lookup(StoredCopies::with(uid, attendees))
        .build()
}

const ORGANIZER: &str = "ORGANIZER;CN=Alice Martin:mailto:alice@example.com";
const BOB: &str = "ATTENDEE;CN=Bob Durand;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org";
const CAROL: &str =
    "ATTENDEE;CN=Carol Chen;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.net";

// ---------------------------------------------------------------------------
// Forwarding

/// A REQUEST passed on unchanged (a redirect, an alias, a colleague's
/// "forward as attachment" re-sent): From is still the organizer, but the
/// recipient is not on the guest list.
#[test]
fn forwarded_request_is_not_invited() {
    let raw = message(
        &[
            "From: Alice Martin <alice@example.com>",
            "To: bob@example.org",
        ],
        "REQUEST",
        &calendar("REQUEST", "fwd-1@example.com", &[ORGANIZER, BOB]),
    );
    let config = Config::default();
    let validation = Run::new(&config).to("dave@example.org").on(&raw);
    assert_eq!(reasons(&validation), ["not-invited"]);
    let detail = detail(&validation, Reason::NotInvited);
    assert!(detail.contains("dave@example.org"), "{detail}");
    assert!(detail.contains("From alice@example.com"), "{detail}");

    // The same message to the invited attendee is clean.
    let validation = Run::new(&config).to("Bob@Example.ORG").on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// An attendee's client forwards the REQUEST as is: the From is the
/// attendee, not the organizer, and the new recipient is not invited.
#[test]
fn request_forwarded_by_an_attendee() {
    let raw = message(
        &["From: Bob Durand <bob@example.org>", "To: dave@example.org"],
        "REQUEST",
        &calendar("REQUEST", "fwd-2@example.com", &[ORGANIZER, BOB]),
    );
    let config = Config::builder().recipient("dave@example.org").build();
    let validation = Run::new(&config).on(&raw);
    assert_eq!(reasons(&validation), ["organizer-mismatch", "not-invited"]);
    assert_eq!(
        detail(&validation, Reason::OrganizerMismatch),
        "METHOD:REQUEST sent From bob@example.org, who is not the ORGANIZER alice@example.com \
         (no SENT-BY names anyone acting for it) (VEVENT UID fwd-2@example.com)"
    );
}

/// The paper's forwarder who rewrote From to the organizer: the organizer's
/// domain signature no longer verifies, and the receiving server we trust
/// says so.
#[test]
fn forwarder_rewrote_from_to_the_organizer() {
    let raw = message(
        &[
            "Authentication-Results: mx.example.org;\r\n\tdkim=fail (body hash did not verify) header.d=example.com header.s=s1 header.b=Zm9yZ2VkU2ln;\r\n\tspf=fail smtp.mailfrom=alice@example.com;\r\n\tdmarc=fail (p=none dis=none) header.from=example.com",
            "Received: from relay.forwarder.example (relay.forwarder.example [192.0.2.80])\r\n\tby mx.example.org with ESMTPS; Fri, 10 Jan 2025 09:00:05 +0000",
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from:to:subject:date;\r\n\tbh=YWJj; b=Zm9yZ2VkU2lnbmF0dXJlVmFsdWU=",
            "From: Alice Martin <alice@example.com>",
            "To: dave@example.org",
        ],
        "REQUEST",
        &calendar("REQUEST", "fwd-3@example.com", &[ORGANIZER, BOB]),
    );
    let config = trusting("mx.example.org");
    let validation = Run::new(&config).to("dave@example.org").on(&raw);
    assert_eq!(
        reasons(&validation),
        ["unauthenticated-sender", "not-invited"]
    );
    assert_eq!(
        detail(&validation, Reason::UnauthenticatedSender),
        "the trusted mx.example.org reports no DKIM or DMARC pass for the From domain example.com, \
         and a failure (it reports dkim=fail (header.d=example.com), spf=fail (smtp.mailfrom=alice@example.com), \
         dmarc=fail (header.from=example.com))"
    );

    // Without a trusted server, nothing says the signature failed.
    let validation = Run::new(&Config::default()).to("dave@example.org").on(&raw);
    assert_eq!(reasons(&validation), ["not-invited"]);
}

// ---------------------------------------------------------------------------
// Delegation

const DELEGATOR: &str =
    "ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO=\"mailto:dave@example.org\":mailto:bob@example.org";
const DELEGATE: &str = "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:dave@example.org";

/// RFC 5546 section 3.2.2.3: the delegator sends the REQUEST on to the
/// delegate with both sides of the delegation. Not an organizer mismatch,
/// and the delegate is an attendee.
#[test]
fn confirmed_delegation_is_clean() {
    let raw = message(
        &["From: Bob Durand <bob@example.org>", "To: dave@example.org"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "deleg-1@example.com",
            &[ORGANIZER, DELEGATOR, DELEGATE],
        ),
    );
    let config = Config::default();
    let validation = Run::new(&config).to("dave@example.org").on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    // The delegator's REPLY to the organizer, whose stored copy lists Bob.
    let reply = message(
        &[
            "From: Bob Durand <bob@example.org>",
            "To: alice@example.com",
        ],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-1@example.com",
            &[ORGANIZER, DELEGATOR, DELEGATE],
        ),
    );
    let config = storing(
        "deleg-1@example.com",
        &["bob@example.org", "carol@example.net"],
    );
    let validation = Run::new(&config).to("alice@example.com").on(&reply);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// A delegate claims DELEGATED-FROM a colleague who is not in the object to
/// confirm it: the delegation cannot be verified.
#[test]
fn unconfirmed_delegation() {
    let reply = message(
        &["From: dave@example.org", "To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-2@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:dave@example.org",
            ],
        ),
    );
    let config = Config::default();
    let validation = Run::new(&config).on(&reply);
    assert_eq!(reasons(&validation), ["delegation-unverified"]);
    assert_eq!(
        detail(&validation, Reason::DelegationUnverified),
        "ATTENDEE dave@example.org has DELEGATED-FROM=bob@example.org, but bob@example.org is not \
         an ATTENDEE of the object to confirm it (VEVENT UID deleg-2@example.com)"
    );

    // The delegator is present but does not name the delegate.
    let half = message(
        &["From: dave@example.org"],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-3@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
                "ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:dave@example.org",
            ],
        ),
    );
    let validation = Run::new(&config).on(&half);
    assert_eq!(reasons(&validation), ["delegation-unverified"]);
    assert!(detail(&validation, Reason::DelegationUnverified)
        .contains("the DELEGATED-TO of bob@example.org does not name dave@example.org"));
}

/// Both sides agree in the object, but the organizer's stored copy never
/// listed the delegator: someone who was not invited "delegated". That is
/// also a party crash, since the reply comes from that uninvited delegator.
#[test]
fn delegation_contradicted_by_the_stored_copy() {
    let reply = message(
        &[
            "From: Bob Durand <bob@example.org>",
            "To: alice@example.com",
        ],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-4@example.com",
            &[ORGANIZER, DELEGATOR, DELEGATE],
        ),
    );
    let config = storing("deleg-4@example.com", &["carol@example.net"]);
    let validation = Run::new(&config).on(&reply);
    assert_eq!(
        reasons(&validation),
        ["party-crash", "delegation-unverified"]
    );
    assert_eq!(
        detail(&validation, Reason::DelegationUnverified),
        "bob@example.org is said to have delegated to dave@example.org, but the organizer's stored \
         copy of VEVENT UID deleg-4@example.com does not list bob@example.org as an attendee"
    );
}

/// A lookup that also keeps what the stored copy says of delegations.
struct StoredDelegations(Vec<StoredAttendee>);

impl StoredDelegations {
    /// The stored copy of `deleg-5@example.com`: `(address, PARTSTAT,
    /// DELEGATED-TO)` per attendee.
    fn with(attendees: &[(&str, &str, &[&str])]) -> Arc<StoredDelegations> {
        let address =
            |text: &str| CalAddress::parse(text).unwrap_or_else(|| panic!("bad address {text}"));
        Arc::new(StoredDelegations(
            attendees
                .iter()
                .map(|(attendee, partstat, delegated_to)| StoredAttendee {
                    address: address(attendee),
                    partstat: Some((*partstat).to_owned()),
                    delegated_to: delegated_to.iter().map(|to| address(to)).collect(),
                })
                .collect(),
        ))
    }
}

impl CalendarLookup for StoredDelegations {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        (uid == "deleg-5@example.com")
            .then(|| self.0.iter().map(|stored| stored.address.clone()).collect())
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        (uid == "deleg-5@example.com").then(|| self.0.clone())
    }
}

/// A REPLY from someone claiming DELEGATED-FROM an invited attendee whom
/// the organizer's stored copy shows keeping the invitation: the claim is
/// contradicted, so it is a crash as well as an unverified delegation.
#[test]
fn delegate_whose_delegator_did_not_delegate() {
    let from_dave = message(
        &["From: Dave <dave@example.org>", "To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-5@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:dave@example.org",
            ],
        ),
    );
    let kept = Config::builder()
        .lookup(StoredDelegations::with(&[
            ("bob@example.org", "ACCEPTED", &[]),
            ("carol@example.net", "NEEDS-ACTION", &[]),
        ]))
        .build();
    let validation = Run::new(&kept).on(&from_dave);
    assert_eq!(
        reasons(&validation),
        [
            "party-crash",
            "delegation-unverified",
            "delegation-unverified"
        ]
    );
    assert_eq!(
        detail(&validation, Reason::PartyCrash),
        "METHOD:REPLY from ATTENDEE dave@example.org, whom the organizer's stored copy of VEVENT \
         UID deleg-5@example.com does not list; it claims DELEGATED-FROM bob@example.org, but the \
         stored copy shows bob@example.org with PARTSTAT=ACCEPTED and no DELEGATED-TO naming it"
    );
    assert_eq!(
        validation
            .findings
            .get(2)
            .map(|finding| finding.detail.as_str()),
        Some(
            "bob@example.org is said to have delegated to dave@example.org, but the organizer's \
             stored copy of VEVENT UID deleg-5@example.com shows bob@example.org with \
             PARTSTAT=ACCEPTED and no DELEGATED-TO naming dave@example.org"
        )
    );
    // A forged confirmation in the same object changes nothing: Dave cannot
    // speak for Bob.
    let forged = message(
        &["From: Dave <dave@example.org>", "To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-5@example.com",
            &[ORGANIZER, DELEGATOR, "ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:dave@example.org"],
        ),
    );
    assert_eq!(
        reasons(&Run::new(&kept).on(&forged)),
        ["party-crash", "delegation-unverified"]
    );

    // The stored copy shows Bob's DELEGATED-TO naming Dave: that is the
    // delegation's other side (a delegate's REPLY carries only her own
    // ATTENDEE line, RFC 5546 3.2.2.3), so the reply is confirmed.
    for stored in [
        StoredDelegations::with(&[("bob@example.org", "DELEGATED", &["dave@example.org"])]),
        StoredDelegations::with(&[("bob@example.org", "NEEDS-ACTION", &["dave@example.org"])]),
    ] {
        let config = Config::builder().lookup(stored).build();
        assert!(reasons(&Run::new(&config).on(&from_dave)).is_empty());
    }
    // Bob delegated, but to nobody the copy names: no crash, and nothing
    // confirms that Dave is the delegate.
    let config = Config::builder()
        .lookup(StoredDelegations::with(&[(
            "bob@example.org",
            "DELEGATED",
            &[],
        )]))
        .build();
    assert_eq!(
        reasons(&Run::new(&config).on(&from_dave)),
        ["delegation-unverified"]
    );
    // Bob's own reply announcing the delegation: the stored copy cannot
    // show it yet.
    let from_bob = message(
        &[
            "From: Bob Durand <bob@example.org>",
            "To: alice@example.com",
        ],
        "REPLY",
        &calendar(
            "REPLY",
            "deleg-5@example.com",
            &[ORGANIZER, DELEGATOR, DELEGATE],
        ),
    );
    assert_eq!(reasons(&Run::new(&kept).on(&from_bob)), Vec::<&str>::new());
    // A lookup that keeps no delegation state gives the delegate the
    // benefit of the doubt, as before.
    let plain = storing("deleg-5@example.com", &["bob@example.org"]);
    assert_eq!(
        reasons(&Run::new(&plain).on(&from_dave)),
        ["delegation-unverified"]
    );
}

// ---------------------------------------------------------------------------
// Party crashing

/// A REPLY from someone the organizer never invited, with the organizer's
/// stored copy at hand.
#[test]
fn party_crash_with_the_stored_copy() {
    let reply = message(
        &["From: Eve <eve@crasher.example>", "To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "party-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED;CN=Eve:mailto:eve@crasher.example",
            ],
        ),
    );
    let config = storing(
        "party-1@example.com",
        &["bob@example.org", "carol@example.net"],
    );
    let validation = Run::new(&config).on(&reply);
    assert_eq!(reasons(&validation), ["party-crash"]);
    assert_eq!(
        detail(&validation, Reason::PartyCrash),
        "METHOD:REPLY from ATTENDEE eve@crasher.example, whom the organizer's stored copy of VEVENT \
         UID party-1@example.com does not list (2 attendees stored)"
    );

    // Without evidence, no finding: no lookup, or a UID the lookup does not know.
    let validation = Run::new(&Config::default()).on(&reply);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    let elsewhere = storing("other@example.com", &["bob@example.org"]);
    let validation = Run::new(&elsewhere).on(&reply);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// A COUNTER from an invited attendee, and one that speaks for an invited
/// attendee while being someone else (attendee mismatch, not a crash).
#[test]
fn counter_from_invited_and_impersonated_attendees() {
    let config = storing("party-2@example.com", &["bob@example.org"]);
    let counter = |from: &str| {
        message(
            &[from],
            "COUNTER",
            &calendar(
                "COUNTER",
                "party-2@example.com",
                &[
                    ORGANIZER,
                    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
                ],
            ),
        )
    };
    let validation = Run::new(&config).on(&counter("From: bob@example.org"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    let validation = Run::new(&config).on(&counter("From: eve@crasher.example"));
    assert_eq!(reasons(&validation), ["attendee-mismatch"]);
    assert_eq!(
        detail(&validation, Reason::AttendeeMismatch),
        "METHOD:COUNTER sent From eve@crasher.example, who is neither the replying ATTENDEE \
         bob@example.org nor a SENT-BY of it (VEVENT UID party-2@example.com)"
    );
}

// ---------------------------------------------------------------------------
// Acting on behalf of

/// An assistant sends for the organizer, named by SENT-BY.
#[test]
fn sent_by_matching_from_is_clean() {
    let raw = message(
        &["From: Sam Assistant <sam@example.com>", "To: bob@example.org"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "behalf-1@example.com",
            &[
                "ORGANIZER;CN=Alice Martin;SENT-BY=\"MAILTO:Sam@Example.com\":mailto:alice@example.com",
                BOB,
            ],
        ),
    );
    let config = Config::default();
    let validation = Run::new(&config).to("bob@example.org").on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    // An attendee's assistant answering for them.
    let reply = message(
        &["From: Pat <pat@example.org>", "To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "behalf-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED;SENT-BY=\"mailto:pat@example.org\":mailto:bob@example.org",
            ],
        ),
    );
    let validation = Run::new(&config).on(&reply);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// From is neither the organizer nor the one SENT-BY names.
#[test]
fn from_neither_organizer_nor_sent_by() {
    let raw = message(
        &["From: Mallory <mallory@example.com>", "To: bob@example.org"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "behalf-2@example.com",
            &[
                "ORGANIZER;SENT-BY=\"mailto:sam@example.com\":mailto:alice@example.com",
                BOB,
            ],
        ),
    );
    let validation = Run::new(&Config::default()).to("bob@example.org").on(&raw);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    assert_eq!(
        detail(&validation, Reason::OrganizerMismatch),
        "METHOD:REQUEST sent From mallory@example.com, who is neither the ORGANIZER \
         alice@example.com nor its SENT-BY sam@example.com (VEVENT UID behalf-2@example.com)"
    );

    // The Sender field does not count: only From is compared.
    let with_sender = message(
        &[
            "Sender: alice@example.com",
            "From: Mallory <mallory@example.com>",
        ],
        "REQUEST",
        &calendar("REQUEST", "behalf-3@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&Config::default()).on(&with_sender);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
}

/// The assistant works for another company: SENT-BY across domains is
/// fine, and the assistant's own domain is what DKIM and DMARC vouch for.
#[test]
fn cross_domain_sent_by_is_clean() {
    let raw = message(
        &[
            "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=agency.example header.s=k1 header.b=YWdlbmN5U2ln;\r\n\tdmarc=pass header.from=agency.example",
            "Received: from out.agency.example (out.agency.example [198.51.100.7])\r\n\tby mx.example.org with ESMTPS; Fri, 10 Jan 2025 09:00:05 +0000",
            "From: Sam Assistant <sam@agency.example>",
            "To: bob@example.org",
        ],
        "REQUEST",
        &calendar(
            "REQUEST",
            "cross-1@bigcorp.example",
            &[
                "ORGANIZER;CN=Boss;SENT-BY=\"mailto:sam@agency.example\":mailto:boss@bigcorp.example",
                BOB,
            ],
        ),
    );
    let config = Config::builder()
        .trust_authserv_id("mx.example.org")
        .flag_unauthenticated(true)
        .recipient("bob@example.org")
        .build();
    let validation = Run::new(&config).on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------
// Ordinary mail from real producers stays clean

/// Google Calendar (Workspace): From is the organizer, Sender is Google's
/// notification address, DKIM `header.i=@example.com` and DMARC pass.
#[test]
fn google_invitation_and_reply_are_clean() {
    let config = flagging("mx.example.org");
    let validation = Run::new(&config)
        .to("bob@example.org")
        .on(&fixture("google-request.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    let config = Config::builder()
        .trust_authserv_id("mx.example.com")
        .flag_unauthenticated(true)
        .recipient("alice@example.com")
        .lookup(StoredCopies::with(
            "3q1v0b9m5k8f2c7d6e4a0h1j2k@google.com",
            &["alice@example.com", "bob@example.org"],
        ))
        .build();
    let validation = Run::new(&config).on(&fixture("google-reply.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// Outlook: the organizer's address in mixed case in both From and
/// ORGANIZER, a Windows time zone name, and Microsoft's anonymous
/// Authentication-Results (no authserv-id, never trusted) below our own.
#[test]
fn outlook_invitation_and_reply_are_clean() {
    let config = flagging("mx.fabrikam.example");
    let validation = Run::new(&config)
        .to("bob@fabrikam.example")
        .on(&fixture("outlook-request.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    assert_eq!(validation.authentication_results.len(), 2);

    let config = storing("040000008200E00074C5B7101A82E00800000000A0F1B2C3D4E5DB010000000000000000100000007C1D2E3F405162738495A6B7C8D9E0F1", &["bob@fabrikam.example", "carol@contoso.example"]);
    let validation = Run::new(&config)
        .to("alice.martin@contoso.example")
        .on(&fixture("outlook-reply.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// Apple Calendar: EMAIL parameters beside the address, the organizer also
/// an attendee with ROLE=CHAIR.
#[test]
fn apple_invitation_and_reply_are_clean() {
    let config = Config::builder()
        .trust_authserv_id("mx.example.org")
        .recipient("bob@example.org")
        .build();
    let validation = Run::new(&config).on(&fixture("apple-request.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    let config = storing(
        "2B6C9E1A-5D4F-4A3B-8C7E-1F0A9B8C7D6E",
        &["alice@icloud.example", "bob@me.example"],
    );
    let validation = Run::new(&config)
        .to("alice@icloud.example")
        .on(&fixture("apple-reply.eml"));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// Someone puts an event in their own calendar and invites only themself.
#[test]
fn self_invitation_is_clean() {
    let raw = message(
        &["From: alice@example.com", "To: alice@example.com"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "self-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:MAILTO:ALICE@EXAMPLE.COM",
            ],
        ),
    );
    let validation = Run::new(&Config::default())
        .to("alice@example.com")
        .on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    // Even with no attendee at all, the organizer receiving its own copy is
    // not a third-party forward.
    let alone = message(
        &["From: alice@example.com"],
        "REQUEST",
        &calendar("REQUEST", "self-2@example.com", &[ORGANIZER]),
    );
    let validation = Run::new(&Config::default())
        .to("alice@example.com")
        .on(&alone);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// The organizer invited a mailing list (a CUTYPE=GROUP attendee); the list
/// delivers to its members with From unchanged. A careful admin expects no
/// finding: the member was invited through the list. The same delivery
/// when the list is not on the guest list is `not-invited`, and the detail
/// names the list.
#[test]
fn mailing_list_delivery() {
    let raw = fixture("mailing-list-request.eml");
    let config = Config::default();
    let validation = Run::new(&config).to("bob@example.org").on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    let not_the_list = raw.replace(
        "ATTENDEE;CUTYPE=GROUP;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE;\n CN=Product team:mailto:team@lists.example.org",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:carol@example.net",
    );
    assert_ne!(raw, not_the_list);
    let validation = Run::new(&config).to("bob@example.org").on(&not_the_list);
    assert_eq!(reasons(&validation), ["not-invited"]);
    assert!(detail(&validation, Reason::NotInvited).contains(
        "it came through the list Product team <team.lists.example.org> (List-Post team@lists.example.org), which is not an ATTENDEE either"
    ));
}

// ---------------------------------------------------------------------------
// The shared corpus of real mail (read in place)

fn corpus_file(name: &str) -> Option<String> {
    let path = crate::test_support::shared_path(&format!("corpus/{name}"))?;
    match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(err) => panic!("{}: {err}", path.display()),
    }
}

#[test]
fn corpus_messages_get_the_findings_their_addresses_call_for() {
    let config = Config::default();
    // 001 Outlook: Marge organizes and sends, Homer is invited.
    if let Some(raw) = corpus_file("001-outlook-request.eml") {
        let validation = Run::new(&config).to("homer@example.org").on(&raw);
        assert_eq!(reasons(&validation), Vec::<&str>::new());
    }
    // 013 Google: From the organizer (Sender is Google's notifier, which
    // does not count), Homer invited.
    if let Some(raw) = corpus_file("013-google-request.eml") {
        let validation = Run::new(&config).to("homer@example.com").on(&raw);
        assert_eq!(reasons(&validation), Vec::<&str>::new());
    }
    // 025 Apple REPLY: From is the replying attendee.
    if let Some(raw) = corpus_file("025-apple-reply.eml") {
        let validation = Run::new(&config).on(&raw);
        assert_eq!(reasons(&validation), Vec::<&str>::new());
    }
    // 027 Thunderbird REPLY: the fixture's author anonymised From
    // (fromUser@localhost.com) and the ATTENDEE (user1To@linagora.com)
    // differently, so as received it is a reply from someone who is not the
    // attendee.
    if let Some(raw) = corpus_file("027-thunderbird-reply.eml") {
        let validation = Run::new(&config).on(&raw);
        assert_eq!(reasons(&validation), ["attendee-mismatch"]);
    }
    // 012 Teams: anonymised From (name@example.com) against the organizer
    // p.hartog@outlook.com, delivered to info@domain.de who is not an
    // attendee, and the receiving server (when trusted) authenticated
    // outlook.com, not the From domain.
    if let Some(raw) = corpus_file("012-teams-request.eml") {
        let trusting_metaways = trusting("vmail-smtp02.metaways.net");
        let validation = Run::new(&trusting_metaways).to("info@domain.de").on(&raw);
        assert_eq!(
            reasons(&validation),
            [
                "organizer-mismatch",
                "unauthenticated-sender",
                "not-invited"
            ]
        );
        // Untrusted, its Authentication-Results is still listed.
        let validation = Run::new(&config).to("info@domain.de").on(&raw);
        assert_eq!(reasons(&validation), ["organizer-mismatch", "not-invited"]);
        assert!(matches!(
            validation.authentication_results.first(),
            Some(AuthResultsEntry::Parsed(parsed)) if parsed.authserv_id == "vmail-smtp02.metaways.net"
        ));
    }
}

// ---------------------------------------------------------------------------
// Copies of the object in several parts

/// A multipart/mixed message whose parts are the given calendars, each a
/// `text/calendar` part with `method`.
fn with_copies(from: &str, method: &str, calendars: &[String]) -> String {
    let mut raw = format!(
        "From: {from}\r\nTo: bob@example.org\r\nSubject: Budget review\r\n\
         Date: Fri, 10 Jan 2025 09:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"copies\"\r\n\r\n"
    );
    for calendar in calendars {
        raw.push_str(&format!(
            "--copies\r\nContent-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n{calendar}"
        ));
    }
    raw.push_str("--copies--\r\n");
    raw
}

/// The validation of a message as the analysis runs it: located by the
/// message stage, so every candidate part is seen.
fn validate_located(raw: &str, config: &Config) -> Validation {
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("mail-parser rejected the message"));
    let located = crate::message::locate_imip(&message);
    let text = located
        .object
        .as_ref()
        .map(|object| object.text.clone())
        .unwrap_or_else(|| panic!("no iMIP object"));
    let calendar = parse_calendar(&text, &config.calendar_limits);
    validate::run(
        &ValidationInput {
            message: Some(&message),
            located: &located,
            calendar: Some(&calendar),
            envelope_recipient: None,
        },
        config,
    )
}

#[test]
fn copies_that_agree_are_one_object() {
    let request = calendar("REQUEST", "copy-1@example.com", &[ORGANIZER, BOB]);
    let raw = with_copies("alice@example.com", "REQUEST", &[request.clone(), request]);
    assert_eq!(
        reasons(&validate_located(&raw, &Config::default())),
        Vec::<&str>::new()
    );
}

/// Two parts with the same UID that name different senders: whichever a
/// client reads, one of them is not who sent the message.
#[test]
fn copies_that_disagree_on_who_sent_it() {
    let config = Config::default();
    let forged = calendar(
        "REQUEST",
        "copy-2@example.com",
        &["ORGANIZER:mailto:alice@example.net", BOB],
    );
    let raw = with_copies(
        "alice@example.com",
        "REQUEST",
        &[
            calendar("REQUEST", "copy-2@example.com", &[ORGANIZER, BOB]),
            forged,
        ],
    );
    let validation = validate_located(&raw, &config);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    assert_eq!(
        detail(&validation, Reason::OrganizerMismatch),
        "part 2, a copy of the object in part 1, names ORGANIZER alice@example.net where part 1 \
         names ORGANIZER alice@example.com (VEVENT UID copy-2@example.com)"
    );
    // A SENT-BY only one copy has is another sender too.
    let sent_by = calendar(
        "CANCEL",
        "copy-3@example.com",
        &[
            "ORGANIZER;SENT-BY=\"mailto:mallory@evil.example\":mailto:alice@example.com",
            BOB,
        ],
    );
    let raw = with_copies(
        "alice@example.com",
        "CANCEL",
        &[
            calendar("CANCEL", "copy-3@example.com", &[ORGANIZER, BOB]),
            sent_by,
        ],
    );
    assert_eq!(
        reasons(&validate_located(&raw, &config)),
        ["organizer-mismatch"]
    );
    // In a REPLY the attendees sent it; the ORGANIZER is whom it answers.
    let reply = |people: &[&str]| calendar("REPLY", "copy-4@example.com", people);
    let raw = with_copies(
        "bob@example.org",
        "REPLY",
        &[
            reply(&[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
            ]),
            reply(&[
                "ORGANIZER:mailto:alice@example.net",
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:Bob@Example.org",
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@example.net",
            ]),
        ],
    );
    let validation = validate_located(&raw, &config);
    assert_eq!(
        reasons(&validation),
        ["method-mismatch", "attendee-mismatch"]
    );
    assert!(detail(&validation, Reason::AttendeeMismatch)
        .contains("adds ATTENDEE eve@example.net (VEVENT"));
}

#[test]
fn copies_that_disagree_on_the_rest() {
    let config = Config::default();
    let first = calendar("REQUEST", "copy-5@example.com", &[ORGANIZER, BOB]);
    let later = first.replace("SEQUENCE:0", "SEQUENCE:3").replace(
        "END:VEVENT\r\nEND:VCALENDAR",
        "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:copy-5@example.com\r\n\
         RECURRENCE-ID:20250127T140000Z\r\nDTSTAMP:20250110T090000Z\r\n\
         DTSTART:20250127T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    let raw = with_copies("alice@example.com", "REQUEST", &[first, later]);
    let validation = validate_located(&raw, &config);
    assert_eq!(reasons(&validation), ["method-mismatch", "method-mismatch"]);
    let details: Vec<&str> = validation
        .findings
        .iter()
        .map(|finding| finding.detail.as_str())
        .collect();
    assert_eq!(
        details,
        [
            "part 2, a copy of the object in part 1, has SEQUENCE 3 where part 1 has 0 (VEVENT UID copy-5@example.com)",
            "part 2, a copy of the object in part 1, carries the VEVENT instance RECURRENCE-ID \
             20250127T140000Z that part 1 does not (VEVENT UID copy-5@example.com)",
        ]
    );
}

/// Copies are read one at a time and only so many: a message with dozens
/// of them is reported, not parsed dozens of times.
#[test]
fn copies_compared_are_bounded() {
    let request = calendar("REQUEST", "copy-6@example.com", &[ORGANIZER, BOB]);
    let mut calendars = vec![request.clone(); 12];
    calendars.push(request.replace("mailto:alice@example.com", "mailto:mallory@evil.example"));
    let raw = with_copies("alice@example.com", "REQUEST", &calendars);
    let validation = validate_located(&raw, &Config::default());
    assert_eq!(reasons(&validation), ["oversized"]);
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "the object comes in 12 more copies than part 1; only the first 8 were compared with it (max_copies_compared)"
    );
}

/// Each limit the configuration names is the one applied, and reaching it
/// is an `oversized` finding that names it.
#[test]
fn configured_limits_report_oversized_naming_the_limit() {
    // Copies compared.
    let request = calendar("REQUEST", "copy-7@example.com", &[ORGANIZER, BOB]);
    let raw = with_copies("alice@example.com", "REQUEST", &vec![request.clone(); 3]);
    let config = Config::builder().max_copies_compared(1).build();
    let validation = validate_located(&raw, &config);
    assert_eq!(reasons(&validation), ["oversized"]);
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "the object comes in 2 more copies than part 1; only the first 1 were compared with it (max_copies_compared)"
    );

    // From addresses: past the cap is a finding, not a silent cut.
    let raw = message(
        &["From: alice@example.com, carol@example.com, eve@example.net"],
        "REQUEST",
        &calendar("REQUEST", "from-cap@example.com", &[ORGANIZER, BOB]),
    );
    let config = Config::builder().max_from_addresses(2).build();
    let validation = Run::new(&config).on(&raw);
    assert!(
        reasons(&validation).contains(&"oversized"),
        "{validation:?}"
    );
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "the From field has 3 addresses: only the first 2 were compared (max_from_addresses)"
    );
    let config = Config::builder().max_from_addresses(3).build();
    assert!(!reasons(&Run::new(&config).on(&raw)).contains(&"oversized"));

    // Delegations per attendee.
    let raw = message(
        &["From: alice@example.com"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "deleg-cap@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO=\"mailto:d1@example.org\",\"mailto:d2@example.org\":mailto:bob@example.org",
                "ATTENDEE;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:d1@example.org",
                "ATTENDEE;DELEGATED-FROM=\"mailto:bob@example.org\":mailto:d2@example.org",
            ],
        ),
    );
    let validation = Run::new(&Config::default()).on(&raw);
    assert!(reasons(&validation).is_empty(), "{validation:?}");
    let config = Config::builder().max_delegations_per_attendee(1).build();
    let validation = Run::new(&config).on(&raw);
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "bob@example.org lists 2 delegations; only the first 1 of each kind were checked (max_delegations_per_attendee) (VEVENT UID deleg-cap@example.com)"
    );
}

/// The recurrence limits come from the configuration and name themselves.
#[test]
fn recurrence_limits_come_from_the_configuration() {
    let raw = message(
        &["From: alice@example.com"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "rec-cap@example.com",
            &[
                ORGANIZER,
                BOB,
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "RRULE:FREQ=MONTHLY;COUNT=3",
                "RDATE:20250201T140000Z,20250202T140000Z,20250203T140000Z",
            ],
        ),
    );
    let oversized = |config: &Config| -> Vec<String> {
        Run::new(config)
            .on(&raw)
            .findings
            .iter()
            .filter(|finding| finding.reason == Reason::Oversized)
            .map(|finding| finding.detail.clone())
            .collect()
    };
    assert!(oversized(&Config::default()).is_empty());
    assert_eq!(
        oversized(&Config::builder().max_date_values(2).build()),
        ["3 RDATE values in one component: only the first 2 were counted (max_date_values)"]
    );
    assert_eq!(
        oversized(&Config::builder().max_rrules_per_component(1).build()),
        ["2 RRULE lines in one component: only the first 1 were counted (max_rrules_per_component)"]
    );
    assert_eq!(
        oversized(&Config::builder().recurrence_work_budget(0).build()),
        ["recurrence too irregular to count within the work budget (recurrence_work_budget = 0 units for the whole object)"]
    );
    assert_eq!(
        oversized(&Config::builder().max_union_instances(2).build()),
        ["recurrence too irregular to count: the union of its RRULEs has more than 2 instances to walk (max_union_instances)"]
    );
}

/// The MIME walk follows the configured depth and part count, and says
/// which it reached.
#[test]
fn mime_limits_come_from_the_configuration() {
    let request = calendar("REQUEST", "mime-cap@example.com", &[ORGANIZER, BOB]);
    let raw = with_copies("alice@example.com", "REQUEST", &vec![request; 3]);
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("mail-parser rejected the message"));
    let config = Config::builder().max_mime_parts(2).build();
    let located = crate::message::locate_imip_within(&message, config.mime_limits());
    let validation = validate::run(
        &ValidationInput {
            message: Some(&message),
            located: &located,
            calendar: None,
            envelope_recipient: None,
        },
        &config,
    );
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "MIME structure with more than 2 parts (max_mime_parts); part 3 and what follows it were not examined"
    );
    let config = Config::builder().max_mime_depth(0).build();
    let located = crate::message::locate_imip_within(&message, config.mime_limits());
    let validation = validate::run(
        &ValidationInput {
            message: Some(&message),
            located: &located,
            calendar: None,
            envelope_recipient: None,
        },
        &config,
    );
    assert_eq!(
        detail(&validation, Reason::Oversized),
        "MIME structure nested more than 0 levels deep (max_mime_depth); part 1 and what follows it were not examined"
    );
}

// ---------------------------------------------------------------------------
// Scheduling relays

/// An iCloud invitation: iCloud's notifier sends it for an ORGANIZER that
/// is the organizer's relay address on `imip.me.com`.
fn icloud_request(extra_headers: &[&str]) -> String {
    let mut headers: Vec<&str> = extra_headers.to_vec();
    headers.push("From: Alice Martin <noreply@insideicloud.icloud.com>");
    headers.push("To: bob@example.org");
    message(
        &headers,
        "REQUEST",
        &calendar(
            "REQUEST",
            "relay-1@example.com",
            &[
                "ORGANIZER;CN=Alice Martin;EMAIL=alice@icloud.com:mailto:2_GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ@imip.me.com",
                BOB,
            ],
        ),
    )
}

const ICLOUD_DKIM_PASS: &str = "Authentication-Results: mx.example.org; dkim=pass header.d=icloud.com header.s=1a1hai header.b=dGVzdA; dmarc=pass header.from=insideicloud.icloud.com";
const ICLOUD_DKIM_FAIL: &str = "Authentication-Results: mx.example.org; dkim=fail header.d=icloud.com header.b=dGVzdA; dmarc=fail header.from=insideicloud.icloud.com";

#[test]
fn scheduling_relay_speaks_for_its_organizer_domain() {
    // Nothing trusted to ask: the built-in pair is taken at its word.
    let validation = Run::new(&Config::default()).on(&icloud_request(&[]));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    // A trusted pass for the notifier's domain (DKIM of its parent).
    let validation = Run::new(&trusting("mx.example.org")).on(&icloud_request(&[ICLOUD_DKIM_PASS]));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    // A forged notifier: the trusted server reports its signature failing.
    let validation = Run::new(&trusting("mx.example.org")).on(&icloud_request(&[ICLOUD_DKIM_FAIL]));
    assert_eq!(
        reasons(&validation),
        ["organizer-mismatch", "unauthenticated-sender"]
    );
    assert!(
        detail(&validation, Reason::OrganizerMismatch).ends_with(
            "its domain is a scheduling relay for the ORGANIZER's, but the trusted mx.example.org \
             reports no DKIM or DMARC pass for insideicloud.icloud.com (dkim=fail \
             (header.d=icloud.com), dmarc=fail (header.from=insideicloud.icloud.com)), so the \
             relay does not count (VEVENT UID relay-1@example.com)"
        ),
        "{}",
        detail(&validation, Reason::OrganizerMismatch)
    );
    // A trusted server that only checked SPF authenticates nothing either.
    let spf_only =
        "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=insideicloud.icloud.com";
    let validation = Run::new(&trusting("mx.example.org")).on(&icloud_request(&[spf_only]));
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    // An untrusted server's pass changes nothing: the pair still counts.
    let validation = Run::new(&Config::default()).on(&icloud_request(&[ICLOUD_DKIM_FAIL]));
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

#[test]
fn scheduling_relay_is_only_what_the_table_pairs() {
    // The relay's domain sends for imip.me.com, not for any ORGANIZER.
    let raw = message(
        &["From: noreply@insideicloud.icloud.com"],
        "CANCEL",
        &calendar("CANCEL", "relay-2@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&Config::default()).on(&raw);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    // A relay address of the ORGANIZER's domain is no sender for others.
    let raw = message(
        &["From: 2_GEZDGNBVGY3TQOJQ@imip.me.com"],
        "REQUEST",
        &calendar("REQUEST", "relay-3@example.com", &[ORGANIZER, BOB]),
    );
    assert_eq!(
        reasons(&Run::new(&Config::default()).on(&raw)),
        ["organizer-mismatch"]
    );
    // Without the table, iCloud's notifier is a mismatch like any other.
    let none = Config::builder()
        .scheduling_relays(SchedulingRelays::none())
        .build();
    assert_eq!(
        reasons(&Run::new(&none).on(&icloud_request(&[]))),
        ["organizer-mismatch"]
    );
    // An embedder adds its own provider's pair beside the built-in one.
    let own = Config::builder()
        .scheduling_relay("notify.calendar.example", ["relay.calendar.example"])
        .build();
    assert!(own
        .scheduling_relays
        .speaks_for("insideicloud.icloud.com", "imip.me.com"));
    let raw = message(
        &["From: Calendar <invites@notify.calendar.example>"],
        "REQUEST",
        &calendar(
            "REQUEST",
            "relay-4@example.com",
            &["ORGANIZER:mailto:c-81f2@relay.calendar.example", BOB],
        ),
    );
    assert_eq!(reasons(&Run::new(&own).on(&raw)), Vec::<&str>::new());
    assert_eq!(
        reasons(&Run::new(&Config::default()).on(&raw)),
        ["organizer-mismatch"]
    );
}

// ---------------------------------------------------------------------------
// Authentication-Results trust

fn spoofed_request(authentication_results: &[&str]) -> String {
    let mut headers: Vec<&str> = authentication_results.to_vec();
    headers.push("From: Alice Martin <alice@example.com>");
    headers.push("To: bob@example.org");
    message(
        &headers,
        "REQUEST",
        &calendar("REQUEST", "auth-1@example.com", &[ORGANIZER, BOB]),
    )
}

/// A header claiming success from a server we do not trust changes nothing,
/// in either direction.
#[test]
fn forged_results_from_an_untrusted_server_change_nothing() {
    let forged = "Authentication-Results: mx.example.org.evil.example; dkim=pass header.d=example.com; dmarc=pass header.from=example.com";
    let plain = spoofed_request(&[]);
    let with_forgery = spoofed_request(&[forged]);
    for flag in [false, true] {
        let config = Config::builder()
            .trust_authserv_id("mx.example.org")
            .flag_unauthenticated(flag)
            .build();
        let run = Run::new(&config).to("bob@example.org");
        assert_eq!(
            reasons(&run.on(&plain)),
            reasons(&run.on(&with_forgery)),
            "flag_unauthenticated = {flag}"
        );
    }
    let flagging = flagging("mx.example.org");
    let validation = Run::new(&flagging).on(&with_forgery);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);
    assert_eq!(
        detail(&validation, Reason::UnauthenticatedSender),
        "nothing authenticates the From domain example.com: no Authentication-Results from a \
         trusted server (mx.example.org)"
    );
    // The default trusts nothing, so even the flag only says so.
    let validation = Run::new(&Config::builder().flag_unauthenticated(true).build()).on(&plain);
    assert!(detail(&validation, Reason::UnauthenticatedSender)
        .ends_with("no authserv-id is configured as trusted"));
}

/// A sender who writes our own authserv-id into its message places it below
/// our border's Received field; only the topmost block counts.
#[test]
fn trusted_id_below_our_received_field_is_ignored() {
    let raw = spoofed_request(&[
        "Authentication-Results: MX.example.org; dkim=none; dmarc=fail header.from=example.com",
        "Received: from attacker.example by mx.example.org; Fri, 10 Jan 2025 09:00:05 +0000",
        "Authentication-Results: mx.example.org; dkim=pass header.d=example.com; dmarc=pass header.from=example.com",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);
    assert_eq!(validation.authentication_results.len(), 2);

    // A server that splits its results over several fields (one per
    // milter) is read whole, and a DKIM pass by a parent domain counts.
    let split = spoofed_request(&[
        "Authentication-Results: mx.example.org; dmarc=none header.from=example.com",
        "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.s=s1",
        "Received: from mail.example.com by mx.example.org; Fri, 10 Jan 2025 09:00:05 +0000",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&split);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    // DKIM by another domain authenticates that domain, not the From.
    let other_signer = spoofed_request(&[
        "Authentication-Results: mx.example.org; dkim=pass header.d=mailer.example; dmarc=none header.from=example.com",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&other_signer);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    let flagging = flagging("mx.example.org");
    let validation = Run::new(&flagging).on(&other_signer);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);
}

/// A border that writes its results just below its own Received and does
/// not remove look-alikes leaves the sender's forgery with its authserv-id
/// beside its own, inside the trusted block: its failure for a method and
/// domain stands against a pass from another field claiming the same
/// server, and conflicting results count as not passed.
#[test]
fn a_forged_pass_beside_the_trusted_failure_does_not_win() {
    let border = "Authentication-Results: mx.example.org; dkim=fail header.d=example.com header.b=QUJD; dmarc=fail header.from=example.com";
    let forged = "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.b=QUJD; dmarc=pass header.from=example.com";
    let received =
        "Received: from attacker.example by mx.example.org; Fri, 10 Jan 2025 09:00:05 +0000";
    let raw = spoofed_request(&[received, border, forged]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);
    assert!(
        detail(&validation, Reason::UnauthenticatedSender)
            .contains("reports both a pass and a failure for the From domain example.com in different Authentication-Results fields"),
        "{}",
        detail(&validation, Reason::UnauthenticatedSender)
    );

    // The forgery first, the border's below it: the same.
    let raw = spoofed_request(&[received, forged, border]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);

    // A border that checked no DKIM but failed DMARC: a forged DKIM pass
    // for the domain does not overturn the failure either.
    let dmarc_only =
        "Authentication-Results: mx.example.org; dkim=none; dmarc=fail header.from=example.com";
    let dkim_forged =
        "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.b=QUJD";
    let raw = spoofed_request(&[received, dmarc_only, dkim_forged]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), ["unauthenticated-sender"]);

    // One field may report two signatures of one domain, one broken (a
    // list footer): its pass stands.
    let one_field = "Authentication-Results: mx.example.org; dkim=fail header.d=example.com header.s=old header.b=T0xE; dkim=pass header.d=example.com header.s=new header.b=TkVX; dmarc=pass header.from=example.com";
    let raw = spoofed_request(&[received, one_field]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());

    // A failure for another domain is no conflict: the pass stands.
    let other =
        "Authentication-Results: mx.example.org; dkim=fail header.d=mailer.example header.b=TUFJ";
    let genuine = "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.b=QUJD; dmarc=pass header.from=example.com";
    let raw = spoofed_request(&[received, genuine, other]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// Unsigned mail from a domain without a DMARC policy is what
/// `flag_unauthenticated` is for; by default only a failure counts.
#[test]
fn unsigned_mail_is_flagged_only_on_request() {
    let unsigned = spoofed_request(&[
        "Authentication-Results: mx.example.org; dkim=none; spf=pass smtp.mailfrom=alice@example.com; dmarc=none header.from=example.com",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&unsigned);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    let flagging = flagging("mx.example.org");
    let validation = Run::new(&flagging).on(&unsigned);
    assert_eq!(
        detail(&validation, Reason::UnauthenticatedSender),
        "nothing authenticates the From domain example.com: the trusted mx.example.org reports no \
         DKIM or DMARC pass for it (dkim=none, spf=pass (smtp.mailfrom=alice@example.com), \
         dmarc=none (header.from=example.com))"
    );

    // A temporary DNS error is no verdict either.
    let temporary = spoofed_request(&[
        "Authentication-Results: mx.example.org; dkim=temperror header.d=example.com; dmarc=temperror header.from=example.com",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&temporary);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

/// A header that does not parse is listed with its error and skipped; the
/// JSON shape is the one `analyze` shows.
#[test]
fn malformed_results_are_listed_and_skipped() {
    let raw = spoofed_request(&[
        "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.b=QUJDREVGR0g=; dmarc=pass header.from=example.com",
        "Authentication-Results: mx.example.org; dkim=",
    ]);
    let validation = Run::new(&trusting("mx.example.org")).on(&raw);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
    assert!(matches!(
        validation.authentication_results.get(1),
        Some(AuthResultsEntry::Error { .. })
    ));
    let json = serde_json::to_value(&validation.authentication_results)
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        json.get(0),
        Some(&serde_json::json!({
            "authserv_id": "mx.example.org",
            "results": [
                {"method": "dkim", "result": "pass", "reason": null, "properties": [
                    {"type": "header", "name": "d", "value": "example.com"},
                    {"type": "header", "name": "b", "value": "QUJDREVGR0g="}
                ]},
                {"method": "dmarc", "result": "pass", "reason": null, "properties": [
                    {"type": "header", "name": "from", "value": "example.com"}
                ]}
            ]
        }))
    );
    let error = json
        .get(1)
        .and_then(|entry| entry.get("error"))
        .and_then(|error| error.as_str())
        .unwrap_or_default();
    assert!(error.contains("byte"), "{error}");
}

// ---------------------------------------------------------------------------
// The iMIP-Content-ID signature (draft section 4)

fn with_imip_header(extra: &[&str]) -> String {
    let mut headers: Vec<&str> = extra.to_vec();
    headers.push("iMIP-Content-ID: <cal-1@example.com>");
    headers.push("From: Alice Martin <alice@example.com>");
    message(
        &headers,
        "REQUEST",
        &calendar("REQUEST", "hdr-1@example.com", &[ORGANIZER, BOB]),
    )
}

const SIGNING_IMIP: &str = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\r\n\th=from:to:subject:imip-content-id; bh=YWJj; b=SW1pcFNpZ25lZEJ5RXhhbXBsZQ==";
const NOT_SIGNING_IMIP: &str = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\r\n\th=from:to:subject; bh=YWJj; b=Tm90Q292ZXJpbmdUaGVIZWFkZXI=";

#[test]
fn top_level_imip_header_must_be_signed() {
    let config = trusting("mx.example.org");
    let passing_for = |b: &str| {
        format!(
            "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.s=s1 header.b={b}; dmarc=pass header.from=example.com"
        )
    };

    // Signed, and our server says that very signature passed.
    let good_result = passing_for("SW1pcFNp");
    let signed = with_imip_header(&[&good_result, SIGNING_IMIP]);
    let run = Run::new(&config).top_level_imip_content_id();
    assert_eq!(reasons(&run.on(&signed)), Vec::<&str>::new());

    // No signature names the header.
    let other_result = passing_for("Tm90Q292");
    let unsigned = with_imip_header(&[&other_result, NOT_SIGNING_IMIP]);
    let validation = run.on(&unsigned);
    assert_eq!(reasons(&validation), ["imip-header-unsigned"]);
    assert!(detail(&validation, Reason::ImipHeaderUnsigned).contains("no DKIM-Signature covers it"));

    // The covering signature is not the one that passed.
    let both = with_imip_header(&[&other_result, SIGNING_IMIP, NOT_SIGNING_IMIP]);
    let validation = run.on(&both);
    assert_eq!(reasons(&validation), ["imip-header-unsigned"]);
    assert!(detail(&validation, Reason::ImipHeaderUnsigned)
        .contains("the DKIM-Signature d=example.com covers it, but the trusted mx.example.org does not report that signature passing"));

    // The border reports the covering signature failing; a forged field
    // beside it claiming the same server says it passed: not signed.
    let failing = "Authentication-Results: mx.example.org; dkim=fail header.d=example.com header.s=s1 header.b=SW1pcFNp; dmarc=fail header.from=example.com";
    let forged = with_imip_header(&[failing, &good_result, SIGNING_IMIP]);
    let validation = run.on(&forged);
    assert!(
        reasons(&validation).contains(&"imip-header-unsigned"),
        "{:?}",
        reasons(&validation)
    );

    // Nothing trusted: nothing says it passed.
    let validation = Run::new(&Config::default())
        .top_level_imip_content_id()
        .on(&signed);
    assert_eq!(reasons(&validation), ["imip-header-unsigned"]);

    // When the header did not decide the location, it is not checked.
    let validation = Run::new(&config).on(&unsigned);
    assert_eq!(reasons(&validation), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------
// Other sender rules

#[test]
fn organizer_method_without_organizer_cannot_be_checked() {
    let raw = message(
        &["From: alice@example.com"],
        "CANCEL",
        &calendar("CANCEL", "noorg-1@example.com", &[BOB]),
    );
    let validation = Run::new(&Config::default()).on(&raw);
    assert_eq!(reasons(&validation), ["sender-unverifiable"]);
    assert_eq!(
        detail(&validation, Reason::SenderUnverifiable),
        "METHOD:CANCEL but VEVENT has no ORGANIZER, so the sender alice@example.com cannot be \
         checked against it (VEVENT UID noorg-1@example.com)"
    );
    let (_, risk) = score(&validation.findings, &Config::default());
    assert_eq!(risk, 20, "lower than a sender that contradicts the object");
}

/// What the check needs is missing, against what contradicts it: a
/// REQUEST without From cannot be checked, a PUBLISH (a booking, a ticket)
/// without ORGANIZER or From asks nothing and is not flagged, but a PUBLISH
/// whose From is not its ORGANIZER still is.
#[test]
fn missing_from_or_organizer_is_unverifiable_not_a_mismatch() {
    let config = Config::default();
    let request = message(
        &["To: bob@example.org"],
        "REQUEST",
        &calendar("REQUEST", "nofrom-2@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&config).on(&request);
    assert_eq!(reasons(&validation), ["sender-unverifiable"]);
    assert_eq!(
        detail(&validation, Reason::SenderUnverifiable),
        "METHOD:REQUEST but the message has no From address to compare with the ORGANIZER \
         alice@example.com (VEVENT UID nofrom-2@example.com)"
    );

    let booking = message(
        &["From: Tickets <noreply@tickets.example>"],
        "PUBLISH",
        &calendar("PUBLISH", "ticket-1@tickets.example", &[]),
    );
    assert!(Run::new(&config).on(&booking).findings.is_empty());
    let anonymous = message(
        &["To: bob@example.org"],
        "PUBLISH",
        &calendar("PUBLISH", "ticket-2@tickets.example", &[ORGANIZER]),
    );
    assert!(Run::new(&config).on(&anonymous).findings.is_empty());
    let contradicted = message(
        &["From: noreply@tickets.example"],
        "PUBLISH",
        &calendar("PUBLISH", "ticket-3@tickets.example", &[ORGANIZER]),
    );
    assert_eq!(
        reasons(&Run::new(&config).on(&contradicted)),
        ["organizer-mismatch"]
    );
}

#[test]
fn every_from_address_must_be_a_permitted_sender() {
    let raw = message(
        &["From: alice@example.com, Mallory <mallory@evil.example>"],
        "PUBLISH",
        &calendar("PUBLISH", "multi-1@example.com", &[ORGANIZER]),
    );
    let validation = Run::new(&Config::default()).on(&raw);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    assert!(detail(&validation, Reason::OrganizerMismatch).contains("mallory@evil.example"));
}

#[test]
fn reply_without_from_and_refresh_by_stranger() {
    let reply = message(
        &["To: alice@example.com"],
        "REPLY",
        &calendar(
            "REPLY",
            "nofrom-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
            ],
        ),
    );
    let validation = Run::new(&Config::default()).on(&reply);
    assert_eq!(reasons(&validation), ["sender-unverifiable"]);
    assert!(detail(&validation, Reason::SenderUnverifiable).contains("no From address"));

    let refresh = message(
        &["From: carol@example.net"],
        "REFRESH",
        &calendar("REFRESH", "refresh-1@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&Config::default()).on(&refresh);
    assert_eq!(reasons(&validation), ["attendee-mismatch"]);
}

/// The effective METHOD the locate step passes wins over the object's.
#[test]
fn effective_method_from_the_locate_step() {
    let raw = message(
        &["From: bob@example.org"],
        "REPLY",
        &calendar("REPLY", "eff-1@example.com", &[ORGANIZER, BOB]),
    );
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("unparsed"));
    let text = calendar("REPLY", "eff-1@example.com", &[ORGANIZER, BOB]);
    let calendar = parse_calendar(&text, &CalendarLimits::default());
    let located = |method| located(&text, &calendar, method, false);
    let config = Config::default();
    let run = |located: &Located| {
        validate::run(
            &ValidationInput {
                message: Some(&message),
                located,
                calendar: Some(&calendar),
                envelope_recipient: None,
            },
            &config,
        )
    };
    assert!(run(&located(None)).findings.is_empty());
    let as_request = run(&located(Some("request")));
    assert_eq!(reasons(&as_request), ["organizer-mismatch"]);
}

/// A hostile object with many components of distinct problems gives a
/// bounded list; a series with many changed instances gives one finding.
#[test]
fn findings_are_bounded_and_grouped() {
    let mut text =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:REPLY\r\n");
    for n in 0..300 {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:u{n}\r\nDTSTAMP:20250110T090000Z\r\nORGANIZER:mailto:alice@example.com\r\n\
             ATTENDEE;DELEGATED-FROM=\"mailto:x{n}@example.org\":mailto:a{n}@example.org\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    let raw = message(&["From: eve@example.net"], "REPLY", &text);
    let validation = Run::new(&Config::default()).on(&raw);
    let count = |reason: Reason| {
        validation
            .findings
            .iter()
            .filter(|finding| finding.reason == reason)
            .count()
    };
    assert_eq!(count(Reason::AttendeeMismatch), 10);
    assert_eq!(count(Reason::DelegationUnverified), 10);
    assert!(validation.findings.last().is_some_and(|finding| finding
        .detail
        .ends_with("(and 290 more delegation-unverified problems not listed)")));

    let mut series =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:REQUEST\r\n");
    for n in 0..50 {
        series.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:series-1\r\nRECURRENCE-ID:202502{:02}T090000Z\r\nDTSTAMP:20250110T090000Z\r\n\
             ORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.org\r\nEND:VEVENT\r\n",
            n % 28 + 1
        ));
    }
    series.push_str("END:VCALENDAR\r\n");
    let raw = message(&["From: mallory@example.net"], "REQUEST", &series);
    let validation = Run::new(&Config::default()).on(&raw);
    assert_eq!(reasons(&validation), ["organizer-mismatch"]);
    assert!(detail(&validation, Reason::OrganizerMismatch)
        .ends_with("(VEVENT UID series-1 and 49 more components)"));
}

// ---------------------------------------------------------------------------
// Risk

#[test]
fn risk_and_suspicious_from_the_weights() {
    let findings = [
        Finding::new(Reason::OrganizerMismatch, "a"),
        Finding::new(Reason::NotInvited, "b"),
    ];
    let config = Config::default();
    let (scored, risk) = score(&findings, &config);
    assert_eq!(risk, 60);
    assert!(is_suspicious(risk, &config));
    assert_eq!(
        scored.first().map(|f| (f.reason, f.weight)),
        Some((Reason::OrganizerMismatch, 40))
    );

    let (_, capped) = score(
        &[
            Finding::new(Reason::PartyCrash, "a"),
            Finding::new(Reason::UnauthenticatedSender, "b"),
            Finding::new(Reason::RecurrenceFlood, "c"),
        ],
        &config,
    );
    assert_eq!(capped, 100);

    let lenient = Config::builder()
        .weight(Reason::NotInvited, 0)
        .suspicious_threshold(70)
        .build();
    let (_, risk) = score(&findings, &lenient);
    assert_eq!(risk, 40);
    assert!(!is_suspicious(risk, &lenient));
    assert!(!is_suspicious(0, &Config::default()));

    // A forwarded invitation alone is worth a look, not the junk folder.
    let raw = message(
        &["From: alice@example.com"],
        "REQUEST",
        &calendar("REQUEST", "risk-1@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&config).to("dave@example.org").on(&raw);
    let (_, risk) = score(&validation.findings, &config);
    assert_eq!(risk, 20);
    assert!(!is_suspicious(risk, &config));
}

// ---------------------------------------------------------------------------
// Configuration

#[test]
fn builder_defaults() {
    let config = Config::builder().build();
    assert_eq!(config.suspicious_threshold, 50);
    assert_eq!(config.horizon_days, 365);
    assert_eq!(config.flood_instances, 500);
    assert_eq!(config.flood_per_day, 24);
    assert_eq!(config.far_future_days, 180);
    assert_eq!(config.max_recurrence_series, 100);
    assert_eq!(config.max_mime_depth, 32);
    assert_eq!(config.max_mime_parts, 100_000);
    assert_eq!(config.recurrence_work_budget, 1_000_000);
    assert_eq!(config.max_rrules_per_component, 8);
    assert_eq!(config.max_date_values, 10_000);
    assert_eq!(config.max_union_instances, 100_000);
    assert_eq!(config.max_delegations_per_attendee, 32);
    assert_eq!(config.max_from_addresses, 16);
    assert_eq!(config.max_copies_compared, 8);
    assert_eq!(config.date_trust_days, 7);
    assert!(config.recipients.is_empty());
    assert!(config.trusted_authserv_ids.is_empty());
    assert!(!config.flag_unauthenticated);
    assert_eq!(config.scheduling_relays, SchedulingRelays::default());
    assert!(config.lookup.is_none());
    assert!(config.now.is_none());
    assert_eq!(config.calendar_limits, CalendarLimits::default());
    for reason in Reason::ALL {
        assert!(config.weight(reason) > 0, "{reason} has a default weight");
    }
    assert_eq!(
        Config::builder()
            .weight(Reason::Malformed, 500)
            .build()
            .weight(Reason::Malformed),
        100
    );

    fn shared<T: Send + Sync>() {}
    shared::<Config>();
}

#[test]
fn toml_every_field() {
    let config = Config::from_toml(
        r#"
suspicious_threshold = 60
recipients = ["bob@example.org", "b.durand@example.org"]
trusted_authserv_ids = ["mx.example.org"]
flag_unauthenticated = true
now = 2025-01-15T09:00:00Z
horizon_days = 90
flood_instances = 200
flood_per_day = 12
far_future_days = 365
max_recurrence_series = 10
max_mime_depth = 4
max_mime_parts = 50
recurrence_work_budget = 5000
max_rrules_per_component = 2
max_date_values = 20
max_union_instances = 300
max_delegations_per_attendee = 3
max_from_addresses = 2
max_copies_compared = 1
date_trust_days = 2

[weights]
organizer-mismatch = 50
far-future = 0

[scheduling_relays]
"Notify.Calendar.Example" = ["relay.calendar.example", "relay2.calendar.example"]

[calendar_limits]
max_bytes = 65536
max_components = 50
max_properties = 2000
max_nesting = 6
"#,
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.suspicious_threshold, 60);
    assert_eq!(
        config.recipients,
        ["bob@example.org", "b.durand@example.org"]
    );
    assert_eq!(config.trusted_authserv_ids, ["mx.example.org"]);
    assert!(config.flag_unauthenticated);
    assert_eq!(
        config.now.map(|now| now.to_rfc3339()),
        Some("2025-01-15T09:00:00+00:00".to_owned())
    );
    assert_eq!(config.horizon_days, 90);
    assert_eq!(config.flood_instances, 200);
    assert_eq!(config.flood_per_day, 12);
    assert_eq!(config.far_future_days, 365);
    assert_eq!(config.max_recurrence_series, 10);
    assert_eq!(
        (config.max_mime_depth, config.max_mime_parts),
        (4, 50),
        "MIME limits"
    );
    assert_eq!(config.recurrence_work_budget, 5000);
    assert_eq!(config.max_rrules_per_component, 2);
    assert_eq!(config.max_date_values, 20);
    assert_eq!(config.max_union_instances, 300);
    assert_eq!(config.max_delegations_per_attendee, 3);
    assert_eq!(config.max_from_addresses, 2);
    assert_eq!(config.max_copies_compared, 1);
    assert_eq!(config.date_trust_days, 2);
    assert_eq!(config.weight(Reason::OrganizerMismatch), 50);
    assert_eq!(config.weight(Reason::FarFuture), 0);
    // The file's table replaces the built-in one.
    let relays: Vec<(&str, Vec<&str>)> = config
        .scheduling_relays
        .iter()
        .map(|(from, organizers)| (from, organizers.collect()))
        .collect();
    assert_eq!(
        relays,
        [(
            "notify.calendar.example",
            vec!["relay.calendar.example", "relay2.calendar.example"]
        )]
    );
    assert_eq!(
        config.weight(Reason::PartyCrash),
        50,
        "others keep defaults"
    );
    assert_eq!(
        config.calendar_limits,
        CalendarLimits {
            max_bytes: 65536,
            max_components: 50,
            max_properties: 2000,
            max_nesting: 6,
        }
    );

    // Every field is optional; `now` may be a string too.
    let empty = Config::from_toml("").unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(empty.suspicious_threshold, 50);
    let as_string = Config::from_toml("now = \"2025-01-15T10:00:00+01:00\"")
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(as_string.now, config.now);
}

#[test]
fn toml_unknown_key_names_key_and_line() {
    let error = Config::from_toml("suspicious_threshold = 60\n\nsuspicous = 3\n").err();
    assert_eq!(
        error,
        Some(ConfigError::UnknownKey {
            key: "suspicous".to_owned(),
            line: 3
        })
    );
    assert_eq!(
        error.map(|error| error.to_string()).as_deref(),
        Some("line 3: unknown key `suspicous`")
    );

    let nested = Config::from_toml("[calendar_limits]\nmax_bytes = 10\nmax_lines = 4\n").err();
    assert_eq!(
        nested,
        Some(ConfigError::UnknownKey {
            key: "max_lines".to_owned(),
            line: 3
        })
    );
}

#[test]
fn toml_lists_section() {
    let config = Config::from_toml(concat!(
        "[lists]\n",
        "\"tag:example.com,2026:organizers\" = [\"alice@example.com\", \"mailto:Carol@Example.net\"]\n",
    ))
    .unwrap_or_else(|error| panic!("{error}"));
    let list = ["tag:example.com,2026:organizers".to_owned()];
    assert!(config.list_contains(&list, &["mailto:ALICE@example.com".to_owned()]));
    assert!(config.list_contains(&list, &["carol@example.net".to_owned()]));
    assert!(!config.list_contains(&list, &["mallory@example.com".to_owned()]));
    assert!(!config.list_contains(&["other".to_owned()], &["alice@example.com".to_owned()]));
    assert!(Config::from_toml("[lists]\nx = \"not a list\"\n").is_err());
}

#[test]
fn toml_caldav_section() {
    let config = Config::from_toml(concat!(
        "[caldav]\n",
        "url = \"https://dav.example.com/jane/\"\n",
        "user = \"jane\"\n",
        "password_file = \"jane.password\"\n",
        "calendars = [\"personal\", \"work\"]\n",
        "default_calendar = \"work\"\n",
        "required = true\n",
        "timeout_seconds = 5\n",
        "max_response_bytes = 65536\n",
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    let caldav = config.caldav.unwrap_or_else(|| panic!("[caldav] read"));
    assert_eq!(caldav.url, "https://dav.example.com/jane/");
    assert_eq!(caldav.user.as_deref(), Some("jane"));
    assert_eq!(
        caldav.password,
        Some(crate::validate::CalDavPassword::File(
            "jane.password".into()
        ))
    );
    assert_eq!(caldav.calendars, ["personal", "work"]);
    assert_eq!(caldav.default_calendar.as_deref(), Some("work"));
    assert!(caldav.required);
    assert_eq!(
        (caldav.timeout_seconds, caldav.max_response_bytes),
        (5, 65536)
    );

    // The password never shows in a debug print.
    let inline =
        Config::from_toml("[caldav]\nurl = \"http://127.0.0.1/a/\"\npassword = \"hunter2\"\n")
            .unwrap_or_else(|err| panic!("{err}"));
    assert!(!format!("{inline:?}").contains("hunter2"));
    assert_eq!(inline.caldav.map(|caldav| caldav.required), Some(false));

    for (text, key) in [
        ("[caldav]\nurl = \"ftp://x/\"\n", "caldav.url"),
        (
            "[caldav]\nurl = \"https://x/\"\npassword = \"a\"\npassword_file = \"b\"\n",
            "caldav.password",
        ),
        (
            "[caldav]\nurl = \"https://x/\"\ntimeout_seconds = 0\n",
            "caldav.timeout_seconds",
        ),
    ] {
        assert!(
            matches!(Config::from_toml(text), Err(ConfigError::InvalidValue { key: refused, .. }) if refused == key),
            "{text}"
        );
    }
    assert_eq!(
        Config::from_toml("[caldav]\nurl = \"https://x/\"\npasword = \"a\"\n").err(),
        Some(ConfigError::UnknownKey {
            key: "pasword".to_owned(),
            line: 3
        })
    );
}

#[test]
fn toml_bad_reason_and_bad_values() {
    let error = Config::from_toml("[weights]\nnot-invited = 10\norganiser-mismatch = 40\n").err();
    match error {
        Some(ConfigError::UnknownReason { name, line, .. }) => {
            assert_eq!((name.as_str(), line), ("organiser-mismatch", 3));
        }
        other => panic!("{other:?}"),
    }

    let error = Config::from_toml("[weights]\nnot-invited = 101\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 2, .. }) if key == "not-invited"),
        "{error:?}"
    );

    let error = Config::from_toml("far_future_days = -3\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 1, .. }) if key == "far_future_days"),
        "{error:?}"
    );

    let error = Config::from_toml("\nflag_unauthenticated = \"yes\"\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 2, .. }) if key == "flag_unauthenticated"),
        "{error:?}"
    );

    let error = Config::from_toml("now = \"tomorrow\"\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 1, .. }) if key == "now"),
        "{error:?}"
    );

    let error = Config::from_toml(
        "[scheduling_relays]\n\"insideicloud.icloud.com\" = [\"imip.me.com\", \"@me.com\"]\n",
    )
    .err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 2, message })
            if key == "scheduling_relays.insideicloud.icloud.com" && message == "`@me.com` is not a domain name"),
        "{error:?}"
    );
    let error = Config::from_toml("[scheduling_relays]\n\n\"a b\" = [\"imip.me.com\"]\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { line: 3, .. })),
        "{error:?}"
    );
    let error = Config::from_toml("[scheduling_relays]\n\"x.example\" = \"imip.me.com\"\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { line: 2, .. })),
        "{error:?}"
    );
    let empty = Config::from_toml("[scheduling_relays]\n").unwrap_or_else(|err| panic!("{err}"));
    assert!(empty.scheduling_relays.is_empty());

    let error = Config::from_toml("suspicious_threshold = \n").err();
    assert!(
        matches!(&error, Some(ConfigError::Syntax { line: 1, .. })),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// DirectoryLookup

#[test]
fn directory_lookup_indexes_attendees_by_uid() {
    let dir = std::env::temp_dir().join(format!("sieve-imip-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|err| panic!("{err}"))
    };
    write(
        "planning.ics",
        &calendar("PUBLISH", "dir-1@example.com", &[ORGANIZER, BOB, CAROL]),
    );
    // A changed instance of the same event adds a guest, and in it Bob
    // delegated to Dave.
    write(
        "planning-exception.ICS",
        &calendar(
            "PUBLISH",
            "dir-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE:mailto:dave@example.org",
                "ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO=\"mailto:dave@example.org\":mailto:bob@example.org",
            ],
        ),
    );
    write("notes.txt", "not a calendar");
    write(
        "huge.ics",
        &calendar("PUBLISH", "dir-2@example.com", &[ORGANIZER, BOB]).repeat(20),
    );

    let limits = CalendarLimits {
        max_bytes: 2000,
        ..CalendarLimits::default()
    };
    let lookup = DirectoryLookup::open(&dir, &limits).unwrap_or_else(|err| panic!("{err}"));
    let attendees: Vec<String> = lookup
        .attendees("dir-1@example.com")
        .unwrap_or_default()
        .iter()
        .map(|address| address.as_str().to_owned())
        .collect();
    assert_eq!(
        attendees,
        ["dave@example.org", "bob@example.org", "carol@example.net"]
    );
    assert_eq!(lookup.attendees("dir-2@example.com"), None);
    // What the pooled components say of delegation: Bob delegated in one.
    let stored = lookup
        .stored_attendees("dir-1@example.com")
        .unwrap_or_default();
    let bob = stored
        .iter()
        .find(|attendee| attendee.address.as_str() == "bob@example.org")
        .unwrap_or_else(|| panic!("bob is stored"));
    assert_eq!(bob.partstat.as_deref(), Some("DELEGATED"));
    assert_eq!(
        bob.delegated_to
            .iter()
            .map(CalAddress::as_str)
            .collect::<Vec<_>>(),
        ["dave@example.org"]
    );
    assert_eq!(lookup.skipped(), [dir.join("huge.ics")]);
    assert_eq!(lookup.len(), 1);

    // As the CLI uses it: a crash on the stored event.
    let config = Config::builder().lookup(Arc::new(lookup)).build();
    let reply = message(
        &["From: eve@crasher.example"],
        "REPLY",
        &calendar(
            "REPLY",
            "dir-1@example.com",
            &[
                ORGANIZER,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@crasher.example",
            ],
        ),
    );
    assert_eq!(reasons(&Run::new(&config).on(&reply)), ["party-crash"]);

    let _ = std::fs::remove_dir_all(&dir);
    assert!(DirectoryLookup::open(&dir, &limits).is_err());
}

#[test]
fn directory_lookup_reads_a_vdir_root() {
    let dir = std::env::temp_dir().join(format!("sieve-imip-lookup-vdir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).unwrap_or_else(|err| panic!("{err}"));
        }
        std::fs::write(path, text).unwrap_or_else(|err| panic!("{err}"))
    };
    // One folder per calendar, as vdirsyncer and khal keep them; hidden
    // files and folders are other programs' (a vdirsyncer status folder, a
    // half-written temporary file).
    write(
        "work/a.ics",
        &calendar("PUBLISH", "vdir-1@example.com", &[ORGANIZER, BOB]),
    );
    write(
        "home/b.ics",
        &calendar("PUBLISH", "vdir-2@example.com", &[ORGANIZER, CAROL]),
    );
    write(
        "home/.b.ics.1.tmp",
        &calendar("PUBLISH", "vdir-3@example.com", &[ORGANIZER]),
    );
    write(
        ".status/c.ics",
        &calendar("PUBLISH", "vdir-4@example.com", &[ORGANIZER]),
    );
    let lookup = DirectoryLookup::open(&dir, &CalendarLimits::default())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(lookup.len(), 2);
    assert!(lookup.attendees("vdir-1@example.com").is_some());
    assert!(lookup.attendees("vdir-2@example.com").is_some());
    assert_eq!(lookup.attendees("vdir-3@example.com"), None);
    assert_eq!(lookup.attendees("vdir-4@example.com"), None);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A message stuffed with Authentication-Results and DKIM-Signature fields
/// is read only so far, and says so.
#[test]
fn header_reading_is_bounded() {
    let result = "Authentication-Results: mx.example.org; dkim=pass header.d=example.com";
    let signature = "DKIM-Signature: v=1; d=example.com; h=from; bh=YWJj; b=QUJDREVGR0hJSg==";
    let mut headers = Vec::new();
    for _ in 0..200 {
        headers.push(result);
        headers.push(signature);
    }
    headers.push("iMIP-Content-ID: <cal-1@example.com>");
    headers.push("From: alice@example.com");
    let raw = message(
        &headers,
        "REQUEST",
        &calendar("REQUEST", "many-1@example.com", &[ORGANIZER, BOB]),
    );
    let validation = Run::new(&trusting("mx.example.org"))
        .top_level_imip_content_id()
        .on(&raw);
    assert_eq!(validation.authentication_results.len(), 65);
    assert_eq!(
        validation.authentication_results.last(),
        Some(&AuthResultsEntry::Error {
            error: "136 more Authentication-Results fields not read (limit 64)".to_owned()
        })
    );
    assert_eq!(reasons(&validation), ["imip-header-unsigned"]);
    assert!(detail(&validation, Reason::ImipHeaderUnsigned).contains("among 64 signatures"));
}

/// One defect, one finding in the risk: several findings of one reason
/// count once, with their strongest weight; the report keeps them all.
#[test]
fn each_reason_counts_once_in_the_risk() {
    let findings = [
        Finding::new(Reason::Malformed, "line 3"),
        Finding::new(Reason::Malformed, "line 4"),
        Finding::new(Reason::Malformed, "line 5"),
        Finding::new(Reason::NotInvited, "forwarded"),
    ];
    let config = Config::default();
    let (scored, risk) = score(&findings, &config);
    assert_eq!(scored.len(), 4);
    assert_eq!(risk, 15 + 20);
}

#[test]
fn toml_processcalendar_policy() {
    let config = Config::from_toml(
        "[processcalendar]\nact_on_suspicious = true\nact_on_unverified_sender = true\nconflict_retries = 9\n",
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        config.processing,
        crate::validate::ProcessingPolicy {
            act_on_suspicious: true,
            act_on_unverified_sender: true,
            conflict_retries: 9,
        }
    );
    let default = Config::default().processing;
    assert!(!default.act_on_suspicious && !default.act_on_unverified_sender);
    assert_eq!(default.conflict_retries, 10);

    let error = Config::from_toml("[processcalendar]\nconflict_retries = 1000\n").err();
    assert!(
        matches!(&error, Some(ConfigError::InvalidValue { key, line: 2, .. }) if key == "processcalendar.conflict_retries"),
        "{error:?}"
    );
    let error = Config::from_toml("[processcalendar]\nact_on_everything = true\n").err();
    assert!(
        matches!(&error, Some(ConfigError::UnknownKey { key, line: 2 }) if key == "act_on_everything"),
        "{error:?}"
    );
}
