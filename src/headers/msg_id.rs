//! RFC 5322 `msg-id` (section 3.6.4), the value of `Message-ID`, `Content-ID`
//! and the draft-daboo-imip-headers `iMIP-Content-ID` header field.
//!
//! Grammar: `grammar/imip-content-id.abnf`. Each parser is named after the rule
//! it implements. Parsers that carry meaning return the *semantic* content:
//! comments and folding white space are dropped and quoting is removed, so two
//! identifiers written differently compare equal when RFC 5322 says they are
//! the same (section 3.2.2: CFWS is not part of a token; section 3.4.1: a
//! quoted local part means its content; section 4.5.4: CFWS in the obsolete
//! id forms is not part of the identifier).

use std::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{all_consuming, opt, peek, recognize};
use nom::error::{Error, ErrorKind};
use nom::multi::many0;
use nom::sequence::{pair, preceded, terminated};
use nom::{IResult, Parser};

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
    pub fn id_left(&self) -> &str {
        &self.id_left
    }

    /// The part after `@`: a domain, or a bracketed literal such as `[192.0.2.1]`.
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
pub fn parse_msg_id(value: &str) -> Option<MsgId> {
    parse_msg_id_bytes(value.as_bytes())
}

/// [`parse_msg_id`] on the raw octets of a header field value.
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

fn error<O>(input: &[u8], kind: ErrorKind) -> IResult<&[u8], O> {
    Err(nom::Err::Error(Error::new(input, kind)))
}

/// One octet satisfying `accept`.
fn octet(input: &[u8], accept: impl Fn(u8) -> bool) -> IResult<&[u8], u8> {
    match input.split_first() {
        Some((&byte, rest)) if accept(byte) => Ok((rest, byte)),
        _ => error(input, ErrorKind::Verify),
    }
}

fn is_wsp(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

fn is_obs_no_ws_ctl(byte: u8) -> bool {
    matches!(byte, 1..=8 | 11 | 12 | 14..=31 | 127)
}

fn is_utf8_non_ascii(byte: u8) -> bool {
    byte >= 0x80
}

fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
        || is_utf8_non_ascii(byte)
}

fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

/// `msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]`
pub fn msg_id(input: &[u8]) -> IResult<&[u8], MsgId> {
    let (input, _) = opt(cfws).parse(input)?;
    let (input, _) = tag(&b"<"[..]).parse(input)?;
    let (input, left) = id_left(input)?;
    let (input, _) = tag(&b"@"[..]).parse(input)?;
    let (input, right) = id_right(input)?;
    let (input, _) = tag(&b">"[..]).parse(input)?;
    let (input, _) = opt(cfws).parse(input)?;
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
    let (input, _) = opt(cfws).parse(input)?;
    let (input, left) = id_left(input)?;
    let (input, _) = tag(&b"@"[..]).parse(input)?;
    let (input, right) = id_right(input)?;
    let (input, _) = opt(cfws).parse(input)?;
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
    let (mut input, _) = tag(&b"["[..]).parse(input)?;
    let mut literal = vec![b'['];
    while let Ok((rest, byte)) = dtext(input) {
        literal.push(byte);
        input = rest;
    }
    let (input, _) = tag(&b"]"[..]).parse(input)?;
    literal.push(b']');
    Ok((input, literal))
}

/// `obs-id-left = local-part`
pub fn obs_id_left(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    local_part(input)
}

/// `obs-id-right = domain`
pub fn obs_id_right(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    domain(input)
}

/// `local-part = dot-atom / quoted-string / obs-local-part`
///
/// obs-local-part matches every dot-atom and every quoted-string as well, and
/// an ordered choice would stop at the `a` of `a."b"`, so only the widest
/// alternative is tried.
pub fn local_part(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    obs_local_part(input)
}

/// `domain = dot-atom / domain-literal / obs-domain`
///
/// As with [`local_part`], obs-domain covers dot-atom, so it stands for both.
pub fn domain(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    alt((domain_literal, obs_domain)).parse(input)
}

/// `obs-local-part = word *("." word)`
pub fn obs_local_part(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let (input, first) = word(input)?;
    let (input, rest) = many0(preceded(tag(&b"."[..]), word)).parse(input)?;
    Ok((input, join_with_dots(first, rest)))
}

/// `obs-domain = atom *("." atom)`
pub fn obs_domain(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let (input, first) = atom(input)?;
    let (input, rest) = many0(preceded(tag(&b"."[..]), atom)).parse(input)?;
    Ok((
        input,
        join_with_dots(
            first.to_vec(),
            rest.into_iter().map(<[u8]>::to_vec).collect(),
        ),
    ))
}

fn join_with_dots(first: Vec<u8>, rest: Vec<Vec<u8>>) -> Vec<u8> {
    let mut joined = first;
    for part in rest {
        joined.push(b'.');
        joined.extend_from_slice(&part);
    }
    joined
}

