//! Running the `sieve-imip` binary from an integration test. Kept apart
//! from `mod.rs`, which the library's unit tests include too: the binary's
//! path is known only to integration tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// `sieve-imip ARGS...` run from the crate root.
pub fn sieve_imip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sieve-imip"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// What the command printed on stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the command printed on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each line of stdout as one JSON object.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}
