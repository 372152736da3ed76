//! A local delivery agent: one message, a chain of scripts, and the
//! actions carried out on a Maildir and a sendmail-compatible command, the
//! way `dovecot-lda` does for Pigeonhole.
//!
//! Nothing is lost: a script that cannot run, an analysis that fails, a
//! folder that cannot be used or a redirect that cannot be sent leaves the
//! message in INBOX with the reason in the log line; a write that fails
//! undoes what this delivery stored and asks the MTA to retry
//! ([`Status::TemporaryFailure`], exit code 75), so a retry never doubles a
//! message.
//!
//! The calendar step (`processcalendar` and the validation's reads of the
//! stored copies) goes through the store in the engine's configuration.
//! When that store fails meanwhile (a CalDAV server that cannot be
//! reached), the message is delivered and the failure logged, or, when the
//! [`CalendarStep`] is `required`, nothing is stored and the MTA is asked to
//! retry: either way nothing is lost.

mod maildir;
mod sendmail;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use maildir::{info_flags, Maildir, StoreError};
pub use sendmail::{Sendmail, SendmailError};

use crate::engine::{Action, CompiledScript, Engine, Envelope, Outcome};
use crate::store::FailureLog;

/// sendmail-style exit code for a message the MTA should retry later.
pub const EX_TEMPFAIL: i32 = 75;
/// sendmail-style exit code for a message refused for good (bounced).
pub const EX_NOPERM: i32 = 77;

/// Where and how messages are delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The user's Maildir; its root is INBOX.
    pub maildir: Maildir,
    /// Create a missing folder for every `fileinto`, not only with `:create`.
    pub create_folders: bool,
    /// The command `redirect` and `vacation` go through; without one they
    /// cannot be sent, and the message is kept in INBOX instead.
    pub sendmail: Option<Sendmail>,
    /// The calendar store's failure log, when the engine's configuration
    /// has a store: what decides whether a store failure defers the message.
    pub calendar: Option<CalendarStep>,
}

/// How a delivery treats the failures of the calendar store.
#[derive(Debug, Clone)]
pub struct CalendarStep {
    /// The log the store notes its failures in (`VdirStore::failures`,
    /// `CalDavStore::failures`).
    pub failures: Arc<FailureLog>,
    /// A failure defers the message (exit code 75) instead of being logged
    /// beside a delivered one.
    pub required: bool,
    /// The store's count of requests sent, when it talks to a server
    /// (`CalDavStore::round_trip_counter`): each delivery logs how many it
    /// cost.
    pub round_trips: Option<Arc<AtomicU64>>,
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Stored, sent or discarded as the scripts said (exit code 0).
    Delivered,
    /// The scripts refused the message (`reject`/`ereject`; exit code 77);
    /// the reason goes back to the sender.
    Rejected(String),
    /// Storing failed; nothing of this delivery was left behind, and the
    /// MTA should retry (exit code 75).
    TemporaryFailure(String),
}

impl Status {
    /// The sendmail-style exit code: 0, [`EX_NOPERM`] or [`EX_TEMPFAIL`].
    pub fn exit_code(&self) -> i32 {
        match self {
            Status::Delivered => 0,
            Status::Rejected(_) => EX_NOPERM,
            Status::TemporaryFailure(_) => EX_TEMPFAIL,
        }
    }
}

/// What one delivery did.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    /// How it ended.
    pub status: Status,
    /// The files stored, with the folder each went to (`INBOX` for keep).
    pub stored: Vec<(String, PathBuf)>,
    /// Addresses the message or a reply was sent to.
    pub sent: Vec<String>,
    /// Why something was not done as the scripts said (a failed script, a
    /// folder kept in INBOX instead, a redirect that could not be sent).
    pub notes: Vec<String>,
    /// The outcome of the script chain.
    pub outcome: Outcome,
    /// The message's Message-ID, for the log.
    pub message_id: Option<String>,
    /// The requests to the calendar server the scripts' run cost (the
    /// validation's lookups and `processcalendar`), when the store is a
    /// server.
    pub calendar_round_trips: Option<u64>,
}

