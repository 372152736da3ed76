//! `Authentication-Results` header field (RFC 8601 section 2.2).
//!
//! The parser follows the RFC grammar (`grammar/authentication-results.abnf`)
//! and widens it only where real servers are known to deviate, each widening
//! named in the grammar file: Microsoft 365 omits the authserv-id and writes
//! `action=none` (a property without a ptype), Fastmail writes `policy.is_org`
//! (an underscore in a keyword), and several servers put `/`, `+` or `=` into
//! unquoted property values. Anything else that does not fit is rejected with
//! a [`HeaderError`] saying what was expected and at which byte.
//!
//! Work is bounded: the field body is limited to [`MAX_FIELD_LEN`] bytes, every
//! loop consumes input, and comments nest at most `rfc5322::MAX_COMMENT_DEPTH` deep.
//!
//! Grammar: grammar/authentication-results.abnf
//!
//! Its RFC 5322 rules (CFWS, FWS, quoted strings) are those of
//! [`super::rfc5322`], read in the current dialect.

use nom::character::complete::digit1;
use nom::combinator::{cut, opt};
use nom::Parser;
use serde::Serialize;

use self::lexical::{
    cfws, consumed, fail, failure, offset_in, quoted_string, span1, symbol, PResult, Syntax,
};

/// Longest field body (in bytes) either header parser accepts. Real
/// Authentication-Results and DKIM-Signature fields stay well under 8 KiB;
/// the limit keeps hostile input from costing more than a linear scan of it.
pub const MAX_FIELD_LEN: usize = 64 * 1024;

/// Why a header field body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The field body is longer than [`MAX_FIELD_LEN`].
    #[error("header field body is {len} bytes, over the limit of {limit}")]
    TooLong {
        /// Length of the rejected field body in bytes.
        len: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The text at `offset` does not fit the grammar.
    #[error("expected {expected} at byte {offset}")]
    Expected {
        /// What the grammar allows at that point.
        expected: &'static str,
        /// Byte offset into the field body.
        offset: usize,
    },
    /// A DKIM-Signature names the same tag twice (RFC 6376 section 3.2 makes
    /// the whole tag-list invalid then).
    #[error("DKIM-Signature tag `{tag}=` appears twice (again at byte {offset})")]
    DuplicateTag {
        /// The repeated tag name.
        tag: String,
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// A DKIM-Signature lacks a tag needed to use it.
    #[error("DKIM-Signature lacks the required `{tag}=` tag")]
    MissingTag {
        /// The missing tag name.
        tag: &'static str,
    },
    /// A DKIM-Signature tag value does not fit the syntax of its tag.
    #[error("DKIM-Signature tag `{tag}=`: expected {expected} at byte {offset}")]
    InvalidTagValue {
        /// The tag whose value is malformed.
        tag: &'static str,
        /// What the tag's value syntax allows at that point.
        expected: &'static str,
        /// Byte offset into the field body.
        offset: usize,
    },
}

impl HeaderError {
    /// Converts a parser error into a `HeaderError` with an offset into `whole`.
    pub(crate) fn from_syntax(whole: &str, err: nom::Err<Syntax<'_>>) -> Self {
        match err {
            nom::Err::Error(syntax) | nom::Err::Failure(syntax) => HeaderError::Expected {
                expected: syntax.expected,
                offset: offset_in(whole, syntax.rest),
            },
            // Only streaming parsers report Incomplete; all of ours are complete.
            nom::Err::Incomplete(_) => HeaderError::Expected {
                expected: "more input",
                offset: whole.len(),
            },
        }
    }
}

/// One parsed `Authentication-Results` header field.
///
/// Serialises to the `authentication_results` entries of the `analyze` JSON:
/// `{"authserv_id": ..., "results": [{"method", "result", "reason", "properties": [{"type", "name", "value"}]}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthenticationResults {
    /// The authentication service identifier, lower-cased so that comparing
    /// it against the configured trusted ids is a plain string comparison.
    /// Empty when the server wrote none (Microsoft 365 does this); an empty
    /// id is never trusted.
    pub authserv_id: String,
    /// The `authres-version`, absent meaning version 1.
    #[serde(skip)]
    pub version: Option<u32>,
    /// The results in header order; empty for `none`.
    pub results: Vec<ResInfo>,
}

