//! Step 1 of the analysis: finding this message's iMIP object.
//!
//! The order follows draft-daboo-imip-headers-00 section 3, then the MIME
//! structure producers actually send:
//!
//! 1. A top-level `iMIP-Content-ID` names the part whose own `iMIP-Content-ID`
//!    is the same msg-id and which holds iCalendar data (rule 1). No such
//!    part: the header is treated as absent.
//! 2. Without a (usable) top-level header, exactly one sub-part carrying the
//!    header and holding a valid iMIP object wins (rule 2A); several sub-parts
//!    carrying it are treated as none (rule 2B).
//! 3. Otherwise the structure decides: `text/calendar` parts with a `method`
//!    parameter, then `text/calendar` parts whose object has a METHOD, then
//!    `application/ics` or `*.ics`/`*.ical`/`*.vcs` parts whose object has a
//!    METHOD. Copies of one object count once; copies that disagree on METHOD
//!    or UID give `method-mismatch`.
//!
//! METHOD values (the object's and the Content-Type parameter's) count only
//! when they are RFC 5545 tokens (letters, digits, `-`): the effective
//! method reaches folder names through `imip :method`, so a value such as
//! `REQUEST/../../TRASH` is kept as what the part said, for the `malformed`
//! finding, and is never the method.
//!
//! Calendars inside an attached `message/rfc822` (forwards, bounces) belong to
//! that message, not to this one: they are listed in [`Located::embedded`].
//!
//! The walk reads part headers only; a body is looked at only when its part
//! is a calendar candidate, so a message without calendars costs one pass over
//! its part headers and no allocation.

mod line_endings;
mod part;
mod raw;
mod scan;
mod walk;

use std::borrow::Cow;
use std::fmt;

use mail_parser::{Message, MessagePart};

use crate::headers::msg_id::{parse_msg_id_bytes, MsgId};
use crate::syntax::content_line::is_method_token;

pub use raw::{is_rfc5322_mail, repair_raw_message};

use part::{raw_header_value, CalendarKind, PartHeaders};
use scan::{glance, CalendarGlance};
use walk::{walk, Entity, PartPath};

/// What locating found in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// This message's iMIP object; `None` when the message is not iMIP.
    pub object: Option<LocatedObject>,
    /// Calendars inside attached messages (forwards, bounces), which are not
    /// this message's object, in document order.
    pub embedded: Vec<EmbeddedCalendar>,
    /// The first part left unexamined because the MIME structure is nested
    /// too deeply or has too many parts, and the limit it reached; `None`
    /// when the walk saw every part.
    pub cut_at: Option<(String, MimeLimit)>,
    /// The other parts the structure rules took as iMIP objects, besides the
    /// located one (copies of it, or objects that disagree with it).
    pub other_candidates: Vec<CandidateCopy>,
}

/// What identifies a candidate part's object, for comparing copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateCopy {
    /// IMAP-style section path of the part.
    pub part: String,
    /// Index of the part in the outer message's `parts`, for reading it
    /// again ([`candidate_text`]).
    pub part_id: usize,
    /// Its effective METHOD, upper-cased (a token, see [`LocatedObject::method`]).
    pub method: Option<String>,
    /// Its first UID.
    pub uid: Option<String>,
}

impl Located {
    /// The effective METHOD of the object, if there is one.
    pub fn method(&self) -> Option<&str> {
        self.object
            .as_ref()
            .and_then(|object| object.method.as_deref())
    }
}

