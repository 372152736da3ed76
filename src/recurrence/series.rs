//! One recurrence set (DTSTART, DTEND/DURATION, RRULE, RDATE, EXDATE)
//! turned into a [`RecurrenceProfile`] from prefix counts, never by listing
//! its instances.

use chrono::{DateTime, Utc};

use super::civil::SECONDS_PER_DAY;
use super::counter::{Oversized, RuleCounter, WORK_BUDGET};
use super::parse::{
    parse_date_or_date_time, parse_duration, parse_period, parse_recur, DateOrDateTime, PeriodEnd,
};
use super::plan::Plan;
use super::zone::{local_seconds, Zone};
use crate::calendar::{DateValue, TimeZoneDefinition};
use crate::finding::{quote_untrusted, Finding, Quote, Reason};

/// One recurring component's recurrence properties, as the calendar model holds them.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// DTSTART: the first instance, and the zone the rules count in.
    pub dtstart: &'a DateValue,
    /// DTEND (or a VTODO's DUE): each instance's length with DTSTART.
    pub dtend: Option<&'a DateValue>,
    /// DURATION, as written, when there is no DTEND.
    pub duration: Option<&'a str>,
    /// Every RRULE value, as written.
    pub rrules: &'a [String],
    /// Every RDATE value.
    pub rdates: &'a [DateValue],
    /// Every EXDATE value.
    pub exdates: &'a [DateValue],
}

/// How many days ahead recurrence is counted unless configured otherwise.
pub const DEFAULT_HORIZON_DAYS: u32 = 365;

/// The clock, the horizon and the object's time zones.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions<'a> {
    /// The clock: where the horizon starts.
    pub now: DateTime<Utc>,
    /// Length of the window `[now, now + horizon)`; [`DEFAULT_HORIZON_DAYS`] by default.
    pub horizon: chrono::Duration,
    /// The object's VTIMEZONEs, which TZIDs resolve through first.
    pub timezones: &'a [TimeZoneDefinition],
}

impl EvalOptions<'_> {
    /// Options with the default horizon and no VTIMEZONE.
    #[cfg(any(test, feature = "internals"))]
    pub fn new(now: DateTime<Utc>) -> EvalOptions<'static> {
        EvalOptions {
            now,
            horizon: chrono::Duration::days(i64::from(DEFAULT_HORIZON_DAYS)),
            timezones: &[],
        }
    }
}

/// An exact instance count, or no end at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceCount {
    /// This many instances.
    Exact(u64),
    /// No end: neither COUNT nor UNTIL bounds a rule.
    Unbounded,
}

/// What the recurrence set amounts to.
///
/// Counting is done on the series' local wall-clock time (the DTSTART
/// zone; floating and DATE values as if UTC), as RFC 5545 expands rules;
/// times are reported in UTC. `max_per_day` counts instances starting on
/// one *local* calendar day of that zone. `max_overlap` is the largest
/// number of instances in progress at once, each occupying
/// `[start, start + duration)` on the local timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceProfile {
    pub instances_total: InstanceCount,
    /// Instances starting in `[now, now + horizon)`.
    pub instances_in_horizon: u64,
    pub first_start: Option<DateTime<Utc>>,
    /// Last instance of a bounded set (None when unbounded or beyond year 262143).
    pub last_start: Option<DateTime<Utc>>,
    pub first_start_in_horizon: Option<DateTime<Utc>>,
    pub max_per_day: u64,
    pub max_overlap: u64,
    /// How the DTSTART zone was resolved when that was not exact (unknown TZID, floating time).
    pub timezone_note: Option<String>,
}

/// The profile (when DTSTART could be read) and what was wrong on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evaluation {
    pub profile: Option<RecurrenceProfile>,
    pub findings: Vec<Finding>,
}

struct RuleCount {
    engine: RuleCounter,
    /// The counter's count before DTSTART.
    base: u128,
    /// Most rule instances at or after DTSTART the set holds (COUNT/UNTIL).
    cap: Option<u128>,
    empty: bool,
}

/// The set before RDATE/EXDATE: DTSTART plus each rule's instances.
struct RuleSet {
    start: i64,
    rules: Vec<RuleCount>,
    /// DTSTART is not produced by any rule but is still the first instance.
    start_extra: bool,
}

