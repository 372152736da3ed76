//! The `processcalendar` action of RFC 9671 (section 4): its grammar
//! (grammar/processcalendar.abnf), read over the lexer's tokens and checked,
//! and the call the lowering hands to sieve-rs and the engine reads back.
//!
//! sieve-rs 0.7.3 has no way to add an action. The lowering turns the
//! command into a `mailboxidexists` test (RFC 9042) on a string list whose
//! first string is a reserved name carrying the flags, followed by the
//! author's own argument strings, copied as written: sieve-rs expands them
//! (variables, encoded characters) exactly as it expands every other
//! string of the script, and raises an event the engine answers at that
//! place in the script. The outcome and the reason come back through two
//! reserved environment items, which `set` commands after the test copy
//! into the author's variables.
//!
//! Grammar: grammar/processcalendar.abnf

use super::cursor::{string_list, Cursor};
use super::error::{ScriptError, ScriptErrorKind};
use super::lexer::{Span, Token, TokenKind};
use super::reserved::ReservedNames;

/// One checked `processcalendar` command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProcessCalendarCommand {
    /// From `processcalendar` to its `;`, inclusive.
    pub span: Span,
    pub allow_public: bool,
    pub updates_only: bool,
    pub delete_cancelled: bool,
    /// Each string of `:addresses`.
    pub addresses: Vec<Span>,
    pub calendar_id: Option<Span>,
    pub organizers: Option<Span>,
    pub outcome: Option<Span>,
    pub reason: Option<Span>,
}

/// The capabilities in scope where the command stands, as far as its
/// arguments need them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InScope {
    /// `require "variables"` (RFC 5229): `:outcome` and `:reason` store
    /// into variables.
    pub variables: bool,
    /// `require "extlists"` (RFC 6134): `:organizers` names a list.
    pub extlists: bool,
}

/// The tagged arguments, for messages.
const TAGS: &str = ":allowpublic, :addresses, :updatesonly, :calendarid, :deletecancelled, :organizers, :outcome or :reason";

