//! The RFC 5228 section 8.1 lexer, read with nom: it turns a script into
//! tokens with their byte spans so the front-end can find `require` and every
//! `imip` test, and lower them without disturbing anything else.
//!
//! Deviations from RFC 5228, all towards what sieve-rs and real scripts do:
//! a bare LF ends a line as CRLF does (`line-break`), a hash comment may end
//! the script, and comments may hold any octet but NUL.
//!
//! Grammar: grammar/sieve.abnf

use nom::{
    branch::alt,
    bytes::complete::{tag as literal, tag_no_case, take_while, take_while1, take_while_m_n},
    combinator::{cut, eof, map, opt, recognize, value},
    multi::{many0_count, many_till},
    IResult, Parser,
};

use super::error::LexicalError;

type Input<'a> = &'a [u8];
type LexResult<'a, O = ()> = IResult<Input<'a>, O>;

/// A byte range of the script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

/// What a token is; its text is the token's span of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Identifier,
    /// The span includes the colon.
    Tag,
    Number(u64),
    /// `body` is the text between the quotes, escapes undone later.
    QuotedString {
        body: Span,
    },
    /// `body` runs from the line after `text:` to the line holding ".".
    MultiLine {
        body: Span,
    },
    BracketOpen,
    BracketClose,
    ParenOpen,
    ParenClose,
    CurlyOpen,
    CurlyClose,
    Comma,
    Semicolon,
}

/// A token and where it lies in the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// The token's text as written.
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        source.get(self.span.start..self.span.end).unwrap_or("")
    }

    /// Whether the token is a string (quoted or multi-line).
    pub fn is_string(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::QuotedString { .. } | TokenKind::MultiLine { .. }
        )
    }

    /// A short description for error messages.
    pub fn describe(&self, source: &str) -> String {
        match self.kind {
            TokenKind::QuotedString { .. } | TokenKind::MultiLine { .. } => {
                let text = self.text(source);
                match text.char_indices().nth(40) {
                    Some((cut, _)) => format!("string {}...", text.get(..cut).unwrap_or(text)),
                    None => format!("string {text}"),
                }
            }
            TokenKind::Number(_) => format!("number {}", self.text(source)),
            TokenKind::Tag => format!("tag {}", self.text(source)),
            TokenKind::Identifier => format!("identifier {}", self.text(source)),
            _ => format!("'{}'", self.text(source)),
        }
    }

    /// The string's value with escapes and dot-stuffing undone; `None` for a
    /// token that is not a string.
    pub fn string_value(&self, source: &str) -> Option<String> {
        match self.kind {
            TokenKind::QuotedString { body } => {
                let raw = source.get(body.start..body.end)?;
                let mut value = String::with_capacity(raw.len());
                let mut escaped = false;
                for character in raw.chars() {
                    if character == '\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    escaped = false;
                    value.push(character);
                }
                Some(value)
            }
            TokenKind::MultiLine { body } => {
                let raw = source.get(body.start..body.end)?;
                let mut value = String::with_capacity(raw.len());
                for line in raw.split_inclusive('\n') {
                    value.push_str(line.strip_prefix('.').unwrap_or(line));
                }
                Some(value)
            }
            _ => None,
        }
    }
}

/// Splits a script into tokens, skipping white space and comments.
///
/// On failure gives the byte offset where reading stopped and why.
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, (usize, LexicalError)> {
    let bytes = source.as_bytes();
    let mut rest = bytes;
    let mut tokens = Vec::with_capacity(bytes.len() / 6);
    // Every step consumes at least one byte, so the loop ends.
    loop {
        while let Ok((after, ())) = white_space(rest) {
            rest = after;
        }
        if rest.is_empty() {
            return Ok(tokens);
        }
        let start = bytes.len().saturating_sub(rest.len());
        match sieve_token(rest) {
            Ok((after, kind)) => {
                let end = bytes.len().saturating_sub(after.len());
                tokens.push(Token {
                    kind: kind.shifted(start),
                    span: Span { start, end },
                });
                rest = after;
            }
            Err(_) => return Err((start, diagnose(rest))),
        }
    }
}

