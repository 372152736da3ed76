//! A parsed rule normalised against its DTSTART (the defaults RFC 5545 and
//! every common implementation take from DTSTART made explicit), and the
//! per-year building blocks the counting engine works with: a 366-bit mask
//! of the days of one year that hold instances, and the times of day.

// Arithmetic here is on bounded values, so the crate-wide
// `clippy::arithmetic_side_effects` denial is lifted for this module: years
// are held within `civil::MAX_YEAR_MAGNITUDE` of 1970 (every second of them
// fits an i64), instance indices and counts are u128 built from those, days
// of a year are < 366 and seconds of a day < 86,400, and every loop spends
// from the object's work budget. The fuzz targets build with overflow checks
// on (fuzz/Cargo.toml), which is what checks these bounds.
#![allow(clippy::arithmetic_side_effects)]

use std::collections::BTreeSet;

use super::civil::{self, SECONDS_PER_DAY};
use super::parse::{Frequency, Recur, Skip};

/// One bit per day of a year (up to 366 days).
pub(crate) type DayMask = [u64; 6];

pub(crate) const EMPTY_MASK: DayMask = [0; 6];

pub(crate) fn mask_set(mask: &mut DayMask, bit: i64) {
    if (0..384).contains(&bit) {
        if let Some(word) = mask.get_mut((bit / 64) as usize) {
            *word |= 1u64 << (bit % 64);
        }
    }
}

pub(crate) fn mask_test(mask: &DayMask, bit: i64) -> bool {
    (0..384).contains(&bit)
        && mask
            .get((bit / 64) as usize)
            .is_some_and(|word| word & (1u64 << (bit % 64)) != 0)
}

pub(crate) fn mask_range(from: i64, to: i64) -> DayMask {
    let mut mask = EMPTY_MASK;
    let from = from.clamp(0, 384);
    let to = to.clamp(0, 384);
    for (index, word) in mask.iter_mut().enumerate() {
        let low = (index as i64) * 64;
        let a = (from - low).clamp(0, 64);
        let b = (to - low).clamp(0, 64);
        if b > a {
            let upper = if b == 64 { u64::MAX } else { (1u64 << b) - 1 };
            let lower = if a == 64 { u64::MAX } else { (1u64 << a) - 1 };
            *word = upper & !lower;
        }
    }
    mask
}

pub(crate) fn mask_and(a: &DayMask, b: &DayMask) -> DayMask {
    let mut out = EMPTY_MASK;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x & y;
    }
    out
}

pub(crate) fn mask_or_assign(a: &mut DayMask, b: &DayMask) {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= y;
    }
}

pub(crate) fn mask_count(mask: &DayMask) -> u64 {
    mask.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Set bits strictly below `bit`.
pub(crate) fn mask_count_below(mask: &DayMask, bit: i64) -> u64 {
    mask_count(&mask_and(mask, &mask_range(0, bit)))
}

/// Position of the `k`-th (0-based) set bit.
pub(crate) fn mask_select(mask: &DayMask, mut k: u64) -> Option<i64> {
    for (index, word) in mask.iter().enumerate() {
        let ones = u64::from(word.count_ones());
        if k < ones {
            let mut w = *word;
            for _ in 0..k {
                w &= w.wrapping_sub(1);
            }
            return Some(index as i64 * 64 + i64::from(w.trailing_zeros()));
        }
        k -= ones;
    }
    None
}

fn bits_below_u64(bits: u64, n: u32) -> u64 {
    if n >= 64 {
        bits
    } else {
        bits & ((1u64 << n) - 1)
    }
}

fn nth_bit_u64(bits: u64, k: u64) -> Option<u32> {
    if k >= u64::from(bits.count_ones()) {
        return None;
    }
    let mut w = bits;
    for _ in 0..k {
        w &= w.wrapping_sub(1);
    }
    Some(w.trailing_zeros())
}

/// `[p]`: the days of a year whose offset from 1 January is p modulo 7.
fn every_seventh_day() -> &'static [DayMask; 7] {
    static TABLE: std::sync::OnceLock<[DayMask; 7]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [EMPTY_MASK; 7];
        for (phase, mask) in table.iter_mut().enumerate() {
            let mut day = phase as i64;
            while day < 384 {
                mask_set(mask, day);
                day += 7;
            }
        }
        table
    })
}

/// The start times (seconds after local midnight) of the instances on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DayTimes {
    /// Every combination of the hours, minutes and seconds set in the masks.
    Product {
        hours: u64,
        minutes: u64,
        seconds: u64,
    },
    /// An explicit sorted list.
    List(Vec<u32>),
}

