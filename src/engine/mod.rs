//! Drives sieve-rs: compile a script through the front-end once, then run it
//! on messages, answering every event the engine raises and collecting the
//! actions into a typed [`Outcome`].
//!
//! The `imip` items are filled into reserved environment items before the
//! run, from an [`Analysis`] computed once per message and only as deep as
//! the script's items need; a script without `imip` costs nothing extra.
//!
//! - `host.rs`: the [`Host`] trait, what the embedder decides;
//! - `outcome.rs`: the result types ([`Action`], [`Outcome`], [`Failure`]);
//! - `events.rs`: the event loop;
//! - `message_diff.rs`: telling created messages apart (vacation reply,
//!   redirect, header edits);
//! - `items.rs`: the bridge from the analysis to the reserved items.

mod calendar;
mod chain;
mod events;
mod host;
mod items;
mod message_diff;
mod outcome;

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use sieve::{Compiler, Runtime, Sieve};

pub use crate::process::{CalendarProcessing, ProcessOutcome};
pub use host::{DefaultHost, Host};
pub use outcome::{Action, Failure, HeaderField, Outcome};

use crate::analysis::Analysis;
use crate::message::repair_raw_message;
use crate::script::{self, ItemSet, ScriptError, ScriptErrorKind};
use crate::validate::Config;
use items::{depth_for, fill_items};

/// A script compiled once, reusable for any number of messages from any
/// number of threads.
#[derive(Debug, Clone)]
pub struct CompiledScript {
    sieve: Arc<Sieve>,
    items: ItemSet,
    processes_calendar: bool,
}

impl CompiledScript {
    /// The `imip` items the script reads (empty for a plain Sieve script).
    pub fn items(&self) -> ItemSet {
        self.items
    }

    /// True when the script contains at least one `imip` test.
    pub fn uses_imip(&self) -> bool {
        !self.items.is_empty()
    }

    /// True when the script contains a `processcalendar` action (RFC 9671).
    pub fn processes_calendar(&self) -> bool {
        self.processes_calendar
    }
}

/// The SMTP envelope and the recipient the message is delivered for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM` (empty for a bounce).
    pub from: Option<String>,
    /// `RCPT TO` of the user whose script runs.
    pub to: Option<String>,
    /// Original recipient (RFC 3461 ORCPT), if known.
    pub orcpt: Option<String>,
    /// Envelope id (RFC 3461 ENVID), if known.
    pub envid: Option<String>,
}

/// Errors in what the embedder passed to [`run`]; problems with the message
/// or the script never surface here (they are an [`Outcome`] with a
/// [`Failure`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// An envelope address that is not an RFC 5321 path.
    #[error("envelope {field} address {value:?} is not a valid address")]
    InvalidEnvelope {
        /// Which envelope field: `from`, `to`, `orcpt`, `envid`.
        field: &'static str,
        /// The value given.
        value: String,
    },
}

/// Compiles and runs scripts with one configuration and one [`Host`].
/// `Send + Sync`: share one engine between threads.
pub struct Engine {
    compiler: Compiler,
    runtime: Runtime,
    config: Config,
    host: Arc<dyn Host>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with the default configuration and [`DefaultHost`].
    pub fn new() -> Engine {
        Engine {
            compiler: Compiler::new(),
            runtime: Runtime::new()
                .with_capability("imip")
                .with_capability("processcalendar"),
            config: Config::default(),
            host: Arc::new(DefaultHost),
        }
    }

    /// Use this validation configuration.
    pub fn with_config(mut self, config: Config) -> Engine {
        self.config = config;
        self
    }

    /// Use this host for mailboxes, duplicates, lists and includes.
    pub fn with_host(mut self, host: Arc<dyn Host>) -> Engine {
        self.host = host;
        self
    }

    /// Tune sieve-rs's runtime (limits, hostname, vacation defaults...).
    /// The `imip` and `processcalendar` capabilities stay enabled;
    /// `processcalendar` also needs `mailboxid` (RFC 9042), which sieve-rs
    /// enables by default, left enabled (its lowering is a
    /// `mailboxidexists` test).
    pub fn with_runtime(mut self, runtime: Runtime) -> Engine {
        self.runtime = runtime
            .with_capability("imip")
            .with_capability("processcalendar");
        self
    }

    /// The validation configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Compile a script (Sieve source text) through the `imip` front-end.
    pub fn compile(&self, source: &str) -> Result<CompiledScript, ScriptError> {
        // sieve-rs 0.7.3 panics on some hostile scripts (found by fuzzing,
        // fuzz/regressions/script/): a script must never take the server down.
        let parts = catch_unwind(AssertUnwindSafe(|| script::compile(&self.compiler, source)))
            .unwrap_or(Err(ScriptError {
                line: 1,
                column: 1,
                kind: ScriptErrorKind::CompilerFailed,
            }))?;
        Ok(CompiledScript {
            sieve: Arc::new(parts.sieve),
            items: parts.items,
            processes_calendar: parts.processes_calendar,
        })
    }