/// `domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS]`
///
/// Folding white space inside the brackets is not part of the literal.
pub fn domain_literal(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let (input, _) = opt(cfws).parse(input)?;
    let (mut input, _) = tag(&b"["[..]).parse(input)?;
    let mut literal = vec![b'['];
    loop {
        let (rest, _) = opt(fws).parse(input)?;
        match dtext(rest) {
            Ok((rest, byte)) => {
                literal.push(byte);
                input = rest;
            }
            Err(_) => {
                input = rest;
                break;
            }
        }
    }
    let (input, _) = tag(&b"]"[..]).parse(input)?;
    literal.push(b']');
    let (input, _) = opt(cfws).parse(input)?;
    Ok((input, literal))
}

/// `dtext = %d33-90 / %d94-126 / obs-dtext / utf8-non-ascii`
pub fn dtext(input: &[u8]) -> IResult<&[u8], u8> {
    let plain = |input| octet(input, |b| matches!(b, 33..=90 | 94..=126));
    alt((plain, obs_dtext, utf8_non_ascii)).parse(input)
}

/// `obs-dtext = obs-NO-WS-CTL / quoted-pair`
pub fn obs_dtext(input: &[u8]) -> IResult<&[u8], u8> {
    alt((obs_no_ws_ctl, quoted_pair)).parse(input)
}

/// `word = atom / quoted-string`
pub fn word(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    alt((atom.map(<[u8]>::to_vec), quoted_string)).parse(input)
}

/// `atom = [CFWS] 1*atext [CFWS]`
pub fn atom(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (input, _) = opt(cfws).parse(input)?;
    let (input, text) = take_while1(is_atext).parse(input)?;
    let (input, _) = opt(cfws).parse(input)?;
    Ok((input, text))
}

/// `dot-atom = [CFWS] dot-atom-text [CFWS]`
pub fn dot_atom(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (input, _) = opt(cfws).parse(input)?;
    let (input, text) = dot_atom_text(input)?;
    let (input, _) = opt(cfws).parse(input)?;
    Ok((input, text))
}

/// `dot-atom-text = 1*atext *("." 1*atext)`
pub fn dot_atom_text(input: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize(pair(
        take_while1(is_atext),
        many0(pair(tag(&b"."[..]), take_while1(is_atext))),
    ))
    .parse(input)
}

/// `atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" / "=" / "?" / "^" / "_" / %d96 / "{" / "|" / "}" / "~" / utf8-non-ascii`
pub fn atext(input: &[u8]) -> IResult<&[u8], u8> {
    octet(input, is_atext)
}

/// `quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS]`
///
/// Returns the content without quotes and with quoted pairs resolved; white
/// space inside the quotes is content and stays, the line breaks of folding
/// do not (RFC 5322 3.2.4).
pub fn quoted_string(input: &[u8]) -> IResult<&[u8], Vec<u8>> {
    let (input, _) = opt(cfws).parse(input)?;
    let (mut input, _) = tag(&b"\""[..]).parse(input)?;
    let mut content = Vec::new();
    loop {
        let (rest, folded) = opt(recognize(fws)).parse(input)?;
        if let Some(folded) = folded {
            content.extend(folded.iter().copied().filter(|&b| is_wsp(b)));
        }
        match qcontent(rest) {
            Ok((rest, byte)) => {
                content.push(byte);
                input = rest;
            }
            Err(_) => {
                input = rest;
                break;
            }
        }
    }
    let (input, _) = tag(&b"\""[..]).parse(input)?;
    let (input, _) = opt(cfws).parse(input)?;
    Ok((input, content))
}

/// `qcontent = qtext / quoted-pair`
pub fn qcontent(input: &[u8]) -> IResult<&[u8], u8> {
    alt((qtext, quoted_pair)).parse(input)
}

/// `qtext = %d33 / %d35-91 / %d93-126 / obs-qtext / utf8-non-ascii`
pub fn qtext(input: &[u8]) -> IResult<&[u8], u8> {
    let plain = |input| octet(input, |b| matches!(b, 33 | 35..=91 | 93..=126));
    alt((plain, obs_qtext, utf8_non_ascii)).parse(input)
}

/// `obs-qtext = obs-NO-WS-CTL`
pub fn obs_qtext(input: &[u8]) -> IResult<&[u8], u8> {
    obs_no_ws_ctl(input)
}

/// `quoted-pair = ("\" (VCHAR / WSP / utf8-non-ascii)) / obs-qp`
///
/// Returns the quoted octet.
pub fn quoted_pair(input: &[u8]) -> IResult<&[u8], u8> {
    let modern = preceded(tag(&b"\\"[..]), |input| {
        octet(input, |b| {
            (0x21..=0x7e).contains(&b) || is_wsp(b) || is_utf8_non_ascii(b)
        })
    });
    alt((modern, obs_qp)).parse(input)
}

