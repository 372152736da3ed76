//! Self-written messages in `tests/fixtures/`: each `<case>.eml` has a
//! `<case>.expected.json` beside it, and every field the expected file names
//! must match the analysis of the message. Adding a case is adding two files.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use sieve_imip::report::Report;
use sieve_imip::{Analysis, Config};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixtures are judged at a fixed clock, so time-dependent findings
/// (far-future, recurrence horizons) do not drift.
fn config() -> Config {
    Config {
        now: "2026-11-20T12:00:00Z".parse().ok(),
        ..Config::default()
    }
}

/// The `analyze --json` report of the message, plus `reasons`: the sorted
/// reason names of its findings, the short form most fixtures check.
fn actual_fields(raw: &[u8]) -> Map<String, Value> {
    let analysis = Analysis::of_input(raw, &config());
    let report = Report::new("fixture", &analysis);
    let mut fields = match serde_json::to_value(&report) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let mut reasons: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.reason.as_str())
        .collect();
    reasons.sort_unstable();
    fields.insert("reasons".into(), json!(reasons));
    let embedded: Vec<&str> = report
        .embedded
        .iter()
        .map(|calendar| calendar.part)
        .collect();
    fields.insert("embedded".into(), json!(embedded));
    fields
}

/// Every mismatch of one case, as readable lines.
fn check_case(eml: &Path) -> Vec<String> {
    let expected_path = eml.with_extension("expected.json");
    let raw = match fs::read(eml) {
        Ok(raw) => raw,
        Err(err) => return vec![format!("cannot read: {err}")],
    };
    let expected: Value = match fs::read_to_string(&expected_path)
        .map(|text| serde_json::from_str(&text))
    {
        Ok(Ok(value)) => value,
        Ok(Err(err)) => return vec![format!("{}: invalid JSON: {err}", expected_path.display())],
        Err(err) => return vec![format!("{}: {err}", expected_path.display())],
    };
    let Some(expected) = expected.as_object() else {
        return vec!["expected file is not a JSON object".to_owned()];
    };
    let actual = actual_fields(&raw);
    let mut problems = Vec::new();
    for (field, want) in expected {
        match actual.get(field) {
            Some(got) if got == want => {}
            Some(got) => problems.push(format!("{field}: got {got}, want {want}")),
            None => problems.push(format!("{field}: not in the report")),
        }
    }
    if !problems.is_empty() {
        problems.push(format!(
            "findings: {}",
            actual.get("findings").cloned().unwrap_or_default()
        ));
    }
    problems
}

#[test]
fn every_fixture_matches_its_expected_report() {
    let dir = fixtures_dir();
    let mut cases: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect(),
        Err(err) => panic!("{}: {err}", dir.display()),
    };
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());

    let mut report = Vec::new();
    for case in &cases {
        let problems = check_case(case);
        if !problems.is_empty() {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            report.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        report.is_empty(),
        "{} of {} fixtures differ:\n{}",
        report.len(),
        cases.len(),
        report.join("\n")
    );
}

#[test]
fn every_expected_file_has_its_message() {
    let Ok(entries) = fs::read_dir(fixtures_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = path.to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".expected.json") {
            assert!(
                Path::new(&format!("{stem}.eml")).exists(),
                "{name} has no .eml beside it"
            );
        }
    }
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
        let raw = match fs::read(fixtures_dir().join(file)) {
            Ok(raw) => raw,
            Err(err) => panic!("{file}: {err}"),
        };
        let analysis = Analysis::of_input(&raw, &config());
        let text = analysis
            .located
            .object
            .map(|object| object.text)
            .unwrap_or_default();
        assert!(text.starts_with("BEGIN:VCALENDAR"), "{file}: {text:?}");
        assert!(text.contains(wanted), "{file}: {wanted:?} not in {text:?}");
    }
}

/// Damaged copies of every fixture (bytes flipped, cut short) are analysed
/// without a panic: the analysis runs on whatever arrives.
#[test]
fn damaged_fixtures_never_panic() {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    let Ok(entries) = fs::read_dir(fixtures_dir()) else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(0x1A11);
    let noise = [
        b'\r', b'\n', b'-', b':', b';', b'=', b'"', b'<', b'(', b'\\', 0, 0xff,
    ];
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "eml") {
            continue;
        }
        let Ok(original) = fs::read(&path) else {
            continue;
        };
        if original.is_empty() {
            continue;
        }
        for _ in 0..50 {
            let mut damaged = original.clone();
            for _ in 0..rng.gen_range(1..20) {
                let at = rng.gen_range(0..damaged.len());
                if let Some(byte) = damaged.get_mut(at) {
                    *byte = noise[rng.gen_range(0..noise.len())];
                }
            }
            damaged.truncate(rng.gen_range(1..=damaged.len()));
            let _ = Analysis::of_input(&damaged, &config());
        }
    }
}
