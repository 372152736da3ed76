//! Mapping the series' local wall-clock timeline to UTC: the object's own
//! VTIMEZONE first (Outlook names zones the Windows way), then an IANA name
//! through `chrono-tz`, else UTC with a note.
//!
//! RFC 5545 3.3.5: a local time inside a DST gap is shifted forward by the
//! gap (it is read with the offset in force before the gap); an ambiguous
//! local time (in the repeated hour) is its first occurrence.

// Arithmetic here is on bounded values, so the crate-wide
// `clippy::arithmetic_side_effects` denial is lifted for this module: years
// are held within `civil::MAX_YEAR_MAGNITUDE` of 1970 (every second of them
// fits an i64), instance indices and counts are u128 built from those, days
// of a year are < 366 and seconds of a day < 86,400, and every loop spends
// from the object's work budget. The fuzz targets build with overflow checks
// on (fuzz/Cargo.toml), which is what checks these bounds.
#![allow(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Offset, TimeZone};

use super::civil::{days_from_civil, month_length, weekday, year_of_day, SECONDS_PER_DAY};
use super::counter::{Budget, RuleCounter};
use super::parse::{parse_date_or_date_time, parse_recur, Frequency, Recur};
use super::plan::Plan;
use crate::calendar::{Observance, TimeZoneDefinition};

/// One onset rule of a VTIMEZONE observance, ready to be counted.
struct Onsets {
    offset_from: i64,
    offset_to: i64,
    /// Local start of the observance (in `offset_from`).
    start: i64,
    rule: Option<(RuleCounter, u128, Option<u128>)>,
    /// The shape nearly every VTIMEZONE uses, answered without an engine.
    yearly: Option<YearlyOnset>,
    extra: Vec<i64>,
}

/// `FREQ=YEARLY;BYMONTH=m;BYDAY=±nDD` with no end: one onset a year, on
/// the n-th (or n-th last) weekday of a month at the observance's time of
/// day. Building a counting engine for it (a 400-year table from 1601, as
/// Outlook writes) costs tens of microseconds per zone; this is a few
/// arithmetic steps per lookup.
#[derive(Debug, Clone, Copy)]
struct YearlyOnset {
    month: u32,
    ordinal: i32,
    weekday: u32,
    time_of_day: i64,
}

impl YearlyOnset {
    fn from_rule(recur: &Recur, start: i64) -> Option<YearlyOnset> {
        let plain = recur.freq == Frequency::Yearly
            && recur.interval == 1
            && recur.count.is_none()
            && recur.until.is_none()
            && recur.by_second.is_empty()
            && recur.by_minute.is_empty()
            && recur.by_hour.is_empty()
            && recur.by_month_day.is_empty()
            && recur.by_year_day.is_empty()
            && recur.by_week_no.is_empty()
            && recur.by_set_pos.is_empty();
        let ([month], [day]) = (recur.by_month.as_slice(), recur.by_day.as_slice()) else {
            return None;
        };
        let ordinal = day.ordinal.filter(|n| (-5..=5).contains(n) && *n != 0)?;
        plain.then_some(YearlyOnset {
            month: *month,
            ordinal,
            weekday: day.weekday.index(),
            time_of_day: start.rem_euclid(SECONDS_PER_DAY),
        })
    }

    /// The onset in `year` (local seconds), if that month has such a day.
    fn in_year(self, year: i64) -> Option<i64> {
        let length = month_length(year, self.month);
        let first = days_from_civil(year, self.month, 1);
        let last = first + length - 1;
        let day = if self.ordinal > 0 {
            let to_first = (i64::from(self.weekday) - i64::from(weekday(first))).rem_euclid(7);
            first + to_first + 7 * (i64::from(self.ordinal) - 1)
        } else {
            let from_last = (i64::from(weekday(last)) - i64::from(self.weekday)).rem_euclid(7);
            last - from_last - 7 * (i64::from(-self.ordinal) - 1)
        };
        (first..=last)
            .contains(&day)
            .then_some(day * SECONDS_PER_DAY + self.time_of_day)
    }

    /// The latest onset at or before `local`, not before the observance's start.
    fn latest_at_or_before(self, local: i64, start: i64) -> Option<i64> {
        let year = year_of_day(local.div_euclid(SECONDS_PER_DAY));
        // A month may lack a fifth weekday: look back until a year has one.
        (0..8)
            .filter_map(|back| self.in_year(year - back))
            .find(|onset| *onset <= local)
            .filter(|onset| *onset >= start)
    }
}

/// A zone defined by VTIMEZONE observances.
pub(crate) struct DefinedZone {
    onsets: Vec<Onsets>,
    earliest_offset: i64,
}

