//! Evaluates one RRULE from the command line and prints the profile (a debugging aid).
//! `cargo run --release --example recurrence_probe -- 20260105T090000Z "FREQ=DAILY;COUNT=10"`

use sieve_imip::internals::DateValue;
use sieve_imip::internals::{evaluate, EvalOptions, Series};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(start), Some(rule)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: recurrence_probe DTSTART RRULE [DURATION]");
        std::process::exit(2);
    };
    let dtstart = DateValue {
        value: start.clone(),
        ..Default::default()
    };
    let rrules = vec![rule.clone()];
    let series = Series {
        dtstart: &dtstart,
        dtend: None,
        duration: args.get(3).map(String::as_str),
        rrules: &rrules,
        rdates: &[],
        exdates: &[],
    };
    let began = std::time::Instant::now();
    let evaluation = evaluate(&series, &EvalOptions::new(chrono::Utc::now()));
    println!("{evaluation:#?}\n{:?}", began.elapsed());
}
