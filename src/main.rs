//! The `sieve-imip` command: argument handling and output only; everything
//! it does is a library call a server could make.
//!
//! Exit codes: 0 success, 1 a script failed to compile (or `check` found
//! errors), 2 usage or I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sieve_imip::engine::{Engine, Envelope, Outcome};

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
    },
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
        } => test(
            &script,
            &messages,
            json,
            Envelope {
                from,
                to,
                ..Envelope::default()
            },
        ),
    }
}

fn read_text(path: &Path) -> Result<String, ExitCode> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|error| {
            eprintln!("{}: error: cannot read: {error}", path.display());
            ExitCode::from(2)
        })
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

fn test(script: &Path, messages: &[PathBuf], json: bool, envelope: Envelope) -> ExitCode {
    let engine = Engine::new();
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
        let message = match std::fs::read(path) {
            Ok(message) => message,
            Err(error) => {
                eprintln!("{}: error: cannot read: {error}", path.display());
                return ExitCode::from(2);
            }
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
        println!("  ({}: {}; message kept)", failure.kind, failure.detail);
    }
}
