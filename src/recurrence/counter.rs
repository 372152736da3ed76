//! Counting the instances of one RRULE without expanding them.
//!
//! The unit of work is the calendar year: the instances a rule puts in a
//! year depend only on the year's *type* (weekday of 1 January, leap year,
//! previous year leap: 28 keys) and, for an INTERVAL that does not divide
//! the calendar evenly, on a *phase* (where the period grid falls in that
//! year). Year contents are computed once per (type, phase) and cached.
//!
//! * When the phase is constant (INTERVAL=1, or MONTHLY with INTERVAL
//!   dividing 12, or a sub-daily step dividing one day) the count of any run
//!   of years is a weighted sum over the 28 types, with static tables giving
//!   how many years of each type a stretch of a 400-year Gregorian cycle
//!   holds: O(28) whatever the distance.
//! * Otherwise the pattern still repeats after a bounded number of years
//!   (lcm of 400 years and the period grid); one cycle is walked once and
//!   whole cycles are counted arithmetically.
//!
//! Every loop spends from a work budget, so hostile rules end with
//! [`Oversized`] instead of running long.

// Arithmetic here is on bounded values, so the crate-wide
// `clippy::arithmetic_side_effects` denial is lifted for this module: years
// are held within `civil::MAX_YEAR_MAGNITUDE` of 1970 (every second of them
// fits an i64), instance indices and counts are u128 built from those, days
// of a year are < 366 and seconds of a day < 86,400, and every loop spends
// from the object's work budget. The fuzz targets build with overflow checks
// on (fuzz/Cargo.toml), which is what checks these bounds.
#![allow(clippy::arithmetic_side_effects)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use super::civil::{self, CYCLE_YEARS, MAX_YEAR_MAGNITUDE, SECONDS_PER_DAY};
use super::parse::Frequency;
use super::plan::{self, DayMask, DayTimes, Plan};

/// A count stopped at a limit: the rule is too irregular to count exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oversized {
    /// The object's work budget (`recurrence_work_budget`) ran out, or the
    /// count would need more work than any budget allows.
    Work,
    /// The union of several RRULEs passed `max_union_instances`.
    UnionInstances,
}

/// By default, work units one calendar object may spend on all its recurrence sets and
/// time zone rules together (a unit is roughly one year built or walked,
/// one day enumerated, or one sub-daily period enumerated). One budget for
/// the whole object: rules that each stay inside a per-rule allowance must
/// not multiply the cost by their number.
pub(crate) const WORK_BUDGET: u64 = 1_000_000;

/// A work budget shared by every counter of one calendar object; cloning
/// shares it.
#[derive(Debug, Clone)]
pub(crate) struct Budget(Rc<Cell<u64>>);

impl Budget {
    pub(crate) fn new(units: u64) -> Budget {
        Budget(Rc::new(Cell::new(units)))
    }

    /// Take `units`, or fail (and leave nothing) when fewer are left.
    pub(crate) fn spend(&self, units: u64) -> Result<(), Oversized> {
        let left = self.0.get();
        if left < units {
            self.0.set(0);
            return Err(Oversized::Work);
        }
        self.0.set(left - units);
        Ok(())
    }

    /// Units left.
    #[cfg(test)]
    pub(crate) fn left(&self) -> u64 {
        self.0.get()
    }
}

/// Day phases of a sub-daily rule whose day patterns are kept.
const MAX_CACHED_PHASES: u64 = 4096;

/// Days with instances `max_per_day` looks at when days differ from each other.
const MAX_DAYS_VISITED: u32 = 20_000;

/// The instances of one year, relative to local midnight of 1 January.
#[derive(Debug)]
enum YearData {
    /// Every marked day carries the same times.
    Days { mask: DayMask, times: Rc<DayTimes> },
    /// Marked days carry the times of their phase (sub-daily rules whose
    /// step does not divide a day): (day of year, instances before that day).
    Phased {
        days: Vec<(i64, u64)>,
        total: u64,
        first_day: i64,
    },
    /// Explicit offsets in seconds (BYSETPOS with YEARLY, MONTHLY, WEEKLY).
    Explicit(Vec<i64>),
}

