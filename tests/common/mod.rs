//! Helpers shared by the integration tests. Each test crate compiles this
//! module and uses only part of it, hence `allow(dead_code)`.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// Set to `1` (CI does, when `../shared` is there) to make a test that
/// cannot find what it needs fail instead of skipping.
pub const REQUIRE_SHARED: &str = "SIEVE_IMIP_REQUIRE_SHARED";

/// Where the data that is not part of the project lives: the real-mail
/// corpus and the Sieve conformance scripts, beside the checkout.
pub fn shared_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// `../shared/<relative>` when it exists; otherwise the test is skipped
/// through [`skip`] and `None` is returned.
pub fn shared_path(relative: &str) -> Option<PathBuf> {
    let path = shared_root().join(relative);
    if path.exists() {
        Some(path)
    } else {
        skip(&format!("{} is absent", path.display()));
        None
    }
}

/// Says on stderr that the calling test skipped, and why; with
/// `SIEVE_IMIP_REQUIRE_SHARED=1`, fails instead.
#[track_caller]
pub fn skip(reason: &str) {
    skip_unless_required(REQUIRE_SHARED, reason);
}

/// Says on stderr that the calling test skipped, and why, or fails when
/// `required_by` (an environment variable) is `1`. libtest captures
/// `eprintln!` of passing tests, so this writes to the stderr stream itself,
/// which is always shown.
#[track_caller]
pub fn skip_unless_required(required_by: &str, reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if std::env::var(required_by).is_ok_and(|value| value == "1") {
        panic!("{test} cannot run ({reason}) and {required_by}=1 forbids skipping");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {reason}");
}
