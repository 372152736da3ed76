//! What a run adds up to: counts per action and per finding reason, the
//! failures listed one by one, and the JSON Lines shape of `filter --json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::run::{FilterRun, InputCount, MessageFailure, MessageResult};
use crate::engine::Action;

/// The totals of a run; serializes as the `summary` object of
/// `filter --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Results: messages, plus what could not be read as one.
    pub messages: u64,
    /// Results with a failure.
    pub failed: u64,
    /// Messages carrying an iMIP object; `None` when the script does not
    /// use `imip` (nothing was analysed).
    pub imip: Option<u64>,
    /// Messages whose risk reached the threshold (among those the script's
    /// items had validated); `None` as for `imip`.
    pub suspicious: Option<u64>,
    /// Per action, as Sieve text (`keep`, `fileinto "Calendar/REQUEST"`),
    /// how many messages got it.
    pub actions: BTreeMap<String, u64>,
    /// Per finding reason, how many messages have it.
    pub reasons: BTreeMap<String, u64>,
    /// Every failure, in source order.
    pub failures: Vec<FailureEntry>,
    /// Per input, its format and how many results it gave.
    pub inputs: Vec<InputCount>,
}

/// One failed message in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureEntry {
    /// The message: its path, or `PATH#N` in an mbox.
    pub source: String,
    /// The failure's category (see [`super::MessageFailure::kind`]).
    pub kind: String,
    /// What happened.
    pub detail: String,
}

impl Summary {
    /// Add up a run.
    pub fn of(run: &FilterRun) -> Summary {
        let mut summary = Summary {
            messages: 0,
            failed: 0,
            imip: run.uses_imip.then_some(0),
            suspicious: run.uses_imip.then_some(0),
            actions: BTreeMap::new(),
            reasons: BTreeMap::new(),
            failures: Vec::new(),
            inputs: run.inputs.clone(),
        };
        for message in &run.messages {
            summary.messages = summary.messages.saturating_add(1);
            if let (Some(count), Some(true)) = (&mut summary.imip, message.imip) {
                *count = count.saturating_add(1);
            }
            if let (Some(count), Some(true)) = (&mut summary.suspicious, message.suspicious) {
                *count = count.saturating_add(1);
            }
            // A message that got the same action twice counts once.
            let actions: BTreeSet<String> =
                message.actions.iter().map(ToString::to_string).collect();
            for action in actions {
                let count = summary.actions.entry(action).or_default();
                *count = count.saturating_add(1);
            }
            for reason in &message.reasons {
                let count = summary
                    .reasons
                    .entry(reason.as_str().to_string())
                    .or_default();
                *count = count.saturating_add(1);
            }
            if let Some(failure) = &message.failure {
                summary.failed = summary.failed.saturating_add(1);
                summary.failures.push(FailureEntry {
                    source: message.source.to_string(),
                    kind: failure.kind().to_string(),
                    detail: failure.detail().to_string(),
                });
            }
        }
        summary
    }

    /// True when every message was read and ran to its end.
    pub fn all_processed(&self) -> bool {
        self.failed == 0
    }

    /// The summary as a table for a person: counts first, most frequent
    /// first, then every failure.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{} messages: {} processed, {} failed",
            self.messages,
            self.messages.saturating_sub(self.failed),
            self.failed,
        );
        if let (Some(imip), Some(suspicious)) = (self.imip, self.suspicious) {
            let _ = write!(out, "; {imip} iMIP, {suspicious} suspicious");
        }
        out.push('\n');
        let inputs: Vec<(String, u64)> = self
            .inputs
            .iter()
            .map(|input| (format!("{} ({})", input.path, input.format), input.messages))
            .collect();
        let tables = [
            ("inputs", inputs),
            ("actions", by_count(&self.actions)),
            ("reasons", by_count(&self.reasons)),
        ];
        // One name column for all tables, so the counts line up.
        let width = tables
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|(name, _)| name.chars().count()))
            .max()
            .unwrap_or(0);
        for (title, rows) in tables {
            table(&mut out, title, rows, width);
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "failures");
            for failure in &self.failures {
                let _ = writeln!(
                    out,
                    "  {}: {}: {}",
                    failure.source, failure.kind, failure.detail
                );
            }
        }
        out
    }

    /// The last line of `filter --json`: `{"summary": {...}}`.
    pub fn to_json_line(&self) -> String {
        #[derive(Serialize)]
        struct SummaryLine<'a> {
            summary: &'a Summary,
        }
        serde_json::to_string(&SummaryLine { summary: self }).unwrap_or_default()
    }
}

/// Most frequent first, then by name.
fn by_count(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = counts
        .iter()
        .map(|(name, count)| (name.clone(), *count))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn table(out: &mut String, title: &str, rows: Vec<(String, u64)>, width: usize) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}");
    for (name, count) in rows {
        let _ = writeln!(out, "  {name:<width$}  {count:>7}");
    }
}

/// The fields of one `filter --json` line, in the documented order.
#[derive(Serialize)]
struct MessageLine<'a> {
    source: String,
    actions: &'a [Action],
    failure: Option<&'a MessageFailure>,
    imip: Option<bool>,
    method: Option<&'a str>,
    risk: Option<u32>,
    suspicious: Option<bool>,
    reasons: Vec<&'static str>,
}

impl MessageResult {
    /// One line of `filter --json`: `{"source", "actions", "failure",
    /// "imip", "method", "risk", "suspicious", "reasons"}`.
    pub fn to_json_line(&self) -> String {
        let line = MessageLine {
            source: self.source.to_string(),
            actions: &self.actions,
            failure: self.failure.as_ref(),
            imip: self.imip,
            method: self.method.as_deref(),
            risk: self.risk,
            suspicious: self.suspicious,
            reasons: self.reasons.iter().map(|reason| reason.as_str()).collect(),
        };
        // Strings, numbers and the engine's own Serialize types cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }
}
