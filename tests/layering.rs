//! The stages depend on each other one way only: each module of `src/`
//! may name (`crate::...`) only the modules of an earlier layer. The layers,
//! first to last, follow the data: the shared types and lexical layers,
//! locating the object, the calendar model, the recurrence evaluator, the
//! validation, the analysis that runs them, then the two outputs beside
//! each other (the report and the Sieve front-end, which never meet), and
//! the engine that drives sieve-rs with all of them. Test code is left out:
//! a unit test may reach anywhere.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` with its layer.
const LAYERS: &[(&str, u8)] = &[
    ("finding", 0),
    ("syntax", 0),
    ("headers", 1),
    ("message", 2),
    ("calendar", 3),
    ("recurrence", 4),
    ("validate", 5),
    ("analysis", 6),
    ("store", 6),
    ("report", 7),
    ("script", 7),
    ("process", 7),
    ("engine", 8),
    ("deliver", 9),
    ("filter", 9),
    // Fuzz entry points reach into every stage; only tests and the fuzzer use them.
    ("fuzzing", 10),
];

fn layer_of(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

/// The `.rs` files of a module (a file, or a folder), test files left out.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut files = Vec::new();
    let mut pending = vec![src.join(module)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if path.is_dir() {
                if name != "tests" {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") && !name.contains("tests") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The text of a file before its inline `#[cfg(test)] mod tests`.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// Every module named as `crate::NAME` in `code`.
fn named_modules(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn no_stage_imports_a_later_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut graph: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (module, layer) in LAYERS {
        let files = module_files(&src, module);
        assert!(!files.is_empty(), "src/{module} has no source file");
        for file in files {
            for named in named_modules(&code_of(&file)) {
                if named == *module {
                    continue;
                }
                match layer_of(&named) {
                    Some(other) if other < *layer => {
                        let edges = graph.entry(module).or_default();
                        if !edges.contains(&named) {
                            edges.push(named);
                        }
                    }
                    Some(_) => problems.push(format!(
                        "{} (layer {layer}) names crate::{named}, which is not an earlier layer",
                        file.display()
                    )),
                    None if named.is_empty() => problems.push(format!(
                        "{} names items from the crate root (crate::{{..}}); name their modules, so the layers can be checked",
                        file.display()
                    )),
                    None => problems.push(format!(
                        "{} names crate::{named}, a module with no layer in LAYERS",
                        file.display()
                    )),
                }
            }
        }
    }
    // Every top-level module of src/ has a layer.
    for entry in fs::read_dir(&src).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if !["lib", "main"].contains(&name) && layer_of(name).is_none() {
            problems.push(format!("src/{name} has no layer in LAYERS"));
        }
    }
    println!("import graph (module -> earlier modules it names):");
    for (module, edges) in &graph {
        println!("  {module} -> {}", edges.join(", "));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