impl AuthenticationResults {
    /// Whether this header was written by the service `authserv_id`
    /// (compared case-insensitively; an empty id never matches).
    pub fn is_from(&self, authserv_id: &str) -> bool {
        !self.authserv_id.is_empty() && self.authserv_id.eq_ignore_ascii_case(authserv_id)
    }

    /// The results reported for `method` (case-insensitive), in header order.
    pub fn results_for<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a ResInfo> + 'a {
        self.results
            .iter()
            .filter(move |result| result.method.eq_ignore_ascii_case(method))
    }
}

/// One `resinfo`: the outcome of one authentication method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResInfo {
    /// The method (`dkim`, `spf`, `dmarc`, ...), lower-cased.
    pub method: String,
    /// The `method-version`, absent meaning version 1.
    #[serde(skip)]
    pub method_version: Option<u32>,
    /// The result (`pass`, `fail`, `none`, ...), lower-cased.
    pub result: String,
    /// The `reason=` text, unquoted; comments are never taken as a reason.
    pub reason: Option<String>,
    /// The `ptype.property=value` items in header order.
    pub properties: Vec<Property>,
}

impl ResInfo {
    /// The value of the first property `ptype.name` (case-insensitive).
    pub fn property(&self, ptype: &str, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|property| {
                property.ptype.eq_ignore_ascii_case(ptype)
                    && property.name.eq_ignore_ascii_case(name)
            })
            .map(|property| property.value.as_str())
    }

    /// Whether the result is `pass`.
    pub fn passed(&self) -> bool {
        self.result == "pass"
    }
}

/// One `ptype.property=value` item of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// The ptype (`smtp`, `header`, `body`, `policy`, or an extension),
    /// lower-cased; empty for a bare `name=value` item such as Microsoft's
    /// `action=none`.
    #[serde(rename = "type")]
    pub ptype: String,
    /// The property name, lower-cased.
    pub name: String,
    /// The value as written, with quoting removed from a quoted-string.
    pub value: String,
}

/// Parses the body of one `Authentication-Results` header field (the text
/// after `Authentication-Results:`, folded or not, with or without the final
/// line break).
///
/// The whole field is `authres-header-field = "Authentication-Results:"
/// authres-payload`; this parses the `authres-payload`.
pub fn parse_authentication_results(value: &str) -> Result<AuthenticationResults, HeaderError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(HeaderError::TooLong {
            len: value.len(),
            limit: MAX_FIELD_LEN,
        });
    }
    let (rest, parsed) =
        authres_payload(value).map_err(|err| HeaderError::from_syntax(value, err))?;
    if rest.is_empty() {
        Ok(parsed)
    } else {
        Err(HeaderError::Expected {
            expected: "`;` before the next result, or the end of the field",
            offset: offset_in(value, rest),
        })
    }
}

/// Parses several `Authentication-Results` field bodies (a message usually
/// carries one per receiving hop), keeping each outcome so that a header that
/// does not parse can be reported and skipped.
#[cfg(test)]
pub fn parse_all_authentication_results<'a, I>(
    values: I,
) -> Vec<Result<AuthenticationResults, HeaderError>>
where
    I: IntoIterator<Item = &'a str>,
{
    values
        .into_iter()
        .map(parse_authentication_results)
        .collect()
}