fn year_type(year: i64) -> usize {
    let weekday = civil::weekday(civil::year_start(year)) as usize;
    weekday * 4 + usize::from(civil::is_leap(year)) * 2 + usize::from(civil::is_leap(year - 1))
}

/// Type of each year 0..400 of the Gregorian cycle.
fn cycle_year_types() -> &'static [u8; 400] {
    static TABLE: OnceLock<[u8; 400]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u8; 400];
        for (year, slot) in table.iter_mut().enumerate() {
            *slot = year_type(year as i64) as u8;
        }
        table
    })
}

/// A representative year (0..400) for each type, if the type occurs.
fn type_representatives() -> &'static [Option<i64>; 28] {
    static TABLE: OnceLock<[Option<i64>; 28]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [None; 28];
        for year in 0..400 {
            if let Some(slot) = table.get_mut(year_type(year)) {
                slot.get_or_insert(year);
            }
        }
        table
    })
}

pub(crate) struct RuleCounter {
    plan: Plan,
    origin_year: i64,
    start_day: i64,
    /// Days after which the sub-daily phase repeats (1 when it never changes).
    phase_days: u64,
    /// Step of the sub-daily progression in seconds (0 for DAILY and coarser).
    step: i64,
    constant_phase: bool,
    cycle_years: Option<i64>,
    shared_times: Rc<DayTimes>,
    phase_times: RefCell<HashMap<u64, Rc<DayTimes>>>,
    years: RefCell<HashMap<(usize, u64), Rc<YearData>>>,
    /// `cycle_prefix[r]`: instances in years 0..r of a 400-year cycle (constant phase).
    cycle_prefix: std::cell::OnceCell<Box<[u128; 401]>>,
    /// Constant-phase count before the origin year, once known.
    origin_prefix: Cell<Option<i128>>,
    /// Year contents by type when the phase is constant.
    by_type: RefCell<[Option<Rc<YearData>>; 28]>,
    /// `walked[i]`: instances in the years [origin, origin + i), filled on demand.
    walked: RefCell<Vec<u128>>,
    budget: Budget,
}

fn unit_seconds(freq: Frequency) -> i64 {
    match freq {
        Frequency::Hourly => 3600,
        Frequency::Minutely => 60,
        _ => 1,
    }
}

impl RuleCounter {
    pub(crate) fn new(plan: Plan, budget: &Budget) -> RuleCounter {
        let start_day = plan.start.div_euclid(SECONDS_PER_DAY);
        let origin_year = civil::year_of_day(start_day);
        let n = u128::from(plan.interval);
        let sub_daily = plan.freq < Frequency::Daily;
        let step = if sub_daily {
            i64::try_from(n.saturating_mul(unit_seconds(plan.freq) as u128)).unwrap_or(i64::MAX)
        } else {
            0
        };
        let phase_days = if sub_daily {
            let s = step as u128;
            u64::try_from(s / civil::gcd(s, SECONDS_PER_DAY as u128)).unwrap_or(u64::MAX)
        } else {
            1
        };
        // After how many years the (type, phase) sequence repeats.
        let repeat = |period: u128, shift_per_cycle: u128| -> Option<i64> {
            let k = period / civil::gcd(period, shift_per_cycle);
            i64::try_from(k.checked_mul(CYCLE_YEARS as u128)?).ok()
        };
        let (constant_phase, cycle_years) = match plan.freq {
            Frequency::Yearly => (n == 1, repeat(n, CYCLE_YEARS as u128)),
            Frequency::Monthly => (12 % n == 0, repeat(n, 4800)),
            Frequency::Weekly => (n == 1, repeat(n, 20_871)),
            Frequency::Daily => (n == 1, repeat(n, civil::CYCLE_DAYS as u128)),
            _ => (
                phase_days == 1,
                repeat(u128::from(phase_days), civil::CYCLE_DAYS as u128),
            ),
        };
        let aligned_product = match plan.freq {
            Frequency::Hourly => 24 % n == 0,
            Frequency::Minutely | Frequency::Secondly => 60 % n == 0,
            _ => false,
        } && plan.set_positions.is_empty();
        let shared_times = Rc::new(Self::initial_times(&plan, aligned_product, n as u64));
        RuleCounter {
            plan,
            origin_year,
            start_day,
            phase_days,
            step,
            constant_phase,
            cycle_years,
            shared_times,
            phase_times: RefCell::new(HashMap::new()),
            years: RefCell::new(HashMap::new()),
            cycle_prefix: std::cell::OnceCell::new(),
            origin_prefix: Cell::new(None),
            by_type: RefCell::new(Default::default()),
            walked: RefCell::new(vec![0]),
            budget: budget.clone(),
        }
    }

