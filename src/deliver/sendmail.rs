//! Sending through a sendmail-compatible command (Postfix's, Exim's,
//! msmtp...): `COMMAND... -i -f SENDER -- RECIPIENT`, the message on stdin.

use std::io::Write;
use std::process::{Command, Stdio};

/// Why a message could not be handed to the command.
#[derive(Debug, thiserror::Error)]
pub enum SendmailError {
    /// The command could not be started or fed.
    #[error("{command}: {source}")]
    Io {
        /// The program.
        command: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The command exited with a failure.
    #[error("{command} exited with {status}: {stderr}")]
    Failed {
        /// The program.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it said on stderr.
        stderr: String,
    },
    /// An address that would be read as an option, or holds a line break.
    #[error("{0:?} cannot be passed to sendmail as an address")]
    UnsafeAddress(String),
}

/// A sendmail-compatible command line: the program and its own arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sendmail {
    command: Vec<String>,
}

impl Sendmail {
    /// The command split on white space (`/usr/sbin/sendmail`,
    /// `msmtp -a work`); `None` when empty.
    pub fn parse(command_line: &str) -> Option<Sendmail> {
        let command: Vec<String> = command_line.split_whitespace().map(str::to_owned).collect();
        (!command.is_empty()).then_some(Sendmail { command })
    }

    /// Hand `message` to the command for `recipient`, with `sender` as the
    /// envelope sender (empty: the null sender `<>`).
    pub fn send(&self, sender: &str, recipient: &str, message: &[u8]) -> Result<(), SendmailError> {
        for address in [sender, recipient] {
            if address.starts_with('-') || address.contains(['\r', '\n']) {
                return Err(SendmailError::UnsafeAddress(address.to_owned()));
            }
        }
        let (program, arguments) = match self.command.split_first() {
            Some(split) => split,
            None => return Err(SendmailError::UnsafeAddress(recipient.to_owned())),
        };
        let io_error = |source| SendmailError::Io {
            command: program.clone(),
            source,
        };
        let mut child = Command::new(program)
            .args(arguments)
            .args(["-i", "-f", sender, "--", recipient])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io_error)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(message).map_err(io_error)?;
        }
        let output = child.wait_with_output().map_err(io_error)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(SendmailError::Failed {
                command: program.clone(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }
}
