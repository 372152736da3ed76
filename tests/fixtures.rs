//! Self-written cases under `tests/fixtures/` and its sub-folders: each input
//! (`<case>.eml`, a message, or `<case>.ics`, a bare calendar) has
//! `<case>.expected.json` beside it, the complete `sieve-imip analyze --json`
//! report for it, pretty-printed. Adding a case is adding two files;
//! `UPDATE_EXPECTED=1 cargo test --test fixtures` writes the expected files
//! from the current analysis.
//!
//! A case judged with settings has `<case>.config.toml` beside it, in the
//! format of `--config`. Its `now` defaults to [`DEFAULT_NOW`] rather than
//! the system clock, and a comment line `# calendar: DIR` (relative to the
//! file) stands for `--calendar DIR`, the organizer's stored events, which
//! the TOML format cannot hold. Folders named `calendar-store` hold such
//! events and are not cases.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sieve_imip::report::Report;
use sieve_imip::DirectoryLookup;
use sieve_imip::{Analysis, Config};

/// The clock of every case whose configuration does not set one, so
/// time-dependent findings (far-future, recurrence horizons) do not drift.
const DEFAULT_NOW: &str = "2026-11-20T12:00:00Z";

/// Set to `1` to rewrite every expected file from the current reports.
const UPDATE_EXPECTED: &str = "UPDATE_EXPECTED";

const STORE_FOLDER: &str = "calendar-store";

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    crate_root().join("tests/fixtures")
}

fn is_input(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "eml" || extension == "ics")
}

