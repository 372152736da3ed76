//! `DKIM-Signature` header field (RFC 6376 sections 3.2 and 3.5).
//!
//! Only what validation needs is read: which domain signed (`d=`), as which
//! identity (`i=`), with which key (`s=`), which header fields the signature
//! covers (`h=`) and the signature itself (`b=`), to tie an
//! `Authentication-Results` DKIM result to it (RFC 6008). The signature is not
//! verified here; the receiving server did that and reported it.
//!
//! Grammar: grammar/dkim-signature.abnf
//!
//! Unknown tags are ignored as RFC 6376 requires; a repeated tag, a missing
//! `d=`, `h=` or `b=`, or a malformed value of a tag read here is an error.
//! The RFC 5322 rules it uses (FWS, quoted strings, dot-atom-text) are those
//! of [`super::rfc5322`].

use nom::combinator::opt;
use nom::Parser;

use super::authentication_results::lexical::{
    consumed, fail, failure, fws, line_break, offset_in, quoted_string, span1, symbol, PResult,
};
pub use super::authentication_results::HeaderError;
use super::authentication_results::{ResInfo, MAX_FIELD_LEN};
use super::rfc5322;

/// Shortest `header.b` prefix RFC 6008 lets a verifier report; a shorter one
/// could name several signatures, so it ties the result to none.
pub const MIN_HEADER_B_LEN: usize = 8;

/// The parts of one `DKIM-Signature` header field that validation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSignature {
    /// The signing domain (`d=`), lower-cased.
    pub domain: String,
    /// The agent or user identity (`i=`) as written; absent means `@` + domain.
    pub identity: Option<String>,
    /// The signed header field names (`h=`) in order, lower-cased; a name
    /// listed twice appears twice.
    pub signed_headers: Vec<String>,
    /// The signature (`b=`) in base64 with folding white space removed.
    pub signature_b64: String,
    /// The selector (`s=`), lower-cased.
    pub selector: Option<String>,
}

impl DkimSignature {
    /// Whether the signature covers the header field `header_name`
    /// (compared case-insensitively, as header field names are).
    pub fn covers(&self, header_name: &str) -> bool {
        self.signed_headers
            .iter()
            .any(|signed| signed.eq_ignore_ascii_case(header_name))
    }

    /// The identity the signature vouches for: `i=`, or `@` + `d=` without it.
    pub fn effective_identity(&self) -> String {
        match &self.identity {
            Some(identity) => identity.clone(),
            None => format!("@{}", self.domain),
        }
    }

    /// Whether the `Authentication-Results` DKIM result `result` reports on
    /// this signature (RFC 6008).
    ///
    /// The result must name the signature by `header.d` or `header.i` (both
    /// compared case-insensitively, `header.i` against the effective
    /// identity); every one of `header.d`, `header.i`, `header.s` and
    /// `header.b` it gives must agree. `header.b` must be at least
    /// [`MIN_HEADER_B_LEN`] characters and a prefix of `b=` (base64 is
    /// case-sensitive). Without `header.b`, two signatures by the same domain
    /// both match; a caller that needs one answer must look at all of them.
    pub fn matches_result(&self, result: &ResInfo) -> bool {
        if !result.method.eq_ignore_ascii_case("dkim") {
            return false;
        }
        let domain = result.property("header", "d");
        let identity = result.property("header", "i");
        if domain.is_none() && identity.is_none() {
            return false;
        }
        if domain.is_some_and(|domain| !domain.eq_ignore_ascii_case(&self.domain)) {
            return false;
        }
        if identity
            .is_some_and(|identity| !identity.eq_ignore_ascii_case(&self.effective_identity()))
        {
            return false;
        }
        if let (Some(reported), Some(own)) = (result.property("header", "s"), &self.selector) {
            if !reported.eq_ignore_ascii_case(own) {
                return false;
            }
        }
        match result.property("header", "b") {
            None => true,
            Some(prefix) => {
                let prefix: String = prefix
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                prefix.len() >= MIN_HEADER_B_LEN && self.signature_b64.starts_with(&prefix)
            }
        }
    }
}