    fn initial_times(plan: &Plan, aligned_product: bool, n: u64) -> DayTimes {
        let tod = plan.start.rem_euclid(SECONDS_PER_DAY);
        let (h0, m0, s0) = (tod / 3600, (tod % 3600) / 60, tod % 60);
        let progression = |start: i64, limit: i64| -> u64 {
            (0..limit)
                .filter(|v| (v - start).rem_euclid(n as i64) == 0)
                .fold(0u64, |m, v| m | (1u64 << v))
        };
        match plan.freq {
            Frequency::Hourly if aligned_product => DayTimes::Product {
                hours: plan.hours & progression(h0, 24),
                minutes: plan.minutes,
                seconds: plan.seconds,
            },
            Frequency::Minutely if aligned_product => DayTimes::Product {
                hours: plan.hours,
                minutes: plan.minutes & progression(m0, 60),
                seconds: plan.seconds,
            },
            Frequency::Secondly if aligned_product => DayTimes::Product {
                hours: plan.hours,
                minutes: plan.minutes,
                seconds: plan.seconds & progression(s0, 60),
            },
            Frequency::Daily if !plan.set_positions.is_empty() => {
                let all = plan.product_times();
                let list = plan
                    .selected_positions(all.count())
                    .into_iter()
                    .filter_map(|p| all.select(p))
                    .filter_map(|t| u32::try_from(t).ok())
                    .collect();
                DayTimes::List(list)
            }
            _ => plan.product_times(),
        }
    }

    fn spend(&self, units: u64) -> Result<(), Oversized> {
        self.budget.spend(units)
    }

    /// Whether the per-(type, phase) contents are the same for every year.
    fn phase_of_year(&self, year: i64) -> u64 {
        let n = self.plan.interval as i128;
        let jan1 = civil::year_start(year);
        let phase = match self.plan.freq {
            Frequency::Yearly => (i128::from(year) - i128::from(self.origin_year)).rem_euclid(n),
            Frequency::Monthly => {
                let start_month = civil::civil_from_days(self.start_day).1;
                (i128::from(year - self.origin_year) * 12 - i128::from(start_month) + 1)
                    .rem_euclid(n)
            }
            Frequency::Weekly => (i128::from(self.week_index(jan1))
                - i128::from(self.week_index(self.start_day)))
            .rem_euclid(n),
            Frequency::Daily => (i128::from(jan1) - i128::from(self.start_day)).rem_euclid(n),
            _ => (i128::from(jan1) - i128::from(self.start_day))
                .rem_euclid(i128::from(self.phase_days)),
        };
        u64::try_from(phase).unwrap_or(0)
    }

    fn week_index(&self, day: i64) -> i64 {
        // Day 0 (1970-01-01) was a Thursday (weekday 3).
        let anchor = (i64::from(self.plan.week_start) - 3).rem_euclid(7);
        (day - anchor).div_euclid(7)
    }

    fn year(&self, year: i64) -> Result<Rc<YearData>, Oversized> {
        if self.constant_phase {
            let kind = year_type(year);
            if let Some(Some(found)) = self.by_type.borrow().get(kind) {
                return Ok(Rc::clone(found));
            }
            self.spend(8)?;
            let data = Rc::new(self.build_year(year, self.phase_of_year(year))?);
            if let Some(slot) = self.by_type.borrow_mut().get_mut(kind) {
                *slot = Some(Rc::clone(&data));
            }
            return Ok(data);
        }
        let key = (year_type(year), self.phase_of_year(year));
        if let Some(found) = self.years.borrow().get(&key) {
            return Ok(Rc::clone(found));
        }
        self.spend(8)?;
        let data = Rc::new(self.build_year(year, key.1)?);
        self.years.borrow_mut().insert(key, Rc::clone(&data));
        Ok(data)
    }

