//! Run one compiled script over a mail store, as `sieve-imip filter` does:
//! read the messages (`source`), run them in parallel (`run`), add up the
//! results (`summary`).
//!
//! ```no_run
//! use sieve_imip::filter::{filter, FilterOptions, Input, Summary};
//! use sieve_imip::Engine;
//!
//! let engine = Engine::new();
//! let script = engine.compile(r#"require "fileinto"; fileinto "Archive";"#).unwrap();
//! let inputs = [Input::open("Maildir", None).unwrap()];
//! let run = filter(&engine, &script, &inputs, &FilterOptions::default(), &|| {}).unwrap();
//! let summary = Summary::of(&run);
//! print!("{}", summary.to_text());
//! ```
//!
//! - `source.rs`: what a PATH is (file, folder, Maildir, mbox) and reading it,
//!   with mail-parser's own Maildir and mbox readers;
//! - `run.rs`: the reader thread, the worker threads, results in source order;
//! - `summary.rs`: the counts, the failure list, the JSON lines.

mod run;
mod source;
mod summary;

pub use run::{filter, FilterOptions, FilterRun, InputCount, MessageFailure, MessageResult};
/// The mbox reader on bytes in memory, for the `mailbox` fuzz target.
#[cfg(any(test, feature = "internals"))]
pub(crate) use source::{read_mbox_from, Item};
pub use source::{Format, Input, Source, SourceError, UnknownFormat};
pub use summary::{FailureEntry, Summary};

#[cfg(test)]
mod tests;
