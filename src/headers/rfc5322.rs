//! The RFC 5322 lexical layer (sections 3.2.1 to 3.2.4, 3.4.1 and their
//! obsolete forms in section 4), with the RFC 6532 UTF-8 extension: white
//! space, comments, quoted strings, atoms and the address parts built of
//! them, shared by the msg-id, Authentication-Results and DKIM-Signature
//! parsers.
//!
//! Grammar: grammar/rfc5322.abnf
//!
//! Every parser works on [`Octets`], implemented for `&[u8]` (the raw value
//! of a header the message parser does not decode, such as iMIP-Content-ID)
//! and `&str` (a decoded field body), and reports failures as any
//! [`LexicalError`]. Character classes are decided octet by octet and treat
//! every non-ASCII octet alike, so on a `&str` a parser only ever stops at a
//! character boundary.
//!
//! Two header grammars read these rules differently, and each picks its
//! [`Dialect`]: msg-id accepts the obsolete forms old mailers write, and
//! Authentication-Results and DKIM-Signature the current ones only, with
//! bounded nesting and committed errors that say what was expected.

use nom::error::{ErrorKind, ParseError};
use nom::IResult;

/// Deepest nesting of comments the current dialect accepts, which bounds
/// the work on hostile input. Real headers nest at most two levels.
pub const MAX_COMMENT_DEPTH: usize = 16;

/// Text the lexical parsers read: its octets, and the rest from an offset.
pub(crate) trait Octets<'a>: Copy {
    /// The octets of the text.
    fn octets(self) -> &'a [u8];
    /// The text from octet `at` on; `None` past the end or, for `&str`,
    /// inside a character.
    fn rest_from(self, at: usize) -> Option<Self>;
    /// The first `length` octets, under the same conditions.
    fn first_octets(self, length: usize) -> Option<Self>;
}

impl<'a> Octets<'a> for &'a [u8] {
    fn octets(self) -> &'a [u8] {
        self
    }

    fn rest_from(self, at: usize) -> Option<Self> {
        self.get(at..)
    }

    fn first_octets(self, length: usize) -> Option<Self> {
        self.get(..length)
    }
}

impl<'a> Octets<'a> for &'a str {
    fn octets(self) -> &'a [u8] {
        self.as_bytes()
    }

    fn rest_from(self, at: usize) -> Option<Self> {
        self.get(at..)
    }

    fn first_octets(self, length: usize) -> Option<Self> {
        self.get(..length)
    }
}

/// A parse error the lexical parsers can build: where, and what the grammar
/// expected there.
pub(crate) trait LexicalError<I>: ParseError<I> {
    fn expected(rest: I, what: &'static str) -> Self;
}

impl<I> LexicalError<I> for nom::error::Error<I> {
    fn expected(rest: I, _what: &'static str) -> Self {
        nom::error::Error::new(rest, ErrorKind::Verify)
    }
}

/// Which reading of the rules a header grammar wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Section 3 with RFC 6532, as Authentication-Results (RFC 8601) and
    /// DKIM-Signature (RFC 6376) refer to it: comments nest at most
    /// [`MAX_COMMENT_DEPTH`] deep, and a malformed comment, quoted pair or
    /// quoted string is a committed failure (no other alternative can
    /// match it) naming what was expected.
    Current,
    /// Section 3 and the obsolete forms of section 4 (control characters in
    /// ctext, qtext and dtext, obs-qp), as a msg-id is to be read (section
    /// 4.5.4 lets CFWS appear anywhere in it). Comments nest without limit,
    /// followed by a counter instead of recursion, and every failure leaves
    /// the enclosing alternatives free to try.
    Obsolete,
}

impl Dialect {
    fn accepts_obsolete(self) -> bool {
        self == Dialect::Obsolete
    }

    fn max_comment_depth(self) -> usize {
        match self {
            Dialect::Current => MAX_COMMENT_DEPTH,
            Dialect::Obsolete => usize::MAX,
        }
    }

    /// A failure inside a construct that has started (after `(`, `\` or a
    /// quote): committed in the current dialect.
    fn reject<I, O, E: LexicalError<I>>(self, rest: I, what: &'static str) -> IResult<I, O, E> {
        let error = E::expected(rest, what);
        Err(match self {
            Dialect::Current => nom::Err::Failure(error),
            Dialect::Obsolete => nom::Err::Error(error),
        })
    }
}

