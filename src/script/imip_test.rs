//! The `imip` test's grammar (grammar/imip-test.abnf), read over the
//! lexer's tokens and checked: one item, flags without keys, keyed items with
//! keys, known comparators and match types.
//!
//! Grammar: grammar/imip-test.abnf

use super::cursor::{string_list, Cursor};
use super::error::{ScriptError, ScriptErrorKind};
use super::item::Item;
use super::lexer::{Span, Token, TokenKind};

/// The comparators the test supports: those sieve-rs 0.7.3 implements
/// (it accepts any name but compares unknown ones as `i;octet`).
const COMPARATORS: [&str; 3] = ["i;ascii-casemap", "i;octet", "i;ascii-numeric"];

/// The RFC 5231 relational operators.
const RELATIONAL_OPERATORS: [&str; 6] = ["gt", "ge", "lt", "le", "eq", "ne"];

/// The most text one `imip` test may be lowered to. Several keys become one
/// `environment` test per key and value slot, and sieve-rs 0.7.3 refuses a
/// script over 1 MiB (about 1,000 keys on a 16-slot item reach it); half of
/// that leaves room for the rest of the script.
const MAX_LOWERED_BYTES: usize = 512 * 1024;

/// Bytes a lowered `environment` test adds besides its key: the test name,
/// tags, comparator and the reserved item name.
const LOWERED_TEST_HEAD: usize = 96;

/// How keys are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatchType {
    /// No match type written: `:is`.
    Default,
    Is,
    Contains,
    Matches,
    /// `:value` with its operator.
    Value(&'static str),
    /// `:count` with its operator.
    Count(&'static str),
}

/// One checked `imip` test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImipTest {
    /// From `imip` to the end of its last argument.
    pub span: Span,
    pub item: Item,
    /// The canonical comparator name, when one was written.
    pub comparator: Option<&'static str>,
    pub match_type: MatchType,
    /// The key list as written.
    pub keys: Option<Span>,
    /// Each string of the key list.
    pub key_strings: Vec<Span>,
}