/// A forward offset change: the local times `[local_start, local_end)` do
/// not exist, and are read with the offset before it (RFC 5545 3.3.5), as
/// the instants `[at, at + (local_end - local_start))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    /// The instant of the change.
    pub(crate) at: i64,
    pub(crate) local_start: i64,
    pub(crate) local_end: i64,
}

/// Where local times of a series are anchored.
pub(crate) enum Zone {
    /// UTC values (trailing `Z`), and the fallback.
    Utc,
    /// Floating times and DATE values: reported as if they were UTC.
    Floating,
    Named(chrono_tz::Tz),
    Defined(Box<DefinedZone>),
}

/// `+HHMM`, `-HHMM` or `+HHMMSS` in seconds.
pub(crate) fn parse_utc_offset(text: &str) -> Option<i64> {
    let text = text.trim();
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, text.get(1..)?),
        b'-' => (-1, text.get(1..)?),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits.get(0..2)?.parse().ok()?;
    let minutes: i64 = digits.get(2..4)?.parse().ok()?;
    let seconds: i64 = digits
        .get(4..)
        .filter(|s| !s.is_empty())
        .map_or(Some(0), |s| s.parse().ok())?;
    Some(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// Local seconds since 1970 of a parsed DATE or DATE-TIME (midnight for DATE).
pub(crate) fn local_seconds(value: &super::parse::DateOrDateTime) -> i64 {
    let day = super::civil::days_from_civil(value.year, value.month, value.day);
    let time = value.time.map_or(0, |t| {
        i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second.min(59))
    });
    day * SECONDS_PER_DAY + time
}

fn observance_onsets(observance: &Observance, fast_path: bool, budget: &Budget) -> Option<Onsets> {
    let offset_from = parse_utc_offset(&observance.offset_from)?;
    let offset_to = parse_utc_offset(&observance.offset_to)?;
    let start = local_seconds(&parse_date_or_date_time(&observance.dtstart)?);
    let recur = observance
        .rrule
        .as_deref()
        .and_then(|text| parse_recur(text).ok());
    let yearly = recur
        .as_ref()
        .filter(|_| fast_path)
        .and_then(|recur| YearlyOnset::from_rule(recur, start));
    let rule = recur.filter(|_| yearly.is_none()).and_then(|recur| {
        let engine = RuleCounter::new(Plan::new(&recur, start), budget);
        let base = engine.count_before(start).ok()?;
        let cap = match (recur.count, recur.until) {
            (Some(count), _) => Some(u128::from(count)),
            (None, Some(until)) => {
                let mut limit = local_seconds(&until);
                if until.utc {
                    limit += offset_from;
                }
                engine
                    .count_before(limit.saturating_add(1))
                    .ok()
                    .map(|n| n.saturating_sub(base))
            }
            _ => None,
        };
        Some((engine, base, cap))
    });
    let extra = observance
        .rdates
        .iter()
        .filter_map(|text| parse_date_or_date_time(text).map(|d| local_seconds(&d)))
        .collect();
    Some(Onsets {
        offset_from,
        offset_to,
        start,
        rule,
        yearly,
        extra,
    })
}

impl DefinedZone {
    pub(crate) fn new(definition: &TimeZoneDefinition, budget: &Budget) -> Option<DefinedZone> {
        DefinedZone::build(definition, true, budget)
    }

    fn build(
        definition: &TimeZoneDefinition,
        fast_path: bool,
        budget: &Budget,
    ) -> Option<DefinedZone> {
        // Each observance costs its rule's work from the object's budget;
        // when that runs out the rest are left out (the series that uses the
        // zone then runs out too and is reported `oversized`).
        let onsets: Vec<Onsets> = definition
            .observances
            .iter()
            .map_while(|observance| {
                budget.spend(1).ok()?;
                Some(observance_onsets(observance, fast_path, budget))
            })
            .flatten()
            .collect();
        let earliest_offset = onsets.iter().min_by_key(|o| o.start)?.offset_from;
        Some(DefinedZone {
            onsets,
            earliest_offset,
        })
    }