/// `obs-qp = "\" (%d0 / obs-NO-WS-CTL / LF / CR)`
pub fn obs_qp(input: &[u8]) -> IResult<&[u8], u8> {
    preceded(tag(&b"\\"[..]), |input| {
        octet(input, |b| {
            b == 0 || is_obs_no_ws_ctl(b) || b == b'\n' || b == b'\r'
        })
    })
    .parse(input)
}

/// `CFWS = (1*([FWS] comment) [FWS]) / FWS`
pub fn cfws(input: &[u8]) -> IResult<&[u8], ()> {
    let start_len = input.len();
    let mut input = input;
    loop {
        let (rest, _) = opt(fws).parse(input)?;
        match comment(rest) {
            Ok((rest, ())) => input = rest,
            Err(_) => {
                input = rest;
                break;
            }
        }
    }
    if input.len() == start_len {
        return error(input, ErrorKind::Space);
    }
    Ok((input, ()))
}

/// `FWS = ([*WSP CRLF] 1*WSP) / obs-FWS`
///
/// Together the two alternatives are: white space, possibly broken by line
/// breaks each followed by more white space. A bare LF counts as a line break.
pub fn fws(input: &[u8]) -> IResult<&[u8], ()> {
    let leading_wsp = input.iter().take_while(|&&b| is_wsp(b)).count();
    let after_wsp = input.get(leading_wsp..).unwrap_or_default();
    // The modern form may start with a line break that the white space follows.
    let input_after = match line_break(after_wsp) {
        Some(rest) if rest.first().copied().is_some_and(is_wsp) => rest,
        _ if leading_wsp > 0 => after_wsp,
        _ => return error(input, ErrorKind::Space),
    };
    obs_fws(input_after)
}

fn line_break(input: &[u8]) -> Option<&[u8]> {
    input
        .strip_prefix(b"\r\n")
        .or_else(|| input.strip_prefix(b"\n"))
}

/// `obs-FWS = 1*WSP *(CRLF 1*WSP)`
///
/// Also accepts no white space at all, so that [`fws`] can hand over the rest
/// of a fold it has started.
pub fn obs_fws(input: &[u8]) -> IResult<&[u8], ()> {
    let mut input = input;
    loop {
        let wsp = input.iter().take_while(|&&b| is_wsp(b)).count();
        input = input.get(wsp..).unwrap_or_default();
        match line_break(input) {
            Some(rest) if rest.first().copied().is_some_and(is_wsp) => input = rest,
            _ => return Ok((input, ())),
        }
    }
}

/// `comment = "(" *([FWS] ccontent) [FWS] ")"`
///
/// Nested comments are followed with a depth counter instead of recursion, so
/// a hostile run of `(` cannot exhaust the stack.
pub fn comment(input: &[u8]) -> IResult<&[u8], ()> {
    let start = input;
    let (mut input, _) = tag(&b"("[..]).parse(input)?;
    let mut depth: usize = 1;
    loop {
        let (rest, _) = opt(fws).parse(input)?;
        input = rest;
        match input.first() {
            Some(b'(') => {
                depth = depth.saturating_add(1);
                input = input.get(1..).unwrap_or_default();
            }
            Some(b')') => {
                depth = depth.saturating_sub(1);
                input = input.get(1..).unwrap_or_default();
                if depth == 0 {
                    return Ok((input, ()));
                }
            }
            Some(_) => match ccontent(input) {
                Ok((rest, ())) => input = rest,
                Err(_) => return error(start, ErrorKind::Char),
            },
            None => return error(start, ErrorKind::Eof),
        }
    }
}

/// `ccontent = ctext / quoted-pair / comment`
///
/// The nested-comment alternative is handled by [`comment`]'s depth counter.
pub fn ccontent(input: &[u8]) -> IResult<&[u8], ()> {
    alt((ctext, quoted_pair)).map(|_| ()).parse(input)
}

/// `ctext = %d33-39 / %d42-91 / %d93-126 / obs-ctext / utf8-non-ascii`
pub fn ctext(input: &[u8]) -> IResult<&[u8], u8> {
    let plain = |input| octet(input, |b| matches!(b, 33..=39 | 42..=91 | 93..=126));
    alt((plain, obs_ctext, utf8_non_ascii)).parse(input)
}

/// `obs-ctext = obs-NO-WS-CTL`
pub fn obs_ctext(input: &[u8]) -> IResult<&[u8], u8> {
    obs_no_ws_ctl(input)
}

/// `obs-NO-WS-CTL = %d1-8 / %d11 / %d12 / %d14-31 / %d127`
pub fn obs_no_ws_ctl(input: &[u8]) -> IResult<&[u8], u8> {
    octet(input, is_obs_no_ws_ctl)
}

/// `utf8-non-ascii = %x80-FF`
pub fn utf8_non_ascii(input: &[u8]) -> IResult<&[u8], u8> {
    octet(input, is_utf8_non_ascii)
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