/// Parses the body of one `DKIM-Signature` header field (the text after
/// `DKIM-Signature:`, folded or not, with or without the final line break).
pub fn parse_dkim_signature(value: &str) -> Result<DkimSignature, HeaderError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(HeaderError::TooLong {
            len: value.len(),
            limit: MAX_FIELD_LEN,
        });
    }
    let (rest, tags) = tag_list(value).map_err(|err| HeaderError::from_syntax(value, err))?;
    let (rest, _) = opt(fws)
        .parse(rest)
        .map_err(|err| HeaderError::from_syntax(value, err))?;
    let (rest, _) = opt(line_break)
        .parse(rest)
        .map_err(|err| HeaderError::from_syntax(value, err))?;
    if !rest.is_empty() {
        return Err(HeaderError::Expected {
            expected: "`;` between tags, or the end of the field",
            offset: offset_in(value, rest),
        });
    }

    if let Some(repeated) = first_repeated_tag(&tags) {
        return Err(HeaderError::DuplicateTag {
            tag: repeated.name.to_string(),
            offset: offset_in(value, repeated.name),
        });
    }
    let mut domain = None;
    let mut identity = None;
    let mut signed_headers = None;
    let mut signature_b64 = None;
    let mut selector_value = None;
    for tag in &tags {
        // Tag names are case-sensitive (RFC 6376 section 3.2): `D=` is an
        // unknown tag, not the domain.
        match tag.name {
            "d" => {
                domain = Some(tag_data(value, "d", tag.value, sig_d_tag_data)?.to_ascii_lowercase())
            }
            "i" => identity = Some(tag_data(value, "i", tag.value, sig_i_tag_data)?.to_string()),
            "h" => signed_headers = Some(tag_data(value, "h", tag.value, sig_h_tag_data)?),
            "b" => signature_b64 = Some(tag_data(value, "b", tag.value, sig_b_tag_data)?),
            "s" => {
                selector_value =
                    Some(tag_data(value, "s", tag.value, selector)?.to_ascii_lowercase())
            }
            _ => {}
        }
    }
    Ok(DkimSignature {
        domain: domain.ok_or(HeaderError::MissingTag { tag: "d" })?,
        identity,
        signed_headers: signed_headers.ok_or(HeaderError::MissingTag { tag: "h" })?,
        signature_b64: signature_b64.ok_or(HeaderError::MissingTag { tag: "b" })?,
        selector: selector_value,
    })
}

/// The earliest tag whose name an earlier tag already used. Sorting instead of
/// hashing keeps this O(n log n) and cheap for the usual dozen tags.
fn first_repeated_tag<'t, 'a>(tags: &'t [TagSpec<'a>]) -> Option<&'t TagSpec<'a>> {
    let mut order: Vec<(&str, usize)> = tags
        .iter()
        .enumerate()
        .map(|(index, tag)| (tag.name, index))
        .collect();
    order.sort_unstable();
    order
        .windows(2)
        .filter_map(|pair| match pair {
            [(first, _), (second, later)] if first == second => Some(*later),
            _ => None,
        })
        .min()
        .and_then(|index| tags.get(index))
}

/// Runs `parser` over the whole value of tag `tag`, reporting a failure with
/// its offset in the field body `whole`.
fn tag_data<'a, O>(
    whole: &str,
    tag: &'static str,
    value: &'a str,
    mut parser: impl FnMut(&'a str) -> PResult<'a, O>,
) -> Result<O, HeaderError> {
    match parser(value) {
        Ok(("", parsed)) => Ok(parsed),
        Ok((rest, _)) => Err(HeaderError::InvalidTagValue {
            tag,
            expected: "the end of the tag value",
            offset: offset_in(whole, rest),
        }),
        Err(nom::Err::Error(syntax)) | Err(nom::Err::Failure(syntax)) => {
            Err(HeaderError::InvalidTagValue {
                tag,
                expected: syntax.expected,
                offset: offset_in(whole, syntax.rest),
            })
        }
        Err(nom::Err::Incomplete(_)) => Err(HeaderError::InvalidTagValue {
            tag,
            expected: "more input",
            offset: offset_in(whole, value).saturating_add(value.len()),
        }),
    }
}