    fn build_year(&self, year: i64, phase: u64) -> Result<YearData, Oversized> {
        let plan = &self.plan;
        let n = plan.interval;
        let length = civil::year_length(year);
        let calendar = plan.calendar_mask(year);
        let days = |mask: DayMask| YearData::Days {
            mask,
            times: Rc::clone(&self.shared_times),
        };
        let has_set_pos = !plan.set_positions.is_empty();
        match plan.freq {
            Frequency::Yearly if plan.iso_week_periods => {
                // Week-numbering years as periods: the calendar year holds
                // the days of its own numbering year when that is a period,
                // and the straddling weeks of the neighbours that are.
                let parts = plan::WeekYears {
                    own: phase == 0,
                    previous: phase == 1 % n,
                    next: (phase + 1) % n == 0,
                };
                Ok(days(plan.calendar_mask_with(year, parts)))
            }
            Frequency::Yearly => {
                if phase != 0 {
                    Ok(days(plan::EMPTY_MASK))
                } else if has_set_pos {
                    Ok(YearData::Explicit(
                        self.select_in_period(&calendar, 0, length),
                    ))
                } else {
                    Ok(days(calendar))
                }
            }
            Frequency::Monthly => {
                let mut selected = plan::EMPTY_MASK;
                let mut explicit = Vec::new();
                let mut offset = 0i64;
                for month in 1..=12u32 {
                    let len = civil::month_length(year, month);
                    if (u64::from(month) - 1 + phase) % n == 0 {
                        if has_set_pos {
                            explicit.extend(self.select_in_period(&calendar, offset, offset + len));
                        } else {
                            plan::mask_or_assign(
                                &mut selected,
                                &plan::mask_range(offset, offset + len),
                            );
                        }
                    }
                    offset += len;
                }
                if has_set_pos {
                    Ok(YearData::Explicit(explicit))
                } else {
                    Ok(days(plan::mask_and(&calendar, &selected)))
                }
            }
            Frequency::Weekly => {
                let jan1 = civil::year_start(year);
                let first_week_start =
                    jan1 - i64::from((civil::weekday(jan1) + 7 - plan.week_start) % 7);
                if has_set_pos {
                    let times = plan.product_times();
                    let per_day = times.count();
                    let mut explicit = Vec::new();
                    let mut week_start = first_week_start;
                    let mut j = 0u64;
                    while week_start < jan1 + length {
                        self.spend(1)?;
                        if (phase + j) % n == 0 {
                            let candidates: Vec<i64> = (week_start..week_start + 7)
                                .filter(|&d| plan.weekly_day_matches(d))
                                .collect();
                            let total = per_day.saturating_mul(candidates.len() as u64);
                            for p in plan.selected_positions(total) {
                                let (Some(&day), Some(t)) = (
                                    candidates.get((p / per_day) as usize),
                                    times.select(p % per_day),
                                ) else {
                                    continue;
                                };
                                if (jan1..jan1 + length).contains(&day) {
                                    explicit.push((day - jan1) * SECONDS_PER_DAY + t);
                                }
                            }
                        }
                        week_start += 7;
                        j += 1;
                    }
                    explicit.sort_unstable();
                    Ok(YearData::Explicit(explicit))
                } else {
                    let mut selected = plan::EMPTY_MASK;
                    let mut week_start = first_week_start;
                    let mut j = 0u64;
                    while week_start < jan1 + length {
                        if (phase + j) % n == 0 {
                            let from = week_start - jan1;
                            plan::mask_or_assign(&mut selected, &plan::mask_range(from, from + 7));
                        }
                        week_start += 7;
                        j += 1;
                    }
                    Ok(days(plan::mask_and(&calendar, &selected)))
                }
            }
            Frequency::Daily => {
                if n == 1 {
                    return Ok(days(calendar));
                }
                let mut selected = plan::EMPTY_MASK;
                let first = ((n - phase) % n) as i64;
                let mut d = first;
                while d < length {
                    plan::mask_set(&mut selected, d);
                    d = d.saturating_add(n as i64);
                }
                Ok(days(plan::mask_and(&calendar, &selected)))
            }
            _ => {
                if !self.uses_phases() {
                    return Ok(days(calendar));
                }
                let jan1 = civil::year_start(year);
                let mut list = Vec::new();
                let mut total = 0u64;
                let mut d = 0i64;
                while let Some(next) =
                    plan::mask_select(&calendar, plan::mask_count_below(&calendar, d))
                {
                    let times = self.times_on_day(jan1 + next)?;
                    list.push((next, total));
                    total = total.saturating_add(times.count());
                    d = next + 1;
                }
                Ok(YearData::Phased {
                    days: list,
                    total,
                    first_day: jan1,
                })
            }
        }
    }

