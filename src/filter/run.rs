//! The parallel run: one thread reads the inputs in order, `jobs` threads
//! run the compiled script on what it read, and the results are put back
//! in source order, so the output does not depend on the job count.

use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::source::{read_messages, Format, Input, Item, Source};
use crate::analysis::Depth;
use crate::engine::{Action, CompiledScript, Engine, Envelope, Failure, Outcome, RunError};
use crate::finding::Reason;

/// How to run: the number of threads that run the script, and the envelope
/// every message is delivered with.
#[derive(Debug, Clone)]
pub struct FilterOptions {
    /// Threads running the script (one more reads the inputs).
    pub jobs: NonZeroUsize,
    /// The envelope of every message.
    pub envelope: Envelope,
}

impl Default for FilterOptions {
    /// As many jobs as the machine has cores, an empty envelope.
    fn default() -> Self {
        FilterOptions {
            jobs: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            envelope: Envelope::default(),
        }
    }
}

/// Why one message has no complete result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFailure {
    /// The message could not be read (or, for an mbox, the bytes were not
    /// part of any message).
    Unreadable {
        /// The operating system's error, or what was wrong.
        detail: String,
    },
    /// What the engine reported: the script did not run to its end and
    /// the message was kept, or (`unparsable-message`) the message is no
    /// mail, so the script ran with `imip` failing closed and its actions
    /// stand.
    Script(Failure),
    /// The run panicked (a bug, contained); the message was kept.
    Internal {
        /// What happened.
        detail: String,
    },
}

impl MessageFailure {
    /// The short, stable category: `unreadable`, `internal-error`, or the
    /// engine's [`Failure::kind`] (`runtime-error`, `analysis-failed`,
    /// `unparsable-message`).
    pub fn kind(&self) -> &'static str {
        match self {
            MessageFailure::Unreadable { .. } => "unreadable",
            MessageFailure::Script(failure) => failure.kind(),
            MessageFailure::Internal { .. } => "internal-error",
        }
    }

    /// What happened, for a person.
    pub fn detail(&self) -> &str {
        match self {
            MessageFailure::Unreadable { detail } | MessageFailure::Internal { detail } => detail,
            MessageFailure::Script(failure) => failure.detail(),
        }
    }
}

impl std::fmt::Display for MessageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind(), self.detail())
    }
}

impl Serialize for MessageFailure {
    /// `{"kind": ..., "detail": ...}`, as the engine's [`Failure`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("MessageFailure", 2)?;
        out.serialize_field("kind", self.kind())?;
        out.serialize_field("detail", self.detail())?;
        out.end()
    }
}

/// What the script decided for one message, and what the analysis it ran
/// on saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageResult {
    /// Which message.
    pub source: Source,
    /// The actions, implicit keep included; empty when the message could
    /// not be read.
    pub actions: Vec<Action>,
    /// Set when the message could not be read or the script not finish.
    pub failure: Option<MessageFailure>,
    /// Whether the message carries an iMIP object; `None` when the script
    /// does not use `imip` (no analysis ran).
    pub imip: Option<bool>,
    /// The effective iTIP METHOD, when there is one.
    pub method: Option<String>,
    /// The risk score; `None` unless the script's items needed the
    /// validation (`:reason`, `:risk`, `:suspicious`).
    pub risk: Option<u32>,
    /// Whether the risk reached the threshold; `None` as for `risk`.
    pub suspicious: Option<bool>,
    /// The finding reasons, each once, in step order; empty without
    /// validation.
    pub reasons: Vec<Reason>,
}

impl MessageResult {
    fn unreadable(source: Source, detail: String) -> MessageResult {
        MessageResult::from_outcome(source, None, Some(MessageFailure::Unreadable { detail }))
    }

    fn from_outcome(
        source: Source,
        outcome: Option<Outcome>,
        failure: Option<MessageFailure>,
    ) -> MessageResult {
        let mut result = MessageResult {
            source,
            actions: Vec::new(),
            failure,
            imip: None,
            method: None,
            risk: None,
            suspicious: None,
            reasons: Vec::new(),
        };
        let Some(outcome) = outcome else {
            return result;
        };
        result.actions = outcome.actions;
        if result.failure.is_none() {
            result.failure = outcome.failure.map(MessageFailure::Script);
        }
        if let Some(analysis) = outcome.analysis {
            result.imip = Some(analysis.is_imip());
            result.method = analysis.method().map(str::to_string);
            if analysis.depth() == Depth::Validate {
                result.risk = Some(analysis.risk());
                result.suspicious = Some(analysis.is_suspicious());
                let mut reasons: Vec<Reason> = analysis
                    .findings()
                    .iter()
                    .map(|finding| finding.reason)
                    .collect();
                reasons.sort();
                reasons.dedup();
                result.reasons = reasons;
            }
        }
        result
    }
}

/// How many messages one input gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputCount {
    /// The path as given.
    pub path: String,
    /// How it was read.
    pub format: Format,
    /// Results it produced (messages, and failures of the input itself).
    pub messages: u64,
}

/// Every result of a run, in source order (inputs in the order given;
/// within one, files by path and mbox messages by position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRun {
    /// One per message, and one per thing that could not be read.
    pub messages: Vec<MessageResult>,
    /// One per input, in the order given.
    pub inputs: Vec<InputCount>,
    /// Whether the script uses `imip` (so messages were analysed).
    pub uses_imip: bool,
}

