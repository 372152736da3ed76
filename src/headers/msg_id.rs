//! RFC 5322 `msg-id` (section 3.6.4), the value of `Message-ID`, `Content-ID`
//! and the draft-daboo-imip-headers `iMIP-Content-ID` header field.
//!
//! Grammar: grammar/imip-content-id.abnf
//!
//! The RFC 5322 lexical rules it is built of (CFWS, quoted strings, atoms,
//! local-part, domain) are in [`super::rfc5322`]. Each parser is named after
//! the rule it implements. Parsers that carry meaning return the *semantic* content:
//! comments and folding white space are dropped and quoting is removed, so two
//! identifiers written differently compare equal when RFC 5322 says they are
//! the same (section 3.2.2: CFWS is not part of a token; section 3.4.1: a
//! quoted local part means its content; section 4.5.4: CFWS in the obsolete
//! id forms is not part of the identifier).

use std::fmt;

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::combinator::{all_consuming, peek};
use nom::sequence::terminated;
use nom::{IResult, Parser};

use super::rfc5322::{bracketed_dtext, domain, dot_atom_text, local_part, opt_cfws, Dialect};

/// A msg-id is read with RFC 5322's obsolete forms (section 4.5.4 lets CFWS
/// stand anywhere in one).
const OBSOLETE: Dialect = Dialect::Obsolete;

/// A message identifier as RFC 5322 means it: `id-left "@" id-right`, without
/// angle brackets, comments, folding or quoting.
///
/// Equality compares the left part octet for octet and the right part (a
/// domain, or a literal) without regard to ASCII case, as domains are.
#[derive(Debug, Clone)]
pub struct MsgId {
    id_left: String,
    id_right: String,
}

impl MsgId {
    /// The part before `@`, unquoted.
    #[cfg(test)]
    pub fn id_left(&self) -> &str {
        &self.id_left
    }

    /// The part after `@`: a domain, or a bracketed literal such as `[192.0.2.1]`.
    #[cfg(test)]
    pub fn id_right(&self) -> &str {
        &self.id_right
    }
}

impl PartialEq for MsgId {
    fn eq(&self, other: &MsgId) -> bool {
        self.id_left == other.id_left && self.id_right.eq_ignore_ascii_case(&other.id_right)
    }
}

impl Eq for MsgId {}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}@{}>", self.id_left, self.id_right)
    }
}

/// Parses a header field value holding one msg-id, as mail-parser would accept
/// it: a strict RFC 5322 msg-id (obsolete forms included), or the same without
/// angle brackets. Folding line breaks may still be in `value`.
///
/// Returns `None` when the value is anything else (empty, two identifiers,
/// trailing garbage).
#[cfg(test)]
pub fn parse_msg_id(value: &str) -> Option<MsgId> {
    parse_msg_id_bytes(value.as_bytes())
}

/// A msg-id header field value (see `parse_msg_id`) from its raw octets.
pub fn parse_msg_id_bytes(value: &[u8]) -> Option<MsgId> {
    // Unfolding (RFC 5322 2.2.3) removes the line breaks a fold inserted; the
    // white space after them stays, so the grammar sees one line.
    let unfolded: Vec<u8> = value
        .iter()
        .copied()
        .filter(|&byte| byte != b'\r' && byte != b'\n')
        .collect();
    let result = all_consuming(alt((msg_id, unbracketed_msg_id))).parse(unfolded.as_slice());
    result.ok().map(|(_, id)| id)
}

fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

/// `msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]`
pub fn msg_id(input: &[u8]) -> IResult<&[u8], MsgId> {
    let input = opt_cfws(OBSOLETE, input)?;
    let (input, _) = tag(&b"<"[..]).parse(input)?;
    let (input, left) = id_left(input)?;
    let (input, _) = tag(&b"@"[..]).parse(input)?;
    let (input, right) = id_right(input)?;
    let (input, _) = tag(&b">"[..]).parse(input)?;
    let input = opt_cfws(OBSOLETE, input)?;
    Ok((
        input,
        MsgId {
            id_left: into_string(left),
            id_right: into_string(right),
        },
    ))
}

/// `unbracketed-msg-id = [CFWS] id-left "@" id-right [CFWS]`
pub fn unbracketed_msg_id(input: &[u8]) -> IResult<&[u8], MsgId> {
    let input = opt_cfws(OBSOLETE, input)?;
    let (input, left) = id_left(input)?;
    let (input, _) = tag(&b"@"[..]).parse(input)?;
    let (input, right) = id_right(input)?;
    let input = opt_cfws(OBSOLETE, input)?;
    Ok((
        input,
        MsgId {
            id_left: into_string(left),
            id_right: into_string(right),
        },
    ))
}

/// `id-left = dot-atom-text / obs-id-left`
///
/// The modern form is taken only when `@` follows it: `a."b"@c` starts like a
/// dot-atom-text but is an obsolete local part.
pub fn id_left(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let modern = terminated(dot_atom_text, peek(tag(&b"@"[..]))).map(<[u8]>::to_vec);
    alt((modern, obs_id_left)).parse(input)
}