/// `processcalendar-command = "processcalendar" *processcalendar-tagged-argument ";"`
///
/// The cursor stands on `processcalendar`.
pub(crate) fn processcalendar_command(
    cursor: &mut Cursor<'_>,
    scope: InScope,
) -> Result<ProcessCalendarCommand, ScriptError> {
    let Some(name) = cursor.next() else {
        return Err(cursor.syntax_error("processcalendar"));
    };
    let mut command = ProcessCalendarCommand {
        span: name.span,
        ..ProcessCalendarCommand::default()
    };
    let mut seen: Vec<(&'static str, Token)> = Vec::new();
    // Each argument consumes at least its tag, so the loop ends.
    while let Some(tag) = cursor.peek().filter(|token| token.kind == TokenKind::Tag) {
        processcalendar_tagged_argument(cursor, tag, &mut command, &mut seen, scope)?;
    }
    match cursor.peek() {
        Some(token) if token.kind == TokenKind::Semicolon => {
            cursor.next();
            command.span.end = token.span.end;
            Ok(command)
        }
        Some(token) if token.is_string() || token.kind == TokenKind::BracketOpen => Err(cursor
            .error_at(
                token.span.start,
                ScriptErrorKind::PositionalArgument {
                    command: "processcalendar",
                    found: token.describe(cursor.source),
                },
            )),
        _ => Err(cursor.error_here(ScriptErrorKind::ActionNotEnded {
            command: "processcalendar",
            found: cursor.describe_next(),
        })),
    }
}

/// `processcalendar-tagged-argument = ":allowpublic" / addresses / ":updatesonly" / calendarid / ":deletecancelled" / organizers / outcome / reason`
fn processcalendar_tagged_argument(
    cursor: &mut Cursor<'_>,
    tag: Token,
    command: &mut ProcessCalendarCommand,
    seen: &mut Vec<(&'static str, Token)>,
    scope: InScope,
) -> Result<(), ScriptError> {
    let written = tag.text(cursor.source);
    let name = written.get(1..).unwrap_or_default().to_ascii_lowercase();
    let known: &'static str = match name.as_str() {
        "allowpublic" => ":allowpublic",
        "addresses" => ":addresses",
        "updatesonly" => ":updatesonly",
        "calendarid" => ":calendarid",
        "deletecancelled" => ":deletecancelled",
        "organizers" => ":organizers",
        "outcome" => ":outcome",
        "reason" => ":reason",
        _ => {
            return Err(cursor.error_at(
                tag.span.start,
                ScriptErrorKind::UnknownActionTag {
                    command: "processcalendar",
                    found: written.to_owned(),
                    expected: TAGS,
                },
            ))
        }
    };
    if seen.iter().any(|(earlier, _)| *earlier == known) {
        return Err(cursor.error_at(
            tag.span.start,
            ScriptErrorKind::DuplicateArgument {
                found: written.to_owned(),
            },
        ));
    }
    // RFC 9671 sections 4.3 and 4.4: ":updatesonly" and ":calendarid"
    // exclude each other (new events go nowhere with the first, to a calendar with the
    // second).
    let excluded = match known {
        ":updatesonly" => Some(":calendarid"),
        ":calendarid" => Some(":updatesonly"),
        _ => None,
    };
    if let Some((first, _)) = excluded.and_then(|other| seen.iter().find(|(s, _)| *s == other)) {
        return Err(cursor.error_at(
            tag.span.start,
            ScriptErrorKind::ConflictingTags {
                first,
                second: known,
            },
        ));
    }
    let needs = match known {
        ":outcome" | ":reason" if !scope.variables => Some("variables"),
        ":organizers" if !scope.extlists => Some("extlists"),
        _ => None,
    };
    if let Some(capability) = needs {
        return Err(cursor.error_at(
            tag.span.start,
            ScriptErrorKind::UndeclaredCapability {
                tag: known.to_owned(),
                capability,
            },
        ));
    }
    seen.push((known, tag));
    cursor.next();
    match known {
        ":allowpublic" => command.allow_public = true,
        ":updatesonly" => command.updates_only = true,
        ":deletecancelled" => command.delete_cancelled = true,
        ":addresses" => command.addresses = addresses(cursor, known)?,
        ":calendarid" => command.calendar_id = Some(calendarid(cursor, known)?),
        ":organizers" => command.organizers = Some(organizers(cursor, known)?),
        ":outcome" => command.outcome = Some(outcome(cursor, known)?),
        _ => command.reason = Some(reason(cursor, known)?),
    }
    Ok(())
}

/// `addresses = ":addresses" string-list`
///
/// The cursor stands after the tag.
fn addresses(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Vec<Span>, ScriptError> {
    let starts_list = cursor
        .peek()
        .is_some_and(|token| token.is_string() || token.kind == TokenKind::BracketOpen);
    if !starts_list {
        return Err(missing_value(cursor, tag, "a string or a string list"));
    }
    string_list(cursor)
}

/// `calendarid = ":calendarid" string`
fn calendarid(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    one_string(cursor, tag, "a calendar id (a string)")
}

/// `organizers = ":organizers" ext-list-name`
fn organizers(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    ext_list_name(cursor, tag)
}

/// `ext-list-name = string`
fn ext_list_name(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    one_string(cursor, tag, "an external list name (a string, RFC 6134)")
}

/// `outcome = ":outcome" variable-name`
fn outcome(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    variable_name(cursor, tag)
}

/// `reason = ":reason" variable-name`
fn reason(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    variable_name(cursor, tag)
}

/// `variable-name = string`
///
/// A constant name, as `set` takes one (RFC 5229 section 3): an
/// identifier, written as a quoted string.
fn variable_name(cursor: &mut Cursor<'_>, tag: &'static str) -> Result<Span, ScriptError> {
    let span = one_string(cursor, tag, "a variable name (a string)")?;
    let value = cursor
        .source
        .get(span.start..span.end)
        .filter(|text| text.starts_with('"'))
        .and_then(|text| text.get(1..text.len().saturating_sub(1)))
        .unwrap_or_default();
    let is_identifier = value
        .bytes()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == b'_')
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    if !is_identifier {
        return Err(cursor.error_at(
            span.start,
            ScriptErrorKind::BadVariableName {
                tag,
                found: cursor
                    .source
                    .get(span.start..span.end)
                    .unwrap_or_default()
                    .to_owned(),
            },
        ));
    }
    Ok(span)
}

fn one_string(
    cursor: &mut Cursor<'_>,
    tag: &'static str,
    expected: &'static str,
) -> Result<Span, ScriptError> {
    match cursor.peek() {
        Some(token) if token.is_string() => {
            cursor.next();
            Ok(token.span)
        }
        _ => Err(missing_value(cursor, tag, expected)),
    }
}

fn missing_value(cursor: &Cursor<'_>, tag: &'static str, expected: &'static str) -> ScriptError {
    cursor.error_here(ScriptErrorKind::MissingTagValue {
        tag,
        expected,
        found: cursor.describe_next(),
    })
}

/// A `processcalendar` call as the engine receives it: the flags, and the
/// argument strings as sieve-rs expanded them at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessCall {
    /// `:allowpublic`
    pub allow_public: bool,
    /// `:updatesonly`
    pub updates_only: bool,
    /// `:deletecancelled`
    pub delete_cancelled: bool,
    /// `:addresses`
    pub addresses: Vec<String>,
    /// `:calendarid`
    pub calendar_id: Option<String>,
    /// `:organizers`
    pub organizers: Option<String>,
}