fn fail<I, O, E: LexicalError<I>>(rest: I, what: &'static str) -> IResult<I, O, E> {
    Err(nom::Err::Error(E::expected(rest, what)))
}

/// The rest of `input` after `consumed` octets.
fn advance<'a, I: Octets<'a>, E: LexicalError<I>>(
    input: I,
    consumed: usize,
) -> Result<I, nom::Err<E>> {
    input
        .rest_from(consumed)
        .ok_or_else(|| nom::Err::Error(E::expected(input, "a whole character")))
}

/// `input` split after the leading octets `class` accepts.
fn span<'a, I: Octets<'a>, E: LexicalError<I>>(
    input: I,
    class: impl Fn(u8) -> bool,
) -> Result<(I, I), nom::Err<E>> {
    let length = input
        .octets()
        .iter()
        .take_while(|&&octet| class(octet))
        .count();
    let taken = input
        .first_octets(length)
        .ok_or_else(|| nom::Err::Error(E::expected(input, "a whole character")))?;
    Ok((advance(input, length)?, taken))
}

fn starts_with<'a, I: Octets<'a>>(input: I, octet: u8) -> bool {
    input.octets().first() == Some(&octet)
}

fn is_wsp(octet: u8) -> bool {
    octet == b' ' || octet == b'\t'
}

/// `line-break = CRLF / LF`
pub(crate) fn line_break<'a, I: Octets<'a>, E: LexicalError<I>>(input: I) -> IResult<I, I, E> {
    let length = match input.octets() {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] => 1,
        _ => return fail(input, "a line break"),
    };
    let taken = input.first_octets(length).unwrap_or(input);
    Ok((advance(input, length)?, taken))
}

/// `FWS = 1*([line-break] 1*WSP)`
pub(crate) fn fws<'a, I: Octets<'a>, E: LexicalError<I>>(input: I) -> IResult<I, (), E> {
    let mut rest = input;
    // Bounded: each round consumes at least one WSP.
    loop {
        let after_break = match line_break::<I, E>(rest) {
            Ok((after, _)) => after,
            Err(_) => rest,
        };
        let (next, space) = span(after_break, is_wsp)?;
        if space.octets().is_empty() {
            break;
        }
        rest = next;
    }
    if rest.octets().len() == input.octets().len() {
        fail(input, "white space")
    } else {
        Ok((rest, ()))
    }
}

/// `CFWS = (1*([FWS] comment) [FWS]) / FWS`
pub(crate) fn cfws<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, (), E> {
    let mut rest = input;
    // Bounded: each round consumes white space or a whole comment.
    loop {
        let after_space = fws::<I, E>(rest).map_or(rest, |(after, ())| after);
        rest = after_space;
        if !starts_with(after_space, b'(') {
            break;
        }
        // A comment that fails without committing (the obsolete dialect)
        // ends the CFWS before it, and what follows is left to the caller.
        match comment(dialect, after_space) {
            Ok((next, ())) => rest = next,
            Err(nom::Err::Error(_)) => break,
            Err(other) => return Err(other),
        }
    }
    if rest.octets().len() == input.octets().len() {
        fail(input, "white space or a comment")
    } else {
        Ok((rest, ()))
    }
}

/// `[CFWS]`: the rest after CFWS, or `input` when none starts there; a
/// committed failure inside a comment stands.
pub(crate) fn opt_cfws<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> Result<I, nom::Err<E>> {
    match cfws(dialect, input) {
        Ok((rest, ())) => Ok(rest),
        Err(nom::Err::Error(_)) => Ok(input),
        Err(other) => Err(other),
    }
}

