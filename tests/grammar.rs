//! Holds the parsers and the grammar files together.
//!
//! Every source file with parsers declares the grammar file(s) it
//! implements in its module documentation, one line each:
//!
//! ```text
//! //! Grammar: grammar/rfc5322.abnf
//! ```
//!
//! Then every rule defined in a grammar file must have a parser in a source
//! file declaring that grammar, whose doc comment starts with the rule, in
//! backticks, exactly as the grammar file defines it (white space aside):
//!
//! ```text
//! /// `env-subject = nstring`
//! fn env_subject(input: &str) -> ...
//! ```
//!
//! and every such doc comment must be the definition of a rule in one of
//! its file's grammars.
//!
//! How the two sides are read:
//!
//! - A grammar rule is defined by a line starting in column 0 with
//!   `name =` or `name =/`, continued by the indented lines after it; a
//!   comment (from a `;` outside quotes to the end of the line) is not part
//!   of the definition. Comment lines define nothing.
//! - A parser is any item whose doc comment's first `///` line starts with
//!   `` `name = `` (or `` `name =/ ``, white space before the `=`); its rule
//!   is the text up to the next backtick, without a comment.
//! - Rule names compare case-insensitively, as in ABNF; definitions compare
//!   with every run of white space taken as one space. The same name may be
//!   defined in several grammar files (each is a grammar of its own) and
//!   documented on several parsers of one grammar.
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
//! - [`DECLARED_HERE`] names the grammar of source files that do not yet
//!   declare it themselves; it should be empty on `main` too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Rule names knowingly unmatched (see the module documentation). Keep empty.
const PENDING: &[&str] = &[];

/// Source files (relative to the crate) whose `//! Grammar:` line is still
/// to be written, with the grammar file each implements. Keep empty.
const DECLARED_HERE: &[(&str, &str)] = &[];

#[test]
fn every_grammar_rule_has_a_parser_and_every_parser_its_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let grammars = read_grammars(&root.join("grammar"));
    let sources = read_sources(root, &root.join("src"));
    let pending: BTreeSet<String> = PENDING
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect();

    assert!(
        grammars
            .values()
            .any(|grammar| !grammar.required.is_empty()),
        "no grammar rules found under grammar/*.abnf"
    );

    let mut problems = Vec::new();
    for source in &sources {
        if source.rules.is_empty() {
            continue;
        }
        if source.grammars.is_empty() {
            problems.push(format!(
                "  {} documents parsers but declares no `//! Grammar: grammar/<file>.abnf`",
                source.path
            ));
        }
        for grammar_path in &source.grammars {
            if !grammars.contains_key(grammar_path) {
                problems.push(format!(
                    "  {} declares {grammar_path}, which does not exist",
                    source.path
                ));
            }
        }
        for documented in &source.rules {
            if pending.contains(&documented.name) {
                continue;
            }
            let own: Vec<(&String, &Grammar)> = source
                .grammars
                .iter()
                .filter_map(|path| grammars.get_key_value(path))
                .collect();
            let defined: Vec<&Rule> = own
                .iter()
                .filter_map(|(_, grammar)| grammar.required.get(&documented.name))
                .collect();
            if defined.is_empty() {
                let exempt = own
                    .iter()
                    .any(|(_, grammar)| grammar.exempt.contains(&documented.name));
                if !exempt {
                    problems.push(format!(
                        "  {} documents `{}`, which its grammar ({}) does not define",
                        documented.place,
                        documented.text,
                        source.grammars.join(", ")
                    ));
                }
                continue;
            }
            if !defined.iter().any(|rule| rule.text == documented.text) {
                let definitions: Vec<String> = defined
                    .iter()
                    .map(|rule| format!("`{}` ({})", rule.text, rule.place))
                    .collect();
                problems.push(format!(
                    "  {} documents `{}`, but the grammar defines {}",
                    documented.place,
                    documented.text,
                    definitions.join(" and ")
                ));
            }
        }
    }
    for (grammar_path, grammar) in &grammars {
        for (name, rule) in &grammar.required {
            if pending.contains(name) {
                continue;
            }
            let implemented = sources.iter().any(|source| {
                source.grammars.contains(grammar_path)
                    && source
                        .rules
                        .iter()
                        .any(|documented| &documented.name == name)
            });
            if !implemented {
                problems.push(format!(
                    "  `{}` ({}) has no parser in a source file declaring {grammar_path}",
                    rule.text, rule.place
                ));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "grammar and parsers disagree:\n{}\n",
        problems.join("\n")
    );
}

/// One grammar file's rules, by lower-cased name.
#[derive(Default)]
struct Grammar {
    /// Rules that need a parser.
    required: BTreeMap<String, Rule>,
    /// Core rules, which need none.
    exempt: BTreeSet<String>,
}

/// A rule as a grammar file defines it, or as a parser documents it.
struct Rule {
    name: String,
    /// `name = definition`, white space normalised.
    text: String,
    place: String,
}

/// Every grammar file, by its path relative to the crate (`grammar/x.abnf`).
fn read_grammars(dir: &Path) -> BTreeMap<String, Grammar> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "abnf"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let name = file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = fs::read_to_string(file)
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
            (
                format!("grammar/{name}"),
                read_grammar(&file.display().to_string(), &text),
            )
        })
        .collect()
}