impl TokenKind {
    /// String bodies are parsed relative to the token's start; make them
    /// absolute.
    fn shifted(self, token_start: usize) -> TokenKind {
        let shift = |body: Span| Span {
            start: body.start.saturating_add(token_start),
            end: body.end.saturating_add(token_start),
        };
        match self {
            TokenKind::QuotedString { body } => TokenKind::QuotedString { body: shift(body) },
            TokenKind::MultiLine { body } => TokenKind::MultiLine { body: shift(body) },
            other => other,
        }
    }
}

/// Says why no token starts at `rest`.
fn diagnose(rest: Input<'_>) -> LexicalError {
    if rest.starts_with(b"\"") {
        LexicalError::UnterminatedString
    } else if rest.starts_with(b"/*") {
        LexicalError::UnterminatedComment
    } else if rest.len() >= 5
        && rest
            .get(..5)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"text:"))
    {
        let after = rest.get(5..).unwrap_or_default();
        let (after, _) = take_while::<_, _, nom::error::Error<Input<'_>>>(is_blank)
            .parse(after)
            .unwrap_or((after, &[]));
        if alt((hash_comment, line_break)).parse(after).is_ok() {
            LexicalError::UnterminatedMultiLine
        } else {
            LexicalError::MultiLineStart
        }
    } else if rest.starts_with(b":") {
        LexicalError::BareColon
    } else {
        let character = std::str::from_utf8(rest.get(..4.min(rest.len())).unwrap_or_default())
            .ok()
            .or_else(|| std::str::from_utf8(rest.get(..1).unwrap_or_default()).ok())
            .and_then(|text| text.chars().next())
            .or_else(|| rest.first().map(|byte| char::from(*byte)))
            .unwrap_or('\u{fffd}');
        LexicalError::UnexpectedCharacter(character)
    }
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// `sieve-token = string / tag / number / identifier / "[" / "]" / "(" / ")" / "{" / "}" / "," / ";"`
///
/// The first byte decides which alternative can match, so only that one is
/// tried: the lexer runs on every compile of a script that mentions `imip`.
fn sieve_token(input: Input<'_>) -> LexResult<'_, TokenKind> {
    let punctuation = |kind: TokenKind| -> LexResult<'_, TokenKind> {
        Ok((input.get(1..).unwrap_or_default(), kind))
    };
    match input.first() {
        Some(b'"') => string(input),
        Some(b't' | b'T') => match string(input) {
            Err(nom::Err::Error(_)) => value(TokenKind::Identifier, identifier).parse(input),
            other => other,
        },
        Some(b':') => value(TokenKind::Tag, tag).parse(input),
        Some(byte) if byte.is_ascii_digit() => map(number, TokenKind::Number).parse(input),
        Some(b'[') => punctuation(TokenKind::BracketOpen),
        Some(b']') => punctuation(TokenKind::BracketClose),
        Some(b'(') => punctuation(TokenKind::ParenOpen),
        Some(b')') => punctuation(TokenKind::ParenClose),
        Some(b'{') => punctuation(TokenKind::CurlyOpen),
        Some(b'}') => punctuation(TokenKind::CurlyClose),
        Some(b',') => punctuation(TokenKind::Comma),
        Some(b';') => punctuation(TokenKind::Semicolon),
        _ => value(TokenKind::Identifier, identifier).parse(input),
    }
}

/// Offset of `inner` within `outer` (a suffix of it).
fn offset_in(outer: Input<'_>, inner: Input<'_>) -> usize {
    outer.len().saturating_sub(inner.len())
}

