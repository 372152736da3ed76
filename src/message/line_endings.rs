//! Line-ending repair done before any MIME parsing.

use std::borrow::Cow;

/// Turns every bare CR (a CR not followed by LF) into CRLF.
///
/// Messages whose lines end in a bare CR (old Mac and Exchange 2003 stores,
/// corpus 005) are not split by mail-parser 0.11: it finds neither header
/// ends nor boundaries. The engine repairs the raw bytes with this (through
/// `repair_raw_message`) before giving them to sieve-rs, so sieve-rs and
/// the analysis see one structure.
///
/// Only a message whose first line already ends in a bare CR is repaired:
/// that is the bare-CR store format mail-parser cannot split. A CRLF or LF
/// message with a stray CR in a body (binary or 8bit data) is borrowed
/// unchanged, so its size and bytes stay what the sender sent, and a
/// script sees the same message with or without `imip`.
pub fn normalize_line_endings(raw: &[u8]) -> Cow<'_, [u8]> {
    let first_break = raw.iter().position(|byte| matches!(byte, b'\r' | b'\n'));
    let header_uses_bare_cr = first_break.is_some_and(|at| {
        raw.get(at) == Some(&b'\r') && raw.get(at.saturating_add(1)) != Some(&b'\n')
    });
    if !header_uses_bare_cr {
        return Cow::Borrowed(raw);
    }
    let Some(chunk_start) = chunk_with_first_bare_cr(raw) else {
        return Cow::Borrowed(raw);
    };
    // The CR may be the last byte of the chunk before the one that showed it.
    let from = chunk_start.saturating_sub(1);
    let mut repaired = Vec::with_capacity(raw.len().saturating_add(raw.len() / 32));
    repaired.extend_from_slice(raw.get(..from).unwrap_or_default());
    let rest = raw.get(from..).unwrap_or_default();
    let mut copied_up_to = 0;
    for (at, &byte) in rest.iter().enumerate() {
        let through_cr = at.saturating_add(1);
        if byte == b'\r' && rest.get(through_cr) != Some(&b'\n') {
            repaired.extend_from_slice(rest.get(copied_up_to..through_cr).unwrap_or_default());
            repaired.push(b'\n');
            copied_up_to = through_cr;
        }
    }
    repaired.extend_from_slice(rest.get(copied_up_to..).unwrap_or_default());
    Cow::Owned(repaired)
}

/// Bytes looked at between checks for a bare CR; large enough for the
/// compiler to vectorise the branch-free inner loop.
const SCAN_CHUNK: usize = 4096;

/// The start of the chunk in which the first bare CR shows (by the byte after
/// it, or by the end of input), if any.
///
/// The inner loop has no early exit and no branch, so it compiles to vector
/// code: this runs at memory speed even on CRLF mail, where searching for each
/// CR in turn (memchr) stops once per line.
fn chunk_with_first_bare_cr(raw: &[u8]) -> Option<usize> {
    let mut previous_was_cr = false;
    for (index, chunk) in raw.chunks(SCAN_CHUNK).enumerate() {
        let mut bare_cr = false;
        for &byte in chunk {
            bare_cr |= previous_was_cr & (byte != b'\n');
            previous_was_cr = byte == b'\r';
        }
        if bare_cr {
            return Some(index.saturating_mul(SCAN_CHUNK));
        }
    }
    previous_was_cr.then_some(raw.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_are_borrowed() {
        for raw in [&b"a\r\nb\r\n"[..], b"a\nb\n", b"", b"no line end"] {
            assert!(
                matches!(normalize_line_endings(raw), Cow::Borrowed(_)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn bare_cr_becomes_crlf() {
        assert_eq!(normalize_line_endings(b"a\rb\r").as_ref(), b"a\r\nb\r\n");
        assert_eq!(normalize_line_endings(b"\r").as_ref(), b"\r\n");
        assert_eq!(normalize_line_endings(b"\r\r\n").as_ref(), b"\r\n\r\n");
    }

    #[test]
    fn bare_cr_at_a_chunk_edge() {
        for at in [SCAN_CHUNK - 2, SCAN_CHUNK - 1, SCAN_CHUNK, SCAN_CHUNK + 1] {
            let mut raw = vec![b'a'; SCAN_CHUNK * 2];
            // The first line ends in a bare CR: a bare-CR message.
            if let Some(byte) = raw.get_mut(1) {
                *byte = b'\r';
            }
            if let Some(byte) = raw.get_mut(at) {
                *byte = b'\r';
            }
            let normalized = normalize_line_endings(&raw);
            let mut expected = raw.clone();
            expected.insert(at + 1, b'\n');
            expected.insert(2, b'\n');
            assert_eq!(normalized.as_ref(), expected.as_slice(), "CR at {at}");
        }
    }

    #[test]
    fn mixed_endings_keep_their_crlf_and_lf() {
        assert_eq!(
            normalize_line_endings(b"one\rtwo\r\nthree\nfour\r\r\nfive").as_ref(),
            b"one\r\ntwo\r\nthree\nfour\r\n\r\nfive"
        );
    }

    #[test]
    fn stray_cr_in_a_crlf_or_lf_message_is_left_alone() {
        for raw in [
            &b"From: a@example.com\r\nSubject: x\r\n\r\nline1\rstill line1\r\n"[..],
            b"From: a@example.com\nSubject: x\n\nbinary\r\x00\rdata\n",
        ] {
            assert!(
                matches!(normalize_line_endings(raw), Cow::Borrowed(_)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn bare_cr_message_splits_into_parts() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\rpreamble\r--b\rContent-Type: text/plain\r\rhello\r--b--\r";
        let normalized = normalize_line_endings(raw);
        let parsed = mail_parser::MessageParser::default().parse(normalized.as_ref());
        let parts = parsed.map(|message| message.parts.len()).unwrap_or(0);
        assert_eq!(parts, 2);
    }
}