/// `authres-payload = [CFWS] ( identified-payload / anonymous-payload ) trailing-semicolons [CFWS] [line-break]`
fn authres_payload(input: &str) -> PResult<'_, AuthenticationResults> {
    let (rest, _) = opt(cfws).parse(input)?;
    let (rest, parsed) = match identified_payload(rest) {
        Ok(done) => done,
        Err(nom::Err::Error(first)) => match anonymous_payload(rest) {
            Ok(done) => done,
            Err(nom::Err::Error(second)) => {
                return Err(nom::Err::Error(nom::error::ParseError::or(first, second)))
            }
            Err(other) => return Err(other),
        },
        Err(other) => return Err(other),
    };
    let rest = trailing_semicolons(rest);
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, _) = opt(lexical::line_break).parse(rest)?;
    Ok((rest, parsed))
}

/// `identified-payload = authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo )`
fn identified_payload(input: &str) -> PResult<'_, AuthenticationResults> {
    let (rest, authserv_id) = authserv_id(input)?;
    let (rest, version) = opt((cfws, authres_version).map(|(_, version)| version)).parse(rest)?;
    let (rest, results) = match no_result(rest) {
        Ok((rest, ())) => (rest, Vec::new()),
        Err(nom::Err::Error(_)) => results_list(rest, Vec::new())?,
        Err(other) => return Err(other),
    };
    Ok((
        rest,
        AuthenticationResults {
            authserv_id: authserv_id.to_ascii_lowercase(),
            version,
            results,
        },
    ))
}

/// `anonymous-payload = resinfo-body *resinfo`
///
/// Microsoft 365 writes results without an authserv-id, starting straight
/// with `spf=pass ...`; keeping them (with an empty, never trusted id) lets
/// `analyze` show them instead of an error.
fn anonymous_payload(input: &str) -> PResult<'_, AuthenticationResults> {
    let (rest, first) = resinfo_body(input)?;
    let (rest, results) = results_list(rest, vec![first])?;
    Ok((
        rest,
        AuthenticationResults {
            authserv_id: String::new(),
            version: None,
            results,
        },
    ))
}

/// `1*resinfo` appended to `results`; stops at the first position where no
/// further resinfo starts.
fn results_list(input: &str, mut results: Vec<ResInfo>) -> PResult<'_, Vec<ResInfo>> {
    let mut rest = input;
    // Bounded: each round either consumes input or leaves the loop.
    loop {
        match resinfo(rest) {
            Ok((next, result)) if next.len() < rest.len() => {
                results.push(result);
                rest = next;
            }
            Ok(_) => break,
            Err(nom::Err::Error(err)) => {
                if results.is_empty() {
                    return Err(nom::Err::Error(err));
                }
                break;
            }
            Err(other) => return Err(other),
        }
    }
    Ok((rest, results))
}

/// `trailing-semicolons = *( [CFWS] ";" )`
///
/// Skips the semicolons some servers leave after the last result.
fn trailing_semicolons(input: &str) -> &str {
    let mut rest = input;
    // Bounded: each round consumes at least the `;`.
    loop {
        match (opt(cfws), symbol(';', "`;`")).parse(rest) {
            Ok((next, _)) => rest = next,
            Err(_) => return rest,
        }
    }
}

/// `authserv-id = bare-quoted-string / 1*( %x21 / %x23-27 / %x2A-3A / %x3C / %x3E-7E / UTF8-non-ascii )`
fn authserv_id(input: &str) -> PResult<'_, String> {
    if input.starts_with('"') {
        return quoted_string(input);
    }
    let (rest, id) = span1(input, is_authserv_id_char, "an authserv-id")?;
    Ok((rest, id.to_string()))
}

/// RFC 8601 says `value` (a MIME token); OpenDMARC's `host/jobid` ids need `/`
/// too. `=` stays out so that an id-less Microsoft header is not mistaken for
/// one whose id is `spf=pass`.
fn is_authserv_id_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x27' | '\x2a'..='\x3a' | '\x3c' | '\x3e'..='\x7e')
        || !c.is_ascii()
}