    fn uses_phases(&self) -> bool {
        self.plan.freq < Frequency::Daily && {
            let n = self.plan.interval;
            let aligned = match self.plan.freq {
                Frequency::Hourly => 24 % n == 0,
                _ => 60 % n == 0,
            };
            !(aligned && self.plan.set_positions.is_empty())
        }
    }

    /// BYSETPOS within one period made of the days [from, to) of the year mask.
    fn select_in_period(&self, calendar: &DayMask, from: i64, to: i64) -> Vec<i64> {
        let period = plan::mask_and(calendar, &plan::mask_range(from, to));
        let times = self.plan.product_times();
        let per_day = times.count();
        let total = plan::mask_count(&period).saturating_mul(per_day);
        if per_day == 0 {
            return Vec::new();
        }
        self.plan
            .selected_positions(total)
            .into_iter()
            .filter_map(|p| {
                let day = plan::mask_select(&period, p / per_day)?;
                Some(day * SECONDS_PER_DAY + times.select(p % per_day)?)
            })
            .collect()
    }

    /// Instances on one day of a sub-daily rule, from its progression.
    fn times_on_day(&self, day: i64) -> Result<Rc<DayTimes>, Oversized> {
        let phase = u64::try_from(
            (day - self.start_day).rem_euclid(self.phase_days.min(i64::MAX as u64) as i64),
        )
        .unwrap_or(0);
        if let Some(found) = self.phase_times.borrow().get(&phase) {
            return Ok(Rc::clone(found));
        }
        self.spend(1)?;
        let plan = &self.plan;
        let unit = unit_seconds(plan.freq);
        let day_start = day * SECONDS_PER_DAY;
        // First period start at or after midnight on the grid through DTSTART.
        // The grid runs through the start of DTSTART's hour/minute/second.
        let grid = plan.start - plan.start.rem_euclid(unit);
        let offset = (grid - day_start).rem_euclid(self.step);
        let mut list = Vec::new();
        // Candidates inside one period of the frequency's unit, before BYSETPOS.
        let within: Vec<i64> = match plan.freq {
            Frequency::Hourly => {
                let mut v = Vec::new();
                for m in 0..60 {
                    if plan.minutes & (1 << m) != 0 {
                        for s in 0..60 {
                            if plan.seconds & (1 << s) != 0 {
                                v.push(m * 60 + s);
                            }
                        }
                    }
                }
                v
            }
            Frequency::Minutely => (0..60).filter(|s| plan.seconds & (1 << s) != 0).collect(),
            _ => vec![0],
        };
        let kept: Vec<i64> = if plan.set_positions.is_empty() {
            within
        } else {
            plan.selected_positions(within.len() as u64)
                .into_iter()
                .filter_map(|p| within.get(p as usize).copied())
                .collect()
        };
        let mut t = offset;
        while t < SECONDS_PER_DAY {
            self.spend(1)?;
            let (h, m, s) = (t / 3600, (t % 3600) / 60, t % 60);
            let unit_ok = plan.hours & (1 << h) != 0
                && (unit > 3600 - 1 || plan.minutes & (1 << m) != 0)
                && (unit > 59 || plan.seconds & (1 << s) != 0);
            if unit_ok {
                for &x in &kept {
                    if let Ok(value) = u32::try_from(t + x) {
                        list.push(value);
                    }
                }
            }
            t = t.saturating_add(self.step);
        }
        list.sort_unstable();
        let times = Rc::new(DayTimes::List(list));
        // Sparse rules with very many phases are recomputed rather than kept.
        if self.phase_days <= MAX_CACHED_PHASES {
            self.phase_times
                .borrow_mut()
                .insert(phase, Rc::clone(&times));
        }
        Ok(times)
    }

