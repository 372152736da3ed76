//! `sieve-imip filter` on mail stores built in a temporary folder from the
//! project's samples and fixtures: a Maildir, a folder of message files and
//! an mbox, with messages that cannot be read or parsed among them.

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{json_lines, sieve_imip, stderr, stdout};

use std::collections::BTreeMap;
use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sieve_imip::filter::{filter, FilterOptions, Format, Input, Source, Summary};
use sieve_imip::{Config, Engine};

const NOW: &str = "2026-11-20T12:00:00Z";
const IMIP_SCRIPT: &str = "benches/scripts/filter-imip.sieve";
const PLAIN_SCRIPT: &str = "benches/scripts/filter-plain.sieve";

fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A folder under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("sieve-imip-filter-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("temp dir");
        Scratch(path)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn text(&self, relative: &str) -> String {
        self.path(relative).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy(from: &str, to: &Path) {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).expect("folder");
    }
    fs::copy(crate_path(from), to).expect("copy");
}

fn mbox_of(messages: &[&[u8]]) -> Vec<u8> {
    let mut mbox = Vec::new();
    for message in messages {
        mbox.extend_from_slice(b"From sender@example.com Fri Nov 20 08:00:00 2026\n");
        mbox.extend_from_slice(message);
        mbox.extend_from_slice(b"\n");
    }
    mbox
}

const SAMPLES: [&str; 5] = [
    "cancel-google",
    "invitation-outlook",
    "newsletter",
    "reply-thunderbird",
    "suspicious-flood",
];

/// The store most tests use:
/// - `Maildir`: the five samples, three in `cur/`, two in `new/`, and a
///   Maildir++ sub-folder `.Sub` that is not read;
/// - `folder`: two fixtures, a dangling symlink (unreadable), a 0-byte
///   file and a file that is no mail, plus a sub-folder and a dot-file
///   that are not read;
/// - `box.mbox`: the five samples and a sixth message that is no mail;
/// - `Empty`: a Maildir without messages.
fn build_store(scratch: &Scratch) {
    for (index, name) in SAMPLES.iter().enumerate() {
        let sub = if index < 3 { "cur" } else { "new" };
        copy(
            &format!("samples/{name}.eml"),
            &scratch.path(&format!("Maildir/{sub}/{name}:2,S")),
        );
    }
    fs::create_dir_all(scratch.path("Maildir/tmp")).expect("tmp");
    copy(
        "samples/newsletter.eml",
        &scratch.path("Maildir/.Sub/cur/newsletter:2,"),
    );
    fs::create_dir_all(scratch.path("Maildir/.Sub/new")).expect("sub new");

    copy(
        "tests/fixtures/rule1-match.eml",
        &scratch.path("folder/rule1-match.eml"),
    );
    copy(
        "tests/fixtures/not-imip-plain-text.eml",
        &scratch.path("folder/not-imip-plain-text.eml"),
    );
    copy(
        "tests/fixtures/shape-signed.eml",
        &scratch.path("folder/sub/shape-signed.eml"),
    );
    copy(
        "tests/fixtures/shape-signed.eml",
        &scratch.path("folder/.hidden.eml"),
    );
    fs::write(scratch.path("folder/empty.eml"), b"").expect("empty");
    fs::write(
        scratch.path("folder/garbage.eml"),
        b"\x00\x01 this is not a message at all\n",
    )
    .expect("garbage");
    std::os::unix::fs::symlink(
        scratch.path("folder/no-such-target"),
        scratch.path("folder/unreadable.eml"),
    )
    .expect("symlink");

    let mut messages: Vec<Vec<u8>> = SAMPLES
        .iter()
        .map(|name| fs::read(crate_path(&format!("samples/{name}.eml"))).expect("sample"))
        .collect();
    messages.push(b"this line is no header field\nneither is this one\n".to_vec());
    let slices: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    fs::write(scratch.path("box.mbox"), mbox_of(&slices)).expect("mbox");

    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(scratch.path(&format!("Empty/{sub}"))).expect("empty maildir");
    }
}

fn store_args<'a>(paths: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["filter", "--now", NOW];
    args.extend_from_slice(extra);
    args.push(IMIP_SCRIPT);
    args.extend(paths.iter().map(String::as_str));
    args
}

