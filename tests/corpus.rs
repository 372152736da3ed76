//! Every real message of `../shared/corpus` against its MANIFEST.tsv row:
//! is it iMIP, with which METHOD, carrying which component.

mod common;

use std::fs;
use std::path::Path;

use sieve_imip::report::Report;
use sieve_imip::{Analysis, Config};

struct Row {
    file: String,
    expected_imip: bool,
    expected_method: Option<String>,
    expected_component: Option<String>,
    structure: String,
}

fn dash_is_none(value: &str) -> Option<String> {
    let value = value.trim();
    (value != "-" && !value.is_empty()).then(|| value.to_owned())
}

fn read_manifest(dir: &Path) -> Vec<Row> {
    let manifest = match fs::read_to_string(dir.join("MANIFEST.tsv")) {
        Ok(text) => text,
        Err(err) => panic!("MANIFEST.tsv unreadable: {err}"),
    };
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| match header.iter().position(|title| *title == name) {
        Some(index) => index,
        None => panic!("MANIFEST.tsv has no column {name}"),
    };
    let (file, imip, method, component, structure) = (
        column("file"),
        column("expected_imip"),
        column("expected_method"),
        column("expected_component"),
        column("structure"),
    );
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let cell = |index: usize| cells.get(index).copied().unwrap_or_default();
            Row {
                file: cell(file).to_owned(),
                expected_imip: cell(imip).trim() == "yes",
                expected_method: dash_is_none(cell(method)),
                expected_component: dash_is_none(cell(component)),
                structure: cell(structure).to_owned(),
            }
        })
        .collect()
}

fn analyse_file(path: &Path) -> Result<Analysis, String> {
    let raw = fs::read(path).map_err(|err| err.to_string())?;
    Ok(Analysis::of_input(&raw, &Config::default()))
}

#[test]
fn corpus_matches_manifest() {
    let Some(manifest) = common::shared_path("corpus/MANIFEST.tsv") else {
        return;
    };
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let rows = read_manifest(dir);
    assert!(!rows.is_empty(), "MANIFEST.tsv lists no message");

    let mut table = Vec::new();
    let mut failures = 0;
    for row in &rows {
        let (imip, method, component, located_by, part, reasons) =
            match analyse_file(&dir.join(&row.file)) {
                Ok(analysis) => {
                    let report = Report::new(&row.file, &analysis);
                    let mut reasons: Vec<&str> =
                        report.findings.iter().map(|f| f.reason.as_str()).collect();
                    reasons.sort_unstable();
                    reasons.dedup();
                    (
                        report.imip,
                        report.method.map(str::to_owned),
                        report.components.first().map(|c| c.kind.to_owned()),
                        report.located_by.unwrap_or("-").to_owned(),
                        report.part.unwrap_or("-").to_owned(),
                        reasons.join(","),
                    )
                }
                Err(err) => (
                    false,
                    None,
                    None,
                    format!("error: {err}"),
                    "-".to_owned(),
                    String::new(),
                ),
            };
        // "-" marks objects with no component to read (truncated, empty, none).
        let ok = imip == row.expected_imip
            && method == row.expected_method
            && component == row.expected_component;
        if !ok {
            failures += 1;
        }
        table.push(format!(
            "{} {:<28} imip {:<5} (want {:<5}) method {:<8} (want {:<8}) component {:<8} (want {:<8}) by {:<20} part {:<6} {}{}",
            if ok { "ok  " } else { "FAIL" },
            row.file,
            imip,
            row.expected_imip,
            method.as_deref().unwrap_or("-"),
            row.expected_method.as_deref().unwrap_or("-"),
            component.as_deref().unwrap_or("-"),
            row.expected_component.as_deref().unwrap_or("-"),
            located_by,
            part,
            reasons,
            if ok { String::new() } else { format!("\n       structure: {}", row.structure) },
        ));
    }
    let table = table.join("\n");
    println!("{table}");
    assert_eq!(
        failures,
        0,
        "{failures} of {} corpus rows disagree:\n{table}",
        rows.len()
    );
}