    /// Run a compiled script on one raw RFC 5322 message.
    pub fn run(
        &self,
        script: &CompiledScript,
        message: &[u8],
        envelope: &Envelope,
    ) -> Result<Outcome, RunError> {
        contained(|| self.run_unguarded(script, message, envelope))
    }

    fn run_unguarded(
        &self,
        script: &CompiledScript,
        message: &[u8],
        envelope: &Envelope,
    ) -> Result<Outcome, RunError> {
        // mail-parser misreads bare-CR messages and blank lines before the
        // header; repairing the bytes here makes sieve-rs and the analysis
        // see the same structure.
        let raw: Cow<'_, [u8]> = repair_raw_message(message);
        let mut context = self.runtime.filter(&raw);
        apply_envelope(&mut context, envelope)?;

        let analysis = match self.analysis_for(&context, script.items, envelope) {
            Ok(analysis) => analysis,
            Err(failure) => return Ok(Outcome::kept_after(failure, Vec::new(), None)),
        };
        if let Some(done) = &analysis {
            fill_items(&mut context, done, script.items);
        }
        Ok(self
            .drive(script, &raw, &raw, envelope, &mut context, analysis)
            .noting_unparsable())
    }

    /// The analysis `items` need, or `None` for a script without `imip`;
    /// an analysis that fails is a failure that keeps the message. Input
    /// that is not RFC 5322 mail still runs the script (an envelope rule
    /// must not be skipped because the header is missing): its analysis
    /// says so, and `imip` answers from it, failing closed.
    fn analysis_for(
        &self,
        context: &sieve::Context<'_>,
        items: ItemSet,
        envelope: &Envelope,
    ) -> Result<Option<Analysis>, Failure> {
        if items.is_empty() {
            return Ok(None);
        }
        self.analyse(context, items, None, envelope.to.as_deref())
            .map(Some)
    }

    /// Analyse the message as deep as `items` need, extending `previous`.
    /// A panic inside the analysis is a bug, but it must not lose mail: it
    /// becomes a failure that keeps the message.
    pub(super) fn analyse(
        &self,
        context: &sieve::Context<'_>,
        items: ItemSet,
        previous: Option<Analysis>,
        recipient: Option<&str>,
    ) -> Result<Analysis, Failure> {
        let depth = depth_for(items);
        let message = context.message();
        catch_unwind(AssertUnwindSafe(|| match previous {
            Some(mut analysis) => {
                analysis.deepen(message, &self.config, depth, recipient);
                analysis
            }
            None => Analysis::of(message, &self.config, depth, recipient),
        }))
        .map_err(|_| Failure::AnalysisFailed {
            detail: "the iMIP analysis of this message failed unexpectedly".into(),
        })
    }
}

/// Run `work`, turning a panic inside sieve-rs or mail-parser into a kept
/// message: mail-parser 0.11 panics on some hostile MIME structures (found
/// by fuzzing, fuzz/regressions/engine/), and one message must never take
/// the server down or be lost.
pub(super) fn contained(
    work: impl FnOnce() -> Result<Outcome, RunError>,
) -> Result<Outcome, RunError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Ok(Outcome::kept_after(
            Failure::EngineFailed {
                detail: "sieve-rs or mail-parser failed on this message unexpectedly (a defect, contained)".into(),
            },
            Vec::new(),
            None,
        ))
    })
}

fn apply_envelope(context: &mut sieve::Context<'_>, envelope: &Envelope) -> Result<(), RunError> {
    let fields = [
        ("from", sieve::Envelope::From, &envelope.from),
        ("to", sieve::Envelope::To, &envelope.to),
        ("orcpt", sieve::Envelope::Orcpt, &envelope.orcpt),
        ("envid", sieve::Envelope::Envid, &envelope.envid),
    ];
    for (field, kind, value) in fields {
        let Some(value) = value else { continue };
        if value.contains(['\r', '\n']) {
            return Err(RunError::InvalidEnvelope {
                field,
                value: value.clone(),
            });
        }
        context.set_envelope(kind, value.clone());
    }
    if let Some(to) = &envelope.to {
        context.set_user_address(to.clone());
    }
    Ok(())
}

fn default_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::new)
}

/// Compile a script with the default engine.
pub fn compile(source: &str) -> Result<CompiledScript, ScriptError> {
    default_engine().compile(source)
}

/// Run a compiled script on a message with the default engine.
pub fn run(
    script: &CompiledScript,
    message: &[u8],
    envelope: &Envelope,
) -> Result<Outcome, RunError> {
    default_engine().run(script, message, envelope)
}