#[test]
fn summary_counts_actions_reasons_and_lists_every_failure() {
    let scratch = Scratch::new("summary");
    build_store(&scratch);
    let paths = [
        scratch.text("Maildir"),
        scratch.text("folder"),
        scratch.text("box.mbox"),
        scratch.text("Empty"),
    ];
    let output = sieve_imip(&store_args(&paths, &[]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "",
        "no progress when stderr is not a terminal"
    );
    let maildir = &paths[0];
    let folder = &paths[1];
    let mbox = &paths[2];
    let empty = &paths[3];
    let expected = format!(
        "\
16 messages: 12 processed, 4 failed; 9 iMIP, 5 suspicious
inputs
  {maildir} (maildir){pad_maildir}        5
  {folder} (dir){pad_folder}        5
  {mbox} (mbox){pad_mbox}        6
  {empty} (maildir){pad_empty}        0
actions
  fileinto \"Junk\"{pad_junk}        5
  fileinto \"Calendar/REQUEST\"{pad_request}        3
  keep{pad_keep}        3
  fileinto \"Calendar/CANCEL\"{pad_cancel}        2
  fileinto \"Calendar/REPLY\"{pad_reply}        2
reasons
  far-future{pad_far}        2
  organizer-mismatch{pad_org}        2
  recurrence-flood{pad_flood}        2
  recurrence-overlap{pad_overlap}        2
  imip-header-unsigned{pad_unsigned}        1
failures
  {folder}/empty.eml: unparsable-message: the message could not be parsed as RFC 5322 mail (it has no header field), so nothing in it was examined for iMIP; it counts as risk 100
  {folder}/garbage.eml: unparsable-message: the message could not be parsed as RFC 5322 mail (it has no header field), so nothing in it was examined for iMIP; it counts as risk 100
  {folder}/unreadable.eml: unreadable: No such file or directory (os error 2)
  {mbox}#6: unparsable-message: the message could not be parsed as RFC 5322 mail (it has no header field), so nothing in it was examined for iMIP; it counts as risk 100
",
        pad_maildir = pad(&format!("{maildir} (maildir)"), &paths),
        pad_folder = pad(&format!("{folder} (dir)"), &paths),
        pad_mbox = pad(&format!("{mbox} (mbox)"), &paths),
        pad_empty = pad(&format!("{empty} (maildir)"), &paths),
        pad_keep = pad("keep", &paths),
        pad_request = pad("fileinto \"Calendar/REQUEST\"", &paths),
        pad_cancel = pad("fileinto \"Calendar/CANCEL\"", &paths),
        pad_reply = pad("fileinto \"Calendar/REPLY\"", &paths),
        pad_junk = pad("fileinto \"Junk\"", &paths),
        pad_far = pad("far-future", &paths),
        pad_org = pad("organizer-mismatch", &paths),
        pad_flood = pad("recurrence-flood", &paths),
        pad_overlap = pad("recurrence-overlap", &paths),
        pad_unsigned = pad("imip-header-unsigned", &paths),
    );
    assert_eq!(stdout(&output), expected);
}

/// The spaces after `name` up to the widest name of the tables, the
/// Maildir's `PATH (maildir)`.
fn pad(name: &str, paths: &[String; 4]) -> String {
    let widest = format!("{} (maildir)", paths[0]).chars().count();
    " ".repeat(widest - name.chars().count())
}

#[test]
fn json_lines_in_source_order_then_the_summary() {
    let scratch = Scratch::new("json");
    build_store(&scratch);
    let paths = [
        scratch.text("Maildir"),
        scratch.text("folder"),
        scratch.text("box.mbox"),
        scratch.text("Empty"),
    ];
    let output = sieve_imip(&store_args(&paths, &["--json"]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 17, "16 messages and the summary");

    let sources: Vec<String> = lines[..16]
        .iter()
        .map(|line| line["source"].as_str().expect("source").to_string())
        .collect();
    let (maildir, folder, mbox) = (&paths[0], &paths[1], &paths[2]);
    let mut expected_sources: Vec<String> = Vec::new();
    for (index, name) in SAMPLES.iter().enumerate() {
        let sub = if index < 3 { "cur" } else { "new" };
        expected_sources.push(format!("{maildir}/{sub}/{name}:2,S"));
    }
    for name in [
        "empty.eml",
        "garbage.eml",
        "not-imip-plain-text.eml",
        "rule1-match.eml",
        "unreadable.eml",
    ] {
        expected_sources.push(format!("{folder}/{name}"));
    }
    for ordinal in 1..=6 {
        expected_sources.push(format!("{mbox}#{ordinal}"));
    }
    assert_eq!(sources, expected_sources);

    // Field order as documented (serde_json's Value sorts keys, so look at the text).
    const FIELDS: [&str; 8] = [
        "source",
        "actions",
        "failure",
        "imip",
        "method",
        "risk",
        "suspicious",
        "reasons",
    ];
    for (text, line) in stdout(&output).lines().zip(&lines[..16]) {
        let object = line.as_object().expect("object");
        assert_eq!(object.len(), FIELDS.len(), "{text}");
        let positions: Vec<usize> = FIELDS
            .iter()
            .map(|field| text.find(&format!("\"{field}\":")).expect("field present"))
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    // The flood sample, as the Maildir holds it.
    let flood = &lines[4];
    assert_eq!(
        flood["actions"],
        serde_json::json!([{"action": "fileinto", "folder": "Junk", "flags": [], "create": false}])
    );
    assert_eq!(flood["failure"], Value::Null);
    assert_eq!(flood["imip"], true);
    assert_eq!(flood["method"], "REQUEST");
    assert_eq!(flood["risk"], 100);
    assert_eq!(flood["suspicious"], true);
    assert_eq!(
        flood["reasons"],
        serde_json::json!([
            "organizer-mismatch",
            "recurrence-flood",
            "recurrence-overlap",
            "far-future"
        ])
    );

    // The newsletter: not iMIP, kept.
    let newsletter = &lines[2];
    assert_eq!(
        newsletter["actions"],
        serde_json::json!([{"action": "keep", "flags": []}])
    );
    assert_eq!(newsletter["imip"], false);
    assert_eq!(newsletter["method"], Value::Null);
    assert_eq!(newsletter["risk"], 0);

    // A file that cannot be read: no actions, no analysis.
    let unreadable = &lines[9];
    assert_eq!(unreadable["actions"], serde_json::json!([]));
    assert_eq!(unreadable["failure"]["kind"], "unreadable");
    assert_eq!(unreadable["imip"], Value::Null);
    assert_eq!(unreadable["risk"], Value::Null);

    // A message that is no mail: the script ran, `imip :suspicious` failed
    // closed, and the engine's failure says why.
    let no_mail = &lines[15];
    assert_eq!(
        no_mail["actions"],
        serde_json::json!([{"action": "fileinto", "folder": "Junk", "flags": [], "create": false}])
    );
    assert_eq!(no_mail["failure"]["kind"], "unparsable-message");
    assert_eq!(no_mail["imip"], false);
    assert_eq!(no_mail["risk"], 100);
    assert_eq!(no_mail["suspicious"], true);

    let summary = &lines[16]["summary"];
    assert_eq!(summary["messages"], 16);
    assert_eq!(summary["failed"], 4);
    assert_eq!(summary["imip"], 9);
    assert_eq!(summary["suspicious"], 5);
    assert_eq!(
        summary["actions"],
        serde_json::json!({
            "keep": 3,
            "fileinto \"Calendar/REQUEST\"": 3,
            "fileinto \"Calendar/CANCEL\"": 2,
            "fileinto \"Calendar/REPLY\"": 2,
            "fileinto \"Junk\"": 5,
        })
    );
    assert_eq!(
        summary["reasons"],
        serde_json::json!({
            "far-future": 2,
            "organizer-mismatch": 2,
            "recurrence-flood": 2,
            "recurrence-overlap": 2,
            "imip-header-unsigned": 1,
        })
    );
    let failures: Vec<(String, String)> = summary["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|failure| {
            (
                failure["source"].as_str().unwrap_or_default().to_string(),
                failure["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            (format!("{folder}/empty.eml"), "unparsable-message".into()),
            (format!("{folder}/garbage.eml"), "unparsable-message".into()),
            (format!("{folder}/unreadable.eml"), "unreadable".into()),
            (format!("{mbox}#6"), "unparsable-message".to_string()),
        ]
    );
    assert_eq!(
        summary["inputs"],
        serde_json::json!([
            {"path": paths[0], "format": "maildir", "messages": 5},
            {"path": paths[1], "format": "dir", "messages": 5},
            {"path": paths[2], "format": "mbox", "messages": 6},
            {"path": paths[3], "format": "maildir", "messages": 0},
        ])
    );
}

#[test]
fn one_job_and_two_jobs_print_the_same() {
    let scratch = Scratch::new("jobs");
    build_store(&scratch);
    // Enough messages that two workers interleave: every fixture, twice.
    for entry in fs::read_dir(crate_path("tests/fixtures")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "eml") {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            for copy_number in 0..2 {
                let target = scratch.path(&format!("many/cur/{copy_number}-{name}"));
                copy(&format!("tests/fixtures/{name}"), &target);
            }
        }
    }
    fs::create_dir_all(scratch.path("many/new")).expect("new");
    let paths = [
        scratch.text("many"),
        scratch.text("Maildir"),
        scratch.text("folder"),
        scratch.text("box.mbox"),
    ];
    for extra in [&[][..], &["--json"][..]] {
        let mut one = extra.to_vec();
        one.extend(["--jobs", "1"]);
        let mut two = extra.to_vec();
        two.extend(["--jobs", "2"]);
        let one = sieve_imip(&store_args(&paths, &one));
        let two = sieve_imip(&store_args(&paths, &two));
        assert_eq!(one.status.code(), Some(1));
        assert_eq!(two.status.code(), Some(1));
        assert!(!stdout(&one).is_empty());
        assert_eq!(stdout(&one), stdout(&two));
    }
}

#[test]
fn exit_codes_zero_one_two() {
    let scratch = Scratch::new("exit");
    build_store(&scratch);
    let maildir = scratch.text("Maildir");
    let folder = scratch.text("folder");

    let ok = sieve_imip(&["filter", "--now", NOW, IMIP_SCRIPT, &maildir]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let some_failed = sieve_imip(&["filter", "--now", NOW, IMIP_SCRIPT, &folder]);
    assert_eq!(some_failed.status.code(), Some(1));

    let missing = scratch.text("no-such-mailbox");
    let output = sieve_imip(&["filter", IMIP_SCRIPT, &missing]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        format!("error: {missing}: no such file or folder")
    );
    assert_eq!(stdout(&output), "");

    let bad = scratch.path("bad.sieve");
    fs::write(
        &bad,
        "require [\"fileinto\"];\n\nif imip :method \"REQUEST\" { fileinto \"x\"; }\n",
    )
    .expect("script");
    let bad = bad.display().to_string();
    let output = sieve_imip(&["filter", &bad, &maildir]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        format!("{bad}:3:4: error: the imip test needs require \"imip\"")
    );

    let output = sieve_imip(&["filter", "--format", "mbox", IMIP_SCRIPT, &maildir]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        format!("error: {maildir}: is a folder, so it cannot be read as mbox")
    );

    let output = sieve_imip(&["filter", "--format", "tar", IMIP_SCRIPT, &maildir]);
    assert_eq!(output.status.code(), Some(2));

    let output = sieve_imip(&["filter", "--jobs", "0", IMIP_SCRIPT, &maildir]);
    assert_eq!(output.status.code(), Some(2));

    let output = sieve_imip(&[
        "filter",
        "--to",
        "bob@example.org\r\nx",
        IMIP_SCRIPT,
        &maildir,
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn forced_mbox_lists_bytes_before_the_first_from_line() {
    let scratch = Scratch::new("preamble");
    let newsletter = fs::read(crate_path("samples/newsletter.eml")).expect("sample");
    let mut data = b"leftover bytes of something else\n".to_vec();
    data.extend(mbox_of(&[&newsletter]));
    fs::write(scratch.path("box"), &data).expect("write");
    let path = scratch.text("box");

    // Detected, it is one message (it does not start with "From ").
    let output = sieve_imip(&["filter", "--json", PLAIN_SCRIPT, &path]);
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["summary"]["inputs"][0]["format"], "file");

    let output = sieve_imip(&["filter", "--json", "--format", "mbox", PLAIN_SCRIPT, &path]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["source"], format!("{path}#0"));
    assert_eq!(lines[0]["failure"]["kind"], "unreadable");
    assert_eq!(
        lines[0]["failure"]["detail"],
        "33 bytes before the first \"From \" line belong to no message"
    );
    assert_eq!(lines[1]["source"], format!("{path}#1"));
    assert_eq!(lines[1]["failure"], Value::Null);
    // A plain script: no analysis, so no iMIP fields.
    assert_eq!(lines[1]["imip"], Value::Null);
    assert_eq!(lines[2]["summary"]["imip"], Value::Null);
    assert_eq!(lines[2]["summary"]["failed"], 1);
}

#[test]
fn plain_script_files_by_content_type() {
    let scratch = Scratch::new("plain");
    build_store(&scratch);
    let output = sieve_imip(&[
        "filter",
        "--json",
        PLAIN_SCRIPT,
        &scratch.text("Maildir"),
        &scratch.text("box.mbox"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let summary = &lines[lines.len() - 1]["summary"];
    assert_eq!(
        summary["actions"],
        serde_json::json!({"fileinto \"Calendar\"": 8, "keep": 3})
    );
    assert_eq!(summary["reasons"], serde_json::json!({}));
    assert_eq!(summary["messages"], 11);
    assert_eq!(summary["failed"], 0);
}

/// Every top-level fixture, through the library: the filter's iMIP fields
/// agree with the fixture's expected `analyze` report, and the summary
/// adds them up.
#[test]
fn library_filter_agrees_with_the_fixture_reports() {
    let scratch = Scratch::new("library");
    let mut expected: BTreeMap<PathBuf, Value> = BTreeMap::new();
    for entry in fs::read_dir(crate_path("tests/fixtures")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "eml") {
            continue;
        }
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let report = path.with_extension("expected.json");
        let report: Value =
            serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
        let target = scratch.path(&format!("fixtures/{name}"));
        copy(&format!("tests/fixtures/{name}"), &target);
        expected.insert(target, report);
    }
    assert!(expected.len() >= 40, "the fixtures are there");

    let config = Config::builder().now(NOW.parse().expect("clock")).build();
    let engine = Engine::new().with_config(config);
    let script = engine
        .compile(&fs::read_to_string(crate_path(IMIP_SCRIPT)).expect("script"))
        .expect("compiles");
    let input = Input::open(scratch.path("fixtures"), None).expect("input");
    assert_eq!(input.format(), Format::Dir);
    let options = FilterOptions {
        jobs: NonZeroUsize::new(2).expect("2"),
        ..FilterOptions::default()
    };
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let run = filter(&engine, &script, &[input], &options, &|| {
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .expect("runs");
    assert_eq!(run.messages.len(), expected.len());
    assert_eq!(calls.into_inner(), expected.len());

    let mut junk = 0;
    let mut not_mail = 0;
    for (message, (path, report)) in run.messages.iter().zip(&expected) {
        assert_eq!(message.source, Source::File(path.clone()));
        let name = path.display();
        // Only input that is no mail has a failure, the one the report names.
        assert_eq!(
            message.failure.as_ref().map(|failure| failure.kind()),
            report["failure"]["kind"].as_str(),
            "{name}"
        );
        assert_eq!(message.imip, report["imip"].as_bool(), "{name}");
        assert_eq!(
            message.method.as_deref(),
            report["method"].as_str(),
            "{name}"
        );
        assert_eq!(
            message.risk.map(u64::from),
            report["risk"].as_u64(),
            "{name}"
        );
        assert_eq!(message.suspicious, report["suspicious"].as_bool(), "{name}");
        let mut reasons: Vec<&str> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|finding| finding["reason"].as_str())
            .collect();
        reasons.dedup();
        let got: Vec<&str> = message
            .reasons
            .iter()
            .map(|reason| reason.as_str())
            .collect();
        let mut sorted_expected = reasons.clone();
        sorted_expected
            .sort_by_key(|name| sieve_imip::Reason::from_name(name).expect("a known reason"));
        sorted_expected.dedup();
        assert_eq!(got, sorted_expected, "{name}");
        if message.suspicious == Some(true) {
            junk += 1;
        }
        if message.failure.is_some() {
            not_mail += 1;
        }
    }
    assert!(not_mail > 0, "the fixtures hold input that is no mail");
    let summary = Summary::of(&run);
    assert_eq!(summary.messages, expected.len() as u64);
    assert_eq!(summary.failed, not_mail);
    assert_eq!(summary.suspicious, Some(junk));
    assert_eq!(
        summary
            .actions
            .get("fileinto \"Junk\"")
            .copied()
            .unwrap_or(0),
        junk
    );
    let imip = expected
        .values()
        .filter(|report| report["imip"] == true)
        .count() as u64;
    assert_eq!(summary.imip, Some(imip));
}