    /// The offset in force at a UTC instant: that of the latest onset before it.
    fn offset_at(&self, utc: i64) -> i64 {
        let mut best: Option<(i64, i64)> = None;
        for onset in &self.onsets {
            // Onsets are written in the local time in force before them.
            let local_limit = utc.saturating_add(onset.offset_from);
            let mut latest: Option<i64> = None;
            if onset.start <= local_limit {
                latest = Some(onset.start);
            }
            for &extra in &onset.extra {
                if extra <= local_limit && latest.is_none_or(|l| extra > l) {
                    latest = Some(extra);
                }
            }
            if let Some(at) = onset
                .yearly
                .and_then(|yearly| yearly.latest_at_or_before(local_limit, onset.start))
            {
                if latest.is_none_or(|l| at > l) {
                    latest = Some(at);
                }
            }
            if let Some((engine, base, cap)) = &onset.rule {
                if let Ok(before) = engine.count_before(local_limit.saturating_add(1)) {
                    let mut n = before.saturating_sub(*base);
                    if let Some(cap) = cap {
                        n = n.min(*cap);
                    }
                    if n > 0 {
                        if let Ok(Some(at)) = engine.select(base + n - 1) {
                            if latest.is_none_or(|l| at > l) {
                                latest = Some(at);
                            }
                        }
                    }
                }
            }
            if let Some(local) = latest {
                let at_utc = local - onset.offset_from;
                if best.is_none_or(|(b, _)| at_utc > b) {
                    best = Some((at_utc, onset.offset_to));
                }
            }
        }
        best.map_or(self.earliest_offset, |(_, offset)| offset)
    }
}

impl Zone {
    /// Resolve a TZID: the object's VTIMEZONE, then IANA; `Err(note)` when neither knows it.
    pub(crate) fn resolve(
        tzid: &str,
        definitions: &[TimeZoneDefinition],
        budget: &Budget,
    ) -> Result<Zone, String> {
        let wanted = tzid.trim().trim_matches('"');
        if let Some(zone) = definitions
            .iter()
            .find(|d| d.tzid.trim().trim_matches('"') == wanted)
            .and_then(|definition| DefinedZone::new(definition, budget))
        {
            return Ok(Zone::Defined(Box::new(zone)));
        }
        // Some producers prefix IANA names ("/mozilla.org/20070129_1/Europe/Berlin").
        let candidates = [wanted, wanted.trim_start_matches('/')];
        for candidate in candidates {
            if let Ok(tz) = candidate.parse::<chrono_tz::Tz>() {
                return Ok(Zone::Named(tz));
            }
        }
        let parts: Vec<&str> = wanted.split('/').collect();
        for start in 0..parts.len() {
            if let Some(tail) = parts.get(start..) {
                if let Ok(tz) = tail.join("/").parse::<chrono_tz::Tz>() {
                    return Ok(Zone::Named(tz));
                }
            }
        }
        Err(format!(
            "TZID \"{wanted}\" is neither defined by a VTIMEZONE of the object nor an IANA zone: times taken as UTC"
        ))
    }

    /// UTC offset in seconds in force at a UTC instant.
    pub(crate) fn offset_at(&self, utc: i64) -> i64 {
        match self {
            Zone::Utc | Zone::Floating => 0,
            Zone::Named(tz) => {
                // chrono covers years -262143..262142; beyond, the rules of the edge apply.
                let clamped = utc.clamp(-8_000_000_000_000, 8_000_000_000_000);
                DateTime::from_timestamp(clamped, 0)
                    .map(|t| {
                        i64::from(
                            tz.offset_from_utc_datetime(&t.naive_utc())
                                .fix()
                                .local_minus_utc(),
                        )
                    })
                    .unwrap_or(0)
            }
            Zone::Defined(zone) => zone.offset_at(utc),
        }
    }

    pub(crate) fn is_utc_like(&self) -> bool {
        matches!(self, Zone::Utc | Zone::Floating)
    }

    /// UTC instant of a local time (gap: shifted forward; fold: first occurrence).
    pub(crate) fn to_utc(&self, local: i64) -> i64 {
        if self.is_utc_like() {
            return local;
        }
        let before = self.offset_at(local.saturating_sub(SECONDS_PER_DAY));
        let after = self.offset_at(local.saturating_add(SECONDS_PER_DAY));
        if before == after {
            return local - before;
        }
        let first = local - before;
        let second = local - after;
        let first_valid = self.offset_at(first) == before;
        let second_valid = self.offset_at(second) == after;
        match (first_valid, second_valid) {
            (true, true) => first.min(second),
            (true, false) => first,
            (false, true) => second,
            // In the gap: read with the offset before it.
            (false, false) => first,
        }
    }