fn read_grammar(file: &str, text: &str) -> Grammar {
    let mut grammar = Grammar::default();
    let mut in_core_block = false;
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
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
            grammar.exempt.insert(name);
            continue;
        }
        let mut definition = String::from(without_comment(line));
        for continuation in lines.get(index + 1..).unwrap_or_default() {
            if !continuation.starts_with([' ', '\t']) || continuation.trim().is_empty() {
                break;
            }
            definition.push(' ');
            definition.push_str(without_comment(continuation));
        }
        let rule = Rule {
            name: name.clone(),
            text: normalised(&definition),
            place: format!("{file}:{}", index + 1),
        };
        grammar.required.entry(name).or_insert(rule);
    }
    // A rule both exempt and defined normally needs a parser.
    let required: Vec<String> = grammar.required.keys().cloned().collect();
    grammar.exempt.retain(|name| !required.contains(name));
    grammar
}

/// A grammar line without its comment: the text before the first `;` that
/// is not inside a quoted terminal.
fn without_comment(line: &str) -> &str {
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..at],
            _ => {}
        }
    }
    line
}

/// Every run of white space as one space, none at the ends.
fn normalised(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// A source file's declared grammars and documented rules.
struct Source {
    path: String,
    grammars: Vec<String>,
    rules: Vec<Rule>,
}

fn read_sources(root: &Path, dir: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect_rust_files(dir, &mut files);
    files.sort();
    files
        .iter()
        .map(|file| {
            let path = file
                .strip_prefix(root)
                .unwrap_or(file)
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(file)
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
            read_source(path, &text)
        })
        .collect()
}

fn read_source(path: String, text: &str) -> Source {
    let mut grammars: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .filter_map(|doc| doc.trim().strip_prefix("Grammar:"))
        .map(|declared| declared.trim().to_string())
        .collect();
    grammars.extend(
        DECLARED_HERE
            .iter()
            .filter(|(file, _)| *file == path)
            .map(|(_, grammar)| grammar.to_string()),
    );
    let mut rules = Vec::new();
    let mut previous_was_doc = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let is_doc = trimmed.starts_with("///") && !trimmed.starts_with("////");
        if is_doc && !previous_was_doc {
            if let Some((name, rule)) = documented_rule(trimmed.trim_start_matches("///").trim()) {
                rules.push(Rule {
                    name: name.to_ascii_lowercase(),
                    text: normalised(rule),
                    place: format!("{path}:{}", index + 1),
                });
            }
        }
        previous_was_doc = is_doc;
    }
    Source {
        path,
        grammars,
        rules,
    }
}

/// The rule named by a doc line of the form `` `name = definition` ``, and
/// the whole `name = definition` text.
fn documented_rule(doc: &str) -> Option<(&str, &str)> {
    let code = doc.strip_prefix('`')?;
    if !code.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = code
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(code.len());
    // `FREQ=YEARLY` is a value, not a rule: a rule's name and `=` stand
    // apart, as in every grammar file.
    let spaced = &code[name_len..];
    let after = spaced.trim_start();
    if after.len() == spaced.len() {
        return None;
    }
    let definition = after.strip_prefix('=')?;
    // `a == b` is code, not a rule.
    if definition.starts_with('=') {
        return None;
    }
    let rule = code.split('`').next().unwrap_or(code);
    Some((&code[..name_len], without_comment(rule)))
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
    assert_eq!(
        documented_rule("`FWS = 1*WSP`"),
        Some(("FWS", "FWS = 1*WSP"))
    );
    assert_eq!(
        documented_rule("`method =/ x` and prose"),
        Some(("method", "method =/ x"))
    );
    assert_eq!(documented_rule("`a == b` is code"), None);
    assert_eq!(documented_rule("`pvalue` is a value"), None);
    assert_eq!(documented_rule("`FREQ=YEARLY;BYDAY=1SU` each year"), None);
    assert_eq!(
        documented_rule("`hour = 1*2DIGIT ;0 to 23`"),
        Some(("hour", "hour = 1*2DIGIT "))
    );
}

#[test]
fn definitions_compare_by_text_not_only_by_name() {
    let grammar = read_grammar(
        "test.abnf",
        "a = b  c ; a comment\nd = \";\" e\n   / f\n\n; core rules\nALPHA = %x41-5A\n",
    );
    let text = |name: &str| grammar.required.get(name).map(|rule| rule.text.as_str());
    assert_eq!(text("a"), Some("a = b c"));
    assert_eq!(text("d"), Some("d = \";\" e / f"));
    assert!(grammar.exempt.contains("alpha"));

    let source = read_source(
        "src/x.rs".to_string(),
        "//! Grammar: grammar/test.abnf\n/// `a =  b c`\nfn a() {}\n/// `d = \";\" e`\nfn d() {}\n",
    );
    assert_eq!(source.grammars, ["grammar/test.abnf"]);
    let documented: Vec<&str> = source.rules.iter().map(|rule| rule.text.as_str()).collect();
    assert_eq!(documented, ["a = b c", "d = \";\" e"]);
    // The first matches its definition; the second names a rule of the
    // grammar but not its definition, which the main test reports.
    assert_eq!(text("a"), documented.first().copied());
    assert_ne!(text("d"), documented.get(1).copied());
}
