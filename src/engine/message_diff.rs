//! What sieve-rs's created messages are: sieve-rs reports a vacation reply,
//! a redirect of an edited message and the edited message itself as
//! created messages, and only their bytes tell them apart.

use std::collections::{HashMap, VecDeque};

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
/// difference of (name, raw value) pairs: each field of the edited message
/// takes the earliest unmatched original field with the same name (in any
/// case) and value; the original fields left over were deleted.
///
/// One hash look-up per field keeps it linear: a message with tens of
/// thousands of header fields must not make a one-line `addheader` cost
/// seconds.
pub(super) fn header_edit(original: &[u8], edited: &[u8]) -> Action {
    let before = fields_of(original);
    let after = fields_of(edited);
    // For each (lower-cased name, value), the indexes of the original
    // fields not matched yet, earliest first.
    let mut unmatched: HashMap<(String, &str), VecDeque<usize>> = HashMap::new();
    for (index, field) in before.iter().enumerate() {
        unmatched
            .entry((field.name.to_ascii_lowercase(), field.value.as_str()))
            .or_default()
            .push_back(index);
    }
    let mut kept = vec![false; before.len()];
    let mut added = Vec::new();
    for field in &after {
        let earliest = unmatched
            .get_mut(&(field.name.to_ascii_lowercase(), field.value.as_str()))
            .and_then(VecDeque::pop_front);
        match earliest.and_then(|index| kept.get_mut(index)) {
            Some(slot) => *slot = true,
            None => added.push(field.clone()),
        }
    }
    drop(unmatched);
    let deleted = before
        .into_iter()
        .zip(kept)
        .filter_map(|(field, kept)| (!kept).then_some(field))
        .collect();
    Action::EditHeader { added, deleted }
}

/// The top-level header fields of a message, each with its raw value
/// trimmed; none when the bytes do not parse.
fn fields_of(raw: &[u8]) -> Vec<HeaderField> {
    let Some(message) = mail_parser::MessageParser::new().parse_headers(raw) else {
        return Vec::new();
    };
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, value: &str) -> HeaderField {
        HeaderField {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn header_edit_is_a_multiset_difference() {
        let original = b"From: a@example.com\r\nX-A: 1\r\nX-A: 1\r\nX-B: 2\r\n\r\nbody\r\n";
        let edited = b"X-New: 3\r\nFrom: a@example.com\r\nx-a: 1\r\nX-B: 2\r\n\r\nbody\r\n";
        let Action::EditHeader { added, deleted } = header_edit(original, edited) else {
            panic!("not a header edit");
        };
        assert_eq!(added, [field("X-New", "3")]);
        // One of the two equal X-A fields is gone: the later one, since the
        // edited message's x-a matched the earliest.
        assert_eq!(deleted, [field("X-A", "1")]);
    }
}
