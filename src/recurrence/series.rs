//! One recurrence set (DTSTART, DTEND/DURATION, RRULE, RDATE, EXDATE)
//! turned into a [`RecurrenceProfile`] from prefix counts, never by listing
//! its instances.

// Arithmetic here is on bounded values, so the crate-wide
// `clippy::arithmetic_side_effects` denial is lifted for this module: years
// are held within `civil::MAX_YEAR_MAGNITUDE` of 1970 (every second of them
// fits an i64), instance indices and counts are u128 built from those, days
// of a year are < 366 and seconds of a day < 86,400, and every loop spends
// from the object's work budget. The fuzz targets build with overflow checks
// on (fuzz/Cargo.toml), which is what checks these bounds.
#![allow(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Utc};

use super::civil::SECONDS_PER_DAY;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::counter::WORK_BUDGET;
use super::counter::{Budget, Oversized, RuleCounter};
use super::parse::{
    parse_date_or_date_time, parse_duration, parse_period, parse_recur, DateOrDateTime, Frequency,
    PeriodEnd, Recur, Weekday, WeekdayNum,
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
    /// How much of one recurrence set is read and walked.
    pub limits: RecurrenceLimits,
}

/// The limits on one recurrence set and on the object's recurrence work;
/// reaching one is an `oversized` finding naming it. The defaults are the
/// validation configuration's (`recurrence_work_budget`,
/// `max_rrules_per_component`, `max_date_values`, `max_union_instances`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecurrenceLimits {
    /// Work units one calendar object may spend on all its recurrence sets
    /// and time zone rules together. Default 1,000,000.
    pub work_budget: u64,
    /// RRULE lines of one component that are counted. Default 8.
    pub max_rrules_per_component: usize,
    /// RDATE values, and EXDATE values, of one component that are placed
    /// on the timeline. Default 10,000 each.
    pub max_date_values: usize,
    /// Instances the union of several RRULEs of one component is walked
    /// through per count. Default 100,000.
    pub max_union_instances: usize,
}

impl Default for RecurrenceLimits {
    fn default() -> Self {
        RecurrenceLimits {
            work_budget: WORK_BUDGET,
            max_rrules_per_component: MAX_RULES_PER_SERIES,
            max_date_values: MAX_DATE_VALUES,
            max_union_instances: MAX_UNION_INSTANCES,
        }
    }
}

impl EvalOptions<'_> {
    /// Options with the default horizon and no VTIMEZONE.
    #[cfg(any(test, feature = "internals"))]
    pub fn new(now: DateTime<Utc>) -> EvalOptions<'static> {
        EvalOptions {
            now,
            horizon: chrono::Duration::days(i64::from(DEFAULT_HORIZON_DAYS)),
            timezones: &[],
            limits: RecurrenceLimits::default(),
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
    /// Rules that were not counted as written: a calendar scale the
    /// evaluator does not implement (RFC 7529 RSCALE), or a rule whose
    /// reading implementations disagree on (see [`OtherReading`]).
    pub rule_note: Option<String>,
    /// The counts under the other reading of a rule the implementations
    /// disagree on, so that a flood holds whichever reading the
    /// recipient's calendar applies.
    pub other_reading: Option<OtherReading>,
}

/// The counts of a recurrence set read the other way: rules that leave a
/// part out (YEARLY with BYWEEKNO and no BYDAY, YEARLY with BYMONTHDAY and
/// no BYMONTH) expanded over every value of that part, as python-dateutil
/// does, instead of taking it from DTSTART as RFC 5545 3.3.10 says and
/// libical and sabre/vobject do; and YEARLY BYWEEKNO rules with an
/// INTERVAL counted over calendar years (python-dateutil) instead of the
/// week-numbering years the weeks are numbered in (libical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherReading {
    /// Instance count under that reading.
    pub instances_total: InstanceCount,
    /// Instances in the horizon under that reading.
    pub instances_in_horizon: u64,
    /// Most instances on one day under that reading.
    pub max_per_day: u64,
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

