//! Mapping the series' local wall-clock timeline to UTC: the object's own
//! VTIMEZONE first (Outlook names zones the Windows way), then an IANA name
//! through `chrono-tz`, else UTC with a note.
//!
//! RFC 5545 3.3.5: a local time inside a DST gap is shifted forward by the
//! gap (it is read with the offset in force before the gap); an ambiguous
//! local time (in the repeated hour) is its first occurrence.

use chrono::{DateTime, Offset, TimeZone};

use super::civil::SECONDS_PER_DAY;
use super::engine::{Engine, WORK_BUDGET};
use super::parse::{parse_date_or_date_time, parse_recur};
use super::plan::Plan;
use crate::calendar::{Observance, TimeZoneDefinition};

/// One onset rule of a VTIMEZONE observance, ready to be counted.
struct Onsets {
    offset_from: i64,
    offset_to: i64,
    /// Local start of the observance (in `offset_from`).
    start: i64,
    rule: Option<(Engine, u128, Option<u128>)>,
    extra: Vec<i64>,
}

/// A zone defined by VTIMEZONE observances.
pub(crate) struct DefinedZone {
    onsets: Vec<Onsets>,
    earliest_offset: i64,
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

fn observance_onsets(observance: &Observance) -> Option<Onsets> {
    let offset_from = parse_utc_offset(&observance.offset_from)?;
    let offset_to = parse_utc_offset(&observance.offset_to)?;
    let start = local_seconds(&parse_date_or_date_time(&observance.dtstart)?);
    let rule = observance.rrule.as_deref().and_then(|text| {
        let recur = parse_recur(text).ok()?;
        let engine = Engine::new(Plan::new(&recur, start), WORK_BUDGET / 16);
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
        extra,
    })
}

impl DefinedZone {
    pub(crate) fn new(definition: &TimeZoneDefinition) -> Option<DefinedZone> {
        let onsets: Vec<Onsets> = definition
            .observances
            .iter()
            .filter_map(observance_onsets)
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
    pub(crate) fn resolve(tzid: &str, definitions: &[TimeZoneDefinition]) -> Result<Zone, String> {
        let wanted = tzid.trim().trim_matches('"');
        if let Some(zone) = definitions
            .iter()
            .find(|d| d.tzid.trim().trim_matches('"') == wanted)
            .and_then(DefinedZone::new)
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

    /// Local time of a UTC instant.
    pub(crate) fn to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    /// The largest local time whose UTC instant is at or before `utc`
    /// (`to_utc` never decreases, so the local times up to it are exactly
    /// those at or before the instant).
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