impl RuleSet {
    /// Instances in `[start, x)`.
    fn count_before(&self, x: i64) -> Result<u128, Oversized> {
        if x <= self.start {
            return Ok(0);
        }
        let mut total = u128::from(self.start_extra);
        for rule in &self.rules {
            let n = rule.engine.count_before(x)?.saturating_sub(rule.base);
            total += rule.cap.map_or(n, |cap| n.min(cap));
        }
        Ok(total)
    }

    fn contains(&self, t: i64) -> Result<bool, Oversized> {
        Ok(self.count_before(t.saturating_add(1))? > self.count_before(t)?)
    }

    fn total(&self) -> Option<u128> {
        let mut total = u128::from(self.start_extra);
        for rule in &self.rules {
            if rule.empty {
                continue;
            }
            total += rule.cap?;
        }
        Some(total)
    }

    /// The `k`-th instance (0-based) of the set.
    fn select(&self, k: u128) -> Result<Option<i64>, Oversized> {
        if let Some(total) = self.total() {
            if k >= total {
                return Ok(None);
            }
        }
        let mut k = k;
        if self.start_extra {
            if k == 0 {
                return Ok(Some(self.start));
            }
            k -= 1;
        }
        if let [rule] = self.rules.as_slice() {
            if rule.cap.is_some_and(|cap| k >= cap) {
                return Ok(None);
            }
            return rule.engine.select(rule.base + k);
        }
        // Several rules: the k-th of the union lies at or before each rule's own k-th.
        let mut high: Option<i64> = None;
        for rule in &self.rules {
            if rule.cap.is_some_and(|cap| k >= cap) || rule.empty {
                continue;
            }
            if let Some(t) = rule.engine.select(rule.base + k)? {
                high = Some(high.map_or(t, |h: i64| h.max(t)));
            }
        }
        let Some(mut high) = high else {
            return Ok(None);
        };
        let target = k + u128::from(self.start_extra);
        let mut low = self.start;
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.count_before(mid + 1)? > target {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(Some(if self.count_before(low + 1)? > target {
            low
        } else {
            high
        }))
    }
}

/// The final set: the rule set, plus RDATEs it lacks, minus EXDATEs it has.
struct FinalSet {
    rules: RuleSet,
    added: Vec<i64>,
    removed: Vec<i64>,
}

impl FinalSet {
    fn count_before(&self, x: i64) -> Result<u128, Oversized> {
        let added = self.added.partition_point(|&t| t < x) as u128;
        let removed = self.removed.partition_point(|&t| t < x) as u128;
        Ok((self.rules.count_before(x)? + added).saturating_sub(removed))
    }

    fn total(&self) -> Option<u128> {
        Some(
            (self.rules.total()? + self.added.len() as u128)
                .saturating_sub(self.removed.len() as u128),
        )
    }

