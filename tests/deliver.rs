//! `sieve-imip deliver` as an MTA runs it: one message on stdin, a Maildir
//! written by the Maildir protocol, sendmail-style exit codes, a log line,
//! and nothing lost on any failure.

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::stderr;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PLAIN: &[u8] = b"From: Carol <carol@example.net>\r\nTo: bob@example.org\r\n\
Subject: Hello\r\nMessage-ID: <plain-1@example.net>\r\n\r\nJust text.\r\n";

/// A scratch folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("sieve-imip-deliver-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).expect("script written");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn deliver(args: &[&Path], extra: &[&str], message: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sieve-imip"))
        .arg("deliver")
        .args(args)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sieve-imip starts");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(message).expect("message written");
    }
    child.wait_with_output().expect("sieve-imip ends")
}

/// The files in `folder/new` and `folder/cur` of a Maildir, sorted.
fn messages_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .filter_map(|sub| fs::read_dir(folder.join(sub)).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    files.sort();
    files
}

#[test]
fn keep_stores_the_message_in_inbox_exactly_as_received() {
    let scratch = Scratch::new("keep");
    let maildir = scratch.path("Maildir");
    let output = deliver(&[Path::new("--maildir"), &maildir], &[], PLAIN);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stored = messages_in(&maildir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(fs::read(&stored[0]).ok().as_deref(), Some(PLAIN));
    assert!(stored[0].starts_with(maildir.join("new")));
    assert_eq!(
        fs::read_dir(maildir.join("tmp")).map(|d| d.count()).ok(),
        Some(0)
    );
    let log = stderr(&output);
    assert!(
        log.contains("message-id=<plain-1@example.net> status=delivered actions=[keep]"),
        "{log}"
    );
}

#[test]
fn an_mbox_from_line_before_the_message_is_dropped() {
    let scratch = Scratch::new("fromline");
    let maildir = scratch.path("Maildir");
    let mut message = b"From carol@example.net Tue Dec  1 08:00:00 2026\n".to_vec();
    message.extend_from_slice(PLAIN);
    let output = deliver(&[Path::new("--maildir"), &maildir], &[], &message);
    assert_eq!(output.status.code(), Some(0));
    let stored = messages_in(&maildir);
    assert_eq!(fs::read(&stored[0]).ok().as_deref(), Some(PLAIN));
}

#[test]
fn fileinto_creates_folders_only_with_create_or_the_option() {
    let scratch = Scratch::new("folders");
    let maildir = scratch.path("Maildir");
    let create = scratch.script(
        "create.sieve",
        "require \"fileinto\";\nrequire \"mailbox\";\nfileinto :create \"Lists/Carol\";\n",
    );
    let plain = scratch.script(
        "plain.sieve",
        "require \"fileinto\";\nfileinto \"Archive\";\n",
    );

    let output = deliver(&[Path::new("--maildir"), &maildir, &create], &[], PLAIN);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(messages_in(&maildir.join(".Lists.Carol")).len(), 1);
    assert!(maildir.join(".Lists.Carol/maildirfolder").exists());

    // Without :create the folder is not made and the message is kept.
    let output = deliver(&[Path::new("--maildir"), &maildir, &plain], &[], PLAIN);
    assert_eq!(output.status.code(), Some(0));
    assert!(!maildir.join(".Archive").exists());
    assert_eq!(messages_in(&maildir).len(), 1);
    assert!(
        stderr(&output).contains("kept in INBOX"),
        "{}",
        stderr(&output)
    );

    let output = deliver(
        &[Path::new("--maildir"), &maildir, &plain],
        &["--create-folders"],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(messages_in(&maildir.join(".Archive")).len(), 1);
    assert_eq!(messages_in(&maildir).len(), 1);
}

#[test]
fn flags_become_maildir_info_and_discard_stores_nothing() {
    let scratch = Scratch::new("flags");
    let maildir = scratch.path("Maildir");
    let flagged = scratch.script(
        "flagged.sieve",
        "require \"imap4flags\";\naddflag [\"\\\\Seen\", \"\\\\Flagged\"];\n",
    );
    let output = deliver(&[Path::new("--maildir"), &maildir, &flagged], &[], PLAIN);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stored = messages_in(&maildir);
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with(maildir.join("cur")));
    assert!(stored[0].to_string_lossy().ends_with(":2,FS"), "{stored:?}");

    let discard = scratch.script("discard.sieve", "discard;\n");
    let output = deliver(&[Path::new("--maildir"), &maildir, &discard], &[], PLAIN);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(messages_in(&maildir).len(), 1);
    assert!(stderr(&output).contains("actions=[discard]"));
}

#[test]
fn reject_exits_77_with_the_reason_and_stores_nothing() {
    let scratch = Scratch::new("reject");
    let maildir = scratch.path("Maildir");
    let reject = scratch.script(
        "reject.sieve",
        "require \"reject\";\nreject \"No calendar spam here.\";\n",
    );
    let output = deliver(&[Path::new("--maildir"), &maildir, &reject], &[], PLAIN);
    assert_eq!(output.status.code(), Some(77));
    assert!(stderr(&output).contains("No calendar spam here."));
    assert!(messages_in(&maildir).is_empty());
}

#[test]
fn redirect_and_vacation_go_through_the_sendmail_command() {
    let scratch = Scratch::new("sendmail");
    let maildir = scratch.path("Maildir");
    let record = scratch.path("sent");
    fs::create_dir_all(&record).expect("record folder");
    // A stand-in for sendmail that records its arguments and the message.
    let stub = scratch.script(
        "sendmail.sh",
        &format!(
            "#!/bin/sh\nn=$(ls {dir} | wc -l)\necho \"$@\" > {dir}/$n.args\ncat > {dir}/$n.message\n",
            dir = record.display()
        ),
    );
    let _ = Command::new("chmod").arg("755").arg(&stub).status();
    let script = scratch.script(
        "forward.sieve",
        "require [\"vacation\"];\nredirect \"archive@example.org\";\nvacation :addresses [\"bob@example.org\"] \"I am away.\";\n",
    );
    let sendmail = format!("/bin/sh {}", stub.display());
    let output = deliver(
        &[Path::new("--maildir"), &maildir, &script],
        &[
            "--sendmail",
            &sendmail,
            "--sender",
            "carol@example.net",
            "--recipient",
            "bob@example.org",
        ],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let read = |name: &str| fs::read_to_string(record.join(name)).unwrap_or_default();
    assert_eq!(
        read("0.args").trim(),
        "-i -f carol@example.net -- archive@example.org"
    );
    assert_eq!(read("0.message").as_bytes(), PLAIN);
    assert_eq!(read("2.args").trim(), "-i -f  -- carol@example.net");
    assert!(read("2.message").contains("I am away."));
    // The redirect cancelled the implicit keep: nothing in the Maildir.
    assert!(messages_in(&maildir).is_empty());
}

#[test]
fn a_redirect_that_cannot_be_sent_keeps_the_message() {
    let scratch = Scratch::new("nosendmail");
    let maildir = scratch.path("Maildir");
    let script = scratch.script("forward.sieve", "redirect \"archive@example.org\";\n");
    let output = deliver(
        &[Path::new("--maildir"), &maildir, &script],
        &["--sendmail", "/nonexistent/sendmail"],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(messages_in(&maildir).len(), 1);
    assert!(stderr(&output).contains("not sent"), "{}", stderr(&output));
}

#[test]
fn scripts_that_fail_or_do_not_compile_still_deliver_to_inbox() {
    let scratch = Scratch::new("failing");
    let maildir = scratch.path("Maildir");
    let broken = scratch.script("broken.sieve", "if imip :present { keep; }\n");
    let erroring = scratch.script(
        "error.sieve",
        "require [\"fileinto\", \"ihave\"];\nfileinto \"Elsewhere\";\nerror \"broken script\";\n",
    );
    let missing = scratch.path("missing.sieve");
    for script in [&broken, &erroring, &missing] {
        let output = deliver(&[Path::new("--maildir"), &maildir, script], &[], PLAIN);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(stderr(&output).contains("note="), "{}", stderr(&output));
    }
    assert_eq!(messages_in(&maildir).len(), 3);
    assert!(!maildir.join(".Elsewhere").exists());
}

#[test]
fn a_write_failure_exits_75_and_leaves_nothing_behind() {
    let scratch = Scratch::new("writefail");
    // A Maildir under a regular file cannot be created: the write fails.
    let blocker = scratch.path("not-a-folder");
    fs::write(&blocker, b"x").expect("file written");
    let maildir = blocker.join("Maildir");
    let copy = scratch.script(
        "copy.sieve",
        "require [\"fileinto\", \"copy\"];\nfileinto :copy :create \"Copy\";\n",
    );
    let output = deliver(&[Path::new("--maildir"), &maildir, &copy], &[], PLAIN);
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("status=deferred"),
        "{}",
        stderr(&output)
    );

    // A store that succeeds before one that fails is undone, so the
    // MTA's retry does not double it.
    let maildir = scratch.path("Maildir");
    fs::create_dir_all(maildir.join(".Copy")).expect("folder");
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(maildir.join(".Copy").join(sub)).expect("folder");
    }
    fs::write(maildir.join("cur"), b"blocks INBOX").expect("file written");
    let output = deliver(&[Path::new("--maildir"), &maildir, &copy], &[], PLAIN);
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(messages_in(&maildir.join(".Copy")).is_empty());
}

#[test]
fn global_and_personal_scripts_run_as_one_chain() {
    let scratch = Scratch::new("chain");
    let maildir = scratch.path("Maildir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = scratch.path("deliver.log");
    let global = root.join("scripts-examples/global-admin.sieve");
    let personal = root.join("scripts-examples/route-by-method.sieve");
    let cases = [
        ("samples/invitation-outlook.eml", ".Calendar.REQUEST"),
        ("samples/cancel-google.eml", ".Calendar.CANCEL"),
        ("samples/newsletter.eml", ""),
    ];
    for (sample, folder) in cases {
        let message = fs::read(root.join(sample)).expect("sample");
        let output = deliver(
            &[
                Path::new("--maildir"),
                &maildir,
                Path::new("--before"),
                &global,
                &personal,
                Path::new("--log"),
                &log,
            ],
            &[
                "--recipient",
                "bob@example.org",
                "--now",
                "2026-11-20T12:00:00Z",
            ],
            &message,
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{sample}: {}",
            stderr(&output)
        );
        let stored = messages_in(&maildir.join(folder));
        assert!(
            stored.iter().any(|path| {
                let text = fs::read_to_string(path).unwrap_or_default();
                text.contains("X-iMIP-Risk") || folder.is_empty()
            }),
            "{sample} not in {folder:?}: {stored:?}"
        );
    }
    let lines = fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(lines.contains("imip=yes method=REQUEST"), "{lines}");
    assert!(lines.contains("imip=no"), "{lines}");
}

/// `--syslog` sends the line to the local syslog; with no syslog socket
/// (as in a container) the line falls back to stderr rather than being lost.
#[test]
fn the_log_line_is_never_lost() {
    let scratch = Scratch::new("syslog");
    let maildir = scratch.path("Maildir");
    let output = deliver(&[Path::new("--maildir"), &maildir], &["--syslog"], PLAIN);
    assert_eq!(output.status.code(), Some(0));
    let has_syslog = ["/dev/log", "/var/run/syslog", "/var/run/log"]
        .iter()
        .any(|socket| Path::new(socket).exists());
    if !has_syslog {
        assert!(
            stderr(&output).contains("message-id=<plain-1@example.net>"),
            "{}",
            stderr(&output)
        );
    }
    let log = scratch.path("unwritable-dir/deliver.log");
    let output = deliver(
        &[Path::new("--maildir"), &maildir, Path::new("--log"), &log],
        &[],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("message-id=<plain-1@example.net>"));
}

// ---------------------------------------------------------------------------
// The calendar store: `--calendar DIR` (a vdir store) and `[caldav]`.

/// A reply from someone the stored copy of Q1 planning does not list.
fn crasher_reply() -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/validation/party-crash-reply.eml"),
    )
    .expect("fixture")
}