/// The located iMIP object and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedObject {
    /// Which rule found it.
    pub located_by: LocatedBy,
    /// IMAP-style section path: "1", "2", "1.2"...; a single-part message's body is "1".
    pub part: String,
    /// Index of the part in the outer message's `parts` (mail-parser's part id).
    pub part_id: usize,
    /// The calendar text, decoded to UTF-8 whatever the transfer encoding and charset.
    pub text: String,
    /// Effective METHOD, upper-cased: the object's METHOD wins, else the
    /// parameter's. Only an RFC 5545 token (letters, digits, `-`) is a
    /// method: a value that is not one counts as absent.
    pub method: Option<String>,
    /// The Content-Type `method` parameter as written, upper-cased (it may be
    /// no token; then it is not the method, and a `malformed` finding says so).
    pub parameter_method: Option<String>,
    /// The object's METHOD property as written, upper-cased (it may be no
    /// token, as for `parameter_method`).
    pub object_method: Option<String>,
    /// The object's first UID, used to tell copies of one object from different objects.
    pub uid: Option<String>,
}

/// The rule that located the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocatedBy {
    /// Draft rule 1: the top-level `iMIP-Content-ID` named the part.
    ImipContentIdTop,
    /// Draft rule 2A: the one sub-part carrying `iMIP-Content-ID`.
    ImipContentIdPart,
    /// No header decided; the MIME structure did.
    Structure,
}

impl LocatedBy {
    /// The name the analysis report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            LocatedBy::ImipContentIdTop => "imip-content-id-top",
            LocatedBy::ImipContentIdPart => "imip-content-id-part",
            LocatedBy::Structure => "structure",
        }
    }
}

impl fmt::Display for LocatedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar carried inside an attached message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedCalendar {
    /// IMAP section path, numbered inside the embedded message ("2.1", "3.2.1"...).
    pub part: String,
    /// Its effective METHOD (object's, else parameter's; a token), if it has one.
    pub method: Option<String>,
}

/// How far the MIME walk goes. Reaching either limit stops it there and
/// is reported ([`Located::cut_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeLimits {
    /// Deepest MIME nesting followed (levels of the IMAP section path).
    /// Default 32.
    pub max_depth: usize,
    /// Most MIME entities visited in one message, embedded messages
    /// included. Default 100,000.
    pub max_parts: usize,
}

impl Default for MimeLimits {
    fn default() -> Self {
        MimeLimits {
            max_depth: walk::DEFAULT_MAX_DEPTH,
            max_parts: walk::DEFAULT_MAX_ENTITIES,
        }
    }
}

/// Which [`MimeLimits`] limit stopped the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MimeLimit {
    /// [`MimeLimits::max_depth`].
    Depth,
    /// [`MimeLimits::max_parts`].
    Parts,
}

/// Finds this message's iMIP object, walking its MIME structure within
/// the default [`MimeLimits`].
///
/// Give it the message parsed from [`repair_raw_message`]'s output, as
/// sieve-rs sees it.
#[cfg(any(test, feature = "internals"))]
pub fn locate_imip(message: &Message<'_>) -> Located {
    locate_imip_within(message, MimeLimits::default())
}

/// [`locate_imip`] within the given MIME limits.
pub fn locate_imip_within(message: &Message<'_>, limits: MimeLimits) -> Located {
    let mut survey = Survey::default();
    let end = walk(message, limits, |entity, path| survey.note(entity, path));

    let mut located = Located {
        embedded: survey.embedded,
        ..Located::default()
    };
    located.cut_at = end.cut_at;

    let by_header = survey
        .top_level_id
        .as_ref()
        .and_then(|top_id| rule_1(message, top_id, &survey.with_header))
        .or_else(|| rule_2(message, &survey.with_header));
    let object = match by_header {
        Some(found) => Some(found),
        None => structure(message, &survey.candidates, &mut located.other_candidates),
    };
    located.object = object;
    located
}

/// The calendar text of the outer message's part `part_id` (a candidate's,
/// as [`CandidateCopy::part_id`] names it), decoded as locating decoded it.
/// Locating keeps no more than one body, so a step that compares the
/// copies reads each again, one at a time.
pub fn candidate_text<'m>(message: &'m Message<'_>, part_id: usize) -> Option<Cow<'m, str>> {
    let part = message.parts.get(part_id)?;
    Some(PartHeaders::read(part).body_text(part))
}

