//! What sieve-rs's created messages are: sieve-rs reports a vacation reply,
//! a redirect of an edited message and the edited message itself as
//! created messages, and only their bytes tell them apart.

use super::outcome::{Action, HeaderField};

/// sieve-rs builds vacation replies and redirects of an edited message the
/// same way (a created message, then a send). The edited message is the
/// original with other header fields, so it keeps the original body; a
/// vacation reply has a body of its own. (Header fields cannot tell them
/// apart: the original may itself be auto-submitted, and a script may add
/// `Auto-Submitted` before a redirect.)
pub(super) fn is_reply(built: &[u8], original: &[u8]) -> bool {
    body_of(built) != body_of(original)
}

/// The bytes after the header section (empty when there is none).
fn body_of(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|window| window == b"\r\n\r\n");
    let lf = raw.windows(2).position(|window| window == b"\n\n");
    let end = match (crlf, lf) {
        (Some(crlf), Some(lf)) if lf.saturating_add(1) < crlf => lf.saturating_add(2),
        (Some(crlf), _) => crlf.saturating_add(4),
        (None, Some(lf)) => lf.saturating_add(2),
        (None, None) => raw.len(),
    };
    raw.get(end..).unwrap_or_default()
}

/// The header fields an edited message gained and lost, as a multiset
/// difference of (name, raw value) pairs.
pub(super) fn header_edit(original: &[u8], edited: &[u8]) -> Action {
    let fields = |message: &mail_parser::Message<'_>| -> Vec<HeaderField> {
        message
            .root_part()
            .headers()
            .iter()
            .map(|header| HeaderField {
                name: header.name().to_string(),
                value: message
                    .raw_message()
                    .get(header.offset_start() as usize..header.offset_end() as usize)
                    .map(|raw| String::from_utf8_lossy(raw).trim().to_string())
                    .unwrap_or_default(),
            })
            .collect()
    };
    let fields_of = |raw: &[u8]| {
        mail_parser::MessageParser::new()
            .parse_headers(raw)
            .map(|parsed| fields(&parsed))
            .unwrap_or_default()
    };
    let before = fields_of(original);
    let after = fields_of(edited);
    let mut deleted = before.clone();
    let mut added = Vec::new();
    for field in after {
        match deleted
            .iter()
            .position(|old| old.name.eq_ignore_ascii_case(&field.name) && old.value == field.value)
        {
            Some(index) => {
                deleted.remove(index);
            }
            None => added.push(field),
        }
    }
    Action::EditHeader { added, deleted }
}