/// One `tag-name=tag-value` pair, both borrowed from the field body.
struct TagSpec<'a> {
    name: &'a str,
    value: &'a str,
}

/// `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]`
fn tag_list(input: &str) -> PResult<'_, Vec<TagSpec<'_>>> {
    let (mut rest, first) = tag_spec(input)?;
    let mut tags = vec![first];
    // Bounded: each round consumes at least the `;`.
    while let Some(after_semicolon) = rest.strip_prefix(';') {
        match tag_spec(after_semicolon) {
            Ok((next, tag)) => {
                tags.push(tag);
                rest = next;
            }
            // The optional final `;`.
            Err(nom::Err::Error(_)) => {
                rest = after_semicolon;
                break;
            }
            Err(other) => return Err(other),
        }
    }
    Ok((rest, tags))
}

/// `tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]`
fn tag_spec(input: &str) -> PResult<'_, TagSpec<'_>> {
    let (rest, _) = opt(fws).parse(input)?;
    let (rest, name) = tag_name(rest)?;
    let (rest, _) = opt(fws).parse(rest)?;
    let rest = match symbol('=', "`=` after the tag name")(rest) {
        Ok((rest, _)) => rest,
        Err(nom::Err::Error(err)) => return Err(nom::Err::Failure(err)),
        Err(other) => return Err(other),
    };
    let (rest, _) = opt(fws).parse(rest)?;
    let (rest, value) = tag_value(rest)?;
    let (rest, _) = opt(fws).parse(rest)?;
    Ok((rest, TagSpec { name, value }))
}

/// `tag-name = ALPHA *ALNUMPUNC`
fn tag_name(input: &str) -> PResult<'_, &str> {
    if !input.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return fail(input, "a tag name");
    }
    span1(input, alnumpunc, "a tag name")
}

/// `ALNUMPUNC = ALPHA / DIGIT / "_"`
fn alnumpunc(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `tag-value = [ tval *( 1*( WSP / FWS ) tval ) ]`
///
/// Returns the value without the surrounding white space, inner folding kept.
fn tag_value(input: &str) -> PResult<'_, &str> {
    let mut end = match tval(input) {
        Ok((rest, _)) => rest,
        // Empty, borrowed from the input so that its offset stays meaningful.
        Err(nom::Err::Error(_)) => return Ok((input, input.get(..0).unwrap_or(input))),
        Err(other) => return Err(other),
    };
    // Bounded: each round consumes a tval.
    while let Ok((after_space, _)) = fws(end) {
        match tval(after_space) {
            Ok((rest, _)) => end = rest,
            Err(_) => break,
        }
    }
    let value = consumed(input, end);
    Ok((end, value))
}

/// `tval = 1*VALCHAR`
fn tval(input: &str) -> PResult<'_, &str> {
    span1(input, valchar, "a tag value")
}

/// `VALCHAR = %x21-3A / %x3C-7E / UTF8-non-ascii`
fn valchar(c: char) -> bool {
    matches!(c, '\x21'..='\x3a' | '\x3c'..='\x7e') || !c.is_ascii()
}

/// `sig-d-tag-data = domain-name`
fn sig_d_tag_data(input: &str) -> PResult<'_, &str> {
    domain_name(input)
}

/// `sig-i-tag-data = [ smtp-local-part ] "@" domain-name`
fn sig_i_tag_data(input: &str) -> PResult<'_, &str> {
    let (rest, _) = opt(smtp_local_part).parse(input)?;
    let (rest, _) = symbol('@', "`@` in the identity").parse(rest)?;
    let (rest, _) = domain_name(rest)?;
    Ok((rest, consumed(input, rest)))
}

