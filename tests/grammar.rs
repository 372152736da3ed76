//! Holds the parsers and the grammar files together.
//!
//! Every rule defined in `grammar/*.abnf` must have a parser in `src/` whose
//! doc comment starts with that rule in backticks, and every such doc comment
//! must name a rule that a grammar file defines:
//!
//! ```text
//! /// `env-subject = nstring`
//! fn env_subject(input: &str) -> ...
//! ```
//!
//! How the two sides are read:
//!
//! - A grammar rule is defined by a line starting in column 0 with
//!   `name =` or `name =/`. Continuation lines (indented) and comment lines
//!   (`;`) define nothing.
//! - A parser is any item whose doc comment's first `///` line starts with
//!   `` `name = `` (or `` `name =/ ``).
//! - Rule names compare case-insensitively, as in ABNF. A rule may be defined
//!   in several grammar files and documented on several parsers.
//!
//! Exemptions, all visible in the grammar files or in this file:
//!
//! - A comment line starting with `; core rules` opens a block that runs to the
//!   next blank line; the rules defined in it (RFC 5234 appendix B terminals
//!   such as ALPHA, DIGIT, WSP, CRLF) need no parser.
//! - A single rule line containing `; (core)` needs no parser.
//! - [`PENDING`] lists rule names allowed to be unmatched in either direction
//!   while a grammar and its parsers are being merged; it should be empty on
//!   `main`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Rule names knowingly unmatched (see the module documentation). Keep empty.
const PENDING: &[&str] = &[];

#[test]
fn every_grammar_rule_has_a_parser_and_every_parser_a_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let grammar = read_grammar_rules(&root.join("grammar"));
    let parsers = read_parser_rules(&root.join("src"));
    let pending: BTreeSet<String> = PENDING
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect();

    assert!(
        !grammar.required.is_empty(),
        "no grammar rules found under grammar/*.abnf"
    );

    let without_parser: Vec<String> = grammar
        .required
        .iter()
        .filter(|(name, _)| !parsers.contains_key(*name) && !pending.contains(*name))
        .map(|(name, place)| format!("  {name} (defined at {place})"))
        .collect();
    let without_rule: Vec<String> = parsers
        .iter()
        .filter(|(name, _)| {
            !grammar.required.contains_key(*name)
                && !grammar.exempt.contains(*name)
                && !pending.contains(*name)
        })
        .map(|(name, places)| format!("  {name} (documented at {})", places.join(", ")))
        .collect();

    assert!(
        without_parser.is_empty() && without_rule.is_empty(),
        "grammar and parsers disagree.\nGrammar rules without a parser:\n{}\nParsers whose rule no grammar file defines:\n{}\n",
        list_or_none(&without_parser),
        list_or_none(&without_rule),
    );
}

fn list_or_none(lines: &[String]) -> String {
    if lines.is_empty() {
        "  (none)".to_string()
    } else {
        lines.join("\n")
    }
}

/// Rule names from the grammar files, lower-cased.
struct GrammarRules {
    /// Rules that need a parser, with the first place each is defined.
    required: BTreeMap<String, String>,
    /// Core rules, which need none.
    exempt: BTreeSet<String>,
}

fn read_grammar_rules(dir: &Path) -> GrammarRules {
    let mut rules = GrammarRules {
        required: BTreeMap::new(),
        exempt: BTreeSet::new(),
    };
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "abnf"))
        .collect();
    files.sort();
    for file in files {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
        let mut in_core_block = false;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                in_core_block = false;
                continue;
            }
            if trimmed.starts_with(';') {
                if trimmed
                    .trim_start_matches(';')
                    .trim_start()
                    .starts_with("core rules")
                {
                    in_core_block = true;
                }
                continue;
            }
            let Some(name) = defined_rule(line) else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if in_core_block || line.contains("; (core)") {
                rules.exempt.insert(name);
            } else {
                let place = format!("{}:{}", file.display(), index + 1);
                rules.required.entry(name).or_insert(place);
            }
        }
    }
    // A rule both exempt somewhere and defined normally elsewhere needs a parser.
    rules
        .exempt
        .retain(|name| !rules.required.contains_key(name));
    rules
}

/// The rule a grammar line defines: `name =` or `name =/` at column 0.
fn defined_rule(line: &str) -> Option<&str> {
    if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(line.len());
    let name = &line[..name_len];
    let after = line[name_len..].trim_start();
    after.starts_with('=').then_some(name)
}

/// Rule names documented on parsers under `src/`, lower-cased, with the
/// places documenting each.
fn read_parser_rules(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect_rust_files(dir, &mut files);
    files.sort();
    for file in files {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
        let mut previous_was_doc = false;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let is_doc = trimmed.starts_with("///") && !trimmed.starts_with("////");
            if is_doc && !previous_was_doc {
                if let Some(name) = documented_rule(trimmed.trim_start_matches("///").trim()) {
                    let place = format!("{}:{}", file.display(), index + 1);
                    rules
                        .entry(name.to_ascii_lowercase())
                        .or_default()
                        .push(place);
                }
            }
            previous_was_doc = is_doc;
        }
    }
    rules
}

/// The rule named by a doc line of the form `` `name = definition` ``.
fn documented_rule(doc: &str) -> Option<&str> {
    let code = doc.strip_prefix('`')?;
    if !code.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = code
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(code.len());
    let after = code[name_len..].trim_start();
    let definition = after.strip_prefix('=')?;
    // `a == b` is code, not a rule.
    (!definition.starts_with('=')).then_some(&code[..name_len])
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()));
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn rule_lines_are_recognised() {
    assert_eq!(defined_rule("tag-list = tag-spec"), Some("tag-list"));
    assert_eq!(defined_rule("method =/ Keyword"), Some("method"));
    assert_eq!(defined_rule("   continuation = no"), None);
    assert_eq!(defined_rule("; comment = no"), None);
    assert_eq!(documented_rule("`FWS = 1*WSP`"), Some("FWS"));
    assert_eq!(documented_rule("`method =/ x`"), Some("method"));
    assert_eq!(documented_rule("`a == b` is code"), None);
    assert_eq!(documented_rule("`pvalue` is a value"), None);
}
