//! Errors of the Sieve front-end, each at the author's own line and column.

use sieve::compiler::CompileError;

pub use super::regex_guard::RegexRefusal;

/// A script the front-end or sieve-rs refused, with the 1-based line and
/// column (in bytes) of the offending token in the author's own script.
#[derive(Debug, thiserror::Error)]
#[error("{line}:{column}: {kind}")]
pub struct ScriptError {
    /// 1-based line in the author's script.
    pub line: usize,
    /// 1-based column, counted in bytes as sieve-rs counts them.
    pub column: usize,
    /// What went wrong and what was expected.
    pub kind: ScriptErrorKind,
}

/// What went wrong in a script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptErrorKind {
    /// The RFC 5228 lexer could not read the text.
    #[error("{0}")]
    Lexical(LexicalError),
    /// The command structure around an `imip` test could not be read.
    #[error("expected {expected}, found {found}")]
    Syntax {
        /// What the grammar allows here.
        expected: &'static str,
        /// What the script has instead.
        found: String,
    },
    /// `imip` used where no `require "imip"` is in scope.
    #[error("the imip test needs require \"imip\"")]
    MissingRequire,
    /// An extension the lowering relies on is used without its `require`.
    #[error("{tag} needs require \"{capability}\"")]
    UndeclaredCapability {
        /// The tag or test that needs it.
        tag: String,
        /// The capability to require.
        capability: &'static str,
    },
    /// An `imip` test with no item tag.
    #[error("the imip test needs one item: expected :present, :method, :component, :uid, :organizer, :reason, :risk or :suspicious")]
    MissingItem,
    /// An `imip` test with a second item tag.
    #[error("the imip test takes exactly one item, found {second} after {first}")]
    TwoItems {
        /// The item given first.
        first: String,
        /// The second item, where the error points.
        second: String,
    },
    /// A key list given to `:present` or `:suspicious`.
    #[error("{item} takes no key list")]
    KeysOnFlag {
        /// The flag item.
        item: String,
    },
    /// A key list so long that its lowering (one `environment` test per
    /// key and value slot) would pass sieve-rs's script size limit.
    #[error("{item} with {keys} keys would be lowered to about {lowered_bytes} bytes of Sieve, past sieve-rs's script size limit; split the key list over several tests")]
    TooManyKeys {
        /// The item.
        item: String,
        /// How many keys were given.
        keys: usize,
        /// The estimated size of the lowered test.
        lowered_bytes: usize,
    },
    /// A comparator or match type given to `:present` or `:suspicious`.
    #[error("{item} takes no comparator or match type, found {found}")]
    MatchOnFlag {
        /// The flag item.
        item: String,
        /// The comparator or match-type tag.
        found: String,
    },
    /// An item that compares keys given none.
    #[error("{item} needs a key list: expected a string or a string list, found {found}")]
    MissingKeys {
        /// The item.
        item: String,
        /// What stands where the key list should be.
        found: String,
    },
    /// A key list that is not a list of strings.
    #[error("expected a string in the key list, found {found}")]
    BadKeyList {
        /// What the list holds instead.
        found: String,
    },
    /// A comparator the imip test does not support.
    #[error("unsupported comparator {name:?}: expected \"i;ascii-casemap\", \"i;octet\" or \"i;ascii-numeric\"")]
    BadComparator {
        /// The comparator as written.
        name: String,
    },
    /// A relational operator other than the RFC 5231 ones.
    #[error("unknown relational operator {found}: expected \"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\"")]
    BadRelationalOperator {
        /// What was written instead.
        found: String,
    },
    /// A match type the imip test does not support.
    #[error("unsupported match type {found}: expected :is, :contains, :matches, :value or :count")]
    BadMatchType {
        /// The match type as written.
        found: String,
    },
    /// The same kind of argument twice (two comparators, two match types).
    #[error("{found} given twice")]
    DuplicateArgument {
        /// The repeated tag.
        found: String,
    },
    /// A tag the imip test does not know.
    #[error("unknown tag {found} for the imip test: expected an item (:present, :method, :component, :uid, :organizer, :reason, :risk, :suspicious), :comparator or a match type")]
    UnknownTag {
        /// The tag as written.
        found: String,
    },
    /// A tag after the key list, which must come last.
    #[error("the key list must come last, found {found} after it")]
    TagAfterKeys {
        /// The tag as written.
        found: String,
    },
    /// A tag `processcalendar` does not know.
    #[error("unknown tag {found} for {command}: expected {expected}")]
    UnknownActionTag {
        /// The action.
        command: &'static str,
        /// The tag as written.
        found: String,
        /// The tags the action takes.
        expected: &'static str,
    },
    /// Two tags the action's definition makes exclusive.
    #[error("{second} cannot be used together with {first} (RFC 9671 sections 4.3 and 4.4)")]
    ConflictingTags {
        /// The tag given first.
        first: &'static str,
        /// The second tag, where the error points.
        second: &'static str,
    },
    /// A tag given without the value it takes.
    #[error("{tag} needs {expected}, found {found}")]
    MissingTagValue {
        /// The tag.
        tag: &'static str,
        /// What the tag takes.
        expected: &'static str,
        /// What stands there instead.
        found: String,
    },
    /// An action whose arguments are not followed by `;`.
    #[error("expected ';' after the {command} arguments, found {found}")]
    ActionNotEnded {
        /// The action.
        command: &'static str,
        /// What stands there instead.
        found: String,
    },
    /// An argument without a tag where the action takes only tagged ones.
    #[error("{command} takes only tagged arguments, found {found}")]
    PositionalArgument {
        /// The action.
        command: &'static str,
        /// What was written.
        found: String,
    },
    /// A variable name that is not a constant identifier.
    #[error("{tag} needs a variable name: a constant identifier of letters, digits and \"_\" (RFC 5229), found {found}")]
    BadVariableName {
        /// The tag.
        tag: &'static str,
        /// The string as written.
        found: String,
    },
    /// An action written where a test belongs.
    #[error("{found} is an action, not a test: write it as a command of its own, and test its :outcome variable")]
    ActionAsTest {
        /// The action as written.
        found: String,
    },
    /// `elsif` or `else` right after a command that is not an `if` block.
    #[error("{found} must follow an if or elsif block")]
    ElseWithoutIf {
        /// `elsif` or `else` as written.
        found: String,
    },
    /// The script names the reserved environment stem.
    #[error(
        "the name \"vnd.sieve-imip\" is reserved and cannot appear in a script (in any spelling)"
    )]
    ReservedName,
    /// A quoted string ending in an escaped backslash, which sieve-rs 0.7.3
    /// does not end where RFC 5228 does; lowering around it is unsafe.
    #[error("a quoted string ending in \\\\ is read differently by sieve-rs; write the backslash another way (for example with ${{hex:5c}} and require \"encoded-character\")")]
    AmbiguousString,
    /// A `:regex` key whose compilation sieve-rs could not bound
    /// (`regex_guard.rs`).
    #[error("{0}")]
    Regex(RegexRefusal),
    /// A NUL byte: RFC 5228 allows none anywhere in a script. sieve-rs
    /// would keep it in a string, and a folder name, address or reason
    /// cut short at a NUL by whatever stores or sends it is not what the
    /// author wrote.
    #[error("a NUL byte: RFC 5228 allows none anywhere in a script")]
    NulByte,
    /// The lowered script is past sieve-rs's script size limit although
    /// the author's text is not: the `imip` tests take the room.
    #[error("the imip tests are lowered to {lowered_bytes} bytes of Sieve, past sieve-rs's limit of {limit} bytes for a script (a keyed imip test becomes one environment test per value slot and key); use fewer imip tests or fewer keys")]
    LoweredTooLarge {
        /// The size of the lowered script.
        lowered_bytes: usize,
        /// sieve-rs's limit.
        limit: usize,
    },
    /// The front-end could not follow nesting this deep.
    #[error("tests or blocks nested too deeply")]
    TooDeep,
    /// sieve-rs refused the (lowered) script.
    #[error("{}", sieve_message(.0))]
    Sieve(CompileError),
    /// sieve-rs's compiler panicked on the script (a defect of sieve-rs
    /// that hostile text reaches); the panic is contained and the script
    /// refused.
    #[error("sieve-rs failed on this script unexpectedly (a defect in sieve-rs, contained); the script is refused")]
    CompilerFailed,
}

