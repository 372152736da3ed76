//! Differential test: the evaluator against a plain instance-by-instance
//! expander written here (every day of every period is tried against every
//! rule part), on 10,000 random rules over all FREQ values and rule parts.

use crate::calendar::DateValue;
use crate::recurrence::parse::{parse_recur, Frequency, Recur};
use crate::recurrence::InstanceCount;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::support::SeriesCase;

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn weekday_index(date: NaiveDate) -> i64 {
    i64::from(date.weekday().num_days_from_monday())
}

fn days_in_month(year: i32, month: u32) -> i64 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    (next.unwrap() - NaiveDate::from_ymd_opt(year, month, 1).unwrap()).num_days()
}

fn days_in_year(year: i32) -> i64 {
    (NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap()
        - NaiveDate::from_ymd_opt(year, 1, 1).unwrap())
    .num_days()
}

/// First day of week 1 of `year`: the week (starting on `wkst`) holding at least four days of the year.
fn week1_start(year: i32, wkst: i64) -> NaiveDate {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let back = (weekday_index(jan1) - wkst).rem_euclid(7);
    let start = jan1 - Duration::days(back);
    if back >= 4 {
        start + Duration::days(7)
    } else {
        start
    }
}

fn weeks_in(year: i32, wkst: i64) -> i64 {
    (week1_start(year + 1, wkst) - week1_start(year, wkst)).num_days() / 7
}

fn week_matches(rule: &Recur, date: NaiveDate) -> bool {
    let wkst = i64::from(rule.week_start.index());
    let year = date.year();
    let this = week1_start(year, wkst);
    let next = week1_start(year + 1, wkst);
    if date < this {
        let previous_weeks = weeks_in(year - 1, wkst);
        return rule
            .by_week_no
            .iter()
            .any(|&n| i64::from(n) == previous_weeks || n == -1);
    }
    if date >= next {
        return rule.by_week_no.contains(&1);
    }
    let number = (date - this).num_days() / 7 + 1;
    let weeks = weeks_in(year, wkst);
    rule.by_week_no
        .iter()
        .any(|&n| i64::from(n) == number || i64::from(n) == number - weeks - 1)
}

fn day_matches(rule: &Recur, date: NaiveDate, dtstart: NaiveDateTime) -> bool {
    let mut months = rule.by_month.clone();
    let mut month_days = rule.by_month_day.clone();
    let mut days: Vec<(Option<i32>, i64)> = rule
        .by_day
        .iter()
        .map(|d| (d.ordinal, i64::from(d.weekday.index())))
        .collect();
    if rule.by_week_no.is_empty()
        && rule.by_year_day.is_empty()
        && rule.by_month_day.is_empty()
        && rule.by_day.is_empty()
    {
        match rule.freq {
            Frequency::Yearly => {
                if months.is_empty() {
                    months.push(dtstart.month());
                }
                month_days.push(dtstart.day() as i32);
            }
            Frequency::Monthly => month_days.push(dtstart.day() as i32),
            Frequency::Weekly => days.push((None, weekday_index(dtstart.date()))),
            _ => {}
        }
    }
    if !months.is_empty() && !months.contains(&date.month()) {
        return false;
    }
    if !rule.by_week_no.is_empty() && !week_matches(rule, date) {
        return false;
    }
    if !rule.by_year_day.is_empty() {
        let n = i64::from(date.ordinal());
        let len = days_in_year(date.year());
        if !rule
            .by_year_day
            .iter()
            .any(|&d| i64::from(d) == n || i64::from(d) == n - len - 1)
        {
            return false;
        }
    }
    if !month_days.is_empty() {
        let n = i64::from(date.day());
        let len = days_in_month(date.year(), date.month());
        if !month_days
            .iter()
            .any(|&d| i64::from(d) == n || i64::from(d) == n - len - 1)
        {
            return false;
        }
    }
    if !days.is_empty() {
        let in_month = rule.freq == Frequency::Monthly
            || (rule.freq == Frequency::Yearly && !months.is_empty());
        let (scope_start, scope_len) = if in_month {
            (
                NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap(),
                days_in_month(date.year(), date.month()),
            )
        } else {
            (
                NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap(),
                days_in_year(date.year()),
            )
        };
        let offset = (date - scope_start).num_days();
        let nth = offset / 7 + 1;
        let nth_from_end = -((scope_len - 1 - offset) / 7 + 1);
        let wd = weekday_index(date);
        let ok = days.iter().any(|&(ordinal, w)| {
            w == wd && ordinal.is_none_or(|o| i64::from(o) == nth || i64::from(o) == nth_from_end)
        });
        if !ok {
            return false;
        }
    }
    true
}