    /// The `k`-th instance: walk the few RDATE/EXDATE events, letting the
    /// rule set answer between them.
    fn select(&self, k: u128) -> Result<Option<i64>, Oversized> {
        let mut events: Vec<(i64, bool)> = self
            .added
            .iter()
            .map(|&t| (t, true))
            .chain(self.removed.iter().map(|&t| (t, false)))
            .collect();
        events.sort_unstable();
        let mut remaining = k;
        let mut position = i64::MIN;
        for (at, is_addition) in events {
            let in_between = self
                .rules
                .count_before(at)?
                .saturating_sub(self.rules.count_before(position)?);
            if remaining < in_between {
                let index = self.rules.count_before(position)? + remaining;
                return self.rules.select(index);
            }
            remaining -= in_between;
            if is_addition {
                if remaining == 0 {
                    return Ok(Some(at));
                }
                remaining -= 1;
            }
            position = at.saturating_add(1);
        }
        let index = self.rules.count_before(position)? + remaining;
        self.rules.select(index)
    }
}

fn malformed(detail: String) -> Finding {
    Finding::new(Reason::Malformed, detail)
}

/// A value from the calendar as a detail quotes it.
fn quoted(text: &str) -> String {
    quote_untrusted(text, Quote::Value)
}

fn to_datetime(utc: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(utc, 0)
}

/// A DATE, DATE-TIME or PERIOD value on the series' local timeline.
/// `series_tzid` is the TZID the series zone was resolved from, if any: a
/// value in the same zone reuses it instead of resolving the zone again
/// (a VTIMEZONE costs more to build than the value costs to place).
fn value_on_timeline(
    value: &DateValue,
    series_zone: &Zone,
    series_tzid: Option<&str>,
    timezones: &[TimeZoneDefinition],
    start_time: i64,
    start_is_date: bool,
) -> Option<(i64, Option<i64>)> {
    let is_period = value.value_type.as_deref() == Some("PERIOD") || value.value.contains('/');
    let (parsed, end) = if is_period {
        let (start, end) = parse_period(&value.value)?;
        (start, Some(end))
    } else {
        (parse_date_or_date_time(&value.value)?, None)
    };
    let mut local = local_seconds(&parsed);
    if parsed.time.is_none() && !start_is_date {
        // A DATE in a DATE-TIME set stands for that day's instance.
        local += start_time;
    }
    let utc_of = |local: i64, d: &DateOrDateTime| -> i64 {
        if d.utc {
            local
        } else if let Some(tzid) = value
            .tzid
            .as_deref()
            .filter(|tzid| Some(*tzid) != series_tzid)
        {
            Zone::resolve(tzid, timezones).map_or(local, |z| z.to_utc(local))
        } else {
            series_zone.to_utc(local)
        }
    };
    let on_series = |local: i64, d: &DateOrDateTime| -> i64 {
        if d.utc || value.tzid.is_some() {
            series_zone.to_local(utc_of(local, d))
        } else {
            local
        }
    };
    let start_utc = utc_of(local, &parsed);
    let duration = end.map(|e| match e {
        PeriodEnd::After(seconds) => seconds,
        PeriodEnd::At(end) => utc_of(local_seconds(&end), &end) - start_utc,
    });
    local = on_series(local, &parsed);
    Some((local, duration))
}

/// Evaluate one recurrence set. Never panics; bounded work whatever COUNT,
/// UNTIL or the horizon (a rule too irregular for the work budget gives an
/// `oversized` finding and no profile).
pub fn evaluate(series: &Series<'_>, options: &EvalOptions<'_>) -> Evaluation {
    let mut findings = Vec::new();
    let profile = match evaluate_inner(series, options, &mut findings) {
        Ok(profile) => profile,
        Err(Oversized) => {
            findings.push(Finding::new(
                Reason::Oversized,
                "recurrence too irregular to count within the work limit",
            ));
            None
        }
    };
    Evaluation { profile, findings }
}

fn evaluate_inner(
    series: &Series<'_>,
    options: &EvalOptions<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Option<RecurrenceProfile>, Oversized> {
    let Some(start_value) = parse_date_or_date_time(&series.dtstart.value) else {
        findings.push(malformed(format!(
            "DTSTART value \"{}\" is not a DATE or DATE-TIME",
            quoted(&series.dtstart.value)
        )));
        return Ok(None);
    };
    let start_is_date = start_value.time.is_none();
    let mut timezone_note = None;
    let zone = if start_value.utc {
        Zone::Utc
    } else if let Some(tzid) = series.dtstart.tzid.as_deref().filter(|_| !start_is_date) {
        match Zone::resolve(tzid, options.timezones) {
            Ok(zone) => zone,
            Err(note) => {
                timezone_note = Some(note);
                Zone::Utc
            }
        }
    } else {
        if !start_is_date {
            timezone_note = Some("floating DTSTART: local times taken as UTC".to_string());
        }
        Zone::Floating
    };
    let start = local_seconds(&start_value);
    let start_time = start.rem_euclid(SECONDS_PER_DAY);
    let series_tzid = series.dtstart.tzid.as_deref().filter(|_| !start_is_date);

    let duration = instance_duration(series, &zone, options, start, start_is_date, findings);

    let mut rules = Vec::new();
    for text in series.rrules {
        let recur = match parse_recur(text) {
            Ok(recur) => recur,
            Err(error) => {
                findings.push(malformed(format!("RRULE \"{}\": {error}", quoted(text))));
                continue;
            }
        };
        if start_is_date
            && (recur.freq < super::parse::Frequency::Daily
                || !recur.by_hour.is_empty()
                || !recur.by_minute.is_empty()
                || !recur.by_second.is_empty())
        {
            findings.push(malformed(format!(
                "RRULE \"{}\": time rule parts with an all-day (DATE) DTSTART",
                quoted(text)
            )));
        }
        let engine = RuleCounter::new(Plan::new(&recur, start), WORK_BUDGET);
        let base = engine.count_before(start)?;
        let starts_here = engine.count_before(start + 1)? > base;
        let empty = engine.select(base)?.is_none();
        let cap = if let Some(count) = recur.count {
            // DTSTART always counts as the first instance (RFC 5545 3.8.5.3).
            Some(u128::from(count) - u128::from(!starts_here))
        } else if let Some(until) = recur.until {
            let limit = until_on_timeline(&until, &zone, start_is_date);
            Some(if limit < start {
                0
            } else {
                engine
                    .count_before(limit.saturating_add(1))?
                    .saturating_sub(base)
            })
        } else {
            None
        };
        // An UNTIL before DTSTART leaves DTSTART alone in the set.
        let keeps_start = starts_here && cap != Some(0);
        rules.push((
            RuleCount {
                engine,
                base,
                cap,
                empty,
            },
            keeps_start,
        ));
    }
    let start_extra = !rules.iter().any(|(_, starts_here)| *starts_here);
    let rule_set = RuleSet {
        start,
        rules: rules.into_iter().map(|(rule, _)| rule).collect(),
        start_extra,
    };

    let on_timeline = |values: &[DateValue],
                       what: &str,
                       findings: &mut Vec<Finding>|
     -> Vec<(i64, Option<i64>)> {
        let mut out = Vec::new();
        for value in values.iter().take(10_000) {
            match value_on_timeline(
                value,
                &zone,
                series_tzid,
                options.timezones,
                start_time,
                start_is_date,
            ) {
                Some(t) => out.push(t),
                None => findings.push(malformed(format!(
                    "{what} value \"{}\" is not valid",
                    quoted(&value.value)
                ))),
            }
        }
        out
    };
    let rdates = on_timeline(series.rdates, "RDATE", findings);
    let exdates = on_timeline(series.exdates, "EXDATE", findings);
    let mut removed: Vec<i64> = Vec::new();
    for &(t, _) in &exdates {
        if rule_set.contains(t)? {
            removed.push(t);
        }
    }
    removed.sort_unstable();
    removed.dedup();
    let mut added: Vec<i64> = Vec::new();
    for &(t, _) in &rdates {
        let excluded = exdates.iter().any(|&(e, _)| e == t);
        if !excluded && !rule_set.contains(t)? {
            added.push(t);
        }
    }
    added.sort_unstable();
    added.dedup();
    let set = FinalSet {
        rules: rule_set,
        added,
        removed,
    };

    let total = set.total();
    let first = set.select(0)?;
    let last = match total {
        Some(0) | None => None,
        Some(n) => set.select(n - 1)?,
    };
    let now = options.now.timestamp();
    let horizon_end = now.saturating_add(options.horizon.num_seconds().max(0));
    let window_start = zone.local_at_or_before(now - 1) + 1;
    let window_end = zone.local_at_or_before(horizon_end - 1) + 1;
    let before_window = set.count_before(window_start)?;
    let in_horizon = set.count_before(window_end)?.saturating_sub(before_window);
    let first_in_horizon = if in_horizon > 0 {
        set.select(before_window)?
    } else {
        None
    };

    let max_per_day = max_per_day(&set, first, last, total, &rdates, &exdates)?;
    let max_overlap = max_overlap(&set, total, duration, before_window)?;

    let utc = |t: Option<i64>| t.and_then(|t| to_datetime(zone.to_utc(t)));
    Ok(Some(RecurrenceProfile {
        instances_total: match total {
            Some(n) => InstanceCount::Exact(u64::try_from(n).unwrap_or(u64::MAX)),
            None => InstanceCount::Unbounded,
        },
        instances_in_horizon: u64::try_from(in_horizon).unwrap_or(u64::MAX),
        first_start: utc(first),
        last_start: utc(last),
        first_start_in_horizon: utc(first_in_horizon),
        max_per_day,
        max_overlap,
        timezone_note,
    }))
}

/// Length of each instance in seconds: DTEND - DTSTART, else DURATION,
/// else RFC 5545's default (one day for a DATE, zero for a DATE-TIME).
fn instance_duration(
    series: &Series<'_>,
    zone: &Zone,
    options: &EvalOptions<'_>,
    start: i64,
    start_is_date: bool,
    findings: &mut Vec<Finding>,
) -> i64 {
    if let Some(end) = series.dtend {
        match value_on_timeline(
            end,
            zone,
            series.dtstart.tzid.as_deref().filter(|_| !start_is_date),
            options.timezones,
            start.rem_euclid(SECONDS_PER_DAY),
            true,
        ) {
            Some((end_local, _)) => {
                let exact = zone.to_utc(end_local) - zone.to_utc(start);
                return exact.max(0);
            }
            None => findings.push(malformed(format!(
                "DTEND value \"{}\" is not valid",
                quoted(&end.value)
            ))),
        }
    }
    if let Some(text) = series.duration {
        match parse_duration(text) {
            Some(seconds) => return seconds.max(0),
            None => findings.push(malformed(format!(
                "DURATION value \"{}\" is not valid",
                quoted(text)
            ))),
        }
    }
    if start_is_date {
        SECONDS_PER_DAY
    } else {
        0
    }
}

/// The last local second an UNTIL allows (inclusive).
fn until_on_timeline(until: &DateOrDateTime, zone: &Zone, start_is_date: bool) -> i64 {
    let local = local_seconds(until);
    if until.time.is_none() {
        // A DATE bound keeps the whole day.
        return local + SECONDS_PER_DAY - 1;
    }
    if until.utc && !start_is_date {
        return zone.local_at_or_before(local);
    }
    local
}

fn max_per_day(
    set: &FinalSet,
    first: Option<i64>,
    last: Option<i64>,
    total: Option<u128>,
    rdates: &[(i64, Option<i64>)],
    exdates: &[(i64, Option<i64>)],
) -> Result<u64, Oversized> {
    let Some(first) = first else {
        return Ok(0);
    };
    let day_of = |t: i64| t.div_euclid(SECONDS_PER_DAY);
    let mut special: Vec<i64> = vec![day_of(first), day_of(set.rules.start)];
    special.extend(last.map(day_of));
    special.extend(rdates.iter().map(|&(t, _)| day_of(t)));
    special.extend(exdates.iter().map(|&(t, _)| day_of(t)));
    let from = day_of(set.rules.start) + 1;
    // Each rule's own last day (COUNT/UNTIL) bounds its regular days.
    let mut ranges = Vec::new();
    for rule in &set.rules.rules {
        if rule.empty {
            continue;
        }
        let to = match rule.cap {
            Some(0) => continue,
            Some(cap) => match rule.engine.select(rule.base + cap - 1)? {
                Some(last_rule) => {
                    special.push(day_of(last_rule));
                    day_of(last_rule)
                }
                None => from.saturating_add(2_000_000),
            },
            // Unbounded: a stretch covering several cycles of any periodic pattern.
            None => from.saturating_add(2_000_000),
        };
        ranges.push((rule, to));
    }
    let _ = total;
    special.sort_unstable();
    special.dedup();
    let mut best = 0u64;
    for &day in &special {
        let n = set
            .count_before((day + 1) * SECONDS_PER_DAY)?
            .saturating_sub(set.count_before(day * SECONDS_PER_DAY)?);
        best = best.max(u64::try_from(n).unwrap_or(u64::MAX));
    }
    let mut regular = 0u64;
    for (rule, to) in ranges {
        regular += rule.engine.max_per_day(from, to, &special)?;
    }
    Ok(best.max(regular))
}

/// Largest number of instances in progress at one moment.
///
/// Exact for sets of up to 64 instances (every instance is tried as the
/// start of the busiest window). Longer sets: the windows starting at the
/// first 4 instances and at the first 4 in the horizon are measured, which
/// finds every overlap of a pattern repeating within a few instances
/// (daily, weekly, hourly grids); an overlap that appears only late in a
/// long irregular pattern can be missed, so the value is then a lower bound.
fn max_overlap(
    set: &FinalSet,
    total: Option<u128>,
    duration: i64,
    horizon_index: u128,
) -> Result<u64, Oversized> {
    let total_known = total.unwrap_or(u128::MAX);
    if total_known == 0 {
        return Ok(0);
    }
    if duration <= 0 {
        return Ok(1);
    }
    let mut starts: Vec<u128> = Vec::new();
    if total_known <= 64 {
        starts.extend(0..total_known);
    } else {
        starts.extend(0..8);
        starts
            .extend((horizon_index..horizon_index.saturating_add(8)).filter(|i| *i < total_known));
    }
    let mut best = 1u64;
    for index in starts {
        let Some(at) = set.select(index)? else {
            break;
        };
        // `at` is the index-th instance, so `index` instances precede it.
        let n = set
            .count_before(at.saturating_add(duration))?
            .saturating_sub(index);
        best = best.max(u64::try_from(n).unwrap_or(u64::MAX));
    }
    Ok(best)
}