/// What one walk over the message collects: only paths and ids, so parts
/// that turn out not to matter cost nothing more.
#[derive(Default)]
struct Survey {
    /// The msg-id of the top-level `iMIP-Content-ID`, when present and parsable.
    top_level_id: Option<MsgId>,
    /// Parts of the outer message carrying `iMIP-Content-ID`, the root
    /// included (in a single-part message the root is also the body).
    with_header: Vec<HeaderedPart>,
    /// Calendar-carrying leaves of the outer message.
    candidates: Vec<CandidatePart>,
    /// Calendar-carrying leaves of attached messages.
    embedded: Vec<EmbeddedCalendar>,
}

struct HeaderedPart {
    part_id: usize,
    path: String,
    is_root: bool,
    is_leaf: bool,
    id: Option<MsgId>,
}

struct CandidatePart {
    part_id: usize,
    path: String,
}

impl Survey {
    fn note(&mut self, entity: &Entity<'_, '_>, path: &PartPath) {
        let headers = PartHeaders::read(entity.part);
        if entity.embedded {
            if entity.is_leaf && headers.calendar_kind().is_some() {
                let seen = glance(&headers.body_text(entity.part));
                self.embedded.push(EmbeddedCalendar {
                    part: path.to_string(),
                    method: effective_method(seen.method, headers.parameter_method()),
                });
            }
            return;
        }
        if let Some(header) = headers.imip_content_id {
            let id = parse_msg_id_bytes(&raw_header_value(entity.message, header));
            if entity.is_root {
                self.top_level_id = id.clone();
            }
            // A single-part message's root is also the part that carries the
            // object, so it is kept for rule 1 too; rule 2 skips it.
            self.with_header.push(HeaderedPart {
                part_id: entity.part_id,
                path: path.to_string(),
                is_root: entity.is_root,
                is_leaf: entity.is_leaf,
                id,
            });
        }
        if entity.is_leaf && headers.calendar_kind().is_some() {
            self.candidates.push(CandidatePart {
                part_id: entity.part_id,
                path: path.to_string(),
            });
        }
    }
}

/// A part's calendar content and the evidence about its METHOD.
struct Reading<'m> {
    kind: Option<CalendarKind>,
    text: Cow<'m, str>,
    parameter_method: Option<String>,
    seen: CalendarGlance,
}

/// The method a part's object and Content-Type say together: the object's
/// METHOD wins, else the parameter's; a value that is not a token is none.
fn effective_method(object: Option<String>, parameter: Option<String>) -> Option<String> {
    [object, parameter]
        .into_iter()
        .flatten()
        .find(|said| is_method_token(said))
}

impl Reading<'_> {
    fn effective_method(&self) -> Option<&String> {
        [&self.seen.method, &self.parameter_method]
            .into_iter()
            .flatten()
            .find(|said| is_method_token(said))
    }

    /// Whether the structure rules take this part as an iMIP object. A
    /// METHOD that is not a token still makes a text/calendar part one (a
    /// malformed one): the sender meant it as scheduling mail.
    fn is_imip_candidate(&self) -> bool {
        match self.kind {
            Some(CalendarKind::TextCalendar) => {
                self.seen.method.is_some() || self.parameter_method.is_some()
            }
            Some(CalendarKind::IcsFile) => self.seen.method.is_some(),
            None => false,
        }
    }

    /// Preference among copies of one object: text/calendar with a method
    /// parameter (what RFC 6047 asks for), then text/calendar, then files.
    fn rank(&self) -> u8 {
        match (self.kind, &self.parameter_method) {
            (Some(CalendarKind::TextCalendar), Some(_)) => 0,
            (Some(CalendarKind::TextCalendar), None) => 1,
            _ => 2,
        }
    }

    fn into_object(self, located_by: LocatedBy, part: String, part_id: usize) -> LocatedObject {
        let method = self.effective_method().cloned();
        LocatedObject {
            located_by,
            part,
            part_id,
            text: self.text.into_owned(),
            method,
            parameter_method: self.parameter_method,
            object_method: self.seen.method,
            uid: self.seen.uid,
        }
    }
}