/// The tagged arguments seen so far.
struct Tagged {
    item: Option<(Item, Token)>,
    comparator: Option<(&'static str, Token)>,
    match_type: Option<(MatchType, Token)>,
}

/// `imip-test = "imip" *imip-tagged-argument [key-list]`
///
/// The cursor stands on `imip`; `relational` says whether
/// `require "relational"` is in scope.
pub(crate) fn imip_test(
    cursor: &mut Cursor<'_>,
    relational: bool,
) -> Result<ImipTest, ScriptError> {
    let Some(name) = cursor.next() else {
        return Err(cursor.error_here(ScriptErrorKind::MissingItem));
    };
    let mut tagged = Tagged {
        item: None,
        comparator: None,
        match_type: None,
    };
    let mut end = name.span.end;
    // Each argument consumes at least one token, so the loop ends.
    while cursor
        .peek()
        .is_some_and(|token| token.kind == TokenKind::Tag)
    {
        end = imip_tagged_argument(cursor, &mut tagged, relational)?;
    }
    let Some((item, item_token)) = tagged.item else {
        return Err(cursor.error_at(name.span.start, ScriptErrorKind::MissingItem));
    };
    let has_keys = cursor
        .peek()
        .is_some_and(|token| token.is_string() || token.kind == TokenKind::BracketOpen);
    let (keys, key_strings) = if has_keys {
        let (keys, strings) = key_list(cursor)?;
        (Some(keys), strings)
    } else {
        (None, Vec::new())
    };
    if let Some(keys) = keys {
        end = keys.end;
        if let Some(tag) = cursor.peek().filter(|token| token.kind == TokenKind::Tag) {
            return Err(cursor.error_at(
                tag.span.start,
                ScriptErrorKind::TagAfterKeys {
                    found: tag.text(cursor.source).to_owned(),
                },
            ));
        }
    }
    if item.takes_keys() {
        if keys.is_none() {
            let kind = ScriptErrorKind::MissingKeys {
                item: item.to_string(),
                found: cursor.describe_next(),
            };
            return Err(match cursor.peek() {
                Some(_) => cursor.error_here(kind),
                None => cursor.error_at(item_token.span.start, kind),
            });
        }
    } else {
        let flag_argument = [
            tagged.comparator.map(|(_, token)| token),
            tagged.match_type.map(|(_, token)| token),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|token| token.span.start);
        if let Some(token) = flag_argument {
            return Err(cursor.error_at(
                token.span.start,
                ScriptErrorKind::MatchOnFlag {
                    item: item.to_string(),
                    found: token.text(cursor.source).to_owned(),
                },
            ));
        }
        if let Some(keys) = keys {
            return Err(cursor.error_at(
                keys.start,
                ScriptErrorKind::KeysOnFlag {
                    item: item.to_string(),
                },
            ));
        }
    }
    // Several keys are lowered to one test per key and slot; keep that
    // within what sieve-rs compiles, with an error that says why.
    let lowered_bytes = key_strings
        .iter()
        .map(|key| {
            key.end
                .saturating_sub(key.start)
                .saturating_add(LOWERED_TEST_HEAD)
        })
        .fold(0usize, usize::saturating_add)
        .saturating_mul(item.slots().max(1));
    if key_strings.len() > 1 && lowered_bytes > MAX_LOWERED_BYTES {
        return Err(cursor.error_at(
            keys.map_or(name.span.start, |keys| keys.start),
            ScriptErrorKind::TooManyKeys {
                item: item.to_string(),
                keys: key_strings.len(),
                lowered_bytes,
            },
        ));
    }
    Ok(ImipTest {
        span: Span {
            start: name.span.start,
            end,
        },
        item,
        comparator: tagged.comparator.map(|(name, _)| name),
        match_type: tagged
            .match_type
            .map_or(MatchType::Default, |(match_type, _)| match_type),
        keys,
        key_strings,
    })
}

/// `imip-tagged-argument = imip-item / comparator / match-type`
///
/// Reads one tagged argument into `tagged`, giving the end of what it read.
fn imip_tagged_argument(
    cursor: &mut Cursor<'_>,
    tagged: &mut Tagged,
    relational: bool,
) -> Result<usize, ScriptError> {
    let Some(tag) = cursor.peek() else {
        return Err(cursor.error_here(ScriptErrorKind::MissingItem));
    };
    let text = tag.text(cursor.source);
    let name = text.get(1..).unwrap_or_default();
    if let Some(item) = imip_item(name) {
        cursor.next();
        if let Some((first, _)) = tagged.item {
            return Err(cursor.error_at(
                tag.span.start,
                ScriptErrorKind::TwoItems {
                    first: first.to_string(),
                    second: text.to_owned(),
                },
            ));
        }
        tagged.item = Some((item, tag));
        return Ok(tag.span.end);
    }
    if name.eq_ignore_ascii_case("comparator") {
        let (comparator, end) = comparator(cursor)?;
        if tagged.comparator.is_some() {
            return Err(duplicate(cursor, tag));
        }
        tagged.comparator = Some((comparator, tag));
        return Ok(end);
    }
    if let Some((match_type, end)) = match_type(cursor, relational)? {
        if tagged.match_type.is_some() {
            return Err(duplicate(cursor, tag));
        }
        tagged.match_type = Some((match_type, tag));
        return Ok(end);
    }
    let kind = if ["regex", "list", "quotewildcard"]
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
    {
        ScriptErrorKind::BadMatchType {
            found: text.to_owned(),
        }
    } else {
        ScriptErrorKind::UnknownTag {
            found: text.to_owned(),
        }
    };
    Err(cursor.error_at(tag.span.start, kind))
}

fn duplicate(cursor: &Cursor<'_>, tag: Token) -> ScriptError {
    cursor.error_at(
        tag.span.start,
        ScriptErrorKind::DuplicateArgument {
            found: tag.text(cursor.source).to_owned(),
        },
    )
}

/// `imip-item = ":present" / ":method" / ":component" / ":uid" / ":organizer" / ":reason" / ":risk" / ":suspicious"`
fn imip_item(tag_name: &str) -> Option<Item> {
    Item::from_tag(tag_name)
}

/// `comparator = ":comparator" comparator-name`
///
/// The cursor stands on the tag; gives the canonical name and the end of
/// what was read.
fn comparator(cursor: &mut Cursor<'_>) -> Result<(&'static str, usize), ScriptError> {
    cursor.next();
    comparator_name(cursor)
}

/// `comparator-name = quoted-string`
fn comparator_name(cursor: &mut Cursor<'_>) -> Result<(&'static str, usize), ScriptError> {
    let Some(token) = cursor
        .peek()
        .filter(|token| matches!(token.kind, TokenKind::QuotedString { .. }))
    else {
        return Err(cursor.error_here(ScriptErrorKind::BadComparator {
            name: cursor.describe_next(),
        }));
    };
    let written = token.string_value(cursor.source).unwrap_or_default();
    let Some(canonical) = COMPARATORS
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(&written))
    else {
        return Err(cursor.error_at(
            token.span.start,
            ScriptErrorKind::BadComparator { name: written },
        ));
    };
    cursor.next();
    Ok((canonical, token.span.end))
}