/// `authres-version = 1*DIGIT [CFWS]`
fn authres_version(input: &str) -> PResult<'_, u32> {
    let (rest, version) = version_number(input, "an authres-version number")?;
    let (rest, _) = opt(cfws).parse(rest)?;
    Ok((rest, version))
}

/// Parses `1*DIGIT` into a `u32`, rejecting overflow instead of wrapping.
fn version_number<'a>(input: &'a str, expected: &'static str) -> PResult<'a, u32> {
    let (rest, digits) = digit1::<&str, Syntax<'_>>(input).or_else(|_| fail(input, expected))?;
    match digits.parse::<u32>() {
        Ok(number) => Ok((rest, number)),
        Err(_) => failure(input, "a version number below 2^32"),
    }
}

/// `no-result = [CFWS] ";" [CFWS] "none"`
fn no_result(input: &str) -> PResult<'_, ()> {
    let (rest, _) = (opt(cfws), symbol(';', "`;`"), opt(cfws)).parse(input)?;
    let (after, word) = keyword(rest)?;
    if !word.eq_ignore_ascii_case("none") {
        return fail(rest, "`none`");
    }
    // `none=...` would be a method called "none", not the no-result marker.
    if (opt(cfws), symbol('=', "`=`")).parse(after).is_ok() {
        return fail(rest, "`none`");
    }
    Ok((after, ()))
}

/// `resinfo = 1*( [CFWS] ";" ) resinfo-body`
fn resinfo(input: &str) -> PResult<'_, ResInfo> {
    let (mut rest, _) = (opt(cfws), symbol(';', "`;`")).parse(input)?;
    // Bounded: each round consumes a `;`.
    while let Ok((next, _)) = (opt(cfws), symbol(';', "`;`")).parse(rest) {
        rest = next;
    }
    // A `;` followed only by space ends the list (trailing semicolons);
    // anything else after it must be a result.
    let (after_space, _) = opt(cfws).parse(rest)?;
    let (after_break, _) = opt(lexical::line_break).parse(after_space)?;
    if after_break.is_empty() {
        return fail(rest, "a result after `;`");
    }
    cut(resinfo_body).parse(rest)
}

/// `resinfo-body = methodspec *( [CFWS] ( reasonspec / propspec / bare-propspec ) )`
fn resinfo_body(input: &str) -> PResult<'_, ResInfo> {
    let (mut rest, (method, method_version, result)) = methodspec(input)?;
    let mut info = ResInfo {
        method,
        method_version,
        result,
        reason: None,
        properties: Vec::new(),
    };
    // Bounded: each round consumes at least one character of an item.
    loop {
        let (item_start, _) = opt(cfws).parse(rest)?;
        match reasonspec(item_start) {
            Ok((next, reason)) => {
                // RFC 8601 allows one reason, before the properties; some
                // servers put it later. Keep the first one seen.
                if info.reason.is_none() {
                    info.reason = Some(reason);
                }
                rest = next;
                continue;
            }
            Err(nom::Err::Error(_)) => {}
            Err(other) => return Err(other),
        }
        match propspec(item_start) {
            Ok((next, property)) => {
                info.properties.push(property);
                rest = next;
                continue;
            }
            Err(nom::Err::Error(_)) => {}
            Err(other) => return Err(other),
        }
        match bare_propspec(item_start) {
            Ok((next, property)) => {
                info.properties.push(property);
                rest = next;
            }
            Err(nom::Err::Error(_)) => break,
            Err(other) => return Err(other),
        }
    }
    Ok((rest, info))
}

/// `methodspec = [CFWS] method [CFWS] "=" [CFWS] result`
fn methodspec(input: &str) -> PResult<'_, (String, Option<u32>, String)> {
    let (rest, _) = opt(cfws).parse(input)?;
    let (rest, (name, version)) = method(rest)?;
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, _) = symbol('=', "`=` after the method name").parse(rest)?;
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, outcome) = cut(result).parse(rest)?;
    Ok((rest, (name, version, outcome)))
}

