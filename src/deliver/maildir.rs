//! Storing a message in a Maildir (the layout of cr.yp.to/proto/maildir)
//! with Maildir++ folders (`DIR/.A.B` for `A/B`), as Dovecot and Courier
//! read them.
//!
//! A message is written under `tmp/`, synced, then renamed into `new/` (or
//! into `cur/` with its flags as Maildir info), so a reader never sees half
//! a message, and a failed write leaves nothing in `new/`. No kept crate
//! writes Maildir++ folders with info flags and the sync-then-rename
//! protocol (the `maildir` crate writes no folders and does not sync), so it
//! is written here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a message could not be stored where it was asked to go.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder name cannot be a Maildir++ folder (empty part, a dot, a
    /// control character...).
    #[error("folder {0:?} is not a valid Maildir++ folder name")]
    InvalidFolder(String),
    /// The folder does not exist and may not be created.
    #[error("folder {0:?} does not exist (use fileinto :create, or --create-folders)")]
    NoSuchFolder(String),
    /// Reading or writing the Maildir failed (disk full, permissions...).
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// A Maildir: the INBOX at its root, Maildir++ folders beside.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
}

/// Distinguishes the messages one process stores in the same microsecond.
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

impl Maildir {
    /// The Maildir at `root` (created with its `tmp`, `new`, `cur` on the
    /// first delivery when missing).
    pub fn new(root: impl Into<PathBuf>) -> Maildir {
        Maildir { root: root.into() }
    }

    /// Where the folder named `folder` (Sieve names, `/`-separated; `None`
    /// or `INBOX` for the INBOX) lives.
    pub fn folder_path(&self, folder: Option<&str>) -> Result<PathBuf, StoreError> {
        let Some(folder) = folder.filter(|name| !name.eq_ignore_ascii_case("INBOX")) else {
            return Ok(self.root.clone());
        };
        let invalid = || StoreError::InvalidFolder(folder.to_owned());
        let mut name = String::from(".");
        for (index, part) in folder.split('/').enumerate() {
            let bad = part.is_empty()
                || part.starts_with('.')
                || part.contains(['.', '\\'])
                || part.chars().any(char::is_control);
            if bad {
                return Err(invalid());
            }
            if index > 0 {
                name.push('.');
            }
            name.push_str(part);
        }
        Ok(self.root.join(name))
    }

    /// Store `message` in `folder` with these IMAP flags; `create` makes a
    /// missing folder. Returns the path of the stored file.
    pub fn store(
        &self,
        folder: Option<&str>,
        flags: &[String],
        message: &[u8],
        create: bool,
    ) -> Result<PathBuf, StoreError> {
        let dir = self.folder_path(folder)?;
        let is_inbox = dir == self.root;
        if !dir.join("cur").is_dir() {
            if !(create || is_inbox) {
                return Err(StoreError::NoSuchFolder(
                    folder.unwrap_or("INBOX").to_owned(),
                ));
            }
            for sub in ["tmp", "new", "cur"] {
                let path = dir.join(sub);
                fs::create_dir_all(&path).map_err(|source| StoreError::Io { path, source })?;
            }
            if !is_inbox {
                // Maildir++: a folder is a Maildir marked with this file.
                let marker = dir.join("maildirfolder");
                File::create(&marker).map_err(|source| StoreError::Io {
                    path: marker,
                    source,
                })?;
            }
        }
        let unique = unique_name();
        let tmp = dir.join("tmp").join(&unique);
        write_synced(&tmp, message).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })?;
        let info = info_flags(flags);
        let target = if info.is_empty() {
            dir.join("new").join(&unique)
        } else {
            dir.join("cur").join(format!("{unique}:2,{info}"))
        };
        fs::rename(&tmp, &target).map_err(|source| {
            let _ = fs::remove_file(&tmp);
            StoreError::Io {
                path: target.clone(),
                source,
            }
        })?;
        // The rename is durable once the directory entry is.
        if let Some(parent) = target.parent() {
            if let Ok(directory) = File::open(parent) {
                let _ = directory.sync_all();
            }
        }
        Ok(target)
    }
}