/// `sig-h-tag-data = hdr-name *( [FWS] ":" [FWS] hdr-name )`
fn sig_h_tag_data(input: &str) -> PResult<'_, Vec<String>> {
    let (mut rest, first) = hdr_name(input)?;
    let mut names = vec![first.to_ascii_lowercase()];
    // Bounded: each round consumes at least the `:` and a name.
    loop {
        let Ok((after_colon, _)) = (opt(fws), symbol(':', "`:`"), opt(fws)).parse(rest) else {
            break;
        };
        let (next, name) = hdr_name(after_colon)
            .or_else(|_| failure(after_colon, "a header field name after `:`"))?;
        names.push(name.to_ascii_lowercase());
        rest = next;
    }
    Ok((rest, names))
}

/// `hdr-name = 1*( %d33-57 / %d59-126 )`
fn hdr_name(input: &str) -> PResult<'_, &str> {
    span1(
        input,
        |c: char| matches!(c, '\x21'..='\x39' | '\x3b'..='\x7e'),
        "a header field name",
    )
}

/// `sig-b-tag-data = base64string`
fn sig_b_tag_data(input: &str) -> PResult<'_, String> {
    let (rest, written) = base64string(input)?;
    let mut signature = String::with_capacity(written.len());
    for piece in written.split(|c: char| !(alphadigitps(c) || c == '=')) {
        signature.push_str(piece);
    }
    Ok((rest, signature))
}

/// `base64string = ALPHADIGITPS *( [FWS] ALPHADIGITPS ) [ [FWS] "=" [ [FWS] "=" ] ]`
fn base64string(input: &str) -> PResult<'_, &str> {
    let mut rest = match span1(input, alphadigitps, "base64 text") {
        Ok((rest, _)) => rest,
        Err(_) => return fail(input, "base64 text"),
    };
    // Bounded: each round consumes base64 characters.
    loop {
        let (after_space, _) = opt(fws).parse(rest)?;
        match span1(after_space, alphadigitps, "base64 text") {
            Ok((next, _)) => rest = next,
            Err(_) => break,
        }
    }
    // Up to two `=` of padding.
    for _ in 0..2 {
        match (opt(fws), symbol('=', "`=`")).parse(rest) {
            Ok((next, _)) => rest = next,
            Err(_) => break,
        }
    }
    Ok((rest, consumed(input, rest)))
}

/// `ALPHADIGITPS = ALPHA / DIGIT / "+" / "/"`
fn alphadigitps(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// `selector = sub-domain *( "." sub-domain )`
fn selector(input: &str) -> PResult<'_, &str> {
    let (mut rest, _) = sub_domain(input)?;
    // Bounded: each round consumes a `.` and a label.
    while let Ok((next, _)) = (symbol('.', "`.`"), sub_domain).parse(rest) {
        rest = next;
    }
    Ok((rest, consumed(input, rest)))
}

/// `domain-name = sub-domain 1*( "." sub-domain )`
fn domain_name(input: &str) -> PResult<'_, &str> {
    let (rest, name) = selector(input)?;
    if !name.contains('.') {
        return fail(input, "a domain name with at least two labels");
    }
    Ok((rest, name))
}

/// `sub-domain = ( ALPHA / DIGIT / "_" ) [ *( ALPHA / DIGIT / "-" / "_" ) ( ALPHA / DIGIT / "_" ) ]`
fn sub_domain(input: &str) -> PResult<'_, &str> {
    let (rest, label) = span1(
        input,
        |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        "a domain label",
    )?;
    if label.starts_with('-') || label.ends_with('-') {
        return fail(input, "a domain label not starting or ending with `-`");
    }
    Ok((rest, label))
}

/// `smtp-local-part = dot-atom-text / bare-quoted-string`
fn smtp_local_part(input: &str) -> PResult<'_, &str> {
    let (rest, _) = if input.starts_with('"') {
        quoted_string(input).map(|(rest, _)| (rest, ()))?
    } else {
        rfc5322::dot_atom_text(input).map(|(rest, _)| (rest, ()))?
    };
    Ok((rest, consumed(input, rest)))
}