impl RuleCount {
    /// How many of the rule's instances at or after DTSTART lie before `x`.
    fn index_at(&self, x: i64) -> Result<u128, Oversized> {
        if self.empty {
            return Ok(0);
        }
        let n = self.engine.count_before(x)?.saturating_sub(self.base);
        Ok(self.cap.map_or(n, |cap| n.min(cap)))
    }

    /// The rule's `k`-th instance at or after DTSTART, within its cap.
    fn nth(&self, k: u128) -> Result<Option<i64>, Oversized> {
        if self.empty || self.cap.is_some_and(|cap| k >= cap) {
            return Ok(None);
        }
        self.engine.select(self.base + k)
    }
}

/// Most instances the union of several RRULEs of one component is walked
/// through (see [`Union`]) by default.
pub(crate) const MAX_UNION_INSTANCES: usize = 100_000;

/// Several RRULEs of one component are one set (RFC 5545 3.8.5.3): an
/// instance two rules both produce is one instance. No closed form counts
/// a union of rules, so their instances are merged in order, once, and
/// remembered; the walk stops with [`Oversized`] after
/// `max_instances` (`max_union_instances`, or when the object's work budget
/// runs out).
/// Real producers send one RRULE; this is the RFC 2445 legacy path.
struct Union {
    /// Per rule: the index of its next instance and that instance.
    cursors: RefCell<Vec<(u128, Option<i64>)>>,
    walked: RefCell<Vec<i64>>,
    finished: Cell<bool>,
    max_instances: usize,
}

impl Union {
    fn new(rules: &[RuleCount], max_instances: usize) -> Result<Union, Oversized> {
        let mut cursors = Vec::with_capacity(rules.len());
        for rule in rules {
            cursors.push((0, rule.nth(0)?));
        }
        Ok(Union {
            cursors: RefCell::new(cursors),
            walked: RefCell::new(Vec::new()),
            finished: Cell::new(false),
            max_instances,
        })
    }

    /// Walk one more instance; false when every rule has ended.
    fn step(&self, rules: &[RuleCount]) -> Result<bool, Oversized> {
        let mut cursors = self.cursors.borrow_mut();
        let Some(next) = cursors.iter().filter_map(|(_, at)| *at).min() else {
            self.finished.set(true);
            return Ok(false);
        };
        let mut walked = self.walked.borrow_mut();
        if walked.len() >= self.max_instances {
            return Err(Oversized::UnionInstances);
        }
        walked.push(next);
        for ((index, at), rule) in cursors.iter_mut().zip(rules) {
            if *at == Some(next) {
                *index += 1;
                *at = rule.nth(*index)?;
            }
        }
        Ok(true)
    }

    /// Walk until an instance at or after `x` is known, or the end.
    fn reach(&self, rules: &[RuleCount], x: i64) -> Result<(), Oversized> {
        while !self.finished.get() && self.walked.borrow().last().is_none_or(|&t| t < x) {
            self.step(rules)?;
        }
        Ok(())
    }

    /// Walk until `n` instances are known, or the end.
    fn reach_count(&self, rules: &[RuleCount], n: usize) -> Result<(), Oversized> {
        while !self.finished.get() && self.walked.borrow().len() < n {
            self.step(rules)?;
        }
        Ok(())
    }

    fn count_before(&self, rules: &[RuleCount], x: i64) -> Result<u128, Oversized> {
        self.reach(rules, x)?;
        Ok(self.walked.borrow().partition_point(|&t| t < x) as u128)
    }

    fn select(&self, rules: &[RuleCount], k: u128) -> Result<Option<i64>, Oversized> {
        let Ok(k) = usize::try_from(k) else {
            return Err(Oversized::UnionInstances);
        };
        self.reach_count(rules, k.saturating_add(1))?;
        Ok(self.walked.borrow().get(k).copied())
    }

    fn total(&self, rules: &[RuleCount]) -> Result<u128, Oversized> {
        self.reach_count(rules, usize::MAX)?;
        Ok(self.walked.borrow().len() as u128)
    }