/// Run `script` on every message of `inputs`, `options.jobs` at a time.
/// `on_message` is called from the worker threads once per result (for a
/// progress bar). Per-message problems are results; the only error is an
/// envelope the engine refuses, which would fail every message alike.
pub fn filter(
    engine: &Engine,
    script: &CompiledScript,
    inputs: &[Input],
    options: &FilterOptions,
    on_message: &(dyn Fn() + Sync),
) -> Result<FilterRun, RunError> {
    let jobs = options.jobs.get();
    let stop = AtomicBool::new(false);
    let refused: Mutex<Option<RunError>> = Mutex::new(None);
    let (sender, receiver) = sync_channel::<Vec<(usize, Item)>>(jobs.saturating_mul(4));
    let receiver = Mutex::new(receiver);
    let worker = Worker {
        engine,
        script,
        envelope: &options.envelope,
        receiver: &receiver,
        stop: &stop,
        refused: &refused,
        on_message,
    };

    let (mut tagged, counts) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs).map(|_| scope.spawn(|| worker.work())).collect();
        let mut counts = vec![0u64; inputs.len()];
        let mut batch = Batch::default();
        for (index, input) in inputs.iter().enumerate() {
            let flow = read_messages(input, &mut |item| {
                if let Some(count) = counts.get_mut(index) {
                    *count = count.saturating_add(1);
                }
                batch.push(index, item);
                if batch.is_full() {
                    let full = std::mem::take(&mut batch.items);
                    batch.bytes = 0;
                    if stop.load(Ordering::Relaxed) || sender.send(full).is_err() {
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            });
            if flow.is_break() {
                break;
            }
        }
        if !batch.items.is_empty() && !stop.load(Ordering::Relaxed) {
            let _ = sender.send(batch.items);
        }
        drop(sender);
        let mut tagged = Vec::new();
        for handle in handles {
            // Each run is wrapped in catch_unwind, so a worker only
            // panics outside a run, where it holds no result.
            if let Ok(results) = handle.join() {
                tagged.extend(results);
            }
        }
        (tagged, counts)
    });

    if let Some(error) = refused.into_inner().ok().flatten() {
        return Err(error);
    }
    tagged.sort_by(|a, b| (a.0, &a.1.source).cmp(&(b.0, &b.1.source)));
    Ok(FilterRun {
        messages: tagged.into_iter().map(|(_, result)| result).collect(),
        inputs: inputs
            .iter()
            .zip(counts)
            .map(|(input, messages)| InputCount {
                path: input.path().display().to_string(),
                format: input.format(),
                messages,
            })
            .collect(),
        uses_imip: script.uses_imip(),
    })
}

/// Messages handed to a worker at once: one channel operation per message
/// costs more than running a simple script on it.
#[derive(Default)]
struct Batch {
    items: Vec<(usize, Item)>,
    bytes: usize,
}

impl Batch {
    const MESSAGES: usize = 64;
    const BYTES: usize = 4 << 20;

    fn push(&mut self, index: usize, item: Item) {
        self.bytes = self.bytes.saturating_add(
            item.payload
                .as_ref()
                .map_or(0, |payload| payload.bytes().len()),
        );
        self.items.push((index, item));
    }

    fn is_full(&self) -> bool {
        self.items.len() >= Batch::MESSAGES || self.bytes >= Batch::BYTES
    }
}

/// What each worker thread shares.
struct Worker<'a> {
    engine: &'a Engine,
    script: &'a CompiledScript,
    envelope: &'a Envelope,
    receiver: &'a Mutex<Receiver<Vec<(usize, Item)>>>,
    stop: &'a AtomicBool,
    refused: &'a Mutex<Option<RunError>>,
    on_message: &'a (dyn Fn() + Sync),
}

impl Worker<'_> {
    fn work(&self) -> Vec<(usize, MessageResult)> {
        let mut results = Vec::new();
        loop {
            let next = match self.receiver.lock() {
                Ok(receiver) => receiver.recv(),
                Err(_) => break,
            };
            let Ok(batch) = next else { break };
            for (index, item) in batch {
                if let Some(result) = self.process(item) {
                    results.push((index, result));
                    (self.on_message)();
                }
            }
        }
        results
    }

    /// `None` only when the engine refused the envelope: the run stops.
    fn process(&self, item: Item) -> Option<MessageResult> {
        let payload = match item.payload {
            Ok(payload) => payload,
            Err(detail) => return Some(MessageResult::unreadable(item.source, detail)),
        };
        let run = catch_unwind(AssertUnwindSafe(|| {
            self.engine.run(self.script, payload.bytes(), self.envelope)
        }));
        match run {
            Ok(Ok(outcome)) => Some(MessageResult::from_outcome(
                item.source,
                Some(outcome),
                None,
            )),
            Ok(Err(error)) => {
                self.stop.store(true, Ordering::Relaxed);
                if let Ok(mut refused) = self.refused.lock() {
                    refused.get_or_insert(error);
                }
                None
            }
            Err(_) => Some(MessageResult {
                // RFC 5228 2.10.6: when the script cannot run, keep.
                actions: vec![Action::Keep { flags: Vec::new() }],
                ..MessageResult::from_outcome(
                    item.source,
                    None,
                    Some(MessageFailure::Internal {
                        detail: "running the script on this message panicked".into(),
                    }),
                )
            }),
        }
    }
}