/// `string = quoted-string / multi-line`
fn string(input: Input<'_>) -> LexResult<'_, TokenKind> {
    match multi_line(input) {
        Ok((rest, body)) => return Ok((rest, TokenKind::MultiLine { body })),
        Err(nom::Err::Error(_)) => {}
        Err(failure) => return Err(failure),
    }
    let (rest, body) = quoted_string(input)?;
    let body = Span {
        start: 1,
        end: 1usize.saturating_add(body.len()),
    };
    Ok((rest, TokenKind::QuotedString { body }))
}

/// `line-break = CRLF / LF`
fn line_break(input: Input<'_>) -> LexResult<'_> {
    value((), alt((literal("\r\n"), literal("\n")))).parse(input)
}

/// `end-of-script = <the end of the script text>`
fn end_of_script(input: Input<'_>) -> LexResult<'_> {
    value((), eof).parse(input)
}

/// `white-space = 1*(SP / line-break / HTAB) / comment`
fn white_space(input: Input<'_>) -> LexResult<'_> {
    match input.first() {
        Some(b'#' | b'/') => comment(input),
        _ => {
            // `1*(SP / line-break / HTAB)`, by hand: it runs before every token.
            let mut at = 0usize;
            loop {
                match input.get(at) {
                    Some(b' ' | b'\t' | b'\n') => at = at.saturating_add(1),
                    Some(b'\r') if input.get(at.saturating_add(1)) == Some(&b'\n') => {
                        at = at.saturating_add(2);
                    }
                    _ => break,
                }
            }
            match input.get(at..) {
                Some(rest) if at > 0 => Ok((rest, ())),
                _ => Err(nom::Err::Error(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::Space,
                ))),
            }
        }
    }
}

/// `comment = bracket-comment / hash-comment`
fn comment(input: Input<'_>) -> LexResult<'_> {
    alt((bracket_comment, hash_comment)).parse(input)
}

/// `hash-comment = "#" *octet-not-crlf (line-break / end-of-script)`
fn hash_comment(input: Input<'_>) -> LexResult<'_> {
    value(
        (),
        (
            literal("#"),
            take_while(octet_not_crlf),
            alt((line_break, end_of_script)),
        ),
    )
    .parse(input)
}

/// `bracket-comment = "/*" *not-star 1*"*" *(not-star-slash *not-star 1*"*") "/"`
fn bracket_comment(input: Input<'_>) -> LexResult<'_> {
    let (mut rest, _) = literal("/*").parse(input)?;
    // Each round consumes at least one star, so the loop ends.
    loop {
        let (after, _) =
            cut((take_while(not_star), take_while1(|byte| byte == b'*'))).parse(rest)?;
        if let Some(after_slash) = after.strip_prefix(b"/") {
            return Ok((after_slash, ()));
        }
        if after.first().is_some_and(|byte| !not_star_slash(*byte)) {
            return Err(nom::Err::Failure(nom::error::Error::new(
                after,
                nom::error::ErrorKind::Char,
            )));
        }
        rest = after;
    }
}

/// `not-star = %x01-29 / %x2B-FF`
fn not_star(byte: u8) -> bool {
    byte != 0 && byte != b'*'
}

/// `not-star-slash = %x01-29 / %x2B-2E / %x30-FF`
fn not_star_slash(byte: u8) -> bool {
    not_star(byte) && byte != b'/'
}

/// `octet-not-crlf = %x01-09 / %x0B-0C / %x0E-FF`
fn octet_not_crlf(byte: u8) -> bool {
    byte != 0 && byte != b'\r' && byte != b'\n'
}

/// `octet-not-period = %x01-09 / %x0B-0C / %x0E-2D / %x2F-FF`
fn octet_not_period(byte: u8) -> bool {
    octet_not_crlf(byte) && byte != b'.'
}

/// `octet-not-qspecial = %x01-09 / %x0B-0C / %x0E-21 / %x23-5B / %x5D-FF`
fn octet_not_qspecial(byte: u8) -> bool {
    octet_not_crlf(byte) && byte != b'"' && byte != b'\\'
}

/// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`
fn identifier(input: Input<'_>) -> LexResult<'_, Input<'_>> {
    recognize((
        take_while_m_n(1, 1, |byte: u8| byte.is_ascii_alphabetic() || byte == b'_'),
        take_while(|byte: u8| byte.is_ascii_alphanumeric() || byte == b'_'),
    ))
    .parse(input)
}

/// `tag = ":" identifier`
fn tag(input: Input<'_>) -> LexResult<'_, Input<'_>> {
    recognize((literal(":"), identifier)).parse(input)
}

/// `number = 1*DIGIT [ QUANTIFIER ]`
fn number(input: Input<'_>) -> LexResult<'_, u64> {
    let (rest, digits) = take_while1(|byte: u8| byte.is_ascii_digit()).parse(input)?;
    let (rest, multiplier) = opt(quantifier).parse(rest)?;
    let magnitude = digits.iter().fold(0u64, |total, digit| {
        total
            .saturating_mul(10)
            .saturating_add(u64::from(digit.saturating_sub(b'0')))
    });
    Ok((rest, magnitude.saturating_mul(multiplier.unwrap_or(1))))
}

/// `QUANTIFIER = "K" / "M" / "G"`
fn quantifier(input: Input<'_>) -> LexResult<'_, u64> {
    alt((
        value(1 << 10, tag_no_case("K")),
        value(1 << 20, tag_no_case("M")),
        value(1 << 30, tag_no_case("G")),
    ))
    .parse(input)
}

/// `quoted-string = DQUOTE quoted-text DQUOTE`
fn quoted_string(input: Input<'_>) -> LexResult<'_, Input<'_>> {
    let (rest, _) = literal("\"").parse(input)?;
    cut((quoted_text, literal("\"")))
        .parse(rest)
        .map(|(after, (body, _))| (after, body))
}

/// `quoted-text = *(quoted-safe / quoted-special / quoted-other)`
fn quoted_text(input: Input<'_>) -> LexResult<'_, Input<'_>> {
    recognize(many0_count(alt((
        quoted_safe,
        quoted_special,
        quoted_other,
    ))))
    .parse(input)
}

/// `quoted-safe = line-break / 1*octet-not-qspecial`
fn quoted_safe(input: Input<'_>) -> LexResult<'_> {
    alt((line_break, value((), take_while1(octet_not_qspecial)))).parse(input)
}

/// `quoted-special = "\" ( DQUOTE / "\" )`
fn quoted_special(input: Input<'_>) -> LexResult<'_> {
    value((), (literal("\\"), alt((literal("\""), literal("\\"))))).parse(input)
}

/// `quoted-other = "\" octet-not-qspecial`
fn quoted_other(input: Input<'_>) -> LexResult<'_> {
    value(
        (),
        (literal("\\"), take_while_m_n(1, 1, octet_not_qspecial)),
    )
    .parse(input)
}

/// `multi-line = "text:" *(SP / HTAB) (hash-comment / line-break) *(multiline-literal / multiline-dotstart) "." line-break`
///
/// Gives the span of the value (the lines between the first line and the
/// closing ".") relative to `input`.
fn multi_line(input: Input<'_>) -> LexResult<'_, Span> {
    let (rest, _) = tag_no_case("text:").parse(input)?;
    let (body_start, _) =
        cut((take_while(is_blank), alt((hash_comment, line_break)))).parse(rest)?;
    let (rest, body) = cut(recognize(many_till(
        alt((multiline_dotstart, multiline_literal)),
        multi_line_end,
    )))
    .parse(body_start)?;
    // `recognize` took the closing "." line too; the value stops before it.
    let closing = closing_line_length(body);
    let start = offset_in(input, body_start);
    let end = start.saturating_add(body.len().saturating_sub(closing));
    Ok((rest, Span { start, end }))
}

/// The length of the "." line that ends a recognized multi-line body.
fn closing_line_length(body: Input<'_>) -> usize {
    if body.ends_with(b"\r\n") {
        3
    } else {
        2
    }
}

/// The line holding a single "." that ends a multi-line string.
fn multi_line_end(input: Input<'_>) -> LexResult<'_> {
    value((), (literal("."), line_break)).parse(input)
}

/// `multiline-literal = [ octet-not-period *octet-not-crlf ] line-break`
fn multiline_literal(input: Input<'_>) -> LexResult<'_> {
    value(
        (),
        (
            opt((
                take_while_m_n(1, 1, octet_not_period),
                take_while(octet_not_crlf),
            )),
            line_break,
        ),
    )
    .parse(input)
}

/// `multiline-dotstart = "." 1*octet-not-crlf line-break`
fn multiline_dotstart(input: Input<'_>) -> LexResult<'_> {
    value((), (literal("."), take_while1(octet_not_crlf), line_break)).parse(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .unwrap_or_default()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    fn strings(source: &str) -> Vec<String> {
        tokenize(source)
            .unwrap_or_default()
            .iter()
            .filter_map(|token| token.string_value(source))
            .collect()
    }

    #[test]
    fn numbers_take_quantifiers() {
        assert_eq!(
            kinds("10 2K 3m 1G 18446744073709551615G"),
            [
                TokenKind::Number(10),
                TokenKind::Number(2048),
                TokenKind::Number(3 << 20),
                TokenKind::Number(1 << 30),
                TokenKind::Number(u64::MAX),
            ]
        );
    }

    #[test]
    fn quoted_strings_undo_escapes() {
        assert_eq!(
            strings(
                r#"x "a\"b" "c\\" "\d" "line
two""#
            ),
            ["a\"b", "c\\", "d", "line\ntwo"]
        );
        assert_eq!(
            tokenize("if \"open"),
            Err((3, LexicalError::UnterminatedString))
        );
    }

    #[test]
    fn multi_line_strings_undo_dot_stuffing() {
        let source = "x text: # comment\r\nfirst\r\n..second\r\n.third\r\n.\r\n;";
        assert_eq!(strings(source), ["first\r\n.second\r\nthird\r\n"]);
        assert_eq!(kinds(source).last(), Some(&TokenKind::Semicolon));
        assert_eq!(strings("text:\n.\n"), [""]);
        assert_eq!(
            tokenize("x text:\nno end\n"),
            Err((2, LexicalError::UnterminatedMultiLine))
        );
        assert_eq!(
            tokenize("x text: junk\n.\n"),
            Err((2, LexicalError::MultiLineStart))
        );
    }

    #[test]
    fn comments_are_skipped() {
        let source = "/* a * b ** / c \n */ keep; # done\n/***/ stop # at end";
        assert_eq!(
            kinds(source),
            [
                TokenKind::Identifier,
                TokenKind::Semicolon,
                TokenKind::Identifier
            ]
        );
        assert_eq!(
            tokenize("keep; /* open *"),
            Err((6, LexicalError::UnterminatedComment))
        );
    }

    #[test]
    fn tags_identifiers_and_punctuation() {
        let source = "if anyof(header :is [\"a\",\"b\"] \"c\") { fileinto :create \"x\"; }";
        let tokens = tokenize(source).unwrap_or_default();
        let texts: Vec<&str> = tokens.iter().map(|token| token.text(source)).collect();
        assert_eq!(
            texts,
            [
                "if", "anyof", "(", "header", ":is", "[", "\"a\"", ",", "\"b\"", "]", "\"c\"", ")",
                "{", "fileinto", ":create", "\"x\"", ";", "}"
            ]
        );
        assert_eq!(tokenize("x : y"), Err((2, LexicalError::BareColon)));
        assert_eq!(
            tokenize("x é"),
            Err((2, LexicalError::UnexpectedCharacter('é')))
        );
    }
}