    /// Instances in `[a, b)`: each rule's instances there, merged, without
    /// walking from DTSTART.
    fn count_between(
        rules: &[RuleCount],
        a: i64,
        b: i64,
        max_instances: usize,
    ) -> Result<u128, Oversized> {
        let mut cursors = Vec::with_capacity(rules.len());
        for rule in rules {
            let index = rule.index_at(a)?;
            cursors.push((index, rule.nth(index)?));
        }
        let mut n = 0u128;
        loop {
            let Some(next) = cursors
                .iter()
                .filter_map(|(_, at)| *at)
                .filter(|&t| t < b)
                .min()
            else {
                return Ok(n);
            };
            n += 1;
            if n > max_instances as u128 {
                return Err(Oversized::UnionInstances);
            }
            for ((index, at), rule) in cursors.iter_mut().zip(rules) {
                if *at == Some(next) {
                    *index += 1;
                    *at = rule.nth(*index)?;
                }
            }
        }
    }

    /// Most instances on one local day among those walked so far.
    fn max_per_day_walked(&self) -> u64 {
        let walked = self.walked.borrow();
        let mut best = 0u64;
        let mut run = 0u64;
        let mut day = None;
        for &t in walked.iter() {
            let d = t.div_euclid(SECONDS_PER_DAY);
            if day == Some(d) {
                run += 1;
            } else {
                day = Some(d);
                run = 1;
            }
            best = best.max(run);
        }
        best
    }
}

/// The set before RDATE/EXDATE: DTSTART plus each rule's instances.
struct RuleSet {
    start: i64,
    rules: Vec<RuleCount>,
    /// DTSTART is not produced by any rule but is still the first instance.
    start_extra: bool,
    /// Set when there are several rules.
    union: Option<Union>,
}

impl RuleSet {
    fn new(
        start: i64,
        rules: Vec<RuleCount>,
        start_extra: bool,
        max_union_instances: usize,
    ) -> Result<RuleSet, Oversized> {
        let union = if rules.len() > 1 {
            Some(Union::new(&rules, max_union_instances)?)
        } else {
            None
        };
        Ok(RuleSet {
            start,
            rules,
            start_extra,
            union,
        })
    }

    /// Instances in `[start, x)`.
    fn count_before(&self, x: i64) -> Result<u128, Oversized> {
        if x <= self.start {
            return Ok(0);
        }
        let extra = u128::from(self.start_extra);
        if let Some(union) = &self.union {
            return Ok(extra + union.count_before(&self.rules, x)?);
        }
        let mut total = extra;
        for rule in &self.rules {
            let n = rule.engine.count_before(x)?.saturating_sub(rule.base);
            total += rule.cap.map_or(n, |cap| n.min(cap));
        }
        Ok(total)
    }

    /// Instances in `[a, b)`.
    fn count_between(&self, a: i64, b: i64) -> Result<u128, Oversized> {
        if b <= a || b <= self.start {
            return Ok(0);
        }
        let a = a.max(self.start);
        let extra = u128::from(self.start_extra && a <= self.start);
        if let Some(union) = &self.union {
            return Ok(extra + Union::count_between(&self.rules, a, b, union.max_instances)?);
        }
        Ok(self.count_before(b)?.saturating_sub(self.count_before(a)?))
    }

    /// The first instance at or after `x`.
    fn first_at_or_after(&self, x: i64) -> Result<Option<i64>, Oversized> {
        if self.start_extra && self.start >= x {
            return Ok(Some(self.start));
        }
        let mut first: Option<i64> = None;
        for rule in &self.rules {
            if let Some(t) = rule.nth(rule.index_at(x.max(self.start))?)? {
                first = Some(first.map_or(t, |f| f.min(t)));
            }
        }
        Ok(first)
    }

    fn contains(&self, t: i64) -> Result<bool, Oversized> {
        Ok(self.count_between(t, t.saturating_add(1))? > 0)
    }

