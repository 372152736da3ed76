//! Every sieve-rs and Pigeonhole test script compiles through the front-end
//! exactly as through plain sieve-rs: same success or failure, same error,
//! same line and column. The one difference allowed is the front-end's
//! refusal of a `:regex` key holding a variable (`regex_guard.rs`), which
//! plain sieve-rs compiles at run time without a bound.

use std::path::{Path, PathBuf};

use crate::script::error::sieve_message;
use crate::script::{self, RegexRefusal, ScriptError, ScriptErrorKind};
use sieve::compiler::CompileError;
use sieve::Compiler;

/// How plain sieve-rs and the front-end disagree on a script at least one
/// of them refuses; `None` when both refuse it with the same message at the
/// same place. `must_be_sieve_error`: the front-end must pass sieve-rs's own
/// error through (a script without `imip` gives it nothing else to say).
fn refusal_difference<T, U>(
    path: &Path,
    source: &str,
    plain: &Result<T, CompileError>,
    ours: &Result<U, ScriptError>,
    must_be_sieve_error: bool,
) -> Option<String> {
    match (plain, ours) {
        (Err(expected), Err(actual)) => {
            let expected_position = script::locate_sieve_error(source, expected);
            let expected_message = sieve_message(expected);
            let agree = (!must_be_sieve_error || actual.kind.sieve_error().is_some())
                && expected_message == actual.kind.to_string()
                && expected_position == (actual.line, actual.column);
            (!agree).then(|| {
                format!(
                    "{}: sieve-rs says {}:{}: {expected_message}, front-end says {actual}",
                    path.display(),
                    expected_position.0,
                    expected_position.1,
                )
            })
        }
        (Ok(_), Err(actual)) => Some(format!(
            "{}: only the front-end refuses it: {actual}",
            path.display()
        )),
        (Err(expected), Ok(_)) => Some(format!(
            "{}: only sieve-rs refuses it: {}",
            path.display(),
            sieve_message(expected)
        )),
        (Ok(_), Ok(_)) => None,
    }
}

/// What one pass over the conformance scripts found.
#[derive(Default)]
struct Tally {
    scripts: usize,
    compiled: usize,
    lowered: usize,
    refused: usize,
    not_utf8: usize,
    /// Scripts plain sieve-rs compiles and the front-end refuses for a
    /// `:regex` key holding a variable.
    variable_regex: Vec<String>,
    differences: Vec<String>,
}

/// Compiles every conformance script, as `prepare` turns it into a source,
/// with plain sieve-rs and through the front-end, and tallies where they
/// disagree. `with_imip`: `prepare` adds an `imip` test, so the front-end
/// lowers the script and may give its own errors; without one it must not
/// lower anything and must pass sieve-rs's errors through.
fn compare_with_sieve_rs(prepare: impl Fn(&str) -> String, with_imip: bool) -> Option<Tally> {
    let dir = crate::test_support::shared_path("sieve-conformance")?;
    let mut paths = Vec::new();
    scripts_under(&dir, &mut paths);
    assert!(!paths.is_empty(), "no scripts under {}", dir.display());

    let compiler = Compiler::new();
    let mut tally = Tally {
        scripts: paths.len(),
        ..Tally::default()
    };
    for path in &paths {
        let Ok(bytes) = std::fs::read(path) else {
            tally
                .differences
                .push(format!("{}: unreadable", path.display()));
            continue;
        };
        let Ok(original) = String::from_utf8(bytes) else {
            tally.not_utf8 += 1;
            continue;
        };
        let source = prepare(&original);
        let plain = compiler.compile(source.as_bytes());
        let through_front_end = script::compile(&compiler, &source);
        match (plain, through_front_end) {
            (Ok(_), Ok(parts)) => {
                tally.compiled += 1;
                tally.lowered += usize::from(parts.lowered);
                if !with_imip && (parts.lowered || !parts.items.is_empty()) {
                    tally
                        .differences
                        .push(format!("{}: lowered a script without imip", path.display()));
                }
            }
            (Ok(_), Err(error))
                if matches!(
                    error.kind,
                    ScriptErrorKind::Regex(RegexRefusal::Variable { .. })
                ) =>
            {
                tally
                    .variable_regex
                    .push(format!("{}: {error}", path.display()));
            }
            (plain, ours) => {
                tally.refused += usize::from(plain.is_err() && ours.is_err());
                tally
                    .differences
                    .extend(refusal_difference(path, &source, &plain, &ours, !with_imip));
            }
        }
    }
    Some(tally)
}

fn scripts_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            scripts_under(&path, found);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "svtest" || extension == "sieve")
        {
            found.push(path);
        }
    }
}

#[test]
fn front_end_compiles_every_conformance_script_as_sieve_rs_does() {
    let Some(tally) = compare_with_sieve_rs(str::to_owned, false) else {
        return;
    };
    println!(
        "conformance: {} scripts, {} compiled and {} refused alike, {} skipped (not UTF-8), {} refused for a variable :regex key, {} differences",
        tally.scripts,
        tally.compiled,
        tally.refused,
        tally.not_utf8,
        tally.variable_regex.len(),
        tally.differences.len()
    );
    for refused in &tally.variable_regex {
        println!("  {refused}");
    }
    assert!(
        tally.differences.is_empty(),
        "{}",
        tally.differences.join("\n")
    );
}

/// The same scripts with an `imip` test added at the start of line 1, so
/// every one goes through the lowering: the front-end must agree with plain
/// sieve-rs on the same text (sieve-rs tolerates `imip` at compile time), and
/// every error must map back to the position plain sieve-rs gives.
#[test]
fn lowering_keeps_every_conformance_script_and_its_error_positions() {
    let with_imip_test = |original: &str| {
        format!("require \"imip\"; if imip :matches :method \"*\" {{ }} {original}")
    };
    let Some(tally) = compare_with_sieve_rs(with_imip_test, true) else {
        return;
    };
    println!(
        "conformance with an imip test: {} scripts, {} compiled alike ({} lowered), {} refused alike, {} differences",
        tally.scripts,
        tally.compiled,
        tally.lowered,
        tally.refused,
        tally.differences.len()
    );
    assert!(
        tally.differences.is_empty(),
        "{}",
        tally.differences.join("\n")
    );
}
