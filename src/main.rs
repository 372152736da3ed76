//! The `sieve-imip` command: argument handling and output only; everything
//! it does is a library call a server could make.
//!
//! Exit codes: 0 success, 1 a script failed to compile (or `check` found
//! errors; for `analyze`: an input is suspicious or not mail; for `filter`:
//! a message could not be read, run or read as mail), 2 usage or I/O error.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use sieve_imip::deliver::{CalendarStep, Delivery, Maildir, Sendmail, Status, EX_TEMPFAIL};
use sieve_imip::filter::{filter, FilterOptions, Format, Input, Summary, UnknownFormat};
use sieve_imip::report::Report;
use sieve_imip::store::{CalDavStore, DryRunStore, VdirStore};
use sieve_imip::{Analysis, CalDavPassword, CalDavSettings, CalendarStore, Config};
use sieve_imip::{CalendarLookup, DirectoryLookup};
use sieve_imip::{CompiledScript, Engine, Envelope, Outcome};

/// `println!` through [`write_stdout`].
macro_rules! outln {
    ($($arg:tt)*) => {
        write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}
/// Write to stdout. A reader that went away (`sieve-imip filter --json |
/// head`) ends the command quietly with the I/O error code, where
/// `println!` would panic.
fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = std::io::Write::write_all(&mut stdout, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout));
    if written.is_err() {
        std::process::exit(2);
    }
}

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
        #[command(flatten)]
        envelope: EnvelopeArgs,
        #[command(flatten)]
        validation: ValidationArgs,
    },
    /// Run one script on every message of files, folders, Maildirs or mbox
    /// files, in parallel, and print what it decided, added up.
    Filter {
        /// The Sieve script.
        script: PathBuf,
        /// Message files, folders of message files, Maildirs or mbox files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Read every PATH as this instead of detecting it.
        #[arg(long, value_name = "file|dir|maildir|mbox", value_parser = parse_format)]
        format: Option<Format>,
        /// Threads running the script (default: one per core).
        #[arg(long, value_name = "N")]
        jobs: Option<NonZeroUsize>,
        /// One JSON object per message per line, then the summary as the last line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        envelope: EnvelopeArgs,
        #[command(flatten)]
        validation: ValidationArgs,
    },
    /// Deliver one message read on stdin into a Maildir: the --before
    /// scripts, the user's SCRIPT and the --after scripts run as one chain
    /// (a local delivery agent for Postfix's mailbox_command and any MTA that
    /// pipes to a command). Exit codes: 0 delivered, 75 retry later, 77
    /// refused.
    Deliver {
        /// The user's Maildir: INBOX at its root, folders as Maildir++ `.A.B`.
        #[arg(long, value_name = "DIR")]
        maildir: PathBuf,
        /// An administrator's script run before the user's (repeatable, in order).
        #[arg(long = "before", value_name = "SCRIPT")]
        before: Vec<PathBuf>,
        /// The user's own script (optional).
        script: Option<PathBuf>,
        /// An administrator's script run after the user's (repeatable, in order).
        #[arg(long = "after", value_name = "SCRIPT")]
        after: Vec<PathBuf>,
        /// Envelope sender (MAIL FROM; Postfix: "$SENDER").
        #[arg(long, value_name = "ADDRESS")]
        sender: Option<String>,
        /// Create a missing folder for every fileinto, not only with :create.
        #[arg(long)]
        create_folders: bool,
        /// The sendmail-compatible command redirect and vacation go through,
        /// called as COMMAND -i -f SENDER -- RECIPIENT.
        #[arg(long, value_name = "COMMAND")]
        sendmail: Option<String>,
        /// Append the delivery's log line to this file instead of stderr.
        #[arg(long, value_name = "FILE", conflicts_with = "syslog")]
        log: Option<PathBuf>,
        /// Send the delivery's log line to the local syslog (facility mail)
        /// instead of stderr.
        #[arg(long)]
        syslog: bool,
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

/// The SMTP envelope of every message.
#[derive(Args)]
struct EnvelopeArgs {
    /// Envelope sender (MAIL FROM).
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
    /// Envelope recipient (RCPT TO), the user whose script runs.
    #[arg(long, value_name = "ADDRESS")]
    to: Option<String>,
}

impl EnvelopeArgs {
    fn envelope(self) -> Envelope {
        Envelope {
            from: self.from,
            to: self.to,
            ..Envelope::default()
        }
    }
}

fn parse_format(name: &str) -> Result<Format, UnknownFormat> {
    name.parse()
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
    /// The user's calendars: a folder of .ics files, or a vdir root (one
    /// sub-folder of .ics files per calendar). The stored events the
    /// party-crash checks read; deliver also writes to it (processcalendar).
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
    /// The configuration file first, then the options on top of it, with
    /// the stored events to read: `--calendar DIR`, else the `[caldav]`
    /// server of the file.
    fn config(&self) -> Result<Config, ExitCode> {
        let mut config = self.base_config()?;
        if let Some(dir) = &self.calendar {
            config.lookup = Some(Arc::new(read_calendar_folder(dir, &config)?));
        } else if let Some(settings) = &config.caldav {
            let lookup: Arc<dyn CalendarLookup> = Arc::new(open_caldav(settings, &config)?);
            config.lookup = Some(lookup);
        }
        Ok(config)
    }

    /// What `test` runs with: the same calendars as `deliver` (`--calendar
    /// DIR` as a vdir store, else the `[caldav]` server), read as they are,
    /// with every write `processcalendar` makes kept in memory
    /// (`DryRunStore`): the output says what the action would do, and the
    /// calendars are left unchanged.
    fn dry_run_config(&self) -> Result<Config, ExitCode> {
        let mut config = self.base_config()?;
        let store: Arc<dyn CalendarStore> = if let Some(dir) = &self.calendar {
            // A missing folder is an error here, not one to create.
            read_calendar_folder(dir, &config)?;
            let vdir = VdirStore::open(dir, &config.calendar_limits).map_err(|error| {
                eprintln!(
                    "{}: error: cannot use the calendar folder: {error}",
                    dir.display()
                );
                ExitCode::from(2)
            })?;
            Arc::new(vdir)
        } else if let Some(settings) = &config.caldav {
            Arc::new(open_caldav(settings, &config)?)
        } else {
            return Ok(config);
        };
        let dry: Arc<dyn CalendarStore> =
            Arc::new(DryRunStore::new(store, &config.calendar_limits));
        let lookup: Arc<dyn CalendarLookup> = dry.clone();
        config.lookup = Some(lookup);
        config.store = Some(dry);
        Ok(config)
    }

    /// The configuration without stored events.
    fn base_config(&self) -> Result<Config, ExitCode> {
        let mut config = match &self.config {
            Some(path) => {
                let text = read_text(path)?;
                let mut config = Config::from_toml(&text).map_err(|error| {
                    eprintln!("{}: error: {error}", path.display());
                    ExitCode::from(2)
                })?;
                // A relative password file is beside the configuration.
                if let Some(CalDavPassword::File(file)) = config
                    .caldav
                    .as_mut()
                    .and_then(|settings| settings.password.as_mut())
                {
                    if file.is_relative() {
                        if let Some(folder) = path.parent() {
                            *file = folder.join(&*file);
                        }
                    }
                }
                config
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
        Ok(config)
    }
}

/// `--calendar DIR` read as `test` and `analyze` read it: every stored
/// event, with a warning for each file too large to read.
fn read_calendar_folder(dir: &Path, config: &Config) -> Result<DirectoryLookup, ExitCode> {
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
    Ok(lookup)
}

/// The `[caldav]` server, for `test` and `analyze` (an error ends them).
fn open_caldav(settings: &CalDavSettings, config: &Config) -> Result<CalDavStore, ExitCode> {
    CalDavStore::open(settings, &config.calendar_limits).map_err(|error| {
        eprintln!("{}: error: {error}", settings.url);
        ExitCode::from(2)
    })
}

/// What `deliver` runs with: the configuration with the user's calendar
/// store, and how its failures count.
struct DeliverySetup {
    config: Config,
    calendar: Option<CalendarStep>,
    /// Why the store is missing (a CalDAV server that could not be
    /// reached), for the log line.
    note: Option<String>,
}

impl ValidationArgs {
    /// `--calendar DIR` is a vdir store (an unusable folder is a broken
    /// configuration: the MTA retries); else the `[caldav]` server, which
    /// when it cannot be reached leaves the delivery without a store, or
    /// defers it when `required`.
    fn delivery_setup(&self) -> Result<DeliverySetup, Deferral> {
        let mut config = self.base_config().map_err(|_| Deferral::Logged)?;
        let store: Arc<dyn CalendarStore>;
        let calendar;
        if let Some(dir) = &self.calendar {
            let vdir = VdirStore::open(dir, &config.calendar_limits).map_err(|error| {
                eprintln!(
                    "{}: error: cannot use the calendar folder: {error}",
                    dir.display()
                );
                Deferral::Logged
            })?;
            calendar = CalendarStep {
                failures: vdir.failures(),
                required: false,
                round_trips: None,
            };
            store = Arc::new(vdir);
        } else if let Some(settings) = config.caldav.clone() {
            match CalDavStore::open(&settings, &config.calendar_limits) {
                Ok(caldav) => {
                    calendar = CalendarStep {
                        failures: caldav.failures(),
                        required: settings.required,
                        round_trips: Some(caldav.round_trip_counter()),
                    };
                    store = Arc::new(caldav);
                }
                Err(error) if settings.required => {
                    return Err(Deferral::Unavailable(error.to_string()))
                }
                Err(error) => {
                    return Ok(DeliverySetup {
                        config,
                        calendar: None,
                        note: Some(format!("{error}; delivered without the calendar step")),
                    })
                }
            }
        } else {
            return Ok(DeliverySetup {
                config,
                calendar: None,
                note: None,
            });
        }
        let lookup: Arc<dyn CalendarLookup> = store.clone();
        config.lookup = Some(lookup);
        config.store = Some(store);
        Ok(DeliverySetup {
            config,
            calendar: Some(calendar),
            note: None,
        })
    }
}

/// Why `deliver` asks the MTA to retry before running.
enum Deferral {
    /// The configuration is broken; the reason is on stderr already.
    Logged,
    /// A required calendar store cannot be reached.
    Unavailable(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { scripts } => check(&scripts),
        Command::Test {
            script,
            messages,
            json,
            envelope,
            validation,
        } => match validation.dry_run_config() {
            Ok(config) => test(
                Engine::new().with_config(config),
                &script,
                &messages,
                json,
                envelope.envelope(),
            ),
            Err(code) => code,
        },
        Command::Filter {
            script,
            paths,
            format,
            jobs,
            json,
            envelope,
            validation,
        } => match validation.config() {
            Ok(config) => {
                let options = FilterOptions {
                    jobs: jobs.unwrap_or(FilterOptions::default().jobs),
                    envelope: envelope.envelope(),
                };
                filter_command(
                    Engine::new().with_config(config),
                    &script,
                    &paths,
                    format,
                    &options,
                    json,
                )
            }
            Err(code) => code,
        },
        Command::Deliver {
            maildir,
            before,
            script,
            after,
            sender,
            create_folders,
            sendmail,
            log,
            syslog,
            validation,
        } => {
            let scripts: Vec<PathBuf> = before.into_iter().chain(script).chain(after).collect();
            let delivery = Delivery {
                maildir: Maildir::new(maildir),
                create_folders,
                sendmail: sendmail.as_deref().and_then(Sendmail::parse),
                calendar: None,
            };
            let log = match (log, syslog) {
                (Some(path), _) => LogTo::File(path),
                (None, true) => LogTo::Syslog,
                (None, false) => LogTo::Stderr,
            };
            deliver(delivery, &scripts, sender, validation, &log)
        }
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

/// Exit 1 when any input is suspicious or could not be examined (it is
/// neither mail nor a calendar), so scripts can act on it.
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
        if report.suspicious || report.failure.is_some() {
            status = ExitCode::from(1);
        }
        if json {
            match serde_json::to_string(&report) {
                Ok(line) => outln!("{line}"),
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

/// Where `deliver` writes its log line.
enum LogTo {
    Stderr,
    File(PathBuf),
    Syslog,
}

impl LogTo {
    /// Write the line; when the file or syslog cannot take it, stderr does,
    /// so the line is never lost.
    fn write(&self, line: &str) {
        let written = match self {
            LogTo::Stderr => Err(()),
            LogTo::File(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| {
                    std::io::Write::write_all(
                        &mut file,
                        format!("sieve-imip deliver: {line}\n").as_bytes(),
                    )
                })
                .map_err(|_| ()),
            LogTo::Syslog => {
                let formatter = syslog::Formatter3164 {
                    facility: syslog::Facility::LOG_MAIL,
                    hostname: None,
                    process: "sieve-imip".into(),
                    pid: std::process::id(),
                };
                syslog::unix(formatter)
                    .map_err(|_| ())
                    .and_then(|mut logger| logger.info(format!("deliver: {line}")).map_err(|_| ()))
            }
        };
        if written.is_err() {
            eprintln!("sieve-imip deliver: {line}");
        }
    }
}

/// `deliver`: everything that goes wrong is in the log line, and the
/// message is stored unless the configuration itself is broken, or a
/// calendar store configured as required fails (then the MTA is asked to
/// retry, so a fix by the administrator, or the server's return, loses
/// nothing).
fn deliver(
    mut delivery: Delivery,
    scripts: &[PathBuf],
    sender: Option<String>,
    validation: ValidationArgs,
    log: &LogTo,
) -> ExitCode {
    let mut message = Vec::new();
    if let Err(error) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut message) {
        eprintln!("sieve-imip deliver: error: cannot read the message: {error}");
        return ExitCode::from(EX_TEMPFAIL as u8);
    }
    let envelope = Envelope {
        from: sender,
        to: validation.recipient.first().cloned(),
        ..Envelope::default()
    };
    let setup = match validation.delivery_setup() {
        Ok(setup) => setup,
        Err(Deferral::Logged) => return ExitCode::from(EX_TEMPFAIL as u8),
        Err(Deferral::Unavailable(reason)) => {
            log.write(&Delivery::deferred(&message, reason).log_line());
            return ExitCode::from(EX_TEMPFAIL as u8);
        }
    };
    delivery.calendar = setup.calendar;
    let engine = Engine::new().with_config(setup.config);
    // RFC 5228-style: a missing script is skipped; one that does not
    // compile ends the chain where it stands (the scripts before it run).
    let mut notes: Vec<String> = setup.note.into_iter().collect();
    let mut compiled: Vec<CompiledScript> = Vec::new();
    for path in scripts {
        let Ok(bytes) = std::fs::read(path) else {
            notes.push(format!(
                "{}: missing or unreadable, skipped",
                path.display()
            ));
            continue;
        };
        match engine.compile(&String::from_utf8_lossy(&bytes)) {
            Ok(script) => compiled.push(script),
            Err(error) => {
                notes.push(format!(
                    "{}:{}:{}: {}; the scripts from here on did not run",
                    path.display(),
                    error.line,
                    error.column,
                    error.kind
                ));
                break;
            }
        }
    }
    let chain: Vec<&CompiledScript> = compiled.iter().collect();
    let report = delivery.deliver_noting(&engine, &chain, &message, &envelope, notes);
    log.write(&report.log_line());
    if let Status::Rejected(reason) = &report.status {
        eprintln!("{reason}");
    }
    ExitCode::from(u8::try_from(report.status.exit_code()).unwrap_or(1))
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
        "calendar": outcome.calendar,
    });
    outln!("{line}");
}

fn print_text(path: &Path, outcome: &Outcome) {
    outln!("{}:", path.display());
    for action in &outcome.actions {
        outln!("  {action}");
    }
    // `test` runs the action on a dry run of the calendars: it says what
    // would be done, and nothing is written.
    for processed in &outcome.calendar {
        match &processed.reason {
            Some(reason) => outln!(
                "  (processcalendar, dry run: {}: {reason})",
                processed.outcome.as_str()
            ),
            None => outln!(
                "  (processcalendar, dry run: {})",
                processed.outcome.as_str()
            ),
        }
    }
    match &outcome.failure {
        Some(failure) if failure.keeps_message() => outln!("  ({failure}; message kept)"),
        Some(failure) => outln!("  ({failure})"),
        None => {}
    }
}

/// Exit 1 when some message could not be read or run, 2 when the run
/// cannot start (the script does not compile, a PATH is missing).
fn filter_command(
    engine: Engine,
    script: &Path,
    paths: &[PathBuf],
    format: Option<Format>,
    options: &FilterOptions,
    json: bool,
) -> ExitCode {
    let compiled = match compile_file(&engine, script) {
        Ok(compiled) => compiled,
        Err(()) => return ExitCode::from(2),
    };
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        match Input::open(path, format) {
            Ok(input) => inputs.push(input),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let progress = progress_bar(&inputs);
    let on_message = || {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    let run = filter(&engine, &compiled, &inputs, options, &on_message);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let run = match run {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let summary = Summary::of(&run);
    let mut out = String::new();
    if json {
        for message in &run.messages {
            out.push_str(&message.to_json_line());
            out.push('\n');
        }
        out.push_str(&summary.to_json_line());
        out.push('\n');
    } else {
        out.push_str(&summary.to_text());
    }
    write_stdout(&out);
    if summary.all_processed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A bar in messages when stderr is a terminal; nothing otherwise.
fn progress_bar(inputs: &[Input]) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total = inputs.iter().map(Input::estimate_messages).sum();
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} messages, {rate} messages/s, ETA {eta}",
    ) {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0}", state.per_sec());
            },
        ));
    }
    Some(bar)
}

/// Read and compile a script; errors go to stderr as `FILE:LINE:COL: error: ...`.
fn compile_file(engine: &Engine, script: &Path) -> Result<CompiledScript, ()> {
    let source = read_text(script).map_err(|_| ())?;
    engine.compile(&source).map_err(|error| {
        eprintln!(
            "{}:{}:{}: error: {}",
            script.display(),
            error.line,
            error.column,
            error.kind
        );
    })
}