    /// `None` when a rule has no end.
    fn total(&self) -> Result<Option<u128>, Oversized> {
        let extra = u128::from(self.start_extra);
        if self
            .rules
            .iter()
            .any(|rule| !rule.empty && rule.cap.is_none())
        {
            return Ok(None);
        }
        if let Some(union) = &self.union {
            return Ok(Some(extra + union.total(&self.rules)?));
        }
        Ok(Some(
            extra
                + self
                    .rules
                    .iter()
                    .filter(|rule| !rule.empty)
                    .filter_map(|rule| rule.cap)
                    .sum::<u128>(),
        ))
    }

    /// The `k`-th instance (0-based) of the set.
    fn select(&self, k: u128) -> Result<Option<i64>, Oversized> {
        let mut k = k;
        if self.start_extra {
            if k == 0 {
                return Ok(Some(self.start));
            }
            k -= 1;
        }
        if let Some(union) = &self.union {
            return union.select(&self.rules, k);
        }
        match self.rules.as_slice() {
            [rule] => rule.nth(k),
            _ => Ok(None),
        }
    }
}

/// The final set: the rule set, plus RDATEs it lacks, minus EXDATEs it has.
struct FinalSet {
    rules: RuleSet,
    added: Vec<i64>,
    removed: Vec<i64>,
}

impl FinalSet {
    fn total(&self) -> Result<Option<u128>, Oversized> {
        Ok(self.rules.total()?.map(|total| {
            (total + self.added.len() as u128).saturating_sub(self.removed.len() as u128)
        }))
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

    /// Instances in `[a, b)`.
    fn count_between(&self, a: i64, b: i64) -> Result<u128, Oversized> {
        if b <= a {
            return Ok(0);
        }
        let within = |list: &[i64]| {
            (list.partition_point(|&t| t < b) - list.partition_point(|&t| t < a)) as u128
        };
        Ok((self.rules.count_between(a, b)? + within(&self.added))
            .saturating_sub(within(&self.removed)))
    }

    /// The first instance at or after `x`.
    fn first_at_or_after(&self, x: i64) -> Result<Option<i64>, Oversized> {
        let mut from = x;
        let mut from_rules = None;
        // Each EXDATE that removes an instance is passed at most once.
        for _ in 0..=self.removed.len() {
            match self.rules.first_at_or_after(from)? {
                Some(t) if self.removed.binary_search(&t).is_ok() => from = t.saturating_add(1),
                found => {
                    from_rules = found;
                    break;
                }
            }
        }
        let added = self
            .added
            .get(self.added.partition_point(|&t| t < x))
            .copied();
        Ok(match (from_rules, added) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        })
    }

    /// The local times whose *instants* lie before `utc` form `[.., local)`
    /// less the gap part `[cut, gap_end)`. A local time in a DST gap is read
    /// with the offset before the gap (RFC 5545 3.3.5), so it lands in the
    /// hour after the gap, among the local times just after it.
    fn instant_cut(zone: &Zone, utc: i64) -> (i64, Option<(i64, i64)>) {
        let local = zone
            .local_at_or_before(utc.saturating_sub(1))
            .saturating_add(1);
        let late = zone
            .gap_around(utc)
            .map(|gap| (gap.local_start + (utc - gap.at), gap.local_end));
        (local, late)
    }

    /// Instances whose instant lies in `[from, to)`.
    fn count_instants_between(&self, zone: &Zone, from: i64, to: i64) -> Result<u128, Oversized> {
        if to <= from {
            return Ok(0);
        }
        let (start, start_late) = FinalSet::instant_cut(zone, from);
        let (end, end_late) = FinalSet::instant_cut(zone, to);
        let mut n = self.count_between(start, end)?;
        if let Some((cut, gap_end)) = end_late {
            n = n.saturating_sub(self.count_between(cut.max(start), gap_end)?);
        }
        if let Some((cut, gap_end)) = start_late {
            n += self.count_between(cut, gap_end.min(end))?;
        }
        Ok(n)
    }