fn list_or(values: &[u32], default: u32, limit: u32) -> Vec<u32> {
    if values.is_empty() {
        vec![default]
    } else {
        let mut v: Vec<u32> = values.iter().copied().filter(|&x| x < limit).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn apply_set_pos(rule: &Recur, mut candidates: Vec<NaiveDateTime>) -> Vec<NaiveDateTime> {
    candidates.sort();
    if rule.by_set_pos.is_empty() {
        return candidates;
    }
    let n = candidates.len() as i64;
    let mut out: Vec<NaiveDateTime> = rule
        .by_set_pos
        .iter()
        .filter_map(|&p| {
            let i = if p > 0 {
                i64::from(p) - 1
            } else {
                n + i64::from(p)
            };
            (0..n).contains(&i).then(|| candidates[i as usize])
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

struct Expansion {
    instances: Vec<NaiveDateTime>,
    complete: bool,
}

/// Instance-by-instance RFC 5545 expansion up to `scan_end`.
/// `iso_weeks`: a YEARLY BYWEEKNO rule's periods are week-numbering years
/// (a straddling week belongs to the year it is numbered in).
fn expand(
    rule: &Recur,
    dtstart: NaiveDateTime,
    until: Option<NaiveDateTime>,
    scan_end: NaiveDateTime,
    iso_weeks: bool,
) -> Expansion {
    let n = rule.interval as i64;
    let (h0, m0, s0) = (dtstart.hour(), dtstart.minute(), dtstart.second());
    let coarse = rule.freq >= Frequency::Daily;
    let hours = if coarse {
        list_or(&rule.by_hour, h0, 24)
    } else {
        vec![]
    };
    let minutes = if rule.freq >= Frequency::Hourly {
        list_or(&rule.by_minute, m0, 60)
    } else {
        vec![]
    };
    let seconds = if rule.freq >= Frequency::Minutely {
        list_or(&rule.by_second, s0, 60)
    } else {
        vec![]
    };
    let times: Vec<NaiveTime> = if coarse {
        let mut v = Vec::new();
        for &h in &hours {
            for &m in &minutes {
                for &s in &seconds {
                    v.push(NaiveTime::from_hms_opt(h, m, s).unwrap());
                }
            }
        }
        v
    } else {
        vec![]
    };
    let mut found: Vec<NaiveDateTime> = Vec::new();
    let count = rule.count.map(|c| c as usize);
    let start_date = dtstart.date();
    let mut k: i64 = 0;
    let mut complete = false;
    loop {
        let (period_start, candidates): (NaiveDateTime, Vec<NaiveDateTime>) = match rule.freq {
            Frequency::Yearly if iso_weeks => {
                let year = start_date.year() + (k * n) as i32;
                let wkst = i64::from(rule.week_start.index());
                let (first, next) = (week1_start(year, wkst), week1_start(year + 1, wkst));
                let weeks = weeks_in(year, wkst);
                let mut other_parts = rule.clone();
                other_parts.by_week_no.clear();
                let days: Vec<NaiveDate> = (0..(next - first).num_days())
                    .map(|d| first + Duration::days(d))
                    .filter(|&day| {
                        let number = (day - first).num_days() / 7 + 1;
                        rule.by_week_no
                            .iter()
                            .any(|&w| i64::from(w) == number || i64::from(w) == number - weeks - 1)
                    })
                    .collect();
                (
                    first.and_hms_opt(0, 0, 0).unwrap(),
                    day_candidates(&other_parts, &days, &times, dtstart),
                )
            }
            Frequency::Yearly => {
                let year = start_date.year() + (k * n) as i32;
                let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
                let days: Vec<NaiveDate> = (0..days_in_year(year))
                    .map(|d| first + Duration::days(d))
                    .collect();
                (
                    first.and_hms_opt(0, 0, 0).unwrap(),
                    day_candidates(rule, &days, &times, dtstart),
                )
            }
            Frequency::Monthly => {
                let index =
                    i64::from(start_date.year()) * 12 + i64::from(start_date.month0()) + k * n;
                let (year, month) = (index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1);
                let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
                let days: Vec<NaiveDate> = (0..days_in_month(year, month))
                    .map(|d| first + Duration::days(d))
                    .collect();
                (
                    first.and_hms_opt(0, 0, 0).unwrap(),
                    day_candidates(rule, &days, &times, dtstart),
                )
            }
            Frequency::Weekly => {
                let back =
                    (weekday_index(start_date) - i64::from(rule.week_start.index())).rem_euclid(7);
                let first = start_date - Duration::days(back) + Duration::days(7 * k * n);
                let days: Vec<NaiveDate> = (0..7).map(|d| first + Duration::days(d)).collect();
                (
                    first.and_hms_opt(0, 0, 0).unwrap(),
                    day_candidates(rule, &days, &times, dtstart),
                )
            }
            Frequency::Daily => {
                let day = start_date + Duration::days(k * n);
                (
                    day.and_hms_opt(0, 0, 0).unwrap(),
                    day_candidates(rule, &[day], &times, dtstart),
                )
            }
            Frequency::Hourly | Frequency::Minutely | Frequency::Secondly => {
                let unit = match rule.freq {
                    Frequency::Hourly => 3600,
                    Frequency::Minutely => 60,
                    _ => 1,
                };
                let truncated = dtstart
                    - Duration::seconds(i64::from(dtstart.num_seconds_from_midnight()) % unit);
                let at = truncated + Duration::seconds(unit * k * n);
                let mut candidates = Vec::new();
                let unit_ok = (rule.by_hour.is_empty() || rule.by_hour.contains(&at.hour()))
                    && (unit == 3600
                        || rule.by_minute.is_empty()
                        || rule.by_minute.contains(&at.minute()))
                    && (unit != 1
                        || rule.by_second.is_empty()
                        || rule.by_second.contains(&at.second()));
                if unit_ok && day_matches(rule, at.date(), dtstart) {
                    match rule.freq {
                        Frequency::Hourly => {
                            for &m in &minutes {
                                for &s in &seconds {
                                    candidates.push(at + Duration::seconds(i64::from(m * 60 + s)));
                                }
                            }
                        }
                        Frequency::Minutely => {
                            for &s in &seconds {
                                candidates.push(at + Duration::seconds(i64::from(s)));
                            }
                        }
                        _ => candidates.push(at),
                    }
                }
                (at, apply_set_pos(rule, candidates))
            }
        };
        if period_start > scan_end {
            break;
        }
        if let Some(until) = until {
            if period_start > until {
                complete = true;
                break;
            }
        }
        for t in candidates {
            if t < dtstart || until.is_some_and(|u| t > u) {
                continue;
            }
            found.push(t);
        }
        if count.is_some_and(|c| found.len() + 1 >= c + 5) {
            // enough to apply COUNT below (with DTSTART counted first)
            complete = true;
            break;
        }
        k += 1;
    }
    if !found.contains(&dtstart) {
        found.insert(0, dtstart);
    }
    found.sort();
    found.dedup();
    if let Some(c) = count {
        if found.len() >= c {
            found.truncate(c);
            complete = true;
        }
    }
    Expansion {
        instances: found,
        complete,
    }
}

fn day_candidates(
    rule: &Recur,
    days: &[NaiveDate],
    times: &[NaiveTime],
    dtstart: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    let mut out = Vec::new();
    for &day in days {
        if day_matches(rule, day, dtstart) {
            for &t in times {
                out.push(day.and_time(t));
            }
        }
    }
    apply_set_pos(rule, out)
}

fn random_list(
    rng: &mut StdRng,
    low: i32,
    high: i32,
    max_len: usize,
    allow_negative: bool,
) -> Vec<i32> {
    let len = rng.gen_range(1..=max_len);
    (0..len)
        .map(|_| {
            let v = rng.gen_range(low..=high);
            if allow_negative && rng.gen_bool(0.3) {
                -v
            } else {
                v
            }
        })
        .collect()
}

fn join(values: &[i32]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Span the reference expansion covers for each frequency.
fn span(freq: Frequency) -> Duration {
    match freq {
        Frequency::Yearly => Duration::days(366 * 40),
        Frequency::Monthly => Duration::days(366 * 12),
        Frequency::Weekly => Duration::days(366 * 5),
        Frequency::Daily => Duration::days(366 * 2),
        Frequency::Hourly => Duration::days(40),
        Frequency::Minutely => Duration::days(2),
        Frequency::Secondly => Duration::hours(3),
    }
}

fn random_rule(rng: &mut StdRng, dtstart: NaiveDateTime) -> String {
    let freqs = [
        Frequency::Yearly,
        Frequency::Monthly,
        Frequency::Weekly,
        Frequency::Daily,
        Frequency::Hourly,
        Frequency::Minutely,
        Frequency::Secondly,
    ];
    let freq = *freqs.choose(rng).unwrap();
    let mut parts = vec![format!("FREQ={}", freq.as_str())];
    if rng.gen_bool(0.4) {
        let max = match freq {
            Frequency::Secondly => 90,
            Frequency::Minutely => 100,
            _ => 5,
        };
        parts.push(format!("INTERVAL={}", rng.gen_range(1..=max)));
    }
    let coarse = freq >= Frequency::Daily;
    if rng.gen_bool(0.3) {
        parts.push(format!(
            "BYMONTH={}",
            join(&random_list(rng, 1, 12, 4, false))
        ));
    }
    if freq == Frequency::Yearly && rng.gen_bool(0.25) {
        parts.push(format!(
            "BYWEEKNO={}",
            join(&random_list(rng, 1, 53, 3, true))
        ));
    }
    if !matches!(
        freq,
        Frequency::Daily | Frequency::Weekly | Frequency::Monthly
    ) && rng.gen_bool(0.2)
    {
        parts.push(format!(
            "BYYEARDAY={}",
            join(&random_list(rng, 1, 366, 4, true))
        ));
    }
    if freq != Frequency::Weekly && rng.gen_bool(0.3) {
        parts.push(format!(
            "BYMONTHDAY={}",
            join(&random_list(rng, 1, 31, 4, true))
        ));
    }
    if rng.gen_bool(0.45) {
        let ordinals = matches!(freq, Frequency::Monthly | Frequency::Yearly)
            && !parts.iter().any(|p| p.starts_with("BYWEEKNO"));
        let len = rng.gen_range(1..=3);
        let days: Vec<String> = (0..len)
            .map(|_| {
                let wd = WEEKDAYS.choose(rng).unwrap();
                if ordinals && rng.gen_bool(0.5) {
                    let max = if freq == Frequency::Monthly
                        || parts.iter().any(|p| p.starts_with("BYMONTH="))
                    {
                        5
                    } else {
                        53
                    };
                    let n = rng.gen_range(1..=max);
                    let n = if rng.gen_bool(0.4) { -n } else { n };
                    format!("{n}{wd}")
                } else {
                    wd.to_string()
                }
            })
            .collect();
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if rng.gen_bool(if coarse { 0.25 } else { 0.35 }) {
        parts.push(format!(
            "BYHOUR={}",
            join(&random_list(rng, 0, 23, 3, false))
        ));
    }
    if rng.gen_bool(if coarse { 0.2 } else { 0.35 }) {
        parts.push(format!(
            "BYMINUTE={}",
            join(&random_list(rng, 0, 59, 3, false))
        ));
    }
    if rng.gen_bool(if coarse { 0.15 } else { 0.3 }) {
        parts.push(format!(
            "BYSECOND={}",
            join(&random_list(rng, 0, 59, 3, false))
        ));
    }
    if parts.len() > 1 && parts.iter().any(|p| p.starts_with("BY")) && rng.gen_bool(0.25) {
        parts.push(format!(
            "BYSETPOS={}",
            join(&random_list(rng, 1, 6, 2, true))
        ));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("WKST={}", WEEKDAYS.choose(rng).unwrap()));
    }
    match rng.gen_range(0..3) {
        0 => parts.push(format!("COUNT={}", rng.gen_range(1..=40))),
        1 => {
            let total = span(freq).num_seconds();
            let until = dtstart + Duration::seconds(rng.gen_range(-total / 20..total));
            parts.push(format!("UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
        }
        _ => {}
    }
    parts.shuffle(rng);
    parts.join(";")
}

fn utc(t: NaiveDateTime) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&t)
}

#[test]
fn evaluator_agrees_with_instance_by_instance_expansion() {
    let mut rng = StdRng::seed_from_u64(5545);
    let mut compared_totals = 0;
    let cases: usize = std::env::var("RECURRENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    for case in 0..cases {
        let dtstart = NaiveDate::from_ymd_opt(
            rng.gen_range(1995..2035),
            rng.gen_range(1..=12),
            rng.gen_range(1..=28),
        )
        .unwrap()
        .and_hms_opt(
            rng.gen_range(0..24),
            rng.gen_range(0..60),
            rng.gen_range(0..60),
        )
        .unwrap();
        let text = random_rule(&mut rng, dtstart);
        let rule = parse_recur(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let span = span(rule.freq);
        let scan_end = dtstart + span;
        let until = rule.until.map(|u| {
            let t = u.time.unwrap();
            NaiveDate::from_ymd_opt(u.year as i32, u.month, u.day)
                .unwrap()
                .and_hms_opt(t.hour, t.minute, t.second)
                .unwrap()
        });
        // RFC 5545 3.3.10 takes a part the rule leaves out from DTSTART;
        // the evaluator reports the expanded reading beside it.
        let mut rfc_rule = rule.clone();
        let yearly = rule.freq == Frequency::Yearly;
        let ambiguous_weekno = yearly
            && !rule.by_week_no.is_empty()
            && rule.by_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_year_day.is_empty();
        let ambiguous_monthday = yearly
            && !rule.by_month_day.is_empty()
            && rule.by_month.is_empty()
            && rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_day.is_empty();
        if ambiguous_weekno {
            let index = weekday_index(dtstart.date()) as usize;
            rfc_rule.by_day = parse_recur(&format!("FREQ=YEARLY;BYDAY={}", WEEKDAYS[index]))
                .unwrap()
                .by_day;
        }
        if ambiguous_monthday {
            rfc_rule.by_month = vec![dtstart.month()];
        }
        let straddling = yearly
            && !rule.by_week_no.is_empty()
            && rule.interval > 1
            && rule.by_year_day.is_empty()
            && rule.by_set_pos.is_empty();
        let reference = expand(&rfc_rule, dtstart, until, scan_end, straddling);
        let expanded = (ambiguous_weekno || ambiguous_monthday || straddling)
            .then(|| expand(&rule, dtstart, until, scan_end, false));
        // Windows inside the scanned span.
        let now = dtstart
            + Duration::seconds(rng.gen_range(-span.num_seconds() / 4..span.num_seconds() / 2));
        let horizon =
            Duration::seconds(rng.gen_range(1..=(scan_end - now).num_seconds().max(2) - 1));
        let exdates: Vec<DateValue> = if rng.gen_bool(0.2) && reference.instances.len() > 1 {
            let pick = reference.instances[rng.gen_range(0..reference.instances.len())];
            vec![DateValue {
                value: pick.format("%Y%m%dT%H%M%SZ").to_string(),
                ..Default::default()
            }]
        } else {
            vec![]
        };
        let rdates: Vec<DateValue> = if rng.gen_bool(0.2) {
            let at = dtstart + Duration::seconds(rng.gen_range(0..span.num_seconds() / 2));
            vec![DateValue {
                value: at.format("%Y%m%dT%H%M%SZ").to_string(),
                ..Default::default()
            }]
        } else {
            vec![]
        };
        let duration_seconds = if rng.gen_bool(0.5) {
            0
        } else {
            rng.gen_range(1..(span.num_seconds() / 20).max(2))
        };
        let duration = format!("PT{duration_seconds}S");
        let dtstart_value = DateValue {
            value: dtstart.format("%Y%m%dT%H%M%SZ").to_string(),
            ..Default::default()
        };
        let evaluation = SeriesCase::new(dtstart_value, utc(now), horizon)
            .duration(Some(&duration))
            .rule(&text)
            .rdates(rdates.clone())
            .exdates(exdates.clone())
            .evaluate();
        let profile = evaluation
            .profile
            .unwrap_or_else(|| panic!("case {case} {text}: no profile {:?}", evaluation.findings));

        // The reference set with RDATE/EXDATE applied.
        let mut set = reference.instances.clone();
        for r in &rdates {
            let t = NaiveDateTime::parse_from_str(&r.value, "%Y%m%dT%H%M%SZ").unwrap();
            if t < scan_end || reference.complete {
                set.push(t);
            }
        }
        set.sort();
        set.dedup();
        for e in &exdates {
            let t = NaiveDateTime::parse_from_str(&e.value, "%Y%m%dT%H%M%SZ").unwrap();
            set.retain(|&x| x != t);
        }
        let context = format!("case {case}: DTSTART={dtstart} RRULE={text} now={now} horizon={horizon} rdates={rdates:?} exdates={exdates:?} duration={duration_seconds}");
        let window_end = now + horizon;
        if let Some(expanded) = &expanded {
            let mut other = expanded.instances.clone();
            for r in &rdates {
                other.push(NaiveDateTime::parse_from_str(&r.value, "%Y%m%dT%H%M%SZ").unwrap());
            }
            other.sort();
            other.dedup();
            for e in &exdates {
                let t = NaiveDateTime::parse_from_str(&e.value, "%Y%m%dT%H%M%SZ").unwrap();
                other.retain(|&x| x != t);
            }
            let in_window = other
                .iter()
                .filter(|&&t| t >= now && t < window_end)
                .count();
            let reported = profile
                .other_reading
                .as_ref()
                .unwrap_or_else(|| panic!("no other reading {context}"));
            assert_eq!(
                reported.instances_in_horizon, in_window as u64,
                "other reading instances_in_horizon {context}"
            );
        } else {
            assert!(profile.other_reading.is_none(), "other reading {context}");
        }
        let in_window: Vec<&NaiveDateTime> = set
            .iter()
            .filter(|&&t| t >= now && t < window_end)
            .collect();
        assert_eq!(
            profile.instances_in_horizon,
            in_window.len() as u64,
            "instances_in_horizon {context}"
        );
        assert_eq!(
            profile.first_start_in_horizon,
            in_window.first().map(|&&t| utc(t)),
            "first_start_in_horizon {context}"
        );
        assert_eq!(
            profile.first_start,
            set.first().map(|&t| utc(t)),
            "first_start {context}"
        );
        if reference.complete {
            compared_totals += 1;
            assert_eq!(
                profile.instances_total,
                InstanceCount::Exact(set.len() as u64),
                "instances_total {context}"
            );
            assert_eq!(
                profile.last_start,
                set.last().map(|&t| utc(t)),
                "last_start {context}"
            );
            let mut per_day = std::collections::HashMap::new();
            for t in &set {
                *per_day.entry(t.date()).or_insert(0u64) += 1;
            }
            assert_eq!(
                profile.max_per_day,
                per_day.values().copied().max().unwrap_or(0),
                "max_per_day {context}"
            );
            if set.len() <= 64 {
                let mut best = if set.is_empty() { 0 } else { 1 };
                if duration_seconds > 0 {
                    for (i, &s) in set.iter().enumerate() {
                        let n = set[i..]
                            .iter()
                            .take_while(|&&t| t < s + Duration::seconds(duration_seconds))
                            .count();
                        best = best.max(n as u64);
                    }
                }
                assert_eq!(profile.max_overlap, best, "max_overlap {context}");
            }
        } else if rule.count.is_none() && rule.until.is_none() && reference.instances.len() > 1 {
            assert_eq!(
                profile.instances_total,
                InstanceCount::Unbounded,
                "unbounded {context}"
            );
        }
    }
    assert!(
        compared_totals > cases / 3,
        "only {compared_totals} complete expansions"
    );
}