/// Every file under `dir`, sub-folders included, but not the calendar
/// stores; sorted so failures list in a stable order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => panic!("{}: {err}", dir.display()),
        };
        for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            if !path.is_dir() {
                found.push(path);
            } else if path.file_name().is_some_and(|name| name != STORE_FOLDER) {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

fn cases() -> Vec<PathBuf> {
    let cases: Vec<PathBuf> = files_under(&fixtures_dir())
        .into_iter()
        .filter(|path| is_input(path))
        .collect();
    assert!(
        !cases.is_empty(),
        "no fixtures in {}",
        fixtures_dir().display()
    );
    cases
}

/// The case's name in its report: its path from the crate root, as
/// `sieve-imip analyze` run there names it.
fn case_name(input: &Path) -> String {
    let relative = input.strip_prefix(crate_root()).unwrap_or(input);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn config_path(input: &Path) -> PathBuf {
    input.with_extension("config.toml")
}

fn expected_path(input: &Path) -> PathBuf {
    input.with_extension("expected.json")
}

/// What `analyze --config <case>.config.toml [--calendar DIR]` would use,
/// with the fixed clock unless the file sets another.
fn config_for(input: &Path) -> Result<Config, String> {
    let path = config_path(input);
    let mut config = Config::default();
    if path.exists() {
        let text = fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        config = Config::from_toml(&text).map_err(|err| format!("{}: {err}", path.display()))?;
        let store = text
            .lines()
            .find_map(|line| line.strip_prefix("# calendar:"))
            .map(str::trim);
        if let Some(store) = store {
            let dir = path.parent().unwrap_or(Path::new(".")).join(store);
            let lookup = DirectoryLookup::open(&dir, &config.calendar_limits)
                .map_err(|err| format!("{}: {}: {err}", path.display(), dir.display()))?;
            config.lookup = Some(Arc::new(lookup));
        }
    }
    if config.now.is_none() {
        config.now = DEFAULT_NOW.parse().ok();
    }
    Ok(config)
}

/// The report as `analyze --json` builds it, pretty-printed.
fn actual_report(input: &Path) -> Result<String, String> {
    let raw = fs::read(input).map_err(|err| format!("cannot read: {err}"))?;
    let config = config_for(input)?;
    let analysis = Analysis::of_input(&raw, &config);
    let name = case_name(input);
    let report = Report::new(&name, &analysis);
    serde_json::to_string_pretty(&report)
        .map(|text| text + "\n")
        .map_err(|err| format!("cannot serialise the report: {err}"))
}

/// How the case's report differs from its expected file, if it does.
fn difference(input: &Path, actual: &str) -> Option<String> {
    let path = expected_path(input);
    let expected = match fs::read_to_string(&path) {
        Ok(expected) => expected,
        Err(err) => {
            return Some(format!(
                "no expected report ({}: {err}); `{UPDATE_EXPECTED}=1 cargo test --test fixtures` writes it",
                path.display()
            ))
        }
    };
    // Compared as JSON, so spacing is free; the diff is of the text, which
    // the update command writes in the report's own field order.
    let expected_value: Value = match serde_json::from_str(&expected) {
        Ok(value) => value,
        Err(err) => return Some(format!("{}: invalid JSON: {err}", path.display())),
    };
    let actual_value: Value = serde_json::from_str(actual).unwrap_or_default();
    if expected_value == actual_value {
        return None;
    }
    Some(format!(
        "report differs (- expected, + actual):\n{}",
        line_diff(&expected, actual)
    ))
}

#[test]
fn every_fixture_matches_its_expected_report() {
    let update = std::env::var(UPDATE_EXPECTED).is_ok_and(|value| value == "1");
    let cases = cases();
    let mut failures = Vec::new();
    let mut updated = 0;
    for input in &cases {
        let name = case_name(input);
        let actual = match actual_report(input) {
            Ok(actual) => actual,
            Err(err) => {
                failures.push(format!("{name}: {err}"));
                continue;
            }
        };
        let Some(problem) = difference(input, &actual) else {
            continue;
        };
        if update {
            let path = expected_path(input);
            match fs::write(&path, &actual) {
                Ok(()) => updated += 1,
                Err(err) => failures.push(format!("{}: {err}", path.display())),
            }
        } else {
            failures.push(format!("{name}: {problem}"));
        }
    }
    if update {
        eprintln!("{UPDATE_EXPECTED}: {updated} expected files written");
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ (`{UPDATE_EXPECTED}=1 cargo test --test fixtures` accepts the new reports):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// An expected or config file whose input is gone is a case nobody runs.
#[test]
fn every_expected_and_config_file_has_its_input() {
    let files = files_under(&fixtures_dir());
    let mut orphans = Vec::new();
    for path in &files {
        let name = path.to_string_lossy();
        let Some(stem) = name
            .strip_suffix(".expected.json")
            .or_else(|| name.strip_suffix(".config.toml"))
        else {
            continue;
        };
        let inputs = ["eml", "ics"]
            .iter()
            .filter(|extension| Path::new(&format!("{stem}.{extension}")).exists())
            .count();
        if inputs != 1 {
            orphans.push(format!("{}: {inputs} inputs beside it", case_name(path)));
        }
    }
    assert!(orphans.is_empty(), "{}", orphans.join("\n"));
}

/// The located text is UTF-8 whatever the charset and transfer encoding.
#[test]
fn calendar_text_is_decoded() {
    let cases = [
        (
            "charset-iso-8859-1.eml",
            "SUMMARY:R\u{e9}union d'\u{e9}quipe \u{e0} Montr\u{e9}al",
        ),
        (
            "charset-utf-16.eml",
            "SUMMARY:Gespr\u{e4}ch \u{fc}ber \u{65e5}\u{672c}",
        ),
        ("charset-utf-16-ics-bom.eml", "METHOD:CANCEL"),
        (
            "encoding-quoted-printable.eml",
            "12 000 \u{20ac}\\, headcount = 4\\, r\u{e9}sum\u{e9}",
        ),
    ];
    for (file, wanted) in cases {
        let path = fixtures_dir().join(file);
        let raw = match fs::read(&path) {
            Ok(raw) => raw,
            Err(err) => panic!("{file}: {err}"),
        };
        let config = config_for(&path).unwrap_or_else(|err| panic!("{err}"));
        let analysis = Analysis::of_input(&raw, &config);
        let text = analysis.object_text().unwrap_or_default();
        assert!(text.starts_with("BEGIN:VCALENDAR"), "{file}: {text:?}");
        assert!(text.contains(wanted), "{file}: {wanted:?} not in {text:?}");
    }
}

/// Damaged copies of every case (bytes flipped, cut short) are analysed
/// without a panic: the analysis runs on whatever arrives.
#[test]
fn damaged_fixtures_never_panic() {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    let mut rng = StdRng::seed_from_u64(0x1A11);
    let noise = [
        b'\r', b'\n', b'-', b':', b';', b'=', b'"', b'<', b'(', b'\\', 0, 0xff,
    ];
    for input in cases() {
        let Ok(original) = fs::read(&input) else {
            continue;
        };
        if original.is_empty() {
            continue;
        }
        let config = config_for(&input).unwrap_or_else(|err| panic!("{err}"));
        for _ in 0..50 {
            let mut damaged = original.clone();
            for _ in 0..rng.gen_range(1..20) {
                let at = rng.gen_range(0..damaged.len());
                if let Some(byte) = damaged.get_mut(at) {
                    *byte = noise[rng.gen_range(0..noise.len())];
                }
            }
            damaged.truncate(rng.gen_range(1..=damaged.len()));
            let _ = Analysis::of_input(&damaged, &config);
        }
    }
}

/// The diff test fails readably, so it is checked itself.
#[test]
fn line_diff_marks_changed_lines_with_context() {
    let expected = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n";
    let actual = "{\n  \"a\": 1,\n  \"b\": 20,\n  \"c\": 3\n}\n";
    assert_eq!(
        line_diff(expected, actual),
        "   {\n     \"a\": 1,\n-    \"b\": 2,\n+    \"b\": 20,\n     \"c\": 3\n   }\n"
    );
    assert_eq!(line_diff("same\n", "same\n"), "   same\n");
}

/// Lines kept around each change in a diff.
const CONTEXT: usize = 3;

/// A line diff of `expected` against `actual` (longest common subsequence):
/// removed lines start with `-`, added ones with `+`, and up to [`CONTEXT`]
/// unchanged lines around each change are shown, runs between elided.
fn line_diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            lines.push(('-', old[i]));
            i += 1;
        } else {
            lines.push(('+', new[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len())
        .filter(|&index| lines[index].0 != ' ')
        .collect();
    let near_a_change = |index: usize| {
        changed.is_empty()
            || changed
                .iter()
                .any(|&change| index.abs_diff(change) <= CONTEXT)
    };
    let mut out = String::new();
    let mut elided = false;
    for (index, (mark, line)) in lines.iter().enumerate() {
        if near_a_change(index) {
            let _ = writeln!(out, "{mark}  {line}");
            elided = false;
        } else if !elided {
            out.push_str("   ...\n");
            elided = true;
        }
    }
    out
}