/// The first mailbox id of a lowered call: the reserved stem, then the
/// flags and how many strings each argument contributes.
pub(crate) fn call_header(command: &ProcessCalendarCommand, names: &ReservedNames) -> String {
    let mut flags = String::new();
    for (set, letter) in [
        (command.allow_public, 'p'),
        (command.updates_only, 'u'),
        (command.delete_cancelled, 'd'),
    ] {
        if set {
            flags.push(letter);
        }
    }
    if flags.is_empty() {
        flags.push('-');
    }
    format!(
        "{}:{flags}:{}:{}:{}",
        names.process_call(),
        command.addresses.len(),
        usize::from(command.calendar_id.is_some()),
        usize::from(command.organizers.is_some()),
    )
}

/// Reads a call back from the mailbox ids of a `mailboxidexists` event:
/// `None` when the ids are not a lowered call (the author's own test).
pub fn decode_call(ids: &[&str], names: &ReservedNames) -> Option<ProcessCall> {
    let (header, values) = ids.split_first()?;
    let rest = header
        .strip_prefix(names.process_call())?
        .strip_prefix(':')?;
    let mut fields = rest.split(':');
    let flags = fields.next()?;
    let mut count = || -> Option<usize> { fields.next()?.parse().ok() };
    let (addresses, calendar_ids, organizers) = (count()?, count()?, count()?);
    if calendar_ids > 1 || organizers > 1 {
        return None;
    }
    let total = addresses
        .checked_add(calendar_ids)?
        .checked_add(organizers)?;
    if values.len() != total {
        return None;
    }
    let (address_values, rest) = values.split_at_checked(addresses)?;
    let (calendar_values, organizer_values) = rest.split_at_checked(calendar_ids)?;
    Some(ProcessCall {
        allow_public: flags.contains('p'),
        updates_only: flags.contains('u'),
        delete_cancelled: flags.contains('d'),
        addresses: address_values
            .iter()
            .map(|value| (*value).to_owned())
            .collect(),
        calendar_id: calendar_values.first().map(|value| (*value).to_owned()),
        organizers: organizer_values.first().map(|value| (*value).to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_survive_the_round_trip() {
        let names = ReservedNames::global();
        let command = ProcessCalendarCommand {
            allow_public: true,
            delete_cancelled: true,
            addresses: vec![Span { start: 0, end: 1 }, Span { start: 2, end: 3 }],
            calendar_id: Some(Span { start: 4, end: 5 }),
            ..ProcessCalendarCommand::default()
        };
        let header = call_header(&command, names);
        let ids = [header.as_str(), "a@x", "", "work"];
        let call = decode_call(&ids, names);
        assert_eq!(
            call,
            Some(ProcessCall {
                allow_public: true,
                updates_only: false,
                delete_cancelled: true,
                addresses: vec!["a@x".into(), String::new()],
                calendar_id: Some("work".into()),
                organizers: None,
            })
        );
        assert_eq!(decode_call(&["a@x"], names), None);
        assert_eq!(decode_call(&[header.as_str(), "a@x"], names), None);
        let forged = format!("{}:-:0:0:0", names.process_call());
        assert!(decode_call(&[forged.as_str()], names).is_some());
        assert_eq!(
            decode_call(&["vnd.sieve-imip.processcalendar:-:0:0:0"], names),
            None
        );
    }
}