/// `comment = "(" *([FWS] ccontent) [FWS] ")"`
///
/// Nested comments are followed with a depth counter instead of recursion,
/// so a hostile run of `(` cannot exhaust the stack.
pub(crate) fn comment<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, (), E> {
    if !starts_with(input, b'(') {
        return fail(input, "`(`");
    }
    let mut rest = advance(input, 1)?;
    let mut depth: usize = 1;
    // Bounded: each round consumes content, a parenthesis, or ends.
    loop {
        let after_space = fws::<I, E>(rest).map_or(rest, |(after, ())| after);
        if starts_with(after_space, b')') {
            depth = depth.saturating_sub(1);
            rest = advance(after_space, 1)?;
            if depth == 0 {
                return Ok((rest, ()));
            }
            continue;
        }
        if after_space.octets().is_empty() {
            return dialect.reject(after_space, "`)` closing the comment");
        }
        match ccontent(dialect, after_space)? {
            (_, Ccontent::Comment) => {
                depth = depth.saturating_add(1);
                if depth > dialect.max_comment_depth() {
                    return dialect.reject(after_space, "comments nested at most 16 deep");
                }
                rest = advance(after_space, 1)?;
            }
            (next, Ccontent::Text | Ccontent::QuotedPair) => rest = next,
        }
    }
}

/// What one ccontent was.
pub(crate) enum Ccontent {
    Text,
    QuotedPair,
    /// A nested comment starts here, at its `(`, which [`comment`] counts.
    Comment,
}

/// `ccontent = ctext / quoted-pair / comment`
pub(crate) fn ccontent<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Ccontent, E> {
    if starts_with(input, b'(') {
        return Ok((input, Ccontent::Comment));
    }
    if starts_with(input, b'\\') {
        let (rest, _) = quoted_pair(dialect, input)?;
        return Ok((rest, Ccontent::QuotedPair));
    }
    let (rest, text) = span(input, |octet| ctext(dialect, octet))?;
    if text.octets().is_empty() {
        return dialect.reject(input, "comment text or `)`");
    }
    Ok((rest, Ccontent::Text))
}

/// `ctext = %d33-39 / %d42-91 / %d93-126 / obs-ctext / utf8-non-ascii`
pub(crate) fn ctext(dialect: Dialect, octet: u8) -> bool {
    matches!(octet, 33..=39 | 42..=91 | 93..=126)
        || (dialect.accepts_obsolete() && obs_ctext(octet))
        || utf8_non_ascii(octet)
}

/// `obs-ctext = obs-NO-WS-CTL`
pub(crate) fn obs_ctext(octet: u8) -> bool {
    obs_no_ws_ctl(octet)
}

/// `quoted-pair = ("\" (VCHAR / WSP / utf8-non-ascii)) / obs-qp`
///
/// Returns what is quoted: one octet, or a whole UTF-8 character (its
/// continuation octets, which every class here accepts anyway, are taken
/// with it so that a `&str` is never split inside it).
pub(crate) fn quoted_pair<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    if !starts_with(input, b'\\') {
        return fail(input, "`\\`");
    }
    let quoted = advance(input, 1)?;
    let length = match quoted.octets() {
        [first, continuation @ ..] if utf8_non_ascii(*first) => continuation
            .iter()
            .take_while(|&&octet| (0x80..=0xbf).contains(&octet))
            .count()
            .saturating_add(1),
        [first, ..] if (0x21..=0x7e).contains(first) || is_wsp(*first) => 1,
        [first, ..] if dialect.accepts_obsolete() && obs_qp(*first) => 1,
        _ => return dialect.reject(quoted, "a visible character after `\\`"),
    };
    let text = quoted.first_octets(length).unwrap_or(quoted);
    Ok((advance(quoted, length)?, text))
}

/// `obs-qp = "\" (%d0 / obs-NO-WS-CTL / LF / CR)`
///
/// Decides the octet after the backslash, which [`quoted_pair`] has read.
pub(crate) fn obs_qp(octet: u8) -> bool {
    octet == 0 || obs_no_ws_ctl(octet) || octet == b'\n' || octet == b'\r'
}

/// `quoted-string = [CFWS] bare-quoted-string [CFWS]`
///
/// Returns the content, as [`bare_quoted_string`] does.
pub(crate) fn quoted_string<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    let rest = opt_cfws(dialect, input)?;
    let (rest, content) = bare_quoted_string(dialect, rest)?;
    let rest = opt_cfws(dialect, rest)?;
    Ok((rest, content))
}

