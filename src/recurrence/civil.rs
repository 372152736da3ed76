//! Proleptic Gregorian calendar arithmetic on plain integers, so that
//! instances millions of years away (COUNT=10^9 of a DAILY rule) can be
//! located without the range limits of `chrono`.

// Arithmetic here is on bounded values, so the crate-wide
// `clippy::arithmetic_side_effects` denial is lifted for this module: years
// are held within `civil::MAX_YEAR_MAGNITUDE` of 1970 (every second of them
// fits an i64), instance indices and counts are u128 built from those, days
// of a year are < 366 and seconds of a day < 86,400, and every loop spends
// from the object's work budget. The fuzz targets build with overflow checks
// on (fuzz/Cargo.toml), which is what checks these bounds.
#![allow(clippy::arithmetic_side_effects)]

/// Seconds in a civil day (local time has no leap seconds).
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;
/// The Gregorian calendar repeats exactly every 400 years.
pub(crate) const CYCLE_YEARS: i64 = 400;
/// Days in one 400-year cycle (20871 weeks exactly).
pub(crate) const CYCLE_DAYS: i64 = 146_097;
/// Years this far from 1970 are treated as beyond any calendar: every
/// second of them still fits an `i64`.
pub(crate) const MAX_YEAR_MAGNITUDE: i64 = 100_000_000_000;

/// Whether `year` has a 29 February.
pub(crate) fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// 365 or 366.
pub(crate) fn year_length(year: i64) -> i64 {
    if is_leap(year) {
        366
    } else {
        365
    }
}

/// Days in `month` (1-12) of `year`.
pub(crate) fn month_length(year: i64, month: u32) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day number (days since 1970-01-01) of a civil date; H. Hinnant's algorithm.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * CYCLE_DAYS + doe - 719_468
}

/// Civil date (year, month 1-12, day 1-31) of a day number.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(CYCLE_DAYS);
    let doe = z - era * CYCLE_DAYS;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Weekday of a day number, 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
pub(crate) fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// Day number of 1 January of `year`.
pub(crate) fn year_start(year: i64) -> i64 {
    days_from_civil(year, 1, 1)
}

/// The calendar year a day number belongs to.
pub(crate) fn year_of_day(days: i64) -> i64 {
    civil_from_days(days).0
}

/// Greatest common divisor.
pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_civil_dates() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday(days_from_civil(2024, 1, 1)), 0);
        assert_eq!(
            days_from_civil(2000, 1, 1) + CYCLE_DAYS,
            days_from_civil(2400, 1, 1)
        );
    }
}