impl DeliveryReport {
    /// One line for the log: message-id, status, actions, what the `imip`
    /// analysis found, what each `processcalendar` did (outcome and
    /// reason) and the calendar server requests the run cost.
    pub fn log_line(&self) -> String {
        let actions: Vec<String> = self
            .outcome
            .actions
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut line = format!(
            "message-id={} status={} actions=[{}]",
            self.message_id.as_deref().unwrap_or("-"),
            match &self.status {
                Status::Delivered => "delivered".to_owned(),
                Status::Rejected(_) => "rejected".to_owned(),
                Status::TemporaryFailure(_) => "deferred".to_owned(),
            },
            actions.join("; ")
        );
        match &self.outcome.analysis {
            Some(analysis) if analysis.is_imip() => {
                let mut reasons: Vec<&str> = Vec::new();
                for finding in analysis.findings() {
                    if !reasons.contains(&finding.reason.as_str()) {
                        reasons.push(finding.reason.as_str());
                    }
                }
                line.push_str(&format!(
                    " imip=yes method={} risk={} reasons={}",
                    analysis.method().unwrap_or("-"),
                    analysis.risk(),
                    if reasons.is_empty() {
                        "-".to_owned()
                    } else {
                        reasons.join(",")
                    }
                ));
            }
            Some(_) => line.push_str(" imip=no"),
            None => {}
        }
        for processed in &self.outcome.calendar {
            line.push_str(&format!(" processcalendar={}", processed.outcome.as_str()));
            if let Some(reason) = &processed.reason {
                line.push_str(&format!(
                    " processcalendar-reason=\"{}\"",
                    reason.replace('"', "'")
                ));
            }
        }
        if let Some(trips) = self.calendar_round_trips {
            line.push_str(&format!(" calendar-round-trips={trips}"));
        }
        let failure = self.outcome.failure.as_ref().map(|failure| {
            if failure.keeps_message() {
                format!("{failure}; message kept")
            } else {
                failure.to_string()
            }
        });
        for note in self.notes.iter().chain(failure.iter()) {
            line.push_str(&format!(" note=\"{}\"", note.replace('"', "'")));
        }
        if let Status::Rejected(reason) | Status::TemporaryFailure(reason) = &self.status {
            line.push_str(&format!(" reason=\"{}\"", reason.replace('"', "'")));
        }
        line
    }
}

impl Delivery {
    /// Note a problem that happened before the chain ran (a script that
    /// could not be read or compiled), so the log line carries it.
    pub fn deliver_noting(
        &self,
        engine: &Engine,
        chain: &[&CompiledScript],
        message: &[u8],
        envelope: &Envelope,
        earlier: Vec<String>,
    ) -> DeliveryReport {
        let mut report = self.deliver(engine, chain, message, envelope);
        let mut notes = earlier;
        notes.append(&mut report.notes);
        report.notes = notes;
        report
    }

    /// A delivery that does not run: the MTA is to retry `message` later
    /// (a required calendar store that cannot be opened, say).
    pub fn deferred(message: &[u8], reason: String) -> DeliveryReport {
        let message = without_mbox_from_line(message);
        DeliveryReport {
            status: Status::TemporaryFailure(reason),
            stored: Vec::new(),
            sent: Vec::new(),
            notes: Vec::new(),
            outcome: Outcome {
                actions: Vec::new(),
                failure: None,
                abandoned: Vec::new(),
                edited_message: None,
                analysis: None,
                calendar: Vec::new(),
            },
            message_id: message_id_of(message),
            calendar_round_trips: None,
        }
    }

    /// Run `chain` on `message` for `envelope` and carry out its actions.
    pub fn deliver(
        &self,
        engine: &Engine,
        chain: &[&CompiledScript],
        message: &[u8],
        envelope: &Envelope,
    ) -> DeliveryReport {
        let message = without_mbox_from_line(message);
        let mut notes = Vec::new();
        if let Some(step) = &self.calendar {
            // Failures of an earlier delivery by the same store are not this one's.
            step.failures.take();
        }
        let counter = self
            .calendar
            .as_ref()
            .and_then(|step| step.round_trips.as_ref());
        let trips_before = counter.map(|counter| counter.load(Ordering::Relaxed));
        let outcome = match engine.run_chain(chain, message, envelope) {
            Ok(outcome) => outcome,
            Err(error) => {
                notes.push(format!("{error}; the scripts did not run"));
                Outcome {
                    actions: vec![Action::Keep { flags: Vec::new() }],
                    failure: None,
                    abandoned: Vec::new(),
                    edited_message: None,
                    analysis: None,
                    calendar: Vec::new(),
                }
            }
        };
        let mut report = DeliveryReport {
            status: Status::Delivered,
            stored: Vec::new(),
            sent: Vec::new(),
            notes,
            outcome,
            message_id: message_id_of(message),
            calendar_round_trips: counter
                .zip(trips_before)
                .map(|(counter, before)| counter.load(Ordering::Relaxed).saturating_sub(before)),
        };
        if let Some(step) = &self.calendar {
            let failures = step.failures.take();
            if let Some(first) = failures.first() {
                if step.required {
                    report.status =
                        Status::TemporaryFailure(format!("calendar store unavailable: {first}"));
                    return report;
                }
                report.notes.push(format!(
                    "calendar store unavailable: {}; message delivered without the calendar step",
                    failures.join("; ")
                ));
            }
        }
        self.carry_out(&mut report, message, envelope);
        report
    }

