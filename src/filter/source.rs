//! Where the messages come from: one message file, a folder of message
//! files, a Maildir or an mbox file, told apart by what is there unless the
//! caller names the format. The Maildir and mbox readers are mail-parser's
//! own (`mail_parser::mailbox`); this file only names each message and
//! makes sure that nothing it could not read goes unlisted.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use mail_parser::mailbox::{maildir, mbox};
use serde::Serialize;

/// How a PATH is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One RFC 5322 message.
    File,
    /// A folder whose files are messages, one each (not recursed).
    Dir,
    /// A Maildir: the messages in its `cur/` and `new/` (Maildir++
    /// sub-folders `.Name` are not recursed; pass them as PATHs).
    Maildir,
    /// An mbox file: messages after `From ` separator lines (mboxo/mboxrd
    /// `>From ` quoting undone).
    Mbox,
}

impl Format {
    /// The name used by `--format` and in reports: `file`, `dir`,
    /// `maildir`, `mbox`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::File => "file",
            Format::Dir => "dir",
            Format::Maildir => "maildir",
            Format::Mbox => "mbox",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--format` value that is none of `file`, `dir`, `maildir`, `mbox`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}: expected file, dir, maildir or mbox")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Format, UnknownFormat> {
        match name {
            "file" => Ok(Format::File),
            "dir" => Ok(Format::Dir),
            "maildir" => Ok(Format::Maildir),
            "mbox" => Ok(Format::Mbox),
            other => Err(UnknownFormat(other.to_string())),
        }
    }
}

/// Why a PATH cannot be used at all (the run does not start).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Nothing is at the path.
    #[error("{}: no such file or folder", path.display())]
    Missing {
        /// The path as given.
        path: PathBuf,
    },
    /// The path exists but could not be examined.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A forced format that does not fit: a folder format on a file, or a
    /// file format on a folder.
    #[error("{}: is {}, so it cannot be read as {format}", path.display(), if *is_dir { "a folder" } else { "a file" })]
    FormatMismatch {
        /// The path as given.
        path: PathBuf,
        /// The format asked for.
        format: Format,
        /// True when the path is a folder.
        is_dir: bool,
    },
}

/// One PATH to filter, with the format it is read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    path: PathBuf,
    format: Format,
}

impl Input {
    /// Examine `path`: with `forced`, check it fits; otherwise detect the
    /// format (a folder with `cur/` and `new/` is a Maildir, any other
    /// folder a folder of messages; a file whose first bytes are `From `
    /// is an mbox, any other file one message).
    pub fn open(path: impl Into<PathBuf>, forced: Option<Format>) -> Result<Input, SourceError> {
        let path = path.into();
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(SourceError::Missing { path })
            }
            Err(source) => return Err(SourceError::Unreadable { path, source }),
        };
        let is_dir = metadata.is_dir();
        let format = match forced {
            Some(format) => {
                let wants_dir = matches!(format, Format::Dir | Format::Maildir);
                if wants_dir != is_dir {
                    return Err(SourceError::FormatMismatch {
                        path,
                        format,
                        is_dir,
                    });
                }
                format
            }
            None if is_dir => {
                if path.join("cur").is_dir() && path.join("new").is_dir() {
                    Format::Maildir
                } else {
                    Format::Dir
                }
            }
            // An unreadable file is still a message to list as failed, so
            // detection falls back to `file` rather than refusing the run.
            None => match starts_with_from_line(&path) {
                Ok(true) => Format::Mbox,
                Ok(false) | Err(_) => Format::File,
            },
        };
        Ok(Input { path, format })
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format it is read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// About how many messages the input holds, for a progress bar: the
    /// files of a folder or Maildir, the `From ` lines of an mbox. Reads
    /// an mbox once more, so call it only when the number is shown.
    pub fn estimate_messages(&self) -> u64 {
        let count_files = |dir: &Path| {
            fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| !entry.file_type().is_ok_and(|kind| kind.is_dir()))
                    .count() as u64
            })
        };
        match self.format {
            Format::File => 1,
            Format::Dir => count_files(&self.path),
            Format::Maildir => count_files(&self.path.join("cur"))
                .saturating_add(count_files(&self.path.join("new"))),
            Format::Mbox => fs::File::open(&self.path).map_or(0, |file| {
                BufReader::new(file)
                    .split(b'\n')
                    .map_while(Result::ok)
                    .filter(|line| line.starts_with(b"From "))
                    .count() as u64
            }),
        }
    }
}

fn starts_with_from_line(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 5];
    let mut file = fs::File::open(path)?;
    let mut filled = 0;
    while let Some(rest) = head.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match file.read(rest)? {
            0 => break,
            read => filled = filled.saturating_add(read),
        }
    }
    Ok(head.get(..filled) == Some(b"From ".as_slice()))
}

/// Which message a result is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A message file (given as PATH, in a folder or in a Maildir).
    File(PathBuf),
    /// The `ordinal`-th message of an mbox, counted from 1; ordinal 0 stands
    /// for bytes before the first `From ` line.
    Mbox {
        /// The mbox file.
        path: PathBuf,
        /// Position in the file, from 1.
        ordinal: u64,
    },
    /// A whole input, for what cannot be pinned to one message (a folder
    /// that could not be listed).
    Input(PathBuf),
}

impl fmt::Display for Source {
    /// The path, or `PATH#N` for the N-th message of an mbox.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) | Source::Input(path) => write!(f, "{}", path.display()),
            Source::Mbox { path, ordinal } => write!(f, "{}#{ordinal}", path.display()),
        }
    }
}