/// `id-right = dot-atom-text / no-fold-literal / obs-id-right`
///
/// The modern forms are taken only when `>` or the end follows them, for the
/// same reason as in [`id_left`].
pub fn id_right(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let at_end = |input| alt((tag(&b">"[..]), nom::combinator::eof)).parse(input);
    let modern_text = terminated(dot_atom_text, peek(at_end)).map(<[u8]>::to_vec);
    let modern_literal = terminated(no_fold_literal, peek(at_end));
    alt((modern_text, modern_literal, obs_id_right)).parse(input)
}

/// `no-fold-literal = "[" *dtext "]"`
pub fn no_fold_literal(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    bracketed_dtext(OBSOLETE, input, false)
}

/// `obs-id-left = local-part`
pub fn obs_id_left(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    local_part(OBSOLETE, input)
}

/// `obs-id-right = domain`
pub fn obs_id_right(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    domain(OBSOLETE, input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str) -> MsgId {
        match parse_msg_id(value) {
            Some(id) => id,
            None => panic!("{value:?} should parse as a msg-id"),
        }
    }

    #[test]
    fn plain_msg_id() {
        let parsed = id("<abc.123@example.com>");
        assert_eq!(parsed.id_left(), "abc.123");
        assert_eq!(parsed.id_right(), "example.com");
        assert_eq!(parsed.to_string(), "<abc.123@example.com>");
    }

    #[test]
    fn surrounding_cfws_and_comments_are_not_part_of_the_id() {
        let parsed = id(" (the invitation)\r\n <abc@example.com> (sent by us) ");
        assert_eq!(parsed, id("<abc@example.com>"));
    }

    #[test]
    fn nested_comments() {
        assert_eq!(id("(a (b (c)) d)<x@y>"), id("<x@y>"));
        assert!(parse_msg_id("(a (b <x@y>").is_none());
    }

    #[test]
    fn deep_comment_nesting_does_not_overflow() {
        let value = format!("{}<x@y>", "(".repeat(100_000));
        assert!(parse_msg_id(&value).is_none());
        let value = format!("{}{}<x@y>", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse_msg_id(&value), Some(id("<x@y>")));
    }

    #[test]
    fn quoted_local_part_compares_by_content() {
        assert_eq!(id("<\"abc\"@example.com>"), id("<abc@example.com>"));
        assert_eq!(id("<\"a\\bc\"@example.com>").id_left(), "abc");
        assert_eq!(id("<\"a b\"@example.com>").id_left(), "a b");
        assert_ne!(id("<\"a b\"@example.com>"), id("<ab@example.com>"));
    }

    #[test]
    fn obsolete_forms() {
        // Words mixing atoms and quoted strings, with CFWS between them.
        let parsed = id("<a . \"b\" (note) . c @ example . com>");
        assert_eq!(parsed.id_left(), "a.b.c");
        assert_eq!(parsed.id_right(), "example.com");
        assert_eq!(parsed, id("<a.b.c@example.com>"));
        // A domain literal with folding white space inside.
        assert_eq!(id("<x@[ 192.0.2.1 ]>").id_right(), "[192.0.2.1]");
        assert_eq!(id("<x@[192.0.2.1]>").id_right(), "[192.0.2.1]");
    }

    #[test]
    fn folded_value() {
        assert_eq!(id("\r\n <abc@example.com>"), id("<abc@example.com>"));
        assert_eq!(id("\n\t<abc@example.com>\n "), id("<abc@example.com>"));
    }

    #[test]
    fn domain_compares_without_case_and_left_with_case() {
        assert_eq!(id("<abc@Example.COM>"), id("<abc@example.com>"));
        assert_ne!(id("<ABC@example.com>"), id("<abc@example.com>"));
    }

    #[test]
    fn unbracketed_form_mail_parser_accepts() {
        assert_eq!(id("abc@example.com"), id("<abc@example.com>"));
    }

    #[test]
    fn not_msg_ids() {
        for value in [
            "",
            "   ",
            "<>",
            "<abc>",
            "<abc@>",
            "<@example.com>",
            "<a@b> <c@d>",
            "<a@b> x",
            "<a@b",
        ] {
            assert!(parse_msg_id(value).is_none(), "{value:?} is not a msg-id");
        }
    }

    #[test]
    fn strict_parser_leaves_the_rest() {
        let (rest, parsed) = match msg_id(b"<a@b> tail") {
            Ok(result) => result,
            Err(err) => panic!("{err:?}"),
        };
        assert_eq!(rest, b"tail");
        assert_eq!(parsed.id_left(), "a");
    }

    #[test]
    fn utf8_identifiers() {
        assert_eq!(id("<caf\u{e9}@example.com>").id_left(), "caf\u{e9}");
    }

    #[test]
    fn random_values_never_panic() {
        use rand::{rngs::StdRng, Rng, SeedableRng};

        let alphabet = b"<>@.()[]\\\" \t\r\naz09!#~\x00\x7f\xc3\xa9";
        let mut rng = StdRng::seed_from_u64(5322);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..40);
            let value: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let _ = parse_msg_id_bytes(&value);
            let _ = msg_id(&value);
        }
    }
}