    fn year_count(&self, year: i64) -> Result<u128, Oversized> {
        if self.plan.freq == Frequency::Yearly
            && !self.plan.iso_week_periods
            && self.phase_of_year(year) != 0
        {
            return Ok(0);
        }
        let data = self.year(year)?;
        Ok(match &*data {
            YearData::Days { mask, times } => {
                u128::from(plan::mask_count(mask)) * u128::from(times.count())
            }
            YearData::Phased { total, .. } => u128::from(*total),
            YearData::Explicit(list) => list.len() as u128,
        })
    }

    /// Instances in `year` starting before `offset` seconds after its 1 January.
    fn year_count_before(&self, year: i64, offset: i64) -> Result<u128, Oversized> {
        let data = self.year(year)?;
        Ok(match &*data {
            YearData::Days { mask, times } => {
                let day = offset.div_euclid(SECONDS_PER_DAY);
                let mut n =
                    u128::from(plan::mask_count_below(mask, day)) * u128::from(times.count());
                if plan::mask_test(mask, day) {
                    n += u128::from(times.count_before(offset.rem_euclid(SECONDS_PER_DAY)));
                }
                n
            }
            YearData::Phased {
                days, first_day, ..
            } => {
                let day = offset.div_euclid(SECONDS_PER_DAY);
                let index = days.partition_point(|(d, _)| *d < day);
                let mut n = match index.checked_sub(1).and_then(|i| days.get(i)) {
                    Some((d, before)) => {
                        u128::from(*before) + u128::from(self.times_on_day(first_day + d)?.count())
                    }
                    None => 0,
                };
                if let Some((d, _)) = days.get(index).filter(|(d, _)| *d == day) {
                    n += u128::from(
                        self.times_on_day(first_day + d)?
                            .count_before(offset.rem_euclid(SECONDS_PER_DAY)),
                    );
                }
                n
            }
            YearData::Explicit(list) => list.partition_point(|&t| t < offset) as u128,
        })
    }

    fn year_select(&self, year: i64, k: u128) -> Result<Option<i64>, Oversized> {
        let data = self.year(year)?;
        let Ok(k) = u64::try_from(k) else {
            return Ok(None);
        };
        Ok(match &*data {
            YearData::Days { mask, times } => {
                let per_day = times.count();
                if per_day == 0 {
                    return Ok(None);
                }
                plan::mask_select(mask, k / per_day)
                    .and_then(|day| Some(day * SECONDS_PER_DAY + times.select(k % per_day)?))
            }
            YearData::Phased {
                days, first_day, ..
            } => {
                let index = days.partition_point(|(_, before)| *before <= k);
                match index.checked_sub(1).and_then(|i| days.get(i)) {
                    Some((d, before)) => self
                        .times_on_day(first_day + d)?
                        .select(k - before)
                        .map(|t| d * SECONDS_PER_DAY + t),
                    None => None,
                }
            }
            YearData::Explicit(list) => list.get(k as usize).copied(),
        })
    }

    fn cycle_prefix(&self) -> Result<&[u128; 401], Oversized> {
        if let Some(found) = self.cycle_prefix.get() {
            return Ok(found);
        }
        let mut counts = [0u128; 28];
        for (slot, representative) in counts.iter_mut().zip(type_representatives()) {
            if let Some(year) = representative {
                *slot = self.year_count(*year)?;
            }
        }
        let mut prefix = Box::new([0u128; 401]);
        let mut running = 0u128;
        for (r, slot) in prefix.iter_mut().enumerate() {
            *slot = running;
            if let Some(count) = cycle_year_types()
                .get(r)
                .and_then(|&t| counts.get(usize::from(t)))
            {
                running += count;
            }
        }
        Ok(self.cycle_prefix.get_or_init(|| prefix))
    }

    fn origin_prefix(&self) -> Result<i128, Oversized> {
        if let Some(found) = self.origin_prefix.get() {
            return Ok(found);
        }
        let found = self.prefix_constant(self.origin_year)?;
        self.origin_prefix.set(Some(found));
        Ok(found)
    }

