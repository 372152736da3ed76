//! The raw input around mail-parser: whether what it read is mail at all.

use mail_parser::Message;

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