/// A script that makes the analysis run: it reads the stored copies.
fn quarantine(scratch: &Scratch) -> PathBuf {
    scratch.script(
        "quarantine.sieve",
        "require [\"imip\", \"fileinto\"];\nif imip :suspicious { fileinto \"Junk\"; }\n",
    )
}

/// `deliver` into the scratch's `Maildir` with `--calendar calendars`,
/// logging to the scratch's `deliver.log`.
fn deliver_to_calendar(
    scratch: &Scratch,
    calendars: &Path,
    script: &Path,
    extra: &[&str],
    message: &[u8],
) -> Output {
    let maildir = scratch.path("Maildir");
    let log = scratch.path("deliver.log");
    deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--calendar"),
            calendars,
            Path::new("--log"),
            &log,
            script,
        ],
        extra,
        message,
    )
}

fn deliver_log(scratch: &Scratch) -> String {
    fs::read_to_string(scratch.path("deliver.log")).unwrap_or_default()
}

#[test]
fn a_vdir_root_is_the_calendar_store() {
    let scratch = Scratch::new("vdir");
    let maildir = scratch.path("Maildir");
    let calendars = scratch.path("calendars");
    fs::create_dir_all(calendars.join("work")).expect("calendar folder");
    fs::create_dir_all(calendars.join("home")).expect("calendar folder");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calendar-store/q1-planning.ics"),
        calendars.join("work/q1-planning.ics"),
    )
    .expect("stored event copied");
    let output = deliver_to_calendar(
        &scratch,
        &calendars,
        &quarantine(&scratch),
        &["--now", "2026-11-20T12:00:00Z", "--create-folders"],
        &crasher_reply(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let line = deliver_log(&scratch);
    assert!(line.contains("reasons=party-crash"), "{line}");
    assert_eq!(messages_in(&maildir.join(".Junk")).len(), 1);

    // The same folder for `analyze`: read as a vdir root.
    let analyzed = Command::new(env!("CARGO_BIN_EXE_sieve-imip"))
        .args([
            "analyze",
            "--json",
            "--now",
            "2026-11-20T12:00:00Z",
            "--calendar",
        ])
        .arg(&calendars)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/validation/party-crash-reply.eml"),
        )
        .output()
        .expect("sieve-imip runs");
    assert!(
        String::from_utf8_lossy(&analyzed.stdout).contains("\"party-crash\""),
        "{}",
        stderr(&analyzed)
    );

    // A folder holding items and calendar folders at once is refused: the
    // MTA retries until the administrator sorts it out.
    fs::copy(
        calendars.join("work/q1-planning.ics"),
        calendars.join("stray.ics"),
    )
    .expect("stray file");
    let output = deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--calendar"),
            &calendars,
        ],
        &[],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(stderr(&output).contains("holds .ics files and calendar folders"));
}