    /// Instances in all years before `year`, counted from year 0 (may be
    /// negative for years before 0); only for a constant phase.
    fn prefix_constant(&self, year: i64) -> Result<i128, Oversized> {
        let prefix = self.cycle_prefix()?;
        let q = year.div_euclid(CYCLE_YEARS);
        let r = year.rem_euclid(CYCLE_YEARS) as usize;
        let cycle = prefix.get(400).copied().unwrap_or(0) as i128;
        let partial = prefix.get(r).copied().unwrap_or(0) as i128;
        Ok(i128::from(q).saturating_mul(cycle).saturating_add(partial))
    }

    /// Instances in the years [origin, origin + `years`), walking and
    /// remembering year counts (used within one cycle only).
    fn walked_prefix(&self, years: i64) -> Result<u128, Oversized> {
        let wanted = usize::try_from(years).map_err(|_| Oversized::Work)?;
        loop {
            let (len, last) = {
                let walked = self.walked.borrow();
                if let Some(found) = walked.get(wanted) {
                    return Ok(*found);
                }
                (walked.len(), walked.last().copied().unwrap_or(0))
            };
            self.spend(1)?;
            let year = self.origin_year + len as i64 - 1;
            let next = last + self.year_count(year)?;
            self.walked.borrow_mut().push(next);
        }
    }

    /// Instances in the years [origin year, `year`).
    fn years_before(&self, year: i64) -> Result<u128, Oversized> {
        if year <= self.origin_year {
            return Ok(0);
        }
        if self.constant_phase {
            let n = self.prefix_constant(year)? - self.origin_prefix()?;
            return Ok(u128::try_from(n).unwrap_or(0));
        }
        let distance = year - self.origin_year;
        match self.cycle_years {
            Some(cycle) if distance > cycle => {
                let q = distance / cycle;
                let whole = self.walked_prefix(cycle)?.saturating_mul(q as u128);
                Ok(whole + self.walked_prefix(distance % cycle)?)
            }
            _ => self.walked_prefix(distance),
        }
    }

    /// Instances starting before local second `x`, counted from 1 January
    /// of DTSTART's year (the rule's grid extended back to that day).
    pub(crate) fn count_before(&self, x: i64) -> Result<u128, Oversized> {
        let day = x.div_euclid(SECONDS_PER_DAY);
        let year = civil::year_of_day(day);
        if year < self.origin_year {
            return Ok(0);
        }
        let offset = x - civil::year_start(year) * SECONDS_PER_DAY;
        Ok(self.years_before(year)? + self.year_count_before(year, offset)?)
    }

    /// The `k`-th instance (0-based) counted like [`RuleCounter::count_before`];
    /// `None` when the rule never produces that many or it lies beyond
    /// the representable years.
    pub(crate) fn select(&self, k: u128) -> Result<Option<i64>, Oversized> {
        let year = if self.constant_phase {
            let base = self.origin_prefix()?;
            let cycle = self.prefix_constant(self.origin_year + CYCLE_YEARS)? - base;
            if cycle <= 0 {
                return Ok(None);
            }
            let cycle = cycle as u128;
            let q = k / cycle;
            let Some(first) = i64::try_from(q)
                .ok()
                .and_then(|q| q.checked_mul(CYCLE_YEARS))
                .and_then(|y| y.checked_add(self.origin_year))
                .filter(|y| y.abs() < MAX_YEAR_MAGNITUDE)
            else {
                return Ok(None);
            };
            let before = |year: i64| -> Result<u128, Oversized> {
                Ok(u128::try_from(self.prefix_constant(year)? - base).unwrap_or(0))
            };
            // Counts per year are nearly even: start from the proportional
            // guess, then a few steps; a binary search if the guess is far.
            let rest = k % cycle;
            let guess = first + i64::try_from(rest * CYCLE_YEARS as u128 / cycle).unwrap_or(0);
            let mut year = guess.clamp(first, first + CYCLE_YEARS - 1);
            let mut steps = 0;
            loop {
                steps += 1;
                if steps > 8 {
                    break None;
                }
                if before(year)? > k {
                    year -= 1;
                } else if before(year + 1)? <= k {
                    year += 1;
                } else {
                    break Some(year);
                }
            }
            .map_or_else(
                || -> Result<i64, Oversized> {
                    let (mut low, mut high) = (first, first + CYCLE_YEARS);
                    while high - low > 1 {
                        let mid = low + (high - low) / 2;
                        if before(mid)? <= k {
                            low = mid;
                        } else {
                            high = mid;
                        }
                    }
                    Ok(low)
                },
                Ok,
            )?
        } else {
            match self.find_year_walking(k)? {
                Some(year) => year,
                None => return Ok(None),
            }
        };
        let before = self.years_before(year)?;
        let Some(within) = k.checked_sub(before) else {
            return Ok(None);
        };
        Ok(self
            .year_select(year, within)?
            .map(|offset| civil::year_start(year) * SECONDS_PER_DAY + offset))
    }