impl DayTimes {
    pub(crate) fn count(&self) -> u64 {
        match self {
            DayTimes::Product {
                hours,
                minutes,
                seconds,
            } => {
                u64::from(hours.count_ones())
                    * u64::from(minutes.count_ones())
                    * u64::from(seconds.count_ones())
            }
            DayTimes::List(list) => list.len() as u64,
        }
    }

    /// Times strictly before `second_of_day` (0..=86400).
    pub(crate) fn count_before(&self, second_of_day: i64) -> u64 {
        if second_of_day <= 0 {
            return 0;
        }
        if second_of_day >= SECONDS_PER_DAY {
            return self.count();
        }
        match self {
            DayTimes::Product {
                hours,
                minutes,
                seconds,
            } => {
                let h = (second_of_day / 3600) as u32;
                let m = ((second_of_day % 3600) / 60) as u32;
                let s = (second_of_day % 60) as u32;
                let cm = u64::from(minutes.count_ones());
                let cs = u64::from(seconds.count_ones());
                let mut total = u64::from(bits_below_u64(*hours, h).count_ones()) * cm * cs;
                if hours & (1u64 << h) != 0 {
                    total += u64::from(bits_below_u64(*minutes, m).count_ones()) * cs;
                    if minutes & (1u64 << m) != 0 {
                        total += u64::from(bits_below_u64(*seconds, s).count_ones());
                    }
                }
                total
            }
            DayTimes::List(list) => list.partition_point(|&t| i64::from(t) < second_of_day) as u64,
        }
    }

    /// The `k`-th time of the day (0-based), in seconds after midnight.
    pub(crate) fn select(&self, k: u64) -> Option<i64> {
        match self {
            DayTimes::Product {
                hours,
                minutes,
                seconds,
            } => {
                let cm = u64::from(minutes.count_ones());
                let cs = u64::from(seconds.count_ones());
                let per_hour = cm.checked_mul(cs).filter(|n| *n > 0)?;
                let h = nth_bit_u64(*hours, k / per_hour)?;
                let rest = k % per_hour;
                let m = nth_bit_u64(*minutes, rest / cs)?;
                let s = nth_bit_u64(*seconds, rest % cs)?;
                Some(i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s))
            }
            DayTimes::List(list) => list.get(usize::try_from(k).ok()?).map(|&t| i64::from(t)),
        }
    }
}

/// The rule with DTSTART's defaults filled in, as masks.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub freq: Frequency,
    pub interval: u64,
    /// Week start, 0 = Monday.
    pub week_start: u32,
    /// Bits 1..=12.
    pub months: u16,
    pub month_days_positive: u32,
    pub month_days_negative: u32,
    pub has_month_days: bool,
    /// RFC 7529 SKIP for month days the month lacks (positive BYMONTHDAY
    /// values past the month's end, DTSTART's day in a shorter month).
    pub skip: Skip,
    pub year_days: Vec<i32>,
    pub week_numbers: Vec<i32>,
    /// Bit per weekday (0 = Monday) matched on any day.
    pub weekdays: u8,
    /// (ordinal, weekday) pairs.
    pub ordinal_weekdays: Vec<(i32, u32)>,
    pub has_weekdays: bool,
    /// Ordinals count within the month (MONTHLY, or YEARLY with BYMONTH), else within the year.
    pub ordinal_within_month: bool,
    /// For DAILY and coarser: the hours/minutes/seconds each day expands to.
    /// For finer frequencies: the filters (all bits when absent) and the
    /// expansion of the units below the frequency.
    pub hours: u64,
    pub minutes: u64,
    pub seconds: u64,
    pub set_positions: Vec<i32>,
    /// DTSTART as local seconds since 1970-01-01T00:00:00.
    pub start: i64,
    /// YEARLY with BYWEEKNO and an INTERVAL: the periods are week-numbering
    /// years (a week straddling New Year belongs to the year it is numbered
    /// in, libical's reading) rather than calendar years (python-dateutil's).
    pub iso_week_periods: bool,
}

/// Which week-numbering years a calendar year's week numbers are taken from:
/// its own, the previous one's last week at its start, the next one's week 1
/// at its end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WeekYears {
    pub own: bool,
    pub previous: bool,
    pub next: bool,
}

impl WeekYears {
    const ALL: WeekYears = WeekYears {
        own: true,
        previous: true,
        next: true,
    };
}