    fn carry_out(&self, report: &mut DeliveryReport, original: &[u8], envelope: &Envelope) {
        let actions = report.outcome.actions.clone();
        if let Some(reason) = actions.iter().find_map(|action| match action {
            Action::Reject { reason, .. } => Some(reason.clone()),
            _ => None,
        }) {
            report.status = Status::Rejected(reason);
            return;
        }
        let edited = report.outcome.edited_message.clone();
        let message = edited.as_deref().unwrap_or(original);
        let mut keep_in_inbox = false;
        for action in &actions {
            let result = match action {
                Action::Keep { flags } => self.store(report, None, flags, message, false),
                Action::FileInto {
                    folder,
                    flags,
                    create,
                    ..
                } => {
                    match self.store(report, Some(folder), flags, message, *create) {
                        Err(StoreError::InvalidFolder(_) | StoreError::NoSuchFolder(_)) => {
                            // The script's folder cannot be used: the
                            // message goes to INBOX rather than nowhere.
                            report.notes.push(format!(
                                "fileinto {folder:?} kept in INBOX: {}",
                                self.why_not(folder, *create)
                            ));
                            self.store(report, None, flags, message, false)
                        }
                        other => other,
                    }
                }
                Action::Redirect { address, .. } => {
                    let from = envelope.from.as_deref().unwrap_or("");
                    if let Err(why) = self.send(report, from, address, message) {
                        report
                            .notes
                            .push(format!("redirect to {address:?} not sent: {why}"));
                        keep_in_inbox = true;
                    }
                    Ok(())
                }
                Action::Vacation { to, message: reply } => {
                    // RFC 3834: automatic replies go out with a null sender.
                    if let Err(why) = self.send(report, "", to, reply.as_bytes()) {
                        report
                            .notes
                            .push(format!("vacation reply to {to:?} not sent: {why}"));
                    }
                    Ok(())
                }
                Action::Notify { method, .. } => {
                    report
                        .notes
                        .push(format!("notify {method:?} is not carried out by deliver"));
                    Ok(())
                }
                Action::Discard | Action::EditHeader { .. } | Action::Error { .. } => Ok(()),
                Action::Reject { .. } => Ok(()),
            };
            if let Err(error) = result {
                self.undo(report, error);
                return;
            }
        }
        let stored_in_inbox = report.stored.iter().any(|(folder, _)| folder == "INBOX");
        if keep_in_inbox && !stored_in_inbox {
            if let Err(error) = self.store(report, None, &[], message, false) {
                self.undo(report, error);
            }
        }
    }

    fn why_not(&self, folder: &str, create: bool) -> String {
        match self.maildir.folder_path(Some(folder)) {
            Err(error) => error.to_string(),
            Ok(_) if !(create || self.create_folders) => {
                StoreError::NoSuchFolder(folder.to_owned()).to_string()
            }
            Ok(_) => "it could not be created".to_owned(),
        }
    }

    fn store(
        &self,
        report: &mut DeliveryReport,
        folder: Option<&str>,
        flags: &[String],
        message: &[u8],
        create: bool,
    ) -> Result<(), StoreError> {
        let path = self
            .maildir
            .store(folder, flags, message, create || self.create_folders)?;
        let name = match folder {
            Some(name) if !name.eq_ignore_ascii_case("INBOX") => name.to_owned(),
            _ => "INBOX".to_owned(),
        };
        report.stored.push((name, path));
        Ok(())
    }

    fn send(
        &self,
        report: &mut DeliveryReport,
        sender: &str,
        recipient: &str,
        message: &[u8],
    ) -> Result<(), String> {
        let Some(sendmail) = &self.sendmail else {
            return Err("no sendmail command is configured (--sendmail)".to_owned());
        };
        sendmail
            .send(sender, recipient, message)
            .map_err(|error| error.to_string())?;
        report.sent.push(recipient.to_owned());
        Ok(())
    }

    /// A write failed: remove what this delivery stored, so the MTA's retry
    /// stores the message once.
    fn undo(&self, report: &mut DeliveryReport, error: StoreError) {
        for (_, path) in report.stored.drain(..) {
            let _ = std::fs::remove_file(path);
        }
        report.status = Status::TemporaryFailure(error.to_string());
    }
}

/// The message's Message-ID, for the log.
fn message_id_of(message: &[u8]) -> Option<String> {
    mail_parser::MessageParser::new()
        .parse_headers(message)
        .and_then(|parsed| parsed.message_id().map(|id| format!("<{id}>")))
}

/// The message without the `From ` line an MTA may put before it (mbox
/// style, e.g. Postfix's `mailbox_command` with the F flag).
fn without_mbox_from_line(message: &[u8]) -> &[u8] {
    if !message.starts_with(b"From ") {
        return message;
    }
    match message.iter().position(|&byte| byte == b'\n') {
        Some(end) => message.get(end.saturating_add(1)..).unwrap_or_default(),
        None => message,
    }
}