fn read_part<'m>(part: &'m MessagePart<'_>) -> Reading<'m> {
    let headers = PartHeaders::read(part);
    let text = headers.body_text(part);
    let seen = glance(&text);
    Reading {
        kind: headers.calendar_kind(),
        text,
        parameter_method: headers.parameter_method(),
        seen,
    }
}

/// Draft rule 1: the part whose own `iMIP-Content-ID` equals the top-level one
/// and which holds iCalendar data.
fn rule_1(
    message: &Message<'_>,
    top_id: &MsgId,
    with_header: &[HeaderedPart],
) -> Option<LocatedObject> {
    with_header
        .iter()
        .filter(|headered| headered.is_leaf && headered.id.as_ref() == Some(top_id))
        .find_map(|headered| {
            let reading = read_part(message.parts.get(headered.part_id)?);
            reading.seen.has_vcalendar.then(|| {
                reading.into_object(
                    LocatedBy::ImipContentIdTop,
                    headered.path.clone(),
                    headered.part_id,
                )
            })
        })
}

/// Draft rules 2A and 2B: one sub-part carrying the header, holding a valid
/// iMIP object, wins; several carrying it count as none.
fn rule_2(message: &Message<'_>, with_header: &[HeaderedPart]) -> Option<LocatedObject> {
    let mut sub_parts = with_header.iter().filter(|headered| !headered.is_root);
    let (Some(only), None) = (sub_parts.next(), sub_parts.next()) else {
        return None;
    };
    if !only.is_leaf {
        return None;
    }
    let reading = read_part(message.parts.get(only.part_id)?);
    let valid = reading.seen.has_vcalendar && reading.effective_method().is_some();
    valid.then(|| {
        reading.into_object(
            LocatedBy::ImipContentIdPart,
            only.path.clone(),
            only.part_id,
        )
    })
}

/// The structure rules: the preferred candidate; every other candidate is
/// listed in `others`, for the validation to compare with it.
fn structure(
    message: &Message<'_>,
    candidates: &[CandidatePart],
    others: &mut Vec<CandidateCopy>,
) -> Option<LocatedObject> {
    // Only what comparison needs is kept per candidate. A body mail-parser
    // has already decoded is borrowed, so its reading is kept and the chosen
    // one is not read twice; a body decoded here (a charset on a binary part)
    // is dropped and the chosen one's read again at the end, so no more than
    // one decoded body is held at a time.
    struct Summary<'c, 'm> {
        candidate: &'c CandidatePart,
        rank: u8,
        method: Option<String>,
        uid: Option<String>,
        borrowed: Option<Reading<'m>>,
    }
    let mut summaries: Vec<Summary<'_, '_>> = candidates
        .iter()
        .filter_map(|candidate| {
            let reading = read_part(message.parts.get(candidate.part_id)?);
            reading.is_imip_candidate().then(|| Summary {
                candidate,
                rank: reading.rank(),
                method: reading.effective_method().cloned(),
                uid: reading.seen.uid.clone(),
                borrowed: matches!(reading.text, Cow::Borrowed(_)).then_some(reading),
            })
        })
        .collect();
    let chosen_at = summaries
        .iter()
        .enumerate()
        .min_by_key(|(_, summary)| summary.rank)
        .map(|(at, _)| at)?;
    let chosen = summaries.remove(chosen_at);
    others.extend(summaries.into_iter().map(|other| CandidateCopy {
        part: other.candidate.path.clone(),
        part_id: other.candidate.part_id,
        method: other.method,
        uid: other.uid,
    }));
    let Summary {
        candidate,
        borrowed,
        ..
    } = chosen;
    let reading = match borrowed {
        Some(reading) => reading,
        None => read_part(message.parts.get(candidate.part_id)?),
    };
    Some(reading.into_object(
        LocatedBy::Structure,
        candidate.path.clone(),
        candidate.part_id,
    ))
}