/// Largest INTERVAL the arithmetic uses.
const MAX_INTERVAL: u64 = 100_000_000_000_000;

const ALL_HOURS: u64 = (1u64 << 24) - 1;
const ALL_MINUTES: u64 = (1u64 << 60) - 1;

fn mask_of(values: &[u32], limit: u32) -> u64 {
    values
        .iter()
        .filter(|&&v| v < limit)
        .fold(0u64, |m, &v| m | (1u64 << v))
}

impl Plan {
    pub(crate) fn new(rule: &Recur, start: i64) -> Plan {
        let start_day = start.div_euclid(SECONDS_PER_DAY);
        let (_, start_month, start_mday) = civil::civil_from_days(start_day);
        let tod = start.rem_euclid(SECONDS_PER_DAY);
        let (h0, m0, s0) = (
            (tod / 3600) as u32,
            ((tod % 3600) / 60) as u32,
            (tod % 60) as u32,
        );
        let freq = rule.freq;
        let mut months = rule.by_month.clone();
        let mut month_days = rule.by_month_day.clone();
        let mut weekday_entries: Vec<(Option<i32>, u32)> = rule
            .by_day
            .iter()
            .map(|d| (d.ordinal, d.weekday.index()))
            .collect();
        let no_day_parts = rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty();
        if no_day_parts {
            match freq {
                Frequency::Yearly => {
                    if months.is_empty() {
                        months.push(start_month);
                    }
                    month_days.push(start_mday as i32);
                }
                Frequency::Monthly => month_days.push(start_mday as i32),
                Frequency::Weekly => weekday_entries.push((None, civil::weekday(start_day))),
                _ => {}
            }
        }
        // A BYxxx part lists the values; without one, a frequency finer than
        // the unit takes every value and a coarser one keeps DTSTART's.
        // (Second 60, a leap second, never occurs in local time arithmetic.)
        let time_mask = |by: &[u32], width: u32, keeps_start: bool, start: u32, all: u64| {
            if !by.is_empty() {
                mask_of(by, width)
            } else if keeps_start {
                1u64 << start
            } else {
                all
            }
        };
        let hours = time_mask(&rule.by_hour, 24, freq >= Frequency::Daily, h0, ALL_HOURS);
        let minutes = time_mask(
            &rule.by_minute,
            60,
            freq >= Frequency::Hourly,
            m0,
            ALL_MINUTES,
        );
        let seconds = time_mask(
            &rule.by_second,
            60,
            freq >= Frequency::Minutely,
            s0,
            ALL_MINUTES,
        );
        let mut month_days_positive = 0u32;
        let mut month_days_negative = 0u32;
        for &d in &month_days {
            if d > 0 {
                month_days_positive |= 1 << (d - 1);
            } else if d < 0 {
                month_days_negative |= 1 << (-d - 1);
            }
        }
        let ordinal_within_month =
            freq == Frequency::Monthly || (freq == Frequency::Yearly && !months.is_empty());
        Plan {
            freq,
            // A step beyond 10^14 units puts every instance after DTSTART past
            // the representable years anyway; the clamp keeps arithmetic in range.
            interval: rule.interval.clamp(1, MAX_INTERVAL),
            week_start: rule.week_start.index(),
            months: if months.is_empty() && !rule.by_leap_month.is_empty() {
                // Only leap months (RFC 7529 "5L"): the Gregorian year has none.
                0
            } else if months.is_empty() {
                0x1FFE
            } else {
                months.iter().fold(0u16, |m, &v| m | (1 << v))
            },
            month_days_positive,
            month_days_negative,
            has_month_days: !month_days.is_empty(),
            skip: rule.skip,
            year_days: rule.by_year_day.clone(),
            week_numbers: rule.by_week_no.clone(),
            weekdays: weekday_entries
                .iter()
                .filter(|(o, _)| o.is_none())
                .fold(0u8, |m, &(_, w)| m | (1 << w)),
            ordinal_weekdays: weekday_entries
                .iter()
                .filter_map(|&(o, w)| o.map(|o| (o, w)))
                .collect(),
            has_weekdays: !weekday_entries.is_empty(),
            ordinal_within_month,
            hours,
            minutes,
            seconds,
            set_positions: {
                let set: BTreeSet<i32> = rule.by_set_pos.iter().copied().collect();
                set.into_iter().collect()
            },
            start,
            iso_week_periods: false,
        }
    }