    /// The DST gap (a forward offset change) whose local times read as
    /// instants in `[gap.at, gap.at + length)` when `utc` lies strictly
    /// inside that range: then some local times before the gap's end have
    /// instants at or after `utc`. Offset changes are assumed at least a
    /// day apart.
    pub(crate) fn gap_around(&self, utc: i64) -> Option<Gap> {
        if self.is_utc_like() {
            return None;
        }
        let probe = utc.checked_sub(1)?;
        let after = self.offset_at(probe);
        let mut low = probe.checked_sub(SECONDS_PER_DAY)?;
        let before = self.offset_at(low);
        if after <= before {
            return None;
        }
        // The change lies in (low, probe]: the first instant with `after`.
        let mut high = probe;
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.offset_at(mid) == before {
                low = mid;
            } else {
                high = mid;
            }
        }
        let at = high;
        (utc < at + (after - before)).then_some(Gap {
            at,
            local_start: at + before,
            local_end: at + after,
        })
    }

    /// Whether a local time does not exist (it lies in a DST gap).
    pub(crate) fn is_in_gap(&self, local: i64) -> bool {
        !self.is_utc_like() && self.to_local(self.to_utc(local)) != local
    }

    /// Local time of a UTC instant.
    pub(crate) fn to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    /// The largest existing local time whose UTC instant is at or before
    /// `utc`. Outside DST gaps `to_utc` never decreases, so the existing
    /// local times up to it are exactly those at or before the instant;
    /// local times inside a gap read as instants in the hour after it
    /// (see [`Zone::gap_around`]).
    pub(crate) fn local_at_or_before(&self, utc: i64) -> i64 {
        if self.is_utc_like() {
            return utc;
        }
        let guess = self.to_local(utc);
        if self.to_utc(guess) <= utc && self.to_utc(guess + 1) > utc {
            return guess;
        }
        let (mut low, mut high) = (guess - 2 * SECONDS_PER_DAY, guess + 2 * SECONDS_PER_DAY);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.to_utc(mid) <= utc {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::values::ObservanceKind;

    fn observance(
        kind: ObservanceKind,
        dtstart: &str,
        from: &str,
        to: &str,
        rrule: &str,
    ) -> Observance {
        Observance {
            kind,
            dtstart: dtstart.into(),
            offset_from: from.into(),
            offset_to: to.into(),
            rrule: Some(rrule.into()),
            rdates: Vec::new(),
        }
    }

    /// The yearly shortcut gives the offsets the counting engine gives, at
    /// every hour around each transition over two centuries, for the rule
    /// shapes Outlook, Google and Apple write (last, first, second weekday).
    #[test]
    fn yearly_shortcut_agrees_with_the_engine() {
        let zones = [
            TimeZoneDefinition {
                tzid: "W. Europe Standard Time".into(),
                observances: vec![
                    observance(
                        ObservanceKind::Standard,
                        "16010101T030000",
                        "+0200",
                        "+0100",
                        "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
                    ),
                    observance(
                        ObservanceKind::Daylight,
                        "16010101T020000",
                        "+0100",
                        "+0200",
                        "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
                    ),
                ],
            },
            TimeZoneDefinition {
                tzid: "America/New_York".into(),
                observances: vec![
                    observance(
                        ObservanceKind::Daylight,
                        "20070311T020000",
                        "-0500",
                        "-0400",
                        "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
                    ),
                    observance(
                        ObservanceKind::Standard,
                        "20071104T020000",
                        "-0400",
                        "-0500",
                        "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
                    ),
                ],
            },
            TimeZoneDefinition {
                tzid: "Fifth Friday".into(),
                observances: vec![
                    observance(
                        ObservanceKind::Daylight,
                        "19900101T000000",
                        "+0000",
                        "+0100",
                        "FREQ=YEARLY;BYMONTH=3;BYDAY=5FR",
                    ),
                    observance(
                        ObservanceKind::Standard,
                        "19900101T000000",
                        "+0100",
                        "+0000",
                        "FREQ=YEARLY;BYMONTH=9;BYDAY=-5MO",
                    ),
                ],
            },
        ];
        for definition in &zones {
            let budget = Budget::new(crate::recurrence::counter::WORK_BUDGET);
            let fast = DefinedZone::build(definition, true, &budget).expect("zone");
            let slow = DefinedZone::build(definition, false, &budget).expect("zone");
            assert!(fast.onsets.iter().all(|onset| onset.yearly.is_some()));
            assert!(slow.onsets.iter().all(|onset| onset.rule.is_some()));
            let start = days_from_civil(1950, 1, 1) * SECONDS_PER_DAY;
            let end = days_from_civil(2150, 1, 1) * SECONDS_PER_DAY;
            let mut utc = start;
            while utc < end {
                assert_eq!(
                    fast.offset_at(utc),
                    slow.offset_at(utc),
                    "{} at {utc}",
                    definition.tzid
                );
                utc += 7 * 3600 + 13 * 60;
            }
        }
    }
}