/// `method = Keyword [ [CFWS] "/" [CFWS] method-version ]`
fn method(input: &str) -> PResult<'_, (String, Option<u32>)> {
    let (rest, name) = keyword(input).or_else(|_| fail(input, "a method name such as `dkim`"))?;
    let (rest, version) = opt((
        opt(cfws),
        symbol('/', "`/`"),
        opt(cfws),
        cut(method_version),
    )
        .map(|(_, _, _, version)| version))
    .parse(rest)?;
    Ok((rest, (name.to_ascii_lowercase(), version)))
}

/// `method-version = 1*DIGIT [CFWS]`
fn method_version(input: &str) -> PResult<'_, u32> {
    let (rest, version) = version_number(input, "a method-version number")?;
    let (rest, _) = opt(cfws).parse(rest)?;
    Ok((rest, version))
}

/// `result = Keyword`
fn result(input: &str) -> PResult<'_, String> {
    let (rest, word) = keyword(input).or_else(|_| fail(input, "a result such as `pass`"))?;
    Ok((rest, word.to_ascii_lowercase()))
}

/// `reasonspec = "reason" [CFWS] "=" [CFWS] value`
fn reasonspec(input: &str) -> PResult<'_, String> {
    let rest = match (input.get(..6), input.get(6..)) {
        (Some(word), Some(rest)) if word.eq_ignore_ascii_case("reason") => rest,
        _ => return fail(input, "`reason`"),
    };
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, _) = symbol('=', "`=`").parse(rest)?;
    let (rest, _) = opt(cfws).parse(rest)?;
    cut(value).parse(rest)
}

/// `propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue`
fn propspec(input: &str) -> PResult<'_, Property> {
    let (rest, ptype_name) = ptype(input)?;
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, _) = symbol('.', "`.` after the ptype").parse(rest)?;
    let (rest, (_, name, _, _, property_value)) = cut((
        opt(cfws),
        property,
        opt(cfws),
        symbol('=', "`=` after the property name"),
        pvalue,
    ))
    .parse(rest)?;
    Ok((
        rest,
        Property {
            ptype: ptype_name,
            name,
            value: property_value,
        },
    ))
}

/// `bare-propspec = Keyword [CFWS] "=" pvalue`
fn bare_propspec(input: &str) -> PResult<'_, Property> {
    let (rest, name) = keyword(input)?;
    let (rest, _) = opt(cfws).parse(rest)?;
    let (rest, _) = symbol('=', "`=`").parse(rest)?;
    let (rest, property_value) = cut(pvalue).parse(rest)?;
    Ok((
        rest,
        Property {
            ptype: String::new(),
            name: name.to_ascii_lowercase(),
            value: property_value,
        },
    ))
}

/// `ptype = Keyword`
fn ptype(input: &str) -> PResult<'_, String> {
    let (rest, word) = keyword(input).or_else(|_| fail(input, "a ptype such as `header`"))?;
    Ok((rest, word.to_ascii_lowercase()))
}

/// `property = Keyword`
fn property(input: &str) -> PResult<'_, String> {
    let (rest, word) = keyword(input).or_else(|_| fail(input, "a property name such as `d`"))?;
    Ok((rest, word.to_ascii_lowercase()))
}

/// `pvalue = [CFWS] ( bare-quoted-string [ "@" pvalue-text ] / pvalue-text ) [CFWS]`
fn pvalue(input: &str) -> PResult<'_, String> {
    let (start, _) = opt(cfws).parse(input)?;
    let (rest, text) = if start.starts_with('"') {
        let (after_quote, unquoted) = quoted_string(start)?;
        match after_quote.strip_prefix('@') {
            // A quoted local-part: keep the address as written.
            Some(domain_start) => {
                let (after_domain, _) = pvalue_text(domain_start)?;
                let written = consumed(start, after_domain);
                (after_domain, written.to_string())
            }
            None => (after_quote, unquoted),
        }
    } else {
        let (rest, text) = pvalue_text(start)?;
        (rest, text.to_string())
    };
    let (rest, _) = opt(cfws).parse(rest)?;
    Ok((rest, text))
}