    /// The days of `year` that the calendar rule parts (BYMONTH, BYWEEKNO,
    /// BYYEARDAY, BYMONTHDAY, BYDAY) allow, before the FREQ/INTERVAL period
    /// selection. Depends only on the year's type: weekday of 1 January,
    /// leap year, previous year leap (for the week numbering).
    pub(crate) fn calendar_mask(&self, year: i64) -> DayMask {
        self.calendar_mask_with(year, WeekYears::ALL)
    }

    /// [`Plan::calendar_mask`] with BYWEEKNO taken from some week-numbering years only.
    pub(crate) fn calendar_mask_with(&self, year: i64, week_years: WeekYears) -> DayMask {
        let length = civil::year_length(year);
        let jan1 = civil::year_start(year);
        let first_weekday = civil::weekday(jan1);
        let mut mask = mask_range(0, length);
        if self.months != 0x1FFE || self.has_month_days || self.ordinal_within_month {
            let mut allowed = EMPTY_MASK;
            let mut month_day_mask = EMPTY_MASK;
            let mut ordinal_mask = EMPTY_MASK;
            let mut offset = 0i64;
            for month in 1..=12u32 {
                let len = civil::month_length(year, month);
                if self.months & (1 << month) != 0 {
                    let range = mask_range(offset, offset + len);
                    mask_or_assign(&mut allowed, &range);
                    if self.has_month_days {
                        for d in 1..=len {
                            if self.month_days_positive & (1 << (d - 1)) != 0
                                || self.month_days_negative & (1 << (len - d)) != 0
                            {
                                mask_set(&mut month_day_mask, offset + d - 1);
                            }
                        }
                        let lacks = self
                            .month_days_positive
                            .checked_shr(u32::try_from(len).unwrap_or(32))
                            .unwrap_or(0)
                            != 0;
                        match self.skip {
                            Skip::Omit => {}
                            Skip::Backward if lacks => {
                                mask_set(&mut month_day_mask, offset + len - 1);
                            }
                            // The first day after the month (RFC 7529 3.1);
                            // past 31 December it is in the next year's
                            // mask and is left out here.
                            Skip::Forward if lacks && offset + len < length => {
                                mask_set(&mut month_day_mask, offset + len);
                                mask_set(&mut allowed, offset + len);
                            }
                            _ => {}
                        }
                    }
                    if self.ordinal_within_month && !self.ordinal_weekdays.is_empty() {
                        let month_first_weekday = civil::weekday(jan1 + offset);
                        self.mark_ordinals(&mut ordinal_mask, offset, len, month_first_weekday);
                    }
                }
                offset += len;
            }
            mask = mask_and(&mask, &allowed);
            if self.has_month_days {
                mask = mask_and(&mask, &month_day_mask);
            }
            if self.ordinal_within_month && !self.ordinal_weekdays.is_empty() {
                mask = self.combine_weekdays(&mask, ordinal_mask, first_weekday, length);
            } else if self.has_weekdays {
                let mut ordinals = EMPTY_MASK;
                self.mark_ordinals(&mut ordinals, 0, length, first_weekday);
                mask = self.combine_weekdays(&mask, ordinals, first_weekday, length);
            }
        } else if self.has_weekdays {
            let mut ordinals = EMPTY_MASK;
            self.mark_ordinals(&mut ordinals, 0, length, first_weekday);
            mask = self.combine_weekdays(&mask, ordinals, first_weekday, length);
        }
        if !self.year_days.is_empty() {
            let mut days = EMPTY_MASK;
            for &d in &self.year_days {
                if d > 0 && i64::from(d) <= length {
                    mask_set(&mut days, i64::from(d) - 1);
                } else if d < 0 && i64::from(-d) <= length {
                    mask_set(&mut days, length + i64::from(d));
                }
            }
            mask = mask_and(&mask, &days);
        }
        if !self.week_numbers.is_empty() {
            let weeks = self.week_number_mask(year, length, first_weekday, week_years);
            mask = mask_and(&mask, &weeks);
        }
        mask
    }

    fn mark_ordinals(&self, mask: &mut DayMask, offset: i64, len: i64, first_weekday: u32) {
        for &(ordinal, wd) in &self.ordinal_weekdays {
            let first = i64::from((wd + 7 - first_weekday) % 7);
            let day = if ordinal > 0 {
                first + 7 * (i64::from(ordinal) - 1)
            } else {
                let last_weekday = (i64::from(first_weekday) + len - 1).rem_euclid(7);
                let last = len - 1 - (last_weekday - i64::from(wd)).rem_euclid(7);
                last + 7 * (i64::from(ordinal) + 1)
            };
            if (0..len).contains(&day) {
                mask_set(mask, offset + day);
            }
        }
    }