/// The raw bytes of one message, owned the way its reader produced them
/// (an mbox message is kept whole rather than copied out).
pub(crate) enum Payload {
    Bytes(Vec<u8>),
    Mbox(mbox::Message),
}

impl Payload {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Payload::Bytes(bytes) => bytes,
            Payload::Mbox(message) => message.contents(),
        }
    }
}

/// One message read, or why it could not be.
pub(crate) struct Item {
    pub(crate) source: Source,
    pub(crate) payload: Result<Payload, String>,
}

/// Hand every message of `input` to `each`, in the reader's order, until
/// it answers `Break`. Read errors become items too: nothing is skipped
/// silently except sub-folders and dot-files of a folder, and entries of a
/// Maildir that are not files.
pub(crate) fn read_messages(
    input: &Input,
    each: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match input.format {
        Format::File => each(Item {
            source: Source::File(input.path.clone()),
            payload: fs::read(&input.path)
                .map(Payload::Bytes)
                .map_err(|error| error.to_string()),
        }),
        Format::Dir => read_folder(&input.path, each),
        Format::Maildir => read_maildir(&input.path, each),
        Format::Mbox => read_mbox(&input.path, each),
    }
}

fn input_failure(path: &Path, detail: String) -> Item {
    Item {
        source: Source::Input(path.to_path_buf()),
        payload: Err(detail),
    }
}

fn read_folder(dir: &Path, each: &mut dyn FnMut(Item) -> ControlFlow<()>) -> ControlFlow<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => return each(input_failure(dir, format!("cannot list: {error}"))),
    };
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                // A symlink is followed when read, so a dangling one is
                // listed as unreadable rather than skipped.
                let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
                if !hidden && !is_dir {
                    files.push(entry.path());
                }
            }
            Err(error) => each(input_failure(dir, format!("cannot list: {error}")))?,
        }
    }
    files.sort();
    for path in files {
        let payload = fs::read(&path)
            .map(Payload::Bytes)
            .map_err(|error| error.to_string());
        each(Item {
            source: Source::File(path),
            payload,
        })?;
    }
    ControlFlow::Continue(())
}

fn read_maildir(dir: &Path, each: &mut dyn FnMut(Item) -> ControlFlow<()>) -> ControlFlow<()> {
    let messages = match maildir::MessageIterator::new(dir) {
        Ok(messages) => messages,
        Err(error) => return each(input_failure(dir, error.to_string())),
    };
    let mut yielded = HashSet::new();
    let mut errors = Vec::new();
    for message in messages {
        match message {
            Ok(message) => {
                let path = message.path().to_path_buf();
                yielded.insert(path.clone());
                each(Item {
                    source: Source::File(path),
                    payload: Ok(Payload::Bytes(message.unwrap_contents())),
                })?;
            }
            Err(error) => errors.push(error.to_string()),
        }
    }
    if errors.is_empty() {
        return ControlFlow::Continue(());
    }
    // mail-parser's error does not say which file it could not read; the
    // files it did not hand over are those, in the same directory order.
    let mut unread = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(entries) = fs::read_dir(dir.join(sub)) {
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if !hidden && path.is_file() && !yielded.contains(&path) {
                    unread.push(path);
                }
            }
        }
    }
    if unread.len() == errors.len() {
        for (path, error) in unread.into_iter().zip(errors) {
            each(Item {
                source: Source::File(path),
                payload: Err(error),
            })?;
        }
    } else {
        for error in errors {
            each(input_failure(
                dir,
                format!("a message could not be read: {error}"),
            ))?;
        }
    }
    ControlFlow::Continue(())
}

fn read_mbox(path: &Path, each: &mut dyn FnMut(Item) -> ControlFlow<()>) -> ControlFlow<()> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            return each(Item {
                source: Source::Mbox {
                    path: path.to_path_buf(),
                    ordinal: 1,
                },
                payload: Err(error.to_string()),
            })
        }
    };
    read_mbox_from(path, file, each)
}

/// The messages of the mbox `path` as `reader` gives its bytes (a file,
/// or bytes in memory for the fuzzer), handed to `each` as [`read_messages`]
/// does; `path` only names them.
pub(crate) fn read_mbox_from(
    path: &Path,
    reader: impl Read,
    each: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    // mail-parser's reader drops what comes before the first `From ` line;
    // read it here so that it is listed, not lost.
    let mut preamble = Vec::new();
    let mut first_from = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) if line.starts_with(b"From ") => {
                first_from = line;
                break;
            }
            Ok(_) => preamble.extend_from_slice(&line),
            Err(error) => {
                return each(Item {
                    source: Source::Mbox {
                        path: path.to_path_buf(),
                        ordinal: 0,
                    },
                    payload: Err(error.to_string()),
                })
            }
        }
    }
    if !preamble.iter().all(u8::is_ascii_whitespace) {
        each(Item {
            source: Source::Mbox {
                path: path.to_path_buf(),
                ordinal: 0,
            },
            payload: Err(format!(
                "{} bytes before the first \"From \" line belong to no message",
                preamble.len()
            )),
        })?;
    }
    let rest = io::Cursor::new(first_from).chain(reader);
    for (ordinal, message) in (1u64..).zip(mbox::MessageIterator::new(rest)) {
        let source = Source::Mbox {
            path: path.to_path_buf(),
            ordinal,
        };
        match message {
            Ok(message) => each(Item {
                source,
                payload: Ok(Payload::Mbox(message)),
            })?,
            Err(error) => {
                // The reader cannot resynchronise after an I/O error.
                return each(Item {
                    source,
                    payload: Err(format!("reading stopped here: {error}")),
                });
            }
        }
    }
    ControlFlow::Continue(())
}