/// `bare-quoted-string = DQUOTE *([FWS] qcontent) [FWS] DQUOTE`
///
/// Returns the content without the quotes and with quoted pairs resolved;
/// white space inside the quotes is content and stays, the line breaks of
/// folding do not (RFC 5322 3.2.4). The content of a `&str` is UTF-8: only
/// ASCII octets are removed from it.
pub(crate) fn bare_quoted_string<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    if !starts_with(input, b'"') {
        return fail(input, "`\"`");
    }
    let mut rest = advance(input, 1)?;
    let mut content = Vec::new();
    // Bounded: each round consumes content or ends the string.
    loop {
        let after_space = fws::<I, E>(rest).map_or(rest, |(after, ())| after);
        let folding = rest
            .octets()
            .get(
                ..rest
                    .octets()
                    .len()
                    .saturating_sub(after_space.octets().len()),
            )
            .unwrap_or_default();
        content.extend(folding.iter().copied().filter(|&octet| is_wsp(octet)));
        if starts_with(after_space, b'"') {
            return Ok((advance(after_space, 1)?, content));
        }
        if after_space.octets().is_empty() {
            return dialect.reject(after_space, "`\"` closing the quoted string");
        }
        let (next, text) = qcontent(dialect, after_space)?;
        content.extend_from_slice(text.octets());
        rest = next;
    }
}

/// `qcontent = qtext / quoted-pair`
///
/// Returns a run of qtext, or what a quoted pair quotes.
pub(crate) fn qcontent<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    if starts_with(input, b'\\') {
        return quoted_pair(dialect, input);
    }
    let (rest, text) = span(input, |octet| qtext(dialect, octet))?;
    if text.octets().is_empty() {
        return dialect.reject(input, "quoted text or `\"`");
    }
    Ok((rest, text))
}

/// `qtext = %d33 / %d35-91 / %d93-126 / obs-qtext / utf8-non-ascii`
pub(crate) fn qtext(dialect: Dialect, octet: u8) -> bool {
    matches!(octet, 33 | 35..=91 | 93..=126)
        || (dialect.accepts_obsolete() && obs_qtext(octet))
        || utf8_non_ascii(octet)
}

/// `obs-qtext = obs-NO-WS-CTL`
pub(crate) fn obs_qtext(octet: u8) -> bool {
    obs_no_ws_ctl(octet)
}

/// `atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" / "=" / "?" / "^" / "_" / %d96 / "{" / "|" / "}" / "~" / utf8-non-ascii`
pub(crate) fn atext(octet: u8) -> bool {
    octet.is_ascii_alphanumeric()
        || b"!#$%&'*+-/=?^_`{|}~".contains(&octet)
        || utf8_non_ascii(octet)
}

/// `atom = [CFWS] 1*atext [CFWS]`
///
/// Returns the atext.
pub(crate) fn atom<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    let start = opt_cfws(dialect, input)?;
    let (rest, text) = span(start, atext)?;
    if text.octets().is_empty() {
        return fail(start, "atext");
    }
    let rest = opt_cfws(dialect, rest)?;
    Ok((rest, text))
}

/// `dot-atom = [CFWS] dot-atom-text [CFWS]`
///
/// Returns the dot-atom-text. No header read here uses it alone: local-part
/// and domain read a dot-atom through their obsolete forms, which cover it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn dot_atom<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    let start = opt_cfws(dialect, input)?;
    let (rest, text) = dot_atom_text(start)?;
    let rest = opt_cfws(dialect, rest)?;
    Ok((rest, text))
}

/// `dot-atom-text = 1*atext *("." 1*atext)`
pub(crate) fn dot_atom_text<'a, I: Octets<'a>, E: LexicalError<I>>(input: I) -> IResult<I, I, E> {
    let octets = input.octets();
    let mut length = octets.iter().take_while(|&&octet| atext(octet)).count();
    if length == 0 {
        return fail(input, "atext");
    }
    // Bounded: each round takes a `.` and at least one atext.
    while let Some((b'.', after_dot)) = octets.get(length..).and_then(<[u8]>::split_first) {
        let label = after_dot.iter().take_while(|&&octet| atext(octet)).count();
        if label == 0 {
            break;
        }
        length = length.saturating_add(1).saturating_add(label);
    }
    let text = input.first_octets(length).unwrap_or(input);
    Ok((advance(input, length)?, text))
}

/// `word = atom / quoted-string`
///
/// Returns the atext, or the quoted content.
pub(crate) fn word<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    match atom::<I, E>(dialect, input) {
        Ok((rest, text)) => Ok((rest, text.octets().to_vec())),
        Err(nom::Err::Error(_)) => quoted_string(dialect, input),
        Err(other) => Err(other),
    }
}