    fn combine_weekdays(
        &self,
        mask: &DayMask,
        ordinals: DayMask,
        first_weekday: u32,
        length: i64,
    ) -> DayMask {
        let mut matching = ordinals;
        for weekday in 0..7u32 {
            if self.weekdays & (1 << weekday) != 0 {
                let phase = (weekday + 7 - first_weekday) % 7;
                if let Some(days) = every_seventh_day().get(phase as usize) {
                    mask_or_assign(&mut matching, days);
                }
            }
        }
        mask_and(mask, &mask_and(&matching, &mask_range(0, length)))
    }

    /// Week numbering as python-dateutil and libical do it: week 1 is the
    /// first week (starting on WKST) with at least four days in the year.
    fn week_number_mask(
        &self,
        year: i64,
        length: i64,
        first_weekday: u32,
        week_years: WeekYears,
    ) -> DayMask {
        let wkst = i64::from(self.week_start);
        let fw = i64::from(first_weekday);
        let (weeks, week1, shift) = week_layout(length, fw, wkst);
        let mut mask = EMPTY_MASK;
        let mark_week = |mask: &mut DayMask, start: i64| {
            let start_weekday = (fw + start).rem_euclid(7);
            let days = 7 - (start_weekday - wkst).rem_euclid(7);
            for d in start..(start + days).min(length) {
                mask_set(mask, d);
            }
        };
        for &n in self.week_numbers.iter().filter(|_| week_years.own) {
            let n = if n < 0 {
                i64::from(n) + weeks + 1
            } else {
                i64::from(n)
            };
            if !(1..=weeks).contains(&n) {
                continue;
            }
            let start = if n == 1 {
                week1
            } else {
                week1 + (n - 1) * 7 - shift
            };
            mark_week(&mut mask, start);
        }
        if week_years.next && self.week_numbers.contains(&1) {
            let start = week1 + weeks * 7 - shift;
            if start < length {
                mark_week(&mut mask, start);
            }
        }
        if week_years.previous && week1 > 0 {
            let previous_weeks = if self.week_numbers.contains(&-1) {
                -1
            } else {
                let previous_length = civil::year_length(year - 1);
                let previous_first = (fw - previous_length).rem_euclid(7);
                week_layout(previous_length, previous_first, wkst).0
            };
            if self
                .week_numbers
                .iter()
                .any(|&n| i64::from(n) == previous_weeks)
            {
                for d in 0..week1 {
                    mask_set(&mut mask, d);
                }
            }
        }
        mask
    }

    /// The times of day for a frequency of DAILY or coarser.
    pub(crate) fn product_times(&self) -> DayTimes {
        DayTimes::Product {
            hours: self.hours,
            minutes: self.minutes,
            seconds: self.seconds,
        }
    }

    /// Positions (0-based) that BYSETPOS keeps out of `total` candidates.
    pub(crate) fn selected_positions(&self, total: u64) -> Vec<u64> {
        let mut positions: Vec<u64> = self
            .set_positions
            .iter()
            .filter_map(|&p| {
                let p = i64::from(p);
                let total = i64::try_from(total).ok()?;
                let index = if p > 0 { p - 1 } else { total + p };
                (0..total).contains(&index).then_some(index as u64)
            })
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    /// Whether a day passes BYMONTH and the plain BYDAY weekdays (WEEKLY periods).
    pub(crate) fn weekly_day_matches(&self, day: i64) -> bool {
        let (_, month, _) = civil::civil_from_days(day);
        self.months & (1 << month) != 0 && self.weekdays & (1 << civil::weekday(day)) != 0
    }
}

/// (weeks in the week-numbering year, day-of-year where week 1 starts within
/// this year (0 when it started the year before), days to subtract when week 1
/// began in the previous year).
fn week_layout(length: i64, first_weekday: i64, wkst: i64) -> (i64, i64, i64) {
    let first_wkst = (7 - first_weekday + wkst).rem_euclid(7);
    let (week1, week_year_length) = if first_wkst >= 4 {
        (0, length + (first_weekday - wkst).rem_euclid(7))
    } else {
        (first_wkst, length - first_wkst)
    };
    let weeks = week_year_length / 7 + (week_year_length % 7) / 4;
    let shift = if week1 != first_wkst {
        7 - first_wkst
    } else {
        0
    };
    (weeks, week1, shift)
}