/// A port on 127.0.0.1 that nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn caldav_config(scratch: &Scratch, extra: &str) -> PathBuf {
    fs::write(scratch.path("password"), "secret\n").expect("password file");
    scratch.script(
        "caldav.toml",
        &format!(
            "recipients = [\"alice@example.com\"]\nnow = 2026-11-20T12:00:00Z\n\n[caldav]\nurl = \"http://127.0.0.1:{}/alice/\"\nuser = \"alice\"\npassword_file = \"password\"\n{extra}",
            closed_port()
        ),
    )
}

#[test]
fn an_unreachable_caldav_server_delivers_and_logs_the_reason() {
    let scratch = Scratch::new("caldav-down");
    let maildir = scratch.path("Maildir");
    let log = scratch.path("deliver.log");
    let config = caldav_config(&scratch, "");
    let output = deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--config"),
            &config,
            Path::new("--log"),
            &log,
            &quarantine(&scratch),
        ],
        &[],
        &crasher_reply(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let line = deliver_log(&scratch);
    // Without the stored copy the crash is not seen: the reply is kept.
    assert_eq!(messages_in(&maildir).len(), 1, "{line}");
    assert!(line.contains("status=delivered"), "{line}");
    assert!(
        line.contains("calendar store unavailable: PROPFIND http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains("delivered without the calendar step"),
        "{line}"
    );
}

#[test]
fn a_required_caldav_server_that_is_down_defers_the_message() {
    let scratch = Scratch::new("caldav-required");
    let maildir = scratch.path("Maildir");
    let log = scratch.path("deliver.log");
    // Found when the store is opened (the home is listed)...
    let config = caldav_config(&scratch, "required = true\n");
    let output = deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--config"),
            &config,
            Path::new("--log"),
            &log,
            &quarantine(&scratch),
        ],
        &[],
        &crasher_reply(),
    );
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(messages_in(&maildir).is_empty());
    let line = deliver_log(&scratch);
    assert!(
        line.contains("message-id=<q1-crash-1@crasher.example> status=deferred"),
        "{line}"
    );
    assert!(
        line.contains("reason=\"calendar store unavailable: PROPFIND"),
        "{line}"
    );

    // ...or, with the calendars named (nothing is sent at opening), when
    // the validation reads the stored copy.
    let config = caldav_config(&scratch, "required = true\ncalendars = [\"work\"]\n");
    let output = deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--config"),
            &config,
            Path::new("--log"),
            &log,
            &quarantine(&scratch),
        ],
        &[],
        &crasher_reply(),
    );
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(messages_in(&maildir).is_empty());
    let line = deliver_log(&scratch);
    assert!(
        line.contains("reason=\"calendar store unavailable: REPORT"),
        "{line}"
    );

    // Plain mail reads no stored copy: delivered while the server is down.
    let output = deliver(
        &[
            Path::new("--maildir"),
            &maildir,
            Path::new("--config"),
            &config,
            &quarantine(&scratch),
        ],
        &[],
        PLAIN,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(messages_in(&maildir).len(), 1);
}