/// `local-part = dot-atom / quoted-string / obs-local-part`
///
/// obs-local-part matches every dot-atom and every quoted-string as well,
/// and an ordered choice would stop at the `a` of `a."b"`, so only the
/// widest alternative is tried. Returns the words joined by dots, without
/// white space, comments or quotes (what the local part means).
pub(crate) fn local_part<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    obs_local_part(dialect, input)
}

/// `obs-local-part = word *("." word)`
pub(crate) fn obs_local_part<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    let (mut rest, mut joined) = word(dialect, input)?;
    // Bounded: each round takes a `.` and a word.
    while starts_with(rest, b'.') {
        match word::<I, E>(dialect, advance(rest, 1)?) {
            Ok((next, more)) => {
                joined.push(b'.');
                joined.extend_from_slice(&more);
                rest = next;
            }
            Err(nom::Err::Error(_)) => break,
            Err(other) => return Err(other),
        }
    }
    Ok((rest, joined))
}

/// `domain = dot-atom / domain-literal / obs-domain`
///
/// As with [`local_part`], obs-domain covers dot-atom, so it stands for
/// both. Returns the domain without white space or comments.
pub(crate) fn domain<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    match domain_literal::<I, E>(dialect, input) {
        Err(nom::Err::Error(_)) => obs_domain(dialect, input),
        other => other,
    }
}

/// `obs-domain = atom *("." atom)`
pub(crate) fn obs_domain<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    let (mut rest, first) = atom::<I, E>(dialect, input)?;
    let mut joined = first.octets().to_vec();
    // Bounded: each round takes a `.` and an atom.
    while starts_with(rest, b'.') {
        match atom::<I, E>(dialect, advance(rest, 1)?) {
            Ok((next, more)) => {
                joined.push(b'.');
                joined.extend_from_slice(more.octets());
                rest = next;
            }
            Err(nom::Err::Error(_)) => break,
            Err(other) => return Err(other),
        }
    }
    Ok((rest, joined))
}

/// `domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS]`
///
/// Returns the literal with its brackets; folding white space inside them
/// is not part of it.
pub(crate) fn domain_literal<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, Vec<u8>, E> {
    let start = opt_cfws(dialect, input)?;
    let (rest, literal) = bracketed_dtext(dialect, start, true)?;
    Ok((opt_cfws(dialect, rest)?, literal))
}

/// `"[" *([FWS] dtext) [FWS] "]"`, or without the FWS: the one loop over
/// dtext that a domain-literal and msg-id's no-fold-literal share. Returns
/// the literal with its brackets.
pub(crate) fn bracketed_dtext<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
    folding: bool,
) -> IResult<I, Vec<u8>, E> {
    if !starts_with(input, b'[') {
        return fail(input, "`[`");
    }
    let mut rest = advance(input, 1)?;
    let mut literal = vec![b'['];
    // Bounded: each round consumes a dtext or leaves.
    loop {
        let after_space = if folding {
            fws::<I, E>(rest).map_or(rest, |(after, ())| after)
        } else {
            rest
        };
        rest = after_space;
        match dtext::<I, E>(dialect, after_space) {
            Ok((next, text)) => {
                literal.extend_from_slice(text.octets());
                rest = next;
            }
            Err(nom::Err::Error(_)) => break,
            Err(other) => return Err(other),
        }
    }
    if !starts_with(rest, b']') {
        return fail(rest, "`]`");
    }
    literal.push(b']');
    Ok((advance(rest, 1)?, literal))
}

/// `dtext = %d33-90 / %d94-126 / obs-dtext / utf8-non-ascii`
///
/// Returns one octet of text (a whole character on a `&str`), or what a
/// quoted pair quotes.
pub(crate) fn dtext<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    let length = match input.octets() {
        [first, continuation @ ..] if utf8_non_ascii(*first) => continuation
            .iter()
            .take_while(|&&octet| (0x80..=0xbf).contains(&octet))
            .count()
            .saturating_add(1),
        [33..=90 | 94..=126, ..] => 1,
        _ if dialect.accepts_obsolete() => return obs_dtext(dialect, input),
        _ => return fail(input, "domain literal text"),
    };
    let text = input.first_octets(length).unwrap_or(input);
    Ok((advance(input, length)?, text))
}