/// `pvalue-text = 1*( %x21 / %x23-27 / %x2A-3A / %x3C-7E / UTF8-non-ascii )`
fn pvalue_text(input: &str) -> PResult<'_, &str> {
    span1(input, is_pvalue_char, "a property value")
}

/// Everything visible except the separators `;`, `(`, `)` and `"`: RFC 8601's
/// `value / [[local-part] "@"] domain-name` plus the base64 (`/`, `+`, `=`),
/// IPv6 (`:`) and SRS (`=`) values servers write unquoted.
fn is_pvalue_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x27' | '\x2a'..='\x3a' | '\x3c'..='\x7e') || !c.is_ascii()
}

/// `Keyword = 1*( ALPHA / DIGIT / "-" / "_" )`
fn keyword(input: &str) -> PResult<'_, &str> {
    span1(
        input,
        |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        "a keyword",
    )
}

/// `value = token / bare-quoted-string`
fn value(input: &str) -> PResult<'_, String> {
    if input.starts_with('"') {
        return quoted_string(input);
    }
    let (rest, text) = token(input)?;
    Ok((rest, text.to_string()))
}

/// `token = 1*( %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E )`
fn token(input: &str) -> PResult<'_, &str> {
    span1(
        input,
        |c: char| matches!(c, '\x21' | '\x23'..='\x27' | '\x2a'..='\x2b' | '\x2d'..='\x2e' | '0'..='9' | 'A'..='Z' | '\x5e'..='\x7e'),
        "a token or a quoted string",
    )
}

/// What the Authentication-Results and DKIM-Signature parsers share: their
/// error type and small combinators on field bodies, and the RFC 5322 rules
/// of [`super::super::rfc5322`] read in the current dialect on `&str`.
pub(crate) mod lexical {
    use nom::error::{ContextError, ErrorKind, ParseError};
    use nom::IResult;

    use crate::headers::rfc5322::{self, Dialect, LexicalError};

