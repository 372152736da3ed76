//! The `sieve-imip` command as a user meets it: output formats, exit codes
//! and the options that configure the analysis.

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{json_lines, sieve_imip, stderr, stdout};

#[test]
fn check_reports_file_line_column_and_exit_codes() {
    let dir = std::env::temp_dir().join(format!("sieve-imip-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.sieve");
    std::fs::write(
        &bad,
        "require [\"fileinto\"];\n\nif imip :method \"REQUEST\" { fileinto \"x\"; }\n",
    )
    .expect("write");
    let bad = bad.to_string_lossy().into_owned();

    let output = sieve_imip(&["check", "scripts-examples/route-by-method.sieve"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = sieve_imip(&["check", "scripts-examples/route-by-method.sieve", &bad]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim(),
        format!("{bad}:3:4: error: the imip test needs require \"imip\"")
    );

    let output = sieve_imip(&["check", "no/such/script.sieve"]);
    assert_eq!(output.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_prints_one_action_per_line_and_json() {
    let output = sieve_imip(&[
        "test",
        "scripts-examples/route-by-method.sieve",
        "samples/invitation-outlook.eml",
        "samples/newsletter.eml",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "samples/invitation-outlook.eml:\n  fileinto :create \"Calendar/REQUEST\"\nsamples/newsletter.eml:\n  keep\n"
    );

    let output = sieve_imip(&[
        "test",
        "--json",
        "scripts-examples/global-admin.sieve",
        "samples/suspicious-flood.eml",
    ]);
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    let actions = &lines[0]["actions"];
    assert_eq!(actions[0]["action"], "editheader");
    assert_eq!(actions[0]["added"][0]["value"], "100");
    assert_eq!(actions[1]["action"], "fileinto");
    assert_eq!(actions[1]["folder"], "Junk/Invitations");
}

#[test]
fn analyze_json_has_the_documented_fields() {
    let output = sieve_imip(&[
        "analyze",
        "--json",
        "--now",
        "2026-11-21T12:00:00Z",
        "samples/invitation-outlook.eml",
        "samples/suspicious-flood.eml",
        "samples/newsletter.eml",
    ]);
    // A suspicious input makes the exit code 1.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for field in [
            "file",
            "imip",
            "located_by",
            "part",
            "method",
            "components",
            "embedded",
            "recurrence",
            "findings",
            "risk",
            "suspicious",
            "authentication_results",
        ] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
    }
    let invitation = &lines[0];
    assert_eq!(invitation["imip"], true);
    assert_eq!(invitation["located_by"], "structure");
    assert_eq!(invitation["part"], "3");
    assert_eq!(invitation["method"], "REQUEST");
    assert_eq!(invitation["components"][0]["kind"], "VEVENT");
    assert_eq!(
        invitation["components"][0]["organizer"]["address"],
        "alice@example.com"
    );
    assert_eq!(
        invitation["components"][0]["attendees"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(invitation["risk"], 0);

    let flood = &lines[1];
    assert_eq!(flood["suspicious"], true);
    assert_eq!(flood["recurrence"][0]["instances_total"], "unbounded");
    assert_eq!(flood["recurrence"][0]["max_overlap"], 12);
    let reasons: Vec<&str> = flood["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|finding| finding["reason"].as_str())
        .collect();
    for reason in [
        "organizer-mismatch",
        "recurrence-flood",
        "recurrence-overlap",
        "far-future",
    ] {
        assert!(reasons.contains(&reason), "{reason} not in {reasons:?}");
    }

    let newsletter = &lines[2];
    assert_eq!(newsletter["imip"], false);
    assert_eq!(newsletter["components"], serde_json::json!([]));
}

#[test]
fn analyze_reads_bare_icalendar_files() {
    let output = sieve_imip(&["analyze", "--json", "tests/fixtures/calendar/reply.ics"]);
    let lines = json_lines(&output);
    assert_eq!(lines[0]["imip"], true);
    assert_eq!(lines[0]["located_by"], "file");
    assert_eq!(lines[0]["method"], "REPLY");
}

#[test]
fn validation_options_change_the_verdict() {
    // Bob replies, but the organizer's stored copy lists only Carol.
    let plain = sieve_imip(&["analyze", "--json", "samples/reply-thunderbird.eml"]);
    assert_eq!(json_lines(&plain)[0]["findings"], serde_json::json!([]));
    let with_store = sieve_imip(&[
        "analyze",
        "--json",
        "--calendar",
        "tests/fixtures/calendar-store",
        "samples/reply-thunderbird.eml",
    ]);
    let line = &json_lines(&with_store)[0];
    assert_eq!(line["findings"][0]["reason"], "party-crash", "{line}");

    // An invitation for Carol delivered to someone else was forwarded.
    let output = sieve_imip(&[
        "analyze",
        "--json",
        "--recipient",
        "dave@example.org",
        "samples/invitation-outlook.eml",
    ]);
    assert_eq!(
        json_lines(&output)[0]["findings"][0]["reason"],
        "not-invited"
    );

    // Unknown configuration keys are an error naming the key and line.
    let config = std::env::temp_dir().join(format!("sieve-imip-cli-{}.toml", std::process::id()));
    std::fs::write(&config, "suspicious_threshold = 40\nbogus = 1\n").expect("write");
    let output = sieve_imip(&[
        "analyze",
        "--config",
        &config.to_string_lossy(),
        "samples/newsletter.eml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("line 2: unknown key `bogus`"),
        "{}",
        stderr(&output)
    );
    let _ = std::fs::remove_file(&config);
}

/// `test --calendar DIR` shows what `processcalendar` would do to the
/// calendars, each message seeing the ones before it, and writes nothing.
#[test]
fn test_runs_processcalendar_as_a_dry_run_on_the_calendar_folder() {
    let dir = std::env::temp_dir().join(format!("sieve-imip-cli-dry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("personal")).expect("calendar folder");
    let calendars = dir.to_string_lossy().into_owned();
    let output = sieve_imip(&[
        "test",
        "--json",
        "--calendar",
        &calendars,
        "--now",
        "2026-11-20T12:00:00Z",
        "--recipient",
        "bob@example.org",
        "scripts-examples/auto-process.sieve",
        "samples/invitation-outlook.eml",
        "samples/invitation-outlook.eml",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let outcomes: Vec<String> = json_lines(&output)
        .iter()
        .map(|line| {
            line["calendar"][0]["outcome"]
                .as_str()
                .unwrap_or("-")
                .to_owned()
        })
        .collect();
    // The second copy meets the first one's (unwritten) addition.
    assert_eq!(outcomes, ["added", "no_action"], "{}", stdout(&output));
    let written = std::fs::read_dir(dir.join("personal"))
        .map(|entries| entries.count())
        .unwrap_or(usize::MAX);
    assert_eq!(written, 0, "test wrote into the calendar folder");
    let _ = std::fs::remove_dir_all(&dir);
}