fn write_synced(path: &Path, message: &[u8]) -> Result<(), StoreError> {
    let io_error = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_error)?;
    file.write_all(message).map_err(io_error)?;
    file.sync_all().map_err(io_error)
}

/// `SECONDS.M<micros>P<pid>Q<n>.HOST`, unique per delivery on this host.
fn unique_name() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let sequence = DELIVERIES.fetch_add(1, Ordering::Relaxed);
    let host = hostname();
    format!(
        "{}.M{}P{}Q{sequence}.{host}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id()
    )
}

/// The host name with `/` and `:` encoded as the Maildir spec asks.
fn hostname() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_else(|_| "localhost".to_owned());
    name.trim().replace('/', "\\057").replace(':', "\\072")
}

/// The Maildir info letters of the IMAP system flags, in ASCII order.
/// Keywords have no letter in plain Maildir and are left out.
pub fn info_flags(flags: &[String]) -> String {
    let mut letters: Vec<char> = flags
        .iter()
        .filter_map(|flag| match flag.to_ascii_lowercase().as_str() {
            "\\seen" => Some('S'),
            "\\answered" => Some('R'),
            "\\flagged" => Some('F'),
            "\\deleted" => Some('T'),
            "\\draft" => Some('D'),
            _ => None,
        })
        .collect();
    letters.sort_unstable();
    letters.dedup();
    letters.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_maildir(name: &str) -> (PathBuf, Maildir) {
        let root =
            std::env::temp_dir().join(format!("sieve-imip-maildir-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        (root.clone(), Maildir::new(root))
    }

    #[test]
    fn folders_map_to_maildir_plus_plus_names() {
        let maildir = Maildir::new("/m");
        assert_eq!(maildir.folder_path(None).ok(), Some(PathBuf::from("/m")));
        assert_eq!(
            maildir.folder_path(Some("inbox")).ok(),
            Some(PathBuf::from("/m"))
        );
        assert_eq!(
            maildir.folder_path(Some("Calendar/REQUEST")).ok(),
            Some(PathBuf::from("/m/.Calendar.REQUEST"))
        );
        for bad in ["", "a//b", "../x", ".hidden", "a.b", "a\nb", "a\\b", "/x"] {
            assert!(
                matches!(
                    maildir.folder_path(Some(bad)),
                    Err(StoreError::InvalidFolder(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn system_flags_become_info_letters() {
        let flags = ["\\Seen", "\\Flagged", "$Label1", "\\seen", "\\Answered"].map(String::from);
        assert_eq!(info_flags(&flags), "FRS");
        assert_eq!(info_flags(&[]), "");
    }

    #[test]
    fn stores_in_new_or_cur_and_creates_folders_only_when_asked() {
        let (root, maildir) = temp_maildir("store");
        let inbox = maildir.store(None, &[], b"Subject: a\r\n\r\nx\r\n", false);
        let inbox = inbox.expect("INBOX is created");
        assert!(inbox.starts_with(root.join("new")));
        assert_eq!(
            fs::read(&inbox).ok().as_deref(),
            Some(&b"Subject: a\r\n\r\nx\r\n"[..])
        );

        let missing = maildir.store(Some("Work"), &[], b"x", false);
        assert!(matches!(missing, Err(StoreError::NoSuchFolder(_))));
        let seen = maildir.store(Some("Work"), &["\\Seen".to_owned()], b"x", true);
        let seen = seen.expect("created with :create");
        assert!(seen.starts_with(root.join(".Work").join("cur")));
        assert!(seen.to_string_lossy().ends_with(":2,S"));
        assert!(root.join(".Work").join("maildirfolder").exists());
        let tmp_left = fs::read_dir(root.join("tmp"))
            .map(|dir| dir.count())
            .unwrap_or(0);
        assert_eq!(tmp_left, 0);
        let _ = fs::remove_dir_all(&root);
    }
}
