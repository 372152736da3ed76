//! The raw input around mail-parser: the repairs made before it reads the
//! bytes, and whether what it read is mail at all.

use std::borrow::Cow;

use mail_parser::Message;

use super::line_endings::normalize_line_endings;

/// The bytes sieve-rs and the analysis read, from the bytes received: the
/// repairs lenient mail readers make, done once, before any parsing, so
/// that the script, the analysis and the user's mail client see one
/// message.
///
/// - Lines before the header fields that hold only spaces and tabs (real
///   provider mail saved by other tools starts so) are left out, as
///   Python's `email` package and other lenient readers skip them;
///   mail-parser takes such a line for the end of an empty header and
///   reads the whole message as a body. An empty first line is not one of
///   them: it is the end of an empty header section (RFC 5322 2.1), and
///   readers agree on that.
/// - A message whose lines end in a bare CR gets CRLF line ends
///   ([`normalize_line_endings`]).
///
/// A message that needs neither is borrowed unchanged; one that only
/// starts with blank lines is borrowed from after them.
pub fn repair_raw_message(raw: &[u8]) -> Cow<'_, [u8]> {
    normalize_line_endings(without_leading_blank_lines(raw))
}

/// `raw` from its first line that is not made of spaces and tabs alone. A
/// line ends in CRLF, LF or a bare CR (before the bare-CR repair, which
/// looks at the first line left).
fn without_leading_blank_lines(raw: &[u8]) -> &[u8] {
    let mut rest = raw;
    loop {
        let blanks = rest
            .iter()
            .take_while(|byte| matches!(byte, b' ' | b'\t'))
            .count();
        if blanks == 0 {
            return rest;
        }
        let after = rest.get(blanks..).unwrap_or_default();
        let line_end = match after {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] | [b'\r', ..] => 1,
            // Spaces before a field name (mail-parser reads the field), or
            // blanks and nothing more: not a blank line to leave out.
            _ => return rest,
        };
        rest = after.get(line_end..).unwrap_or_default();
    }
}

/// True when `message` is RFC 5322 mail: it has at least one header field.
///
/// sieve-rs runs on an empty stand-in when mail-parser cannot parse the
/// input at all, and mail-parser turns any leading bytes into a header, so
/// a field's name is checked against RFC 5322's `field-name` (printable
/// US-ASCII but `:`): a first line of prose is no header field.
pub fn is_rfc5322_mail(message: &Message<'_>) -> bool {
    let field_name = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|byte| (33..=126).contains(&byte) && byte != b':')
    };
    !message.raw_message.is_empty()
        && message
            .root_part()
            .headers()
            .iter()
            .any(|header| field_name(header.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_before_the_header_are_left_out() {
        for (raw, expected) in [
            (&b"   \r\nSubject: x\r\n"[..], &b"Subject: x\r\n"[..]),
            (b"\t\nSubject: x\n", b"Subject: x\n"),
            (b" \r\n\t \r\n  \nSubject: x\r\n", b"Subject: x\r\n"),
            (b" \t\r\r\nSubject: x\r\n", b"\r\nSubject: x\r\n"),
        ] {
            let repaired = repair_raw_message(raw);
            assert!(matches!(repaired, Cow::Borrowed(_)), "{raw:?}");
            assert_eq!(repaired.as_ref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn other_starts_are_left_alone() {
        for raw in [
            &b""[..],
            b"Subject: x\r\n",
            b"  Subject: x\r\n",
            b"\r\n  \r\nSubject: x\r\n",
            b"   ",
            b"\x0c\r\nSubject: x\r\n",
        ] {
            assert_eq!(repair_raw_message(raw).as_ref(), raw, "{raw:?}");
        }
    }

    #[test]
    fn a_blank_line_before_a_bare_cr_message_leaves_it_bare_cr() {
        let repaired = repair_raw_message(b"  \rSubject: x\rFrom: a@example.com\r\rbody\r");
        assert_eq!(
            repaired.as_ref(),
            b"Subject: x\r\nFrom: a@example.com\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn a_repaired_start_reads_as_mail() {
        let raw = b"  \r\n\t\r\nFrom: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
        assert!(!parses_as_mail(raw));
        assert!(parses_as_mail(&repair_raw_message(raw)));
    }

    fn parses_as_mail(raw: &[u8]) -> bool {
        mail_parser::MessageParser::default()
            .parse(raw)
            .is_some_and(|message| is_rfc5322_mail(&message))
    }

    #[test]
    fn a_header_field_makes_mail() {
        assert!(parses_as_mail(b"Subject: x\r\n\r\nbody\r\n"));
        assert!(parses_as_mail(b"X-Only: header\r\n"));
    }

    #[test]
    fn bytes_without_a_header_field_are_no_mail() {
        for raw in [
            &b""[..],
            b"\r\n\r\n",
            b"\r\nSubject: after an empty line\r\n",
            b"this line is no header field\nneither is this one\n",
            b"\x00\x01\x02\xff\xfe",
        ] {
            assert!(!parses_as_mail(raw), "{raw:?}");
        }
    }
}