    fn find_year_walking(&self, k: u128) -> Result<Option<i64>, Oversized> {
        let cycle = self.cycle_years.ok_or(Oversized::Work)?;
        // Whole cycles first (the pattern repeats), then a binary search
        // over the remembered prefix of one cycle.
        let mut reach = 1i64;
        let (q, remaining, mut high) = loop {
            let reach_now = reach.min(cycle);
            if self.walked_prefix(reach_now)? > k {
                break (0u128, k, reach_now);
            }
            if reach_now == cycle {
                let per_cycle = self.walked_prefix(cycle)?;
                if per_cycle == 0 {
                    return Ok(None);
                }
                break (k / per_cycle, k % per_cycle, cycle);
            }
            reach = reach.saturating_mul(2);
        };
        let mut low = 0i64;
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.walked_prefix(mid)? <= remaining {
                low = mid;
            } else {
                high = mid;
            }
        }
        let skip = i64::try_from(q).ok().and_then(|q| q.checked_mul(cycle));
        Ok(skip
            .and_then(|s| s.checked_add(self.origin_year + low))
            .filter(|y| y.abs() < MAX_YEAR_MAGNITUDE))
    }

    /// Largest number of instances the rule puts on a single local day among
    /// the days [from, to), leaving out the days listed in `skip`.
    pub(crate) fn max_per_day(&self, from: i64, to: i64, skip: &[i64]) -> Result<u64, Oversized> {
        if to <= from {
            return Ok(0);
        }
        let day_count = |day: i64| -> Result<u64, Oversized> {
            let n = self
                .count_before((day + 1) * SECONDS_PER_DAY)?
                .saturating_sub(self.count_before(day * SECONDS_PER_DAY)?);
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        };
        let uniform = (self.plan.set_positions.is_empty() || self.plan.freq <= Frequency::Daily)
            && (self.phase_days == 1 || !self.uses_phases());
        if uniform {
            // Every day with instances has the same times.
            let per_day = if self.uses_phases() {
                self.times_on_day(self.start_day)?.count()
            } else {
                self.shared_times.count()
            };
            if per_day == 0 {
                return Ok(0);
            }
            let days_with = (self
                .count_before(to.saturating_mul(SECONDS_PER_DAY))?
                .saturating_sub(self.count_before(from.saturating_mul(SECONDS_PER_DAY))?))
                / u128::from(per_day);
            let mut skipped = 0u128;
            for &day in skip {
                if (from..to).contains(&day) && day_count(day)? > 0 {
                    skipped += 1;
                }
            }
            return Ok(if days_with > skipped { per_day } else { 0 });
        }
        // Varying days: the pattern repeats with the cycle, so one cycle of
        // days (or the range, if shorter) covers every case.
        let cycle_days = self
            .cycle_years
            .map(|y| y.saturating_mul(civil::CYCLE_DAYS / CYCLE_YEARS + 1))
            .unwrap_or(i64::MAX);
        let end = to.min(from.saturating_add(cycle_days).saturating_add(1));
        let mut best = 0u64;
        let mut day = from;
        // Days holding instances visited at most; beyond, the maximum found
        // so far stands (a lower bound, documented on the profile).
        let mut visits = 0u32;
        while day < end && visits < MAX_DAYS_VISITED {
            visits += 1;
            self.spend(1)?;
            // Jump straight to the next day holding an instance.
            let before = self.count_before(day * SECONDS_PER_DAY)?;
            let Some(next) = self.select(before)? else {
                break;
            };
            let next_day = next.div_euclid(SECONDS_PER_DAY);
            if next_day >= end {
                break;
            }
            if !skip.contains(&next_day) {
                best = best.max(day_count(next_day)?);
            }
            day = next_day + 1;
        }
        Ok(best)
    }
}