/// `match-type = ":is" / ":contains" / ":matches" / relational-match`
///
/// `None` when the tag at the cursor is no match type (nothing consumed).
fn match_type(
    cursor: &mut Cursor<'_>,
    relational: bool,
) -> Result<Option<(MatchType, usize)>, ScriptError> {
    let Some(tag) = cursor.peek() else {
        return Ok(None);
    };
    let name = tag.text(cursor.source).get(1..).unwrap_or_default();
    let simple = [
        ("is", MatchType::Is),
        ("contains", MatchType::Contains),
        ("matches", MatchType::Matches),
    ];
    if let Some((_, match_type)) = simple
        .into_iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        cursor.next();
        return Ok(Some((match_type, tag.span.end)));
    }
    if name.eq_ignore_ascii_case("value") || name.eq_ignore_ascii_case("count") {
        return relational_match(cursor, relational).map(Some);
    }
    Ok(None)
}

/// `relational-match = (":value" / ":count") relational-operator`
fn relational_match(
    cursor: &mut Cursor<'_>,
    relational: bool,
) -> Result<(MatchType, usize), ScriptError> {
    let Some(tag) = cursor.next() else {
        return Err(cursor.error_here(ScriptErrorKind::MissingItem));
    };
    let written = tag.text(cursor.source);
    if !relational {
        return Err(cursor.error_at(
            tag.span.start,
            ScriptErrorKind::UndeclaredCapability {
                tag: written.to_owned(),
                capability: "relational",
            },
        ));
    }
    let (operator, end) = relational_operator(cursor)?;
    let is_count = written
        .get(1..)
        .is_some_and(|name| name.eq_ignore_ascii_case("count"));
    let match_type = if is_count {
        MatchType::Count(operator)
    } else {
        MatchType::Value(operator)
    };
    Ok((match_type, end))
}

/// `relational-operator = DQUOTE ("gt" / "ge" / "lt" / "le" / "eq" / "ne") DQUOTE`
fn relational_operator(cursor: &mut Cursor<'_>) -> Result<(&'static str, usize), ScriptError> {
    let operator = cursor
        .peek()
        .filter(|token| matches!(token.kind, TokenKind::QuotedString { .. }))
        .and_then(|token| {
            let written = token.string_value(cursor.source)?;
            let canonical = RELATIONAL_OPERATORS
                .into_iter()
                .find(|known| known.eq_ignore_ascii_case(&written))?;
            Some((canonical, token.span.end))
        });
    match operator {
        Some(found) => {
            cursor.next();
            Ok(found)
        }
        None => Err(cursor.error_here(ScriptErrorKind::BadRelationalOperator {
            found: cursor.describe_next(),
        })),
    }
}

/// `key-list = string-list`
fn key_list(cursor: &mut Cursor<'_>) -> Result<(Span, Vec<Span>), ScriptError> {
    let start = cursor
        .peek()
        .map_or(cursor.source.len(), |token| token.span.start);
    let strings = string_list(cursor).map_err(|error| match error.kind {
        ScriptErrorKind::Syntax { found, .. } => ScriptError {
            kind: ScriptErrorKind::BadKeyList { found },
            ..error
        },
        _ => error,
    })?;
    let end = cursor.last_end().unwrap_or(start);
    Ok((Span { start, end }, strings))
}
