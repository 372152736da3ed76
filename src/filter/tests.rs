//! Reading sources and adding up results, without the binary.

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::source::read_messages;
use super::*;
use crate::engine::Action;
use crate::finding::Reason;

/// A folder under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!(
            "sieve-imip-filter-unit-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("temp dir");
        Scratch(path)
    }

    fn join(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// (source, bytes or error) of every item the reader hands over.
fn read_all(input: &Input) -> Vec<(String, Result<Vec<u8>, String>)> {
    let mut items = Vec::new();
    let _ = read_messages(input, &mut |item| {
        let payload = item.payload.map(|payload| payload.bytes().to_vec());
        items.push((item.source.to_string(), payload));
        ControlFlow::Continue(())
    });
    items
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn detects_the_format_from_what_is_there() {
    let scratch = Scratch::new("detect");
    fs::create_dir_all(scratch.join("md/cur")).expect("cur");
    fs::create_dir_all(scratch.join("md/new")).expect("new");
    fs::create_dir_all(scratch.join("only-cur/cur")).expect("cur");
    fs::write(
        scratch.join("box"),
        b"From a@b Fri Nov 20 08:00:00 2026\nX: y\n\n",
    )
    .expect("mbox");
    fs::write(scratch.join("msg"), b"From: a@b\nSubject: x\n\nhi\n").expect("message");
    fs::write(scratch.join("tiny"), b"From").expect("short");
    fs::write(scratch.join("empty"), b"").expect("empty");

    let format = |name: &str| Input::open(scratch.join(name), None).map(|input| input.format());
    assert_eq!(format("md").ok(), Some(Format::Maildir));
    assert_eq!(format("only-cur").ok(), Some(Format::Dir));
    assert_eq!(format("box").ok(), Some(Format::Mbox));
    assert_eq!(format("msg").ok(), Some(Format::File), "From: is a header");
    assert_eq!(format("tiny").ok(), Some(Format::File));
    assert_eq!(format("empty").ok(), Some(Format::File));
    assert!(matches!(format("absent"), Err(SourceError::Missing { .. })));

    let forced = |name: &str, format: Format| Input::open(scratch.join(name), Some(format));
    assert_eq!(
        forced("msg", Format::Mbox).map(|input| input.format()).ok(),
        Some(Format::Mbox)
    );
    assert_eq!(
        forced("md", Format::Dir).map(|input| input.format()).ok(),
        Some(Format::Dir)
    );
    assert!(matches!(
        forced("msg", Format::Maildir),
        Err(SourceError::FormatMismatch { is_dir: false, .. })
    ));
    assert!(matches!(
        forced("md", Format::File),
        Err(SourceError::FormatMismatch { is_dir: true, .. })
    ));

    assert_eq!("maildir".parse::<Format>(), Ok(Format::Maildir));
    assert_eq!(
        "tar".parse::<Format>(),
        Err(UnknownFormat("tar".to_string()))
    );
    for format in [Format::File, Format::Dir, Format::Maildir, Format::Mbox] {
        assert_eq!(format.as_str().parse::<Format>(), Ok(format));
    }
}

#[test]
fn mbox_messages_are_numbered_and_unquoted() {
    let scratch = Scratch::new("mbox");
    let path = scratch.join("box");
    fs::write(
        &path,
        b"From a@b Fri Nov 20 08:00:00 2026\nSubject: one\n\n>From the start\n\n\
          From c@d Fri Nov 20 08:00:01 2026\nSubject: two\n\nbody\n",
    )
    .expect("mbox");
    let input = Input::open(&path, None).expect("input");
    assert_eq!(input.estimate_messages(), 2);
    let items = read_all(&input);
    let box_path = display(&path);
    assert_eq!(
        items,
        [
            (
                format!("{box_path}#1"),
                Ok(b"Subject: one\n\nFrom the start\n\n".to_vec())
            ),
            (
                format!("{box_path}#2"),
                Ok(b"Subject: two\n\nbody\n".to_vec())
            ),
        ]
    );
}

#[test]
fn mbox_preamble_is_listed_and_whitespace_is_not() {
    let scratch = Scratch::new("preamble");
    let path = scratch.join("box");
    fs::write(&path, b"junk\nFrom a@b x\nSubject: one\n").expect("mbox");
    let input = Input::open(&path, Some(Format::Mbox)).expect("input");
    let items = read_all(&input);
    let box_path = display(&path);
    assert_eq!(
        items,
        [
            (
                format!("{box_path}#0"),
                Err("5 bytes before the first \"From \" line belong to no message".to_string())
            ),
            (format!("{box_path}#1"), Ok(b"Subject: one\n".to_vec())),
        ]
    );

    fs::write(&path, b"\n\nFrom a@b x\nSubject: one\n").expect("mbox");
    assert_eq!(read_all(&input).len(), 1, "blank lines are no message");

    fs::write(&path, b"only junk, no From line\n").expect("mbox");
    assert_eq!(
        read_all(&input),
        [(
            format!("{box_path}#0"),
            Err("24 bytes before the first \"From \" line belong to no message".to_string())
        )]
    );
}

#[test]
fn folder_skips_subfolders_and_dot_files_and_lists_what_it_cannot_read() {
    let scratch = Scratch::new("folder");
    let dir = scratch.join("dir");
    fs::create_dir_all(dir.join("sub")).expect("sub");
    fs::write(dir.join("b.eml"), b"Subject: b\n\n").expect("b");
    fs::write(dir.join("a.eml"), b"Subject: a\n\n").expect("a");
    fs::write(dir.join(".seen"), b"Subject: hidden\n\n").expect("hidden");
    fs::write(dir.join("sub/c.eml"), b"Subject: c\n\n").expect("c");
    std::os::unix::fs::symlink(dir.join("gone"), dir.join("dangling.eml")).expect("symlink");
    let input = Input::open(&dir, None).expect("input");
    assert_eq!(input.format(), Format::Dir);
    let items = read_all(&input);
    let sources: Vec<&str> = items.iter().map(|(source, _)| source.as_str()).collect();
    let expected: Vec<String> = ["a.eml", "b.eml", "dangling.eml"]
        .iter()
        .map(|name| display(&dir.join(name)))
        .collect();
    assert_eq!(sources, expected);
    assert!(items[2].1.is_err());
}

#[test]
fn maildir_reads_cur_and_new_but_not_subfolders() {
    let scratch = Scratch::new("maildir");
    let md = scratch.join("Maildir");
    for sub in ["cur", "new", "tmp", ".Sub/cur", ".Sub/new"] {
        fs::create_dir_all(md.join(sub)).expect("folder");
    }
    fs::write(md.join("cur/1:2,S"), b"Subject: one\n\n").expect("one");
    fs::write(md.join("new/2"), b"Subject: two\n\n").expect("two");
    fs::write(md.join("tmp/3"), b"Subject: half-delivered\n\n").expect("tmp");
    fs::write(md.join(".Sub/cur/4"), b"Subject: sub\n\n").expect("sub");
    let input = Input::open(&md, None).expect("input");
    assert_eq!(input.format(), Format::Maildir);
    assert_eq!(input.estimate_messages(), 2);
    let mut sources: Vec<String> = read_all(&input).into_iter().map(|(s, _)| s).collect();
    sources.sort();
    assert_eq!(
        sources,
        [display(&md.join("cur/1:2,S")), display(&md.join("new/2"))]
    );
}

/// mail-parser's Maildir reader does not say which file it could not read;
/// the reconciliation names it. Needs a user whom permissions stop.
#[test]
fn maildir_names_the_file_it_cannot_read() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("maildir-unreadable");
    let md = scratch.join("Maildir");
    for sub in ["cur", "new"] {
        fs::create_dir_all(md.join(sub)).expect("folder");
    }
    fs::write(md.join("cur/ok"), b"Subject: ok\n\n").expect("ok");
    let locked = md.join("cur/locked");
    fs::write(&locked, b"Subject: locked\n\n").expect("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    if fs::read(&locked).is_ok() {
        crate::test_support::skip_unless_required(
            "SIEVE_IMIP_REQUIRE_UNPRIVILEGED",
            "permissions do not stop this user (root) from reading a mode-000 file",
        );
        return;
    }
    let input = Input::open(&md, None).expect("input");
    let items = read_all(&input);
    assert_eq!(items.len(), 2);
    let failed: Vec<&String> = items
        .iter()
        .filter(|(_, payload)| payload.is_err())
        .map(|(source, _)| source)
        .collect();
    assert_eq!(failed, [&display(&locked)]);
}

#[test]
fn sources_sort_by_path_and_ordinal_and_display_as_documented() {
    let a = Source::Mbox {
        path: "box".into(),
        ordinal: 2,
    };
    let b = Source::Mbox {
        path: "box".into(),
        ordinal: 10,
    };
    assert!(a < b, "ordinals compare as numbers");
    assert_eq!(b.to_string(), "box#10");
    assert_eq!(Source::File("dir/x.eml".into()).to_string(), "dir/x.eml");
}

fn result(source: &str, actions: Vec<Action>, reasons: Vec<Reason>) -> MessageResult {
    MessageResult {
        source: Source::File(source.into()),
        actions,
        failure: None,
        imip: Some(!reasons.is_empty()),
        method: None,
        risk: Some(0),
        suspicious: Some(false),
        reasons,
    }
}

#[test]
fn summary_counts_messages_not_actions() {
    let keep = Action::Keep { flags: Vec::new() };
    let file = |folder: &str| Action::FileInto {
        folder: folder.into(),
        flags: Vec::new(),
        create: false,
        mailbox_id: None,
        special_use: None,
    };
    let mut failed = result("c", vec![keep.clone()], Vec::new());
    failed.failure = Some(MessageFailure::Unreadable {
        detail: "gone".into(),
    });
    let run = FilterRun {
        messages: vec![
            // Filed twice into one folder, and kept: one message each.
            result(
                "a",
                vec![file("Calendar"), file("Calendar"), keep.clone()],
                vec![Reason::Malformed, Reason::FarFuture],
            ),
            result("b", vec![keep.clone()], vec![Reason::Malformed]),
            failed,
        ],
        inputs: Vec::new(),
        uses_imip: true,
    };
    let summary = Summary::of(&run);
    assert_eq!(summary.messages, 3);
    assert_eq!(summary.failed, 1);
    assert!(!summary.all_processed());
    assert_eq!(summary.imip, Some(2));
    assert_eq!(summary.suspicious, Some(0));
    assert_eq!(
        summary.actions.into_iter().collect::<Vec<_>>(),
        [
            ("fileinto \"Calendar\"".to_string(), 1),
            ("keep".to_string(), 3)
        ]
    );
    assert_eq!(
        summary.reasons.into_iter().collect::<Vec<_>>(),
        [("far-future".to_string(), 1), ("malformed".to_string(), 2)]
    );
    assert_eq!(
        summary.failures,
        [FailureEntry {
            source: "c".into(),
            kind: "unreadable".into(),
            detail: "gone".into(),
        }]
    );
}

#[test]
fn summary_text_orders_by_count_and_omits_imip_for_plain_scripts() {
    let keep = Action::Keep { flags: Vec::new() };
    let discard = Action::Discard;
    let run = FilterRun {
        messages: vec![
            result("a", vec![discard.clone()], Vec::new()),
            result("b", vec![keep.clone()], Vec::new()),
            result("c", vec![keep], Vec::new()),
        ],
        inputs: vec![InputCount {
            path: "in".into(),
            format: Format::Dir,
            messages: 3,
        }],
        uses_imip: false,
    };
    assert_eq!(
        Summary::of(&run).to_text(),
        "3 messages: 3 processed, 0 failed\n\
         inputs\n  in (dir)        3\n\
         actions\n  keep            2\n  discard         1\n"
    );
    assert_eq!(
        Summary::of(&run).to_json_line(),
        r#"{"summary":{"messages":3,"failed":0,"imip":null,"suspicious":null,"actions":{"discard":1,"keep":2},"reasons":{},"failures":[],"inputs":[{"path":"in","format":"dir","messages":3}]}}"#
    );
}