    /// A parse failure: the unparsed input where it happened and what the
    /// grammar expected there.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Syntax<'a> {
        /// The input from the failing position on.
        pub(crate) rest: &'a str,
        /// What would have been accepted at that position.
        pub(crate) expected: &'static str,
    }

    impl<'a> ParseError<&'a str> for Syntax<'a> {
        fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
            Syntax {
                rest: input,
                expected: "valid syntax",
            }
        }

        fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
            other
        }

        /// Of two failed alternatives, report the one that got further.
        fn or(self, other: Self) -> Self {
            if other.rest.len() < self.rest.len() {
                other
            } else {
                self
            }
        }
    }

    impl<'a> ContextError<&'a str> for Syntax<'a> {
        fn add_context(input: &'a str, expected: &'static str, other: Self) -> Self {
            // A failure deeper inside says more than the outer description.
            if other.rest.len() >= input.len() {
                Syntax {
                    rest: input,
                    expected,
                }
            } else {
                other
            }
        }
    }

    /// Result of every header parser.
    pub(crate) type PResult<'a, O> = IResult<&'a str, O, Syntax<'a>>;

    /// A recoverable failure: an enclosing alternative may still match.
    pub(crate) fn fail<'a, O>(rest: &'a str, expected: &'static str) -> PResult<'a, O> {
        Err(nom::Err::Error(Syntax { rest, expected }))
    }

    /// A committed failure: the input cannot be anything else.
    pub(crate) fn failure<'a, O>(rest: &'a str, expected: &'static str) -> PResult<'a, O> {
        Err(nom::Err::Failure(Syntax { rest, expected }))
    }

    /// Byte offset of `part` (a sub-slice of `whole`) within `whole`.
    /// A `part` from elsewhere (which would be a bug) yields the end of `whole`.
    pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
        let start = whole.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        match at.checked_sub(start) {
            Some(offset) if offset <= whole.len() => offset,
            _ => whole.len(),
        }
    }

    /// The text of `input` that a parser consumed, `rest` being what it left.
    pub(crate) fn consumed<'a>(input: &'a str, rest: &str) -> &'a str {
        input.get(..offset_in(input, rest)).unwrap_or(input)
    }

    /// `1*class` as one slice, scanning bytes instead of characters.
    ///
    /// Sound because every class used here gives the same answer for all
    /// non-ASCII characters: each byte of a multi-byte character is then
    /// accepted or rejected alike, so the split never falls inside one.
    pub(crate) fn span1<'a>(
        input: &'a str,
        class: impl Fn(char) -> bool,
        expected: &'static str,
    ) -> PResult<'a, &'a str> {
        let len = input
            .bytes()
            .take_while(|&byte| class(char::from(byte)))
            .count();
        match input.split_at_checked(len) {
            Some((taken, rest)) if !taken.is_empty() => Ok((rest, taken)),
            _ => fail(input, expected),
        }
    }

    /// Matches the single character `wanted`, naming it as `expected` on failure.
    pub(crate) fn symbol<'a>(
        wanted: char,
        expected: &'static str,
    ) -> impl Fn(&'a str) -> PResult<'a, char> {
        move |input: &'a str| match input.strip_prefix(wanted) {
            Some(rest) => Ok((rest, wanted)),
            None => fail(input, expected),
        }
    }

    impl<'a> LexicalError<&'a str> for Syntax<'a> {
        fn expected(rest: &'a str, expected: &'static str) -> Self {
            Syntax { rest, expected }
        }
    }

    // The RFC 5322 rules, read in the current dialect (RFC 8601 and
    // RFC 6376 refer to section 3), with this module's error.

    /// RFC 5322 line-break on a field body.
    pub(crate) fn line_break(input: &str) -> PResult<'_, &str> {
        rfc5322::line_break(input)
    }

    /// RFC 5322 FWS on a field body.
    pub(crate) fn fws(input: &str) -> PResult<'_, ()> {
        rfc5322::fws(input)
    }

    /// RFC 5322 CFWS on a field body.
    pub(crate) fn cfws(input: &str) -> PResult<'_, ()> {
        rfc5322::cfws(Dialect::Current, input)
    }

    /// RFC 5322 bare-quoted-string on a field body: the content, unfolded
    /// and unescaped.
    pub(crate) fn quoted_string(input: &str) -> PResult<'_, String> {
        let (rest, content) = rfc5322::bare_quoted_string(Dialect::Current, input)?;
        // Only ASCII octets were taken out of UTF-8 text, so this is UTF-8.
        let content = String::from_utf8(content)
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
        Ok((rest, content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_heavy_example_from_rfc_8601_b7() {
        let parsed = parse_authentication_results(
            "foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n      policy (A dot can go here) . (like that) expired\r\n      (this surprised me) = (as I wasn't expecting it) 1362471462\r\n",
        )
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(parsed.authserv_id, "foo.example.net");
        assert_eq!(parsed.version, Some(1));
        let dkim = parsed
            .results
            .first()
            .unwrap_or_else(|| panic!("no result"));
        assert_eq!(dkim.method_version, Some(1));
        assert_eq!(dkim.result, "fail");
        assert_eq!(dkim.property("policy", "expired"), Some("1362471462"));
    }

    #[test]
    fn offsets_point_at_the_problem() {
        assert_eq!(
            parse_authentication_results("example.com; dkim=pass header.d"),
            Err(HeaderError::Expected {
                expected: "`=` after the property name",
                offset: 31
            })
        );
    }
}
