//! Line-ending repair done before any MIME parsing.

use std::borrow::Cow;

/// Turns every bare CR (a CR not followed by LF) into CRLF.
///
/// Messages whose lines end in a bare CR (old Mac and Exchange 2003 stores,
/// corpus 005) are not split by mail-parser 0.11: it finds neither header
/// ends nor boundaries. The engine calls this on the raw bytes before giving
/// them to sieve-rs, so sieve-rs and the analysis see one structure.
///
/// Borrowed unchanged, without allocating, when there is no bare CR, which
/// one memchr scan decides; CRLF and LF messages pass through untouched.
pub fn normalize_line_endings(raw: &[u8]) -> Cow<'_, [u8]> {
    let Some(first_bare_cr) = memchr::memchr_iter(b'\r', raw).find(|&at| is_bare_cr(raw, at))
    else {
        return Cow::Borrowed(raw);
    };
    let (clean, rest) = raw.split_at(first_bare_cr);
    let mut repaired = Vec::with_capacity(raw.len().saturating_add(raw.len() / 32));
    repaired.extend_from_slice(clean);
    let mut copied_up_to = 0;
    for at in memchr::memchr_iter(b'\r', rest) {
        if is_bare_cr(rest, at) {
            let through_cr = at.saturating_add(1);
            repaired.extend_from_slice(rest.get(copied_up_to..through_cr).unwrap_or_default());
            repaired.push(b'\n');
            copied_up_to = through_cr;
        }
    }
    repaired.extend_from_slice(rest.get(copied_up_to..).unwrap_or_default());
    Cow::Owned(repaired)
}

fn is_bare_cr(bytes: &[u8], cr_at: usize) -> bool {
    bytes.get(cr_at.saturating_add(1)) != Some(&b'\n')
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
    fn mixed_endings_keep_their_crlf_and_lf() {
        assert_eq!(
            normalize_line_endings(b"one\r\ntwo\rthree\nfour\r\r\nfive").as_ref(),
            b"one\r\ntwo\r\nthree\nfour\r\n\r\nfive"
        );
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
