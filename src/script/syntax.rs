//! The RFC 5228 section 8.2 command grammar, walked over the lexer's tokens
//! to find `require` and every `imip` test in test position (after `if`,
//! `elsif`, `not`, inside `anyof`/`allof` lists, in nested blocks).
//!
//! The walk checks only what it needs to find tests; everything else about
//! the script is left for sieve-rs to judge.
//!
//! Grammar: grammar/sieve.abnf

use super::cursor::{string_list, Cursor};
use super::error::{ScriptError, ScriptErrorKind};
use super::imip_test::{imip_test, ImipTest};
use super::lexer::{Token, TokenKind};
use super::processcalendar::{processcalendar_command, InScope, ProcessCalendarCommand};

/// Deeper nesting than this is left to sieve-rs (whose own limits are far
/// lower), so the walk's recursion stays bounded on hostile input.
const MAX_DEPTH: usize = 256;

/// What the walk found in a script.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Every `imip` test, in script order.
    pub tests: Vec<ImipTest>,
    /// Every `processcalendar` command, in script order.
    pub commands: Vec<ProcessCalendarCommand>,
    /// Offset of the first `environment` test used with no
    /// `require "environment"` in scope: the lowering's own require would
    /// otherwise make it valid.
    pub environment_without_require: Option<usize>,
    /// Offset and text of the first `mailboxidexists` test or `:mailboxid`
    /// tag used with no `require "mailboxid"` in scope, which the lowering
    /// of `processcalendar` would otherwise make valid.
    pub mailboxid_without_require: Option<(usize, String)>,
}

/// Walks a tokenized script.
pub(crate) fn walk(source: &str, tokens: &[Token]) -> Result<Findings, ScriptError> {
    let mut walker = Walker {
        cursor: Cursor::new(source, tokens),
        depth: 0,
        scopes: vec![Vec::new()],
        findings: Findings::default(),
    };
    walker.start()?;
    Ok(walker.findings)
}

struct Walker<'s> {
    cursor: Cursor<'s>,
    depth: usize,
    /// Capabilities required in each enclosing block, innermost last
    /// (sieve-rs scopes `require` to the block it appears in).
    scopes: Vec<Vec<String>>,
    findings: Findings,
}