    /// The local time of the instance with the earliest instant at or
    /// after `utc` (instants as in [`FinalSet::instant_cut`]).
    fn first_instant_at_or_after(&self, zone: &Zone, utc: i64) -> Result<Option<i64>, Oversized> {
        let (local, late) = FinalSet::instant_cut(zone, utc);
        let mut candidates = Vec::new();
        if let Some((cut, gap_end)) = late {
            if let Some(t) = self.first_at_or_after(cut)?.filter(|&t| t < gap_end) {
                candidates.push(t);
            }
        }
        // An instance in a gap is followed, in local order, by the hour
        // after the gap, whose instants are earlier: look past it.
        let mut from = local;
        for _ in 0..8 {
            let Some(t) = self.first_at_or_after(from)? else {
                break;
            };
            candidates.push(t);
            if !zone.is_in_gap(t) {
                break;
            }
            from = t.saturating_add(1);
        }
        Ok(candidates
            .into_iter()
            .filter(|&t| zone.to_utc(t) >= utc)
            .min_by_key(|&t| (zone.to_utc(t), t)))
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
    zones: &ZoneCache<'_>,
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
            zones.get(tzid).map_or(local, |z| z.to_utc(local))
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

/// Most RRULE lines of one component that are counted by default. RFC 5545
/// says an RRULE SHOULD NOT occur more than once and real producers send
/// one; the rest are reported `oversized`, not counted.
pub(crate) const MAX_RULES_PER_SERIES: usize = 8;

/// Most RDATE values, and most EXDATE values, of one component that are
/// placed on the timeline by default; more are reported `oversized`.
pub(crate) const MAX_DATE_VALUES: usize = 10_000;

/// How a rule that leaves out a part implementations fill differently is
/// read (see [`OtherReading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// RFC 5545 3.3.10: "Information, not contained in the rule, necessary
    /// to determine the various recurrence instance start time and dates
    /// are derived from the Start Time": the missing part is DTSTART's.
    FromStart,
    /// The missing part takes every value (python-dateutil).
    Expanded,
}

/// The rule as `reading` reads it, whether the readings differ for it, and
/// whether its periods are week-numbering years (see [`Plan`]).
fn read_rule(mut recur: Recur, start: i64, reading: Reading) -> (Recur, bool, bool) {
    let weekno_without_day = recur.freq == Frequency::Yearly
        && !recur.by_week_no.is_empty()
        && recur.by_day.is_empty()
        && recur.by_month_day.is_empty()
        && recur.by_year_day.is_empty();
    let monthday_without_month = recur.freq == Frequency::Yearly
        && !recur.by_month_day.is_empty()
        && recur.by_month.is_empty()
        && recur.by_leap_month.is_empty()
        && recur.by_week_no.is_empty()
        && recur.by_year_day.is_empty()
        && recur.by_day.is_empty();
    // Which year a week straddling New Year belongs to only matters when
    // some years are skipped; BYYEARDAY and BYSETPOS count within the
    // calendar year, so such rules keep calendar years.
    let straddling_weeks = recur.freq == Frequency::Yearly
        && !recur.by_week_no.is_empty()
        && recur.interval > 1
        && recur.by_year_day.is_empty()
        && recur.by_set_pos.is_empty();
    let ambiguous = weekno_without_day || monthday_without_month || straddling_weeks;
    if reading == Reading::FromStart {
        let day = start.div_euclid(SECONDS_PER_DAY);
        if weekno_without_day {
            recur.by_day.push(WeekdayNum {
                ordinal: None,
                weekday: weekday_of(day),
            });
        }
        if monthday_without_month {
            recur.by_month.push(super::civil::civil_from_days(day).1);
        }
    }
    (
        recur,
        ambiguous,
        straddling_weeks && reading == Reading::FromStart,
    )
}

fn weekday_of(day: i64) -> Weekday {
    match super::civil::weekday(day) {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

/// Zones of the values in a TZID other than DTSTART's, resolved once each.
struct ZoneCache<'a> {
    timezones: &'a [TimeZoneDefinition],
    budget: &'a Budget,
    resolved: RefCell<Vec<(String, Option<Rc<Zone>>)>>,
}

impl ZoneCache<'_> {
    fn get(&self, tzid: &str) -> Option<Rc<Zone>> {
        if let Some((_, zone)) = self.resolved.borrow().iter().find(|(id, _)| id == tzid) {
            return zone.clone();
        }
        let zone = Zone::resolve(tzid, self.timezones, self.budget)
            .ok()
            .map(Rc::new);
        self.resolved
            .borrow_mut()
            .push((tzid.to_string(), zone.clone()));
        zone
    }
}

/// Evaluate one recurrence set. Never panics; bounded work whatever COUNT,
/// UNTIL or the horizon (a rule too irregular for the work budget gives an
/// `oversized` finding and no profile).
#[cfg(any(test, feature = "internals"))]
pub fn evaluate(series: &Series<'_>, options: &EvalOptions<'_>) -> Evaluation {
    evaluate_within(series, options, &Budget::new(options.limits.work_budget))
}

/// [`evaluate`], spending from `budget`: one budget for every series and
/// time zone of a calendar object.
pub(crate) fn evaluate_within(
    series: &Series<'_>,
    options: &EvalOptions<'_>,
    budget: &Budget,
) -> Evaluation {
    let mut findings = Vec::new();
    let oversized = |by: Oversized| {
        let detail = match by {
            Oversized::Work => format!(
                "recurrence too irregular to count within the work budget (recurrence_work_budget = {} units for the whole object)",
                options.limits.work_budget
            ),
            Oversized::UnionInstances => format!(
                "recurrence too irregular to count: the union of its RRULEs has more than {} instances to walk (max_union_instances)",
                options.limits.max_union_instances
            ),
        };
        Finding::new(Reason::Oversized, detail)
    };
    let profile = match evaluate_inner(series, options, budget, Reading::FromStart, &mut findings) {
        Ok(Some((mut profile, true))) => {
            let mut ignored = Vec::new();
            match evaluate_inner(series, options, budget, Reading::Expanded, &mut ignored) {
                Ok(Some((other, _))) => {
                    profile.other_reading = Some(OtherReading {
                        instances_total: other.instances_total,
                        instances_in_horizon: other.instances_in_horizon,
                        max_per_day: other.max_per_day,
                    });
                }
                Ok(None) => {}
                Err(by) => findings.push(oversized(by)),
            }
            Some(profile)
        }
        Ok(Some((profile, false))) => Some(profile),
        Ok(None) => None,
        Err(by) => {
            findings.push(oversized(by));
            None
        }
    };
    Evaluation { profile, findings }
}

/// The profile under one reading, and whether some rule reads differently
/// under the other.
fn evaluate_inner(
    series: &Series<'_>,
    options: &EvalOptions<'_>,
    budget: &Budget,
    reading: Reading,
    findings: &mut Vec<Finding>,
) -> Result<Option<(RecurrenceProfile, bool)>, Oversized> {
    let Some(start_value) = parse_date_or_date_time(&series.dtstart.value) else {
        findings.push(malformed(format!(
            "DTSTART value \"{}\" is not a DATE or DATE-TIME",
            quoted(&series.dtstart.value)
        )));
        return Ok(None);
    };
    let start_is_date = start_value.time.is_none();
    let mut timezone_note = None;
    let zones = ZoneCache {
        timezones: options.timezones,
        budget,
        resolved: RefCell::new(Vec::new()),
    };
    let zone = if start_value.utc {
        Zone::Utc
    } else if let Some(tzid) = series.dtstart.tzid.as_deref().filter(|_| !start_is_date) {
        match Zone::resolve(tzid, options.timezones, budget) {
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

    let duration = instance_duration(series, &zone, &zones, start, start_is_date, findings);

    let max_rules = options.limits.max_rrules_per_component;
    if series.rrules.len() > max_rules {
        findings.push(Finding::new(
            Reason::Oversized,
            format!(
                "{} RRULE lines in one component: only the first {max_rules} were counted (max_rrules_per_component)",
                series.rrules.len()
            ),
        ));
    }
    let mut rule_notes = Vec::new();
    let mut ambiguous = false;
    let mut read: Vec<Recur> = Vec::new();
    let mut rules = Vec::new();
    for text in series.rrules.iter().take(max_rules) {
        let recur = match parse_recur(text) {
            Ok(recur) => recur,
            Err(error) => {
                findings.push(malformed(format!("RRULE \"{}\": {error}", quoted(text))));
                continue;
            }
        };
        if recur.is_non_gregorian() {
            rule_notes.push(format!(
                "RRULE \"{}\" is in the RSCALE={} calendar (RFC 7529), which is not evaluated: the counts leave it out",
                quoted(text),
                quoted(recur.rscale.as_deref().unwrap_or_default())
            ));
            continue;
        }
        if start_is_date
            && (recur.freq < Frequency::Daily
                || !recur.by_hour.is_empty()
                || !recur.by_minute.is_empty()
                || !recur.by_second.is_empty())
        {
            findings.push(malformed(format!(
                "RRULE \"{}\": time rule parts with an all-day (DATE) DTSTART",
                quoted(text)
            )));
        }
        let (recur, differs, iso_week_periods) = read_rule(recur, start, reading);
        if differs {
            ambiguous = true;
            rule_notes.push(format!(
                "RRULE \"{}\" is read differently by implementations: counted as RFC 5545 3.3.10 reads it (a part the rule leaves out is DTSTART's, a week belongs to the year it is numbered in), as libical does",
                quoted(text)
            ));
        }
        // The recurrence set is one set: a rule written twice adds nothing.
        if read.contains(&recur) {
            continue;
        }
        let mut plan = Plan::new(&recur, start);
        plan.iso_week_periods = iso_week_periods;
        let engine = RuleCounter::new(plan, budget);
        let base = engine.count_before(start)?;
        let starts_here = engine.count_before(start + 1)? > base;
        let empty = engine.select(base)?.is_none();
        if empty {
            findings.push(malformed(format!(
                "RRULE \"{}\" never produces an instance (its parts exclude each other)",
                quoted(text)
            )));
        }
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
        read.push(recur);
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
    let rule_set = RuleSet::new(
        start,
        rules.into_iter().map(|(rule, _)| rule).collect(),
        start_extra,
        options.limits.max_union_instances,
    )?;

    // RDATE and EXDATE as sorted sets: a value written twice costs once,
    // and membership is a binary search.
    let on_timeline = |values: &[DateValue],
                       what: &str,
                       findings: &mut Vec<Finding>|
     -> Vec<(i64, Option<i64>)> {
        let max_values = options.limits.max_date_values;
        if values.len() > max_values {
            findings.push(Finding::new(
                Reason::Oversized,
                format!(
                    "{} {what} values in one component: only the first {max_values} were counted (max_date_values)",
                    values.len()
                ),
            ));
        }
        let mut out = Vec::new();
        for value in values.iter().take(max_values) {
            match value_on_timeline(value, &zone, series_tzid, &zones, start_time, start_is_date) {
                Some(t) => out.push(t),
                None => findings.push(malformed(format!(
                    "{what} value \"{}\" is not valid",
                    quoted(&value.value)
                ))),
            }
        }
        out.sort_unstable();
        out.dedup_by_key(|(t, _)| *t);
        out
    };
    let rdates = on_timeline(series.rdates, "RDATE", findings);
    let exdates = on_timeline(series.exdates, "EXDATE", findings);
    let excluded = |t: i64| exdates.binary_search_by_key(&t, |&(e, _)| e).is_ok();
    let mut removed: Vec<i64> = Vec::new();
    for &(t, _) in &exdates {
        if rule_set.contains(t)? {
            removed.push(t);
        }
    }
    let mut added: Vec<i64> = Vec::new();
    for &(t, _) in &rdates {
        if !excluded(t) && !rule_set.contains(t)? {
            added.push(t);
        }
    }
    let set = FinalSet {
        rules: rule_set,
        added,
        removed,
    };

    let total = set.total()?;
    let first = set.select(0)?;
    let last = match total {
        Some(0) | None => None,
        Some(n) => set.select(n - 1)?,
    };
    let now = options.now.timestamp();
    let horizon_end = now.saturating_add(options.horizon.num_seconds().max(0));
    let in_horizon = set.count_instants_between(&zone, now, horizon_end)?;
    let first_in_horizon = if in_horizon > 0 {
        set.first_instant_at_or_after(&zone, now)?
    } else {
        None
    };

    let max_per_day = max_per_day(&set, &zone, first, last, &rdates, &exdates)?;
    let window_start = zone
        .local_at_or_before(now.saturating_sub(1))
        .saturating_add(1);
    let max_overlap = max_overlap(&set, total, duration, window_start)?;

    let utc = |t: Option<i64>| t.and_then(|t| to_datetime(zone.to_utc(t)));
    let profile = RecurrenceProfile {
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
        rule_note: (!rule_notes.is_empty()).then(|| rule_notes.join("; ")),
        other_reading: None,
    };
    Ok(Some((profile, ambiguous)))
}

/// Length of each instance in seconds: DTEND - DTSTART, else DURATION,
/// else RFC 5545's default (one day for a DATE, zero for a DATE-TIME).
fn instance_duration(
    series: &Series<'_>,
    zone: &Zone,
    zones: &ZoneCache<'_>,
    start: i64,
    start_is_date: bool,
    findings: &mut Vec<Finding>,
) -> i64 {
    if let Some(end) = series.dtend {
        match value_on_timeline(
            end,
            zone,
            series.dtstart.tzid.as_deref().filter(|_| !start_is_date),
            zones,
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
    zone: &Zone,
    first: Option<i64>,
    last: Option<i64>,
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
            Some(cap) => match rule.nth(cap - 1)? {
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
    special.sort_unstable();
    special.dedup();
    // A day's instances are those whose instant falls between its local
    // midnights (a time in a DST gap is read as RFC 5545 3.3.5 says).
    let mut best = 0u64;
    for &day in &special {
        let midnight = |day: i64| zone.to_utc(day.saturating_mul(SECONDS_PER_DAY));
        let n = set.count_instants_between(zone, midnight(day), midnight(day + 1))?;
        best = best.max(u64::try_from(n).unwrap_or(u64::MAX));
    }
    let mut regular = 0u64;
    for (rule, to) in ranges {
        let rule_best = rule.engine.max_per_day(from, to, &special)?;
        regular = match set.rules.union {
            // Several rules: each rule's densest day is a lower bound of
            // the union's; the walked union gives the exact days it holds.
            Some(_) => regular.max(rule_best),
            None => regular + rule_best,
        };
    }
    if let Some(union) = &set.rules.union {
        regular = regular.max(union.max_per_day_walked());
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
    window_start: i64,
) -> Result<u64, Oversized> {
    let total_known = total.unwrap_or(u128::MAX);
    if total_known == 0 {
        return Ok(0);
    }
    if duration <= 0 {
        return Ok(1);
    }
    // The instances tried as the start of the busiest window.
    let mut starts: Vec<i64> = Vec::new();
    let walk = |from: i64, count: u128, starts: &mut Vec<i64>| -> Result<(), Oversized> {
        let mut from = from;
        for _ in 0..count {
            let Some(at) = set.first_at_or_after(from)? else {
                break;
            };
            starts.push(at);
            from = at.saturating_add(1);
        }
        Ok(())
    };
    if total_known <= 64 {
        walk(i64::MIN, total_known, &mut starts)?;
    } else {
        walk(i64::MIN, 8, &mut starts)?;
        walk(window_start, 8, &mut starts)?;
    }
    let mut best = 1u64;
    for at in starts {
        let n = set.count_between(at, at.saturating_add(duration))?;
        best = best.max(u64::try_from(n).unwrap_or(u64::MAX));
    }
    Ok(best)
}
