//! The `sieve-imip` command: argument handling and output only; everything
//! it does is a library call a server could make.
//!
//! Exit codes: 0 success, 1 a script failed to compile (or `check` found
//! errors), 2 usage or I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use sieve_imip::report::Report;
use sieve_imip::DirectoryLookup;
use sieve_imip::{Analysis, Config};
use sieve_imip::{Engine, Envelope, Outcome};

#[derive(Parser)]
#[command(
    name = "sieve-imip",
    version,
    about = "Sieve `imip` test: recognise, validate and route iMIP calendar mail"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile Sieve scripts and report errors as FILE:LINE:COL: error: MESSAGE.
    Check {
        /// Scripts to compile.
        #[arg(required = true)]
        scripts: Vec<PathBuf>,
    },
    /// Run a script on messages and print the actions each one gets.
    Test {
        /// The Sieve script.
        script: PathBuf,
        /// RFC 5322 messages (files).
        #[arg(required = true)]
        messages: Vec<PathBuf>,
        /// One JSON object per message per line instead of text.
        #[arg(long)]
        json: bool,
        /// Envelope sender (MAIL FROM).
        #[arg(long, value_name = "ADDRESS")]
        from: Option<String>,
        /// Envelope recipient (RCPT TO), the user whose script runs.
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
        #[command(flatten)]
        validation: ValidationArgs,
    },
    /// Show what was found in messages or bare iCalendar files, and why.
    Analyze {
        /// RFC 5322 messages or bare iCalendar (.ics) files, recognised by content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per input per line (JSON Lines).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        validation: ValidationArgs,
    },
}

/// Options that configure the analysis.
#[derive(Args)]
struct ValidationArgs {
    /// Configuration file (TOML; every field optional, unknown keys are errors).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The user's address (repeatable); without it, the envelope recipient.
    #[arg(long, value_name = "ADDRESS")]
    recipient: Vec<String>,
    /// Trust Authentication-Results from this authserv-id (repeatable).
    #[arg(long, value_name = "ID")]
    trust_authserv: Vec<String>,
    /// Folder of .ics files: the organizer's stored events, for party-crash checks.
    #[arg(long, value_name = "DIR")]
    calendar: Option<PathBuf>,
    /// The analysis clock, as RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// How far ahead recurrence is counted, in days (default 365).
    #[arg(long, value_name = "N")]
    horizon_days: Option<u32>,
}

impl ValidationArgs {
    /// The configuration file first, then the options on top of it.
    fn config(&self) -> Result<Config, ExitCode> {
        let mut config = match &self.config {
            Some(path) => {
                let text = read_text(path)?;
                Config::from_toml(&text).map_err(|error| {
                    eprintln!("{}: error: {error}", path.display());
                    ExitCode::from(2)
                })?
            }
            None => Config::default(),
        };
        if let Some(now) = &self.now {
            let parsed = DateTime::parse_from_rfc3339(now).map_err(|error| {
                eprintln!("error: --now {now:?} is not an RFC 3339 date-time: {error}");
                ExitCode::from(2)
            })?;
            config.now = Some(parsed.with_timezone(&Utc));
        }
        config.recipients.extend(self.recipient.iter().cloned());
        config
            .trusted_authserv_ids
            .extend(self.trust_authserv.iter().cloned());
        if let Some(days) = self.horizon_days {
            config.horizon_days = days;
        }
        if let Some(dir) = &self.calendar {
            let lookup = DirectoryLookup::open(dir, &config.calendar_limits).map_err(|error| {
                eprintln!(
                    "{}: error: cannot read the calendar folder: {error}",
                    dir.display()
                );
                ExitCode::from(2)
            })?;
            for skipped in lookup.skipped() {
                eprintln!("{}: warning: skipped (too large)", skipped.display());
            }
            config.lookup = Some(Arc::new(lookup));
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { scripts } => check(&scripts),
        Command::Test {
            script,
            messages,
            json,
            from,
            to,
            validation,
        } => match validation.config() {
            Ok(config) => test(
                Engine::new().with_config(config),
                &script,
                &messages,
                json,
                Envelope {
                    from,
                    to,
                    ..Envelope::default()
                },
            ),
            Err(code) => code,
        },
        Command::Analyze {
            files,
            json,
            validation,
        } => match validation.config() {
            Ok(config) => analyze(&config, &files, json),
            Err(code) => code,
        },
    }
}

/// Exit 1 when any input is suspicious, so scripts can act on it.
fn analyze(config: &Config, files: &[PathBuf], json: bool) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for path in files {
        let input = match read_bytes(path) {
            Ok(input) => input,
            Err(code) => return code,
        };
        let analysis = Analysis::of_input(&input, config);
        let name = path.display().to_string();
        let report = Report::new(&name, &analysis);
        if report.suspicious {
            status = ExitCode::from(1);
        }
        if json {
            match serde_json::to_string(&report) {
                Ok(line) => println!("{line}"),
                Err(error) => {
                    eprintln!("{name}: error: cannot serialise the report: {error}");
                    return ExitCode::from(2);
                }
            }
        } else {
            print!("{}", report.to_text());
        }
    }
    status
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|error| {
        eprintln!("{}: error: cannot read: {error}", path.display());
        ExitCode::from(2)
    })
}

fn read_text(path: &Path) -> Result<String, ExitCode> {
    read_bytes(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn check(scripts: &[PathBuf]) -> ExitCode {
    let engine = Engine::new();
    let mut status = ExitCode::SUCCESS;
    for path in scripts {
        let source = match read_text(path) {
            Ok(source) => source,
            Err(code) => return code,
        };
        if let Err(error) = engine.compile(&source) {
            eprintln!(
                "{}:{}:{}: error: {}",
                path.display(),
                error.line,
                error.column,
                error.kind
            );
            status = ExitCode::from(1);
        }
    }
    status
}

fn test(
    engine: Engine,
    script: &Path,
    messages: &[PathBuf],
    json: bool,
    envelope: Envelope,
) -> ExitCode {
    let source = match read_text(script) {
        Ok(source) => source,
        Err(code) => return code,
    };
    let compiled = match engine.compile(&source) {
        Ok(compiled) => compiled,
        Err(error) => {
            eprintln!(
                "{}:{}:{}: error: {}",
                script.display(),
                error.line,
                error.column,
                error.kind
            );
            return ExitCode::from(1);
        }
    };
    for path in messages {
        let message = match read_bytes(path) {
            Ok(message) => message,
            Err(code) => return code,
        };
        let outcome = match engine.run(&compiled, &message, &envelope) {
            Ok(outcome) => outcome,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
        if json {
            print_json(path, &outcome);
        } else {
            print_text(path, &outcome);
        }
    }
    ExitCode::SUCCESS
}

fn print_json(path: &Path, outcome: &Outcome) {
    let line = serde_json::json!({
        "file": path.display().to_string(),
        "actions": outcome.actions,
        "failure": outcome.failure,
        "abandoned": outcome.abandoned,
    });
    println!("{line}");
}

fn print_text(path: &Path, outcome: &Outcome) {
    println!("{}:", path.display());
    for action in &outcome.actions {
        println!("  {action}");
    }
    if let Some(failure) = &outcome.failure {
        println!("  ({failure}; message kept)");
    }
}