impl ScriptErrorKind {
    /// The sieve-rs error, when sieve-rs is the one that refused the script.
    pub fn sieve_error(&self) -> Option<&CompileError> {
        match self {
            ScriptErrorKind::Sieve(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the front-end failed to read the script rather than found
    /// something wrong in an `imip` test: then plain sieve-rs has the last
    /// word on the original text.
    pub(crate) fn is_unreadable(&self) -> bool {
        matches!(
            self,
            ScriptErrorKind::Lexical(_) | ScriptErrorKind::Syntax { .. } | ScriptErrorKind::TooDeep
        )
    }
}

/// The message of a sieve-rs error without the lowered-text position it
/// appends (" at line L, column C."), which would mislead the author.
pub fn sieve_message(error: &CompileError) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// What the RFC 5228 lexer could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexicalError {
    /// A quoted string with no closing quote.
    #[error("unterminated quoted string: expected a closing '\"'")]
    UnterminatedString,
    /// A `text:` string with no line holding a single ".".
    #[error("unterminated multi-line string: expected a line holding a single \".\"")]
    UnterminatedMultiLine,
    /// Something other than white space or a comment after `text:`.
    #[error("expected the end of the line after text:")]
    MultiLineStart,
    /// A bracket comment with no `*/`.
    #[error("unterminated comment: expected \"*/\"")]
    UnterminatedComment,
    /// A colon not followed by a tag name.
    #[error("expected a tag name after ':'")]
    BareColon,
    /// A character that starts no RFC 5228 token.
    #[error("unexpected character {0:?}")]
    UnexpectedCharacter(char),
}
