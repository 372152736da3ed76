//! A cursor over the lexer's tokens, shared by the command walk
//! (`syntax.rs`) and the `imip` test grammar (`imip_test.rs`), with the
//! grammar rules both use.
//!
//! Grammar: grammar/sieve.abnf

use super::error::{ScriptError, ScriptErrorKind};
use super::lexer::{Span, Token, TokenKind};
use super::position::author_position;

/// A position in the token list, with the script for messages.
pub(crate) struct Cursor<'s> {
    pub source: &'s str,
    tokens: &'s [Token],
    at: usize,
}

impl<'s> Cursor<'s> {
    pub fn new(source: &'s str, tokens: &'s [Token]) -> Cursor<'s> {
        Cursor {
            source,
            tokens,
            at: 0,
        }
    }

    /// The next token, not consumed.
    pub fn peek(&self) -> Option<Token> {
        self.tokens.get(self.at).copied()
    }

    /// The tokens not consumed yet, in order, without consuming them.
    pub fn upcoming(&self) -> impl Iterator<Item = &'s Token> {
        self.tokens.get(self.at..).unwrap_or_default().iter()
    }

    /// Consumes and returns the next token.
    pub fn next(&mut self) -> Option<Token> {
        let token = self.peek()?;
        self.at = self.at.saturating_add(1);
        Some(token)
    }

    /// The end of the last token consumed.
    pub fn last_end(&self) -> Option<usize> {
        let last = self.at.checked_sub(1)?;
        self.tokens.get(last).map(|token| token.span.end)
    }

    /// Consumes the next token when it is of `kind`.
    pub fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        let token = self.peek().filter(|token| token.kind == kind)?;
        self.next();
        Some(token)
    }

    /// An error at byte `offset` of the script.
    pub fn error_at(&self, offset: usize, kind: ScriptErrorKind) -> ScriptError {
        let (line, column) = author_position(self.source, offset);
        ScriptError { line, column, kind }
    }

    /// An error at the next token, or at the end of the script.
    pub fn error_here(&self, kind: ScriptErrorKind) -> ScriptError {
        let offset = self
            .peek()
            .map_or(self.source.len(), |token| token.span.start);
        self.error_at(offset, kind)
    }

    /// What the next token is, for messages.
    pub fn describe_next(&self) -> String {
        self.peek().map_or_else(
            || "the end of the script".to_owned(),
            |token| token.describe(self.source),
        )
    }

    pub fn syntax_error(&self, expected: &'static str) -> ScriptError {
        self.error_here(ScriptErrorKind::Syntax {
            expected,
            found: self.describe_next(),
        })
    }
}

/// `string-list = "[" string *("," string) "]" / string`
///
/// Returns the span of each string in the list.
pub(crate) fn string_list(cursor: &mut Cursor<'_>) -> Result<Vec<Span>, ScriptError> {
    if let Some(token) = cursor.peek().filter(|token| token.is_string()) {
        let span = token.span;
        cursor.next();
        return Ok(vec![span]);
    }
    if cursor.eat(TokenKind::BracketOpen).is_none() {
        return Err(cursor.syntax_error("a string or '['"));
    }
    let mut strings = Vec::new();
    // Each round consumes a string and a separator, so the loop ends.
    loop {
        let Some(token) = cursor.peek().filter(|token| token.is_string()) else {
            return Err(cursor.syntax_error("a string"));
        };
        strings.push(token.span);
        cursor.next();
        if cursor.eat(TokenKind::Comma).is_some() {
            continue;
        }
        if cursor.eat(TokenKind::BracketClose).is_some() {
            return Ok(strings);
        }
        return Err(cursor.syntax_error("',' or ']'"));
    }
}