/// `obs-dtext = obs-NO-WS-CTL / quoted-pair`
pub(crate) fn obs_dtext<'a, I: Octets<'a>, E: LexicalError<I>>(
    dialect: Dialect,
    input: I,
) -> IResult<I, I, E> {
    match input.octets().first() {
        Some(&octet) if obs_no_ws_ctl(octet) => {
            let text = input.first_octets(1).unwrap_or(input);
            Ok((advance(input, 1)?, text))
        }
        Some(b'\\') => quoted_pair(dialect, input),
        _ => fail(input, "domain literal text"),
    }
}

/// `obs-NO-WS-CTL = %d1-8 / %d11 / %d12 / %d14-31 / %d127`
pub(crate) fn obs_no_ws_ctl(octet: u8) -> bool {
    matches!(octet, 1..=8 | 11 | 12 | 14..=31 | 127)
}

/// `utf8-non-ascii = %x80-FF`
pub(crate) fn utf8_non_ascii(octet: u8) -> bool {
    octet >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    type Bytes<'a, O> = IResult<&'a [u8], O, nom::error::Error<&'a [u8]>>;
    type Text<'a, O> = IResult<&'a str, O, nom::error::Error<&'a str>>;

    #[test]
    fn the_same_rules_on_octets_and_on_text() {
        let bytes: Bytes<'_, Vec<u8>> =
            bare_quoted_string(Dialect::Current, &b"\"a\\\"\r\n b\" rest"[..]);
        let text: Text<'_, Vec<u8>> = bare_quoted_string(Dialect::Current, "\"a\\\"\r\n b\" rest");
        assert_eq!(bytes.ok(), Some((&b" rest"[..], b"a\" b".to_vec())));
        assert_eq!(text.ok(), Some((" rest", b"a\" b".to_vec())));
    }

    #[test]
    fn a_quoted_character_is_never_split() {
        let text: Text<'_, &str> = quoted_pair(Dialect::Current, "\\\u{e9}x");
        assert_eq!(text.ok(), Some(("x", "\u{e9}")));
        let literal: Text<'_, Vec<u8>> = domain_literal(Dialect::Obsolete, "[ caf\u{e9} ]x");
        assert_eq!(literal.ok(), Some(("x", "[caf\u{e9}]".as_bytes().to_vec())));
    }

    #[test]
    fn dialects_differ_in_obsolete_forms_and_nesting() {
        let control: Text<'_, ()> = comment(Dialect::Obsolete, "(a\u{1}b)");
        assert!(control.is_ok());
        let control: Text<'_, ()> = comment(Dialect::Current, "(a\u{1}b)");
        assert!(matches!(control, Err(nom::Err::Failure(_))));
        let deep = format!("{}{}", "(".repeat(17), ")".repeat(17));
        let current: Text<'_, ()> = comment(Dialect::Current, &deep);
        assert!(matches!(current, Err(nom::Err::Failure(_))));
        let obsolete: Text<'_, ()> = comment(Dialect::Obsolete, &deep);
        assert!(obsolete.is_ok());
    }

    #[test]
    fn atoms_and_the_address_parts_built_of_them() {
        let dotted: Bytes<'_, &[u8]> = dot_atom(Dialect::Current, &b" (c) a.b (d) @"[..]);
        assert_eq!(dotted.ok(), Some((&b"@"[..], &b"a.b"[..])));
        let local: Bytes<'_, Vec<u8>> = local_part(Dialect::Obsolete, &b"a . \"b c\" .d@x"[..]);
        assert_eq!(local.ok(), Some((&b"@x"[..], b"a.b c.d".to_vec())));
        let domain: Bytes<'_, Vec<u8>> = domain(Dialect::Obsolete, &b"Example . COM>"[..]);
        assert_eq!(domain.ok(), Some((&b">"[..], b"Example.COM".to_vec())));
    }

    #[test]
    fn folding_white_space_takes_bare_lf_breaks() {
        let folded: Text<'_, ()> = fws(" \n\t x");
        assert_eq!(folded.ok(), Some(("x", ())));
        let unfinished: Text<'_, ()> = fws(" \nx");
        assert_eq!(unfinished.ok(), Some(("\nx", ())));
        let none: Text<'_, ()> = fws("\nx");
        assert!(none.is_err());
    }
}