/// Alice's invitation to bob, at `sequence`, starting at `start`.
fn invitation(sequence: u32, stamp: &str, start: &str) -> Vec<u8> {
    let calendar = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example//Organizer//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:standup@example.com",
        &format!("SEQUENCE:{sequence}"),
        &format!("DTSTAMP:{stamp}"),
        &format!("DTSTART:{start}"),
        "DURATION:PT30M",
        "SUMMARY:Stand-up",
        "ORGANIZER;CN=Alice:mailto:alice@example.com",
        "ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:alice@example.com",
        "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n");
    format!(
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Stand-up\r\n\
         Date: Fri, 20 Nov 2026 11:00:00 +0000\r\nMessage-ID: <standup-{sequence}-{stamp}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n{calendar}"
    )
    .into_bytes()
}

#[test]
fn processcalendar_writes_the_vdir_store_and_the_log_says_what_it_did() {
    let scratch = Scratch::new("processcalendar");
    let maildir = scratch.path("Maildir");
    let calendars = scratch.path("calendars");
    fs::create_dir_all(calendars.join("personal")).expect("calendar folder");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts-examples/auto-process.sieve");
    let run = |message: &[u8]| {
        let output = deliver_to_calendar(
            &scratch,
            &calendars,
            &script,
            &[
                "--now",
                "2026-11-20T12:00:00Z",
                "--recipient",
                "bob@example.org",
            ],
            message,
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        deliver_log(&scratch)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned()
    };
    let stored = || fs::read_to_string(calendars.join("personal/standup@example.com.ics"));

    let line = run(&invitation(0, "20261120T080000Z", "20261201T090000Z"));
    assert!(line.contains(" processcalendar=added"), "{line}");
    assert!(!line.contains("processcalendar-reason"), "{line}");
    let text = stored().expect("the invitation is in the calendar folder");
    assert!(text.contains("DTSTART:20261201T090000Z"), "{text}");

    let line = run(&invitation(1, "20261120T090000Z", "20261201T100000Z"));
    assert!(line.contains(" processcalendar=updated"), "{line}");
    assert!(stored()
        .unwrap_or_default()
        .contains("DTSTART:20261201T100000Z"));

    // The first invitation again, late: refused, and the reason is logged.
    let line = run(&invitation(0, "20261120T080000Z", "20261201T090000Z"));
    assert!(line.contains(" processcalendar=no_action"), "{line}");
    assert!(line.contains("processcalendar-reason=\""), "{line}");
    assert!(stored()
        .unwrap_or_default()
        .contains("DTSTART:20261201T100000Z"));

    // The action never costs the message: each is filed by its outcome.
    assert_eq!(messages_in(&maildir.join(".Calendar.Processed")).len(), 2);
    assert_eq!(messages_in(&maildir.join(".Calendar.Unprocessed")).len(), 1);
    // A local store is no server: no round trips are counted.
    assert!(!line.contains("calendar-round-trips"), "{line}");
}