impl Walker<'_> {
    fn has_capability(&self, capability: &str) -> bool {
        self.scopes
            .iter()
            .flatten()
            .any(|required| required.eq_ignore_ascii_case(capability))
    }

    fn descend(&mut self) -> Result<(), ScriptError> {
        self.depth = self.depth.saturating_add(1);
        if self.depth > MAX_DEPTH {
            return Err(self.cursor.error_here(ScriptErrorKind::TooDeep));
        }
        Ok(())
    }

    fn ascend(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `start = commands`
    fn start(&mut self) -> Result<(), ScriptError> {
        self.commands()?;
        match self.cursor.peek() {
            None => Ok(()),
            Some(_) => Err(self.cursor.syntax_error("a command")),
        }
    }

    /// `commands = *command`
    fn commands(&mut self) -> Result<(), ScriptError> {
        let mut after_action = false;
        // Each command consumes at least its identifier, so the loop ends.
        while let Some(token) = self
            .cursor
            .peek()
            .filter(|token| token.kind == TokenKind::Identifier)
        {
            let name = token.text(self.cursor.source);
            // The lowering makes `processcalendar` an `if`: an `elsif` after
            // it, an error in the author's script, must stay one.
            if after_action
                && (name.eq_ignore_ascii_case("elsif") || name.eq_ignore_ascii_case("else"))
            {
                return Err(self.cursor.error_at(
                    token.span.start,
                    ScriptErrorKind::ElseWithoutIf {
                        found: name.to_owned(),
                    },
                ));
            }
            after_action = name.eq_ignore_ascii_case("processcalendar");
            self.command()?;
        }
        Ok(())
    }

    /// `command = identifier arguments (";" / block)`
    fn command(&mut self) -> Result<(), ScriptError> {
        if let Some(action) = self.cursor.peek().filter(|token| {
            token.kind == TokenKind::Identifier
                && token
                    .text(self.cursor.source)
                    .eq_ignore_ascii_case("processcalendar")
        }) {
            return self.processcalendar(action);
        }
        let Some(name) = self.cursor.eat(TokenKind::Identifier) else {
            return Err(self.cursor.syntax_error("a command"));
        };
        if name
            .text(self.cursor.source)
            .eq_ignore_ascii_case("require")
        {
            self.note_required_capabilities();
        }
        self.arguments()?;
        if self.cursor.eat(TokenKind::Semicolon).is_some() {
            return Ok(());
        }
        match self.cursor.peek() {
            Some(token) if token.kind == TokenKind::CurlyOpen => self.block(),
            _ => Err(self.cursor.syntax_error("';' or a block")),
        }
    }

    /// A `processcalendar` command (RFC 9671), the cursor on its name.
    fn processcalendar(&mut self, name: Token) -> Result<(), ScriptError> {
        if !self.has_capability("processcalendar") {
            return Err(self.cursor.error_at(
                name.span.start,
                ScriptErrorKind::UndeclaredCapability {
                    tag: "processcalendar".to_owned(),
                    capability: "processcalendar",
                },
            ));
        }
        let scope = InScope {
            variables: self.has_capability("variables"),
            extlists: self.has_capability("extlists"),
        };
        let command = processcalendar_command(&mut self.cursor, scope)?;
        self.findings.commands.push(command);
        Ok(())
    }

    /// Notes a `mailboxidexists` test or `:mailboxid` tag the author did not
    /// require "mailboxid" for.
    fn note_mailboxid(&mut self, token: &Token) {
        if self.findings.mailboxid_without_require.is_none() && !self.has_capability("mailboxid") {
            let text = token.text(self.cursor.source).to_owned();
            self.findings.mailboxid_without_require = Some((token.span.start, text));
        }
    }

    /// Adds the strings of the `require` argument that follows to the
    /// innermost scope, without consuming them.
    fn note_required_capabilities(&mut self) {
        let source = self.cursor.source;
        let mut capabilities = Vec::new();
        for token in self.cursor.upcoming() {
            match token.kind {
                TokenKind::BracketOpen | TokenKind::Comma => {}
                _ if token.is_string() => capabilities.extend(token.string_value(source)),
                _ => break,
            }
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.extend(capabilities);
        }
    }

    /// `block = "{" commands "}"`
    fn block(&mut self) -> Result<(), ScriptError> {
        if self.cursor.eat(TokenKind::CurlyOpen).is_none() {
            return Err(self.cursor.syntax_error("'{'"));
        }
        self.descend()?;
        self.scopes.push(Vec::new());
        self.commands()?;
        self.scopes.pop();
        self.ascend();
        if self.cursor.eat(TokenKind::CurlyClose).is_none() {
            return Err(self.cursor.syntax_error("a command or '}'"));
        }
        Ok(())
    }

    /// `arguments = *argument [ test / test-list ]`
    fn arguments(&mut self) -> Result<(), ScriptError> {
        // Each argument consumes at least one token, so the loop ends.
        while self.argument()? {}
        match self.cursor.peek().map(|token| token.kind) {
            Some(TokenKind::Identifier) => self.test(),
            Some(TokenKind::ParenOpen) => self.test_list(),
            _ => Ok(()),
        }
    }

    /// `argument = string-list / number / tag`
    ///
    /// Gives whether an argument was read.
    fn argument(&mut self) -> Result<bool, ScriptError> {
        match self.cursor.peek() {
            Some(token) if matches!(token.kind, TokenKind::Number(_) | TokenKind::Tag) => {
                if token.kind == TokenKind::Tag
                    && token
                        .text(self.cursor.source)
                        .eq_ignore_ascii_case(":mailboxid")
                {
                    self.note_mailboxid(&token);
                }
                self.cursor.next();
                Ok(true)
            }
            Some(token) if token.is_string() || token.kind == TokenKind::BracketOpen => {
                string_list(&mut self.cursor)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `test = identifier arguments`
    fn test(&mut self) -> Result<(), ScriptError> {
        let Some(name) = self
            .cursor
            .peek()
            .filter(|token| token.kind == TokenKind::Identifier)
        else {
            return Err(self.cursor.syntax_error("a test"));
        };
        let name_text = name.text(self.cursor.source);
        if name_text.eq_ignore_ascii_case("imip") {
            if !self.has_capability("imip") {
                return Err(self
                    .cursor
                    .error_at(name.span.start, ScriptErrorKind::MissingRequire));
            }
            let relational = self.has_capability("relational");
            let test = imip_test(&mut self.cursor, relational)?;
            self.findings.tests.push(test);
            return Ok(());
        }
        if name_text.eq_ignore_ascii_case("environment")
            && !self.has_capability("environment")
            && self.findings.environment_without_require.is_none()
        {
            self.findings.environment_without_require = Some(name.span.start);
        }
        if name_text.eq_ignore_ascii_case("mailboxidexists") {
            self.note_mailboxid(&name);
        }
        if name_text.eq_ignore_ascii_case("processcalendar") {
            return Err(self.cursor.error_at(
                name.span.start,
                ScriptErrorKind::ActionAsTest {
                    found: name_text.to_owned(),
                },
            ));
        }
        self.cursor.next();
        self.descend()?;
        let result = self.arguments();
        self.ascend();
        result
    }

    /// `test-list = "(" test *("," test) ")"`
    fn test_list(&mut self) -> Result<(), ScriptError> {
        if self.cursor.eat(TokenKind::ParenOpen).is_none() {
            return Err(self.cursor.syntax_error("'('"));
        }
        self.descend()?;
        self.test()?;
        // Each round consumes a comma and a test, so the loop ends.
        while self.cursor.eat(TokenKind::Comma).is_some() {
            self.test()?;
        }
        self.ascend();
        if self.cursor.eat(TokenKind::ParenClose).is_none() {
            return Err(self.cursor.syntax_error("',' or ')'"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::lexer::tokenize;

    fn imip_offsets(source: &str) -> Vec<usize> {
        let tokens = tokenize(source).unwrap_or_default();
        walk(source, &tokens)
            .map(|findings| findings.tests.iter().map(|test| test.span.start).collect())
            .unwrap_or_default()
    }

    #[test]
    fn finds_tests_in_every_test_position() {
        let source = "require [\"imip\"];\n\
            if imip :present { keep; }\n\
            elsif not imip :suspicious { if anyof(true, allof(imip :risk \"1\", false)) { stop; } }\n\
            # imip :present in a comment\n\
            else { fileinto \"imip :present\"; }";
        let offsets = imip_offsets(source);
        assert_eq!(offsets.len(), 3);
        for offset in offsets {
            assert_eq!(source.get(offset..offset + 4), Some("imip"));
        }
    }

    #[test]
    fn require_is_scoped_to_its_block() {
        let source =
            "if true { require \"imip\"; if imip :present { keep; } }\nif imip :present { stop; }";
        let tokens = tokenize(source).unwrap_or_default();
        let error = walk(source, &tokens).err();
        assert!(matches!(
            error,
            Some(ScriptError {
                line: 2,
                column: 4,
                kind: ScriptErrorKind::MissingRequire
            })
        ));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let nots = format!(
            "require \"imip\"; if {} imip :present {{ keep; }}",
            "not ".repeat(100_000)
        );
        let tokens = tokenize(&nots).unwrap_or_default();
        assert!(matches!(
            walk(&nots, &tokens).err().map(|error| error.kind),
            Some(ScriptErrorKind::TooDeep)
        ));
        let lists = format!(
            "if {}true{} {{ keep; }}",
            "anyof(".repeat(50_000),
            ")".repeat(50_000)
        );
        let tokens = tokenize(&lists).unwrap_or_default();
        assert!(walk(&lists, &tokens).is_err());
        let blocks = format!("{}{}", "if true { ".repeat(50_000), "}".repeat(50_000));
        let tokens = tokenize(&blocks).unwrap_or_default();
        assert!(walk(&blocks, &tokens).is_err());
    }
}
