//! nom parsers for the RFC 5545 `recur` value (section 3.3.10) and for the
//! DATE, DATE-TIME, PERIOD and DURATION values a recurrence set is built
//! from. Each parser is named after its rule in the grammar.
//!
//! Grammar: grammar/recur.abnf

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::{all_consuming, map, map_res, opt, value};
use nom::multi::separated_list1;
use nom::sequence::preceded;
use nom::{IResult, Parser};
use thiserror::Error;

/// The FREQ rule part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Frequency {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    /// The name used in the rule text.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Secondly => "SECONDLY",
            Frequency::Minutely => "MINUTELY",
            Frequency::Hourly => "HOURLY",
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// A day of the week, Monday first as in ISO 8601 and the RFC 5545 default WKST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// 0 for Monday up to 6 for Sunday.
    pub fn index(self) -> u32 {
        self as u32
    }
}

/// One BYDAY element: a weekday with an optional ordinal (`-1SU`, `2MO`, `TU`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayNum {
    pub ordinal: Option<i32>,
    pub weekday: Weekday,
}

/// Hour, minute and second of a DATE-TIME (second 60 is a leap second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime {
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// A DATE or DATE-TIME value as written: no time for DATE, `utc` for a trailing `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateOrDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub time: Option<ClockTime>,
    pub utc: bool,
}

/// A parsed `recur` value; absent BYxxx parts are empty lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recur {
    pub freq: Frequency,
    pub until: Option<DateOrDateTime>,
    pub count: Option<u64>,
    pub interval: u64,
    pub by_second: Vec<u32>,
    pub by_minute: Vec<u32>,
    pub by_hour: Vec<u32>,
    pub by_day: Vec<WeekdayNum>,
    pub by_month_day: Vec<i32>,
    pub by_year_day: Vec<i32>,
    pub by_week_no: Vec<i32>,
    pub by_month: Vec<u32>,
    pub by_set_pos: Vec<i32>,
    pub week_start: Weekday,
    /// RFC 7529 RSCALE, upper-case (`None`: Gregorian, as RFC 5545).
    pub rscale: Option<String>,
    /// RFC 7529 SKIP: what becomes of a day the month lacks.
    pub skip: Skip,
    /// BYMONTH values with the RFC 7529 leap-month suffix (`5L`).
    pub by_leap_month: Vec<u32>,
}

/// RFC 7529 SKIP: a generated day that the month lacks (30 February) is
/// left out (`OMIT`, the RFC 5545 behaviour), moved to the month's last
/// day (`BACKWARD`) or to the first day after it (`FORWARD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Skip {
    #[default]
    Omit,
    Backward,
    Forward,
}

impl Recur {
    /// Whether the rule is in a calendar scale other than the Gregorian one.
    pub fn is_non_gregorian(&self) -> bool {
        self.rscale
            .as_deref()
            .is_some_and(|scale| scale != "GREGORIAN")
    }
}

/// Why a `recur` value is not acceptable; every variant names the rule part.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecurError {
    #[error("rule part {part}: {problem}")]
    InvalidPart { part: String, problem: &'static str },
    #[error("rule part {0} appears more than once")]
    Repeated(String),
    #[error("rule part FREQ is missing")]
    MissingFreq,
    #[error("rule part COUNT must not appear together with UNTIL")]
    CountWithUntil,
    #[error("rule part {part} must not be used with FREQ={freq}")]
    NotAllowedWithFreq {
        part: &'static str,
        freq: &'static str,
    },
    #[error("rule part BYDAY: ordinals are only allowed with FREQ=MONTHLY or FREQ=YEARLY without BYWEEKNO")]
    OrdinalNotAllowed,
    #[error("rule part {0} is not defined by RFC 5545")]
    UnknownPart(String),
}

impl RecurError {
    /// The rule part the error is about (`FREQ`, `BYDAY`, ...).
    #[cfg(test)]
    pub fn part(&self) -> &str {
        match self {
            RecurError::InvalidPart { part, .. } => part,
            RecurError::Repeated(part) | RecurError::UnknownPart(part) => part,
            RecurError::MissingFreq => "FREQ",
            RecurError::CountWithUntil => "COUNT",
            RecurError::NotAllowedWithFreq { part, .. } => part,
            RecurError::OrdinalNotAllowed => "BYDAY",
        }
    }
}

type Res<'a, T> = IResult<&'a str, T>;

fn digits(min: usize, max: usize) -> impl FnMut(&str) -> Res<'_, u32> {
    move |input| {
        map_res(
            take_while_m_n(min, max, |c: char| c.is_ascii_digit()),
            |s: &str| s.parse::<u32>(),
        )
        .parse(input)
    }
}

fn signed(input: &str) -> Res<'_, i32> {
    alt((value(1, plus), value(-1, minus))).parse(input)
}

/// `plus = "+"`
fn plus(input: &str) -> Res<'_, char> {
    char('+').parse(input)
}

/// `minus = "-"`
fn minus(input: &str) -> Res<'_, char> {
    char('-').parse(input)
}

/// `freq = "SECONDLY" / "MINUTELY" / "HOURLY" / "DAILY" / "WEEKLY" / "MONTHLY" / "YEARLY"`
pub(crate) fn freq(input: &str) -> Res<'_, Frequency> {
    alt((
        value(Frequency::Secondly, tag("SECONDLY")),
        value(Frequency::Minutely, tag("MINUTELY")),
        value(Frequency::Hourly, tag("HOURLY")),
        value(Frequency::Daily, tag("DAILY")),
        value(Frequency::Weekly, tag("WEEKLY")),
        value(Frequency::Monthly, tag("MONTHLY")),
        value(Frequency::Yearly, tag("YEARLY")),
    ))
    .parse(input)
}

/// `enddate = date / date-time`
pub(crate) fn enddate(input: &str) -> Res<'_, DateOrDateTime> {
    alt((date_time, date)).parse(input)
}

/// `date = date-value`
pub(crate) fn date(input: &str) -> Res<'_, DateOrDateTime> {
    map(date_value, |(year, month, day)| DateOrDateTime {
        year,
        month,
        day,
        time: None,
        utc: false,
    })
    .parse(input)
}

/// `date-value = date-fullyear date-month date-mday`
pub(crate) fn date_value(input: &str) -> Res<'_, (i64, u32, u32)> {
    let (rest, (year, month, day)) = (date_fullyear, date_month, date_mday).parse(input)?;
    if i64::from(day) > crate::recurrence::civil::month_length(i64::from(year), month) {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((rest, (i64::from(year), month, day)))
}

/// `date-fullyear = 4DIGIT`
pub(crate) fn date_fullyear(input: &str) -> Res<'_, u32> {
    digits(4, 4)(input)
}

/// `date-month = 2DIGIT ;01-12`
pub(crate) fn date_month(input: &str) -> Res<'_, u32> {
    in_range(digits(2, 2), 1, 12).parse(input)
}

/// `date-mday = 2DIGIT ;01-28, 01-29, 01-30, 01-31 based on month/year`
pub(crate) fn date_mday(input: &str) -> Res<'_, u32> {
    in_range(digits(2, 2), 1, 31).parse(input)
}

/// `date-time = date "T" time`
pub(crate) fn date_time(input: &str) -> Res<'_, DateOrDateTime> {
    map(
        (date_value, char('T'), time),
        |((year, month, day), _, (clock, utc))| DateOrDateTime {
            year,
            month,
            day,
            time: Some(clock),
            utc,
        },
    )
    .parse(input)
}

/// `time = time-hour time-minute time-second [time-utc]`
pub(crate) fn time(input: &str) -> Res<'_, (ClockTime, bool)> {
    map(
        (time_hour, time_minute, time_second, opt(time_utc)),
        |(hour, minute, second, utc)| {
            (
                ClockTime {
                    hour,
                    minute,
                    second,
                },
                utc.is_some(),
            )
        },
    )
    .parse(input)
}

/// `time-hour = 2DIGIT ;00-23`
pub(crate) fn time_hour(input: &str) -> Res<'_, u32> {
    in_range(digits(2, 2), 0, 23).parse(input)
}

/// `time-minute = 2DIGIT ;00-59`
pub(crate) fn time_minute(input: &str) -> Res<'_, u32> {
    in_range(digits(2, 2), 0, 59).parse(input)
}

/// `time-second = 2DIGIT ;00-60`
pub(crate) fn time_second(input: &str) -> Res<'_, u32> {
    in_range(digits(2, 2), 0, 60).parse(input)
}

/// `time-utc = "Z"`
pub(crate) fn time_utc(input: &str) -> Res<'_, char> {
    char('Z').parse(input)
}

/// `period = period-explicit / period-start`
pub(crate) fn period(input: &str) -> Res<'_, (DateOrDateTime, PeriodEnd)> {
    alt((period_explicit, period_start)).parse(input)
}

/// How a PERIOD value ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    At(DateOrDateTime),
    After(i64),
}

/// `period-explicit = date-time "/" date-time`
pub(crate) fn period_explicit(input: &str) -> Res<'_, (DateOrDateTime, PeriodEnd)> {
    map((date_time, char('/'), date_time), |(start, _, end)| {
        (start, PeriodEnd::At(end))
    })
    .parse(input)
}

/// `period-start = date-time "/" dur-value`
pub(crate) fn period_start(input: &str) -> Res<'_, (DateOrDateTime, PeriodEnd)> {
    map((date_time, char('/'), dur_value), |(start, _, seconds)| {
        (start, PeriodEnd::After(seconds))
    })
    .parse(input)
}

/// `dur-value = (["+"] / "-") "P" (dur-date / dur-time / dur-week)`
pub(crate) fn dur_value(input: &str) -> Res<'_, i64> {
    map(
        (opt(signed), char('P'), alt((dur_date, dur_time, dur_week))),
        |(sign, _, seconds)| seconds.saturating_mul(i64::from(sign.unwrap_or(1))),
    )
    .parse(input)
}

/// `dur-date = dur-day [dur-time]`
pub(crate) fn dur_date(input: &str) -> Res<'_, i64> {
    map((dur_day, opt(dur_time)), |(days, time)| {
        days.saturating_add(time.unwrap_or(0))
    })
    .parse(input)
}

/// `dur-time = "T" (dur-hour / dur-minute / dur-second)`
pub(crate) fn dur_time(input: &str) -> Res<'_, i64> {
    preceded(char('T'), alt((dur_hour, dur_minute, dur_second))).parse(input)
}

/// `dur-week = 1*DIGIT "W"`
pub(crate) fn dur_week(input: &str) -> Res<'_, i64> {
    map((number, char('W')), |(n, _)| n.saturating_mul(7 * 86_400)).parse(input)
}

/// `dur-hour = 1*DIGIT "H" [dur-minute]`
pub(crate) fn dur_hour(input: &str) -> Res<'_, i64> {
    map((number, char('H'), opt(dur_minute)), |(n, _, rest)| {
        n.saturating_mul(3_600).saturating_add(rest.unwrap_or(0))
    })
    .parse(input)
}

/// `dur-minute = 1*DIGIT "M" [dur-second]`
pub(crate) fn dur_minute(input: &str) -> Res<'_, i64> {
    map((number, char('M'), opt(dur_second)), |(n, _, rest)| {
        n.saturating_mul(60).saturating_add(rest.unwrap_or(0))
    })
    .parse(input)
}

/// `dur-second = 1*DIGIT "S"`
pub(crate) fn dur_second(input: &str) -> Res<'_, i64> {
    map((number, char('S')), |(n, _)| n).parse(input)
}

/// `dur-day = 1*DIGIT "D"`
pub(crate) fn dur_day(input: &str) -> Res<'_, i64> {
    map((number, char('D')), |(n, _)| n.saturating_mul(86_400)).parse(input)
}

fn number(input: &str) -> Res<'_, i64> {
    map(take_while1(|c: char| c.is_ascii_digit()), |s: &str| {
        s.parse::<i64>().unwrap_or(i64::MAX)
    })
    .parse(input)
}

fn in_range<'a, P>(
    parser: P,
    low: u32,
    high: u32,
) -> impl Parser<&'a str, Output = u32, Error = nom::error::Error<&'a str>>
where
    P: Parser<&'a str, Output = u32, Error = nom::error::Error<&'a str>>,
{
    nom::combinator::verify(parser, move |n: &u32| (low..=high).contains(n))
}

fn signed_in_range<'a, P>(
    parser: P,
    high: u32,
) -> impl Parser<&'a str, Output = i32, Error = nom::error::Error<&'a str>>
where
    P: Parser<&'a str, Output = u32, Error = nom::error::Error<&'a str>>,
{
    map((opt(signed), in_range(parser, 1, high)), |(sign, n)| {
        // `n` is at most `high`, a small rule-part bound, so it fits.
        i32::try_from(n)
            .unwrap_or(i32::MAX)
            .saturating_mul(sign.unwrap_or(1))
    })
}

/// `byseclist = ( seconds *("," seconds) )`
pub(crate) fn byseclist(input: &str) -> Res<'_, Vec<u32>> {
    separated_list1(char(','), seconds).parse(input)
}

/// `seconds = 1*2DIGIT ;0 to 60`
pub(crate) fn seconds(input: &str) -> Res<'_, u32> {
    in_range(digits(1, 2), 0, 60).parse(input)
}

/// `byminlist = ( minutes *("," minutes) )`
pub(crate) fn byminlist(input: &str) -> Res<'_, Vec<u32>> {
    separated_list1(char(','), minutes).parse(input)
}

/// `minutes = 1*2DIGIT ;0 to 59`
pub(crate) fn minutes(input: &str) -> Res<'_, u32> {
    in_range(digits(1, 2), 0, 59).parse(input)
}

/// `byhrlist = ( hour *("," hour) )`
pub(crate) fn byhrlist(input: &str) -> Res<'_, Vec<u32>> {
    separated_list1(char(','), hour).parse(input)
}

/// `hour = 1*2DIGIT ;0 to 23`
pub(crate) fn hour(input: &str) -> Res<'_, u32> {
    in_range(digits(1, 2), 0, 23).parse(input)
}

/// `bywdaylist = ( weekdaynum *("," weekdaynum) )`
pub(crate) fn bywdaylist(input: &str) -> Res<'_, Vec<WeekdayNum>> {
    separated_list1(char(','), weekdaynum).parse(input)
}

/// `weekdaynum = [[plus / minus] ordwk] weekday`
pub(crate) fn weekdaynum(input: &str) -> Res<'_, WeekdayNum> {
    map(
        (opt(signed_in_range(ordwk, 53)), weekday),
        |(ordinal, weekday)| WeekdayNum { ordinal, weekday },
    )
    .parse(input)
}

/// `ordwk = 1*2DIGIT ;1 to 53`
pub(crate) fn ordwk(input: &str) -> Res<'_, u32> {
    digits(1, 2)(input)
}

/// `weekday = "SU" / "MO" / "TU" / "WE" / "TH" / "FR" / "SA"`
pub(crate) fn weekday(input: &str) -> Res<'_, Weekday> {
    alt((
        value(Weekday::Sunday, tag("SU")),
        value(Weekday::Monday, tag("MO")),
        value(Weekday::Tuesday, tag("TU")),
        value(Weekday::Wednesday, tag("WE")),
        value(Weekday::Thursday, tag("TH")),
        value(Weekday::Friday, tag("FR")),
        value(Weekday::Saturday, tag("SA")),
    ))
    .parse(input)
}

/// `bymodaylist = ( monthdaynum *("," monthdaynum) )`
pub(crate) fn bymodaylist(input: &str) -> Res<'_, Vec<i32>> {
    separated_list1(char(','), monthdaynum).parse(input)
}

/// `monthdaynum = [plus / minus] ordmoday`
pub(crate) fn monthdaynum(input: &str) -> Res<'_, i32> {
    signed_in_range(ordmoday, 31).parse(input)
}

/// `ordmoday = 1*2DIGIT ;1 to 31`
pub(crate) fn ordmoday(input: &str) -> Res<'_, u32> {
    digits(1, 2)(input)
}

/// `byyrdaylist = ( yeardaynum *("," yeardaynum) )`
pub(crate) fn byyrdaylist(input: &str) -> Res<'_, Vec<i32>> {
    separated_list1(char(','), yeardaynum).parse(input)
}

/// `yeardaynum = [plus / minus] ordyrday`
pub(crate) fn yeardaynum(input: &str) -> Res<'_, i32> {
    signed_in_range(ordyrday, 366).parse(input)
}

/// `ordyrday = 1*3DIGIT ;1 to 366`
pub(crate) fn ordyrday(input: &str) -> Res<'_, u32> {
    digits(1, 3)(input)
}

/// `bywknolist = ( weeknum *("," weeknum) )`
pub(crate) fn bywknolist(input: &str) -> Res<'_, Vec<i32>> {
    separated_list1(char(','), weeknum).parse(input)
}

/// `weeknum = [plus / minus] ordwk`
pub(crate) fn weeknum(input: &str) -> Res<'_, i32> {
    signed_in_range(ordwk, 53).parse(input)
}

/// `bymolist = ( monthnum *("," monthnum) )`
pub(crate) fn bymolist(input: &str) -> Res<'_, Vec<(u32, bool)>> {
    separated_list1(char(','), monthnum).parse(input)
}

/// `monthnum = 1*2DIGIT ["L"] ;1 to 12, "L" (a leap month) per RFC 7529`
pub(crate) fn monthnum(input: &str) -> Res<'_, (u32, bool)> {
    (
        in_range(digits(1, 2), 1, 12),
        map(opt(char('L')), |l| l.is_some()),
    )
        .parse(input)
}

/// `rscale = (iana-token / x-name) ;RFC 7529, default "GREGORIAN"`
pub(crate) fn rscale(input: &str) -> Res<'_, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '-')(input)
}

/// `skip = ("OMIT" / "BACKWARD" / "FORWARD") ;RFC 7529, default "OMIT"`
pub(crate) fn skip(input: &str) -> Res<'_, Skip> {
    alt((
        value(Skip::Omit, tag("OMIT")),
        value(Skip::Backward, tag("BACKWARD")),
        value(Skip::Forward, tag("FORWARD")),
    ))
    .parse(input)
}

/// `bysplist = ( setposday *("," setposday) )`
pub(crate) fn bysplist(input: &str) -> Res<'_, Vec<i32>> {
    separated_list1(char(','), setposday).parse(input)
}

/// `setposday = yeardaynum`
pub(crate) fn setposday(input: &str) -> Res<'_, i32> {
    yeardaynum(input)
}

/// `recur-rule-part = rule-name "=" rule-value`
pub(crate) fn recur_rule_part(input: &str) -> Res<'_, (&str, &str)> {
    map(
        (
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '-'),
            char('='),
            take_while1(|c: char| c != ';'),
        ),
        |(name, _, text)| (name, text),
    )
    .parse(input)
}

/// `recur = recur-rule-part *( ";" recur-rule-part )`
pub(crate) fn recur(input: &str) -> Res<'_, Vec<(&str, &str)>> {
    separated_list1(char(';'), recur_rule_part).parse(input)
}

fn whole<'a, T>(
    part: &str,
    text: &'a str,
    parser: impl Parser<&'a str, Output = T, Error = nom::error::Error<&'a str>>,
    problem: &'static str,
) -> Result<T, RecurError> {
    all_consuming(parser)
        .parse(text)
        .map(|(_, parsed)| parsed)
        .map_err(|_| RecurError::InvalidPart {
            part: part.to_string(),
            problem,
        })
}

fn positive_number(part: &str, text: &str) -> Result<u64, RecurError> {
    let n: u64 = whole(
        part,
        text,
        take_while1(|c: char| c.is_ascii_digit()),
        "expected a number",
    )?
    .parse()
    .map_err(|_| RecurError::InvalidPart {
        part: part.to_string(),
        problem: "number out of range",
    })?;
    if n == 0 {
        return Err(RecurError::InvalidPart {
            part: part.to_string(),
            problem: "must be at least 1",
        });
    }
    Ok(n)
}

/// Parse an RFC 5545 `recur` value (the text of an RRULE), rejecting what
/// RFC 5545 forbids: repeated parts, COUNT with UNTIL, BYWEEKNO outside
/// YEARLY, BYYEARDAY with DAILY/WEEKLY/MONTHLY, BYMONTHDAY with WEEKLY,
/// BYDAY ordinals outside MONTHLY/YEARLY (or with BYWEEKNO), zero and
/// out-of-range numbers. Names and values are matched case-insensitively.
pub fn parse_recur(text: &str) -> Result<Recur, RecurError> {
    let upper = text.trim().to_ascii_uppercase();
    let parts = match all_consuming(recur).parse(upper.as_str()) {
        Ok((_, parts)) => parts,
        Err(_) => {
            let first_bad = upper
                .split(';')
                .find(|p| {
                    recur_rule_part(p)
                        .map(|(rest, _)| !rest.is_empty())
                        .unwrap_or(true)
                })
                .unwrap_or("");
            let name = first_bad.split('=').next().unwrap_or("").to_string();
            return Err(RecurError::InvalidPart {
                part: if name.is_empty() {
                    "recur".to_string()
                } else {
                    name
                },
                problem: "not of the form NAME=VALUE",
            });
        }
    };
    let mut rule = Recur {
        freq: Frequency::Daily,
        until: None,
        count: None,
        interval: 1,
        by_second: Vec::new(),
        by_minute: Vec::new(),
        by_hour: Vec::new(),
        by_day: Vec::new(),
        by_month_day: Vec::new(),
        by_year_day: Vec::new(),
        by_week_no: Vec::new(),
        by_month: Vec::new(),
        by_set_pos: Vec::new(),
        week_start: Weekday::Monday,
        rscale: None,
        skip: Skip::Omit,
        by_leap_month: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut has_freq = false;
    for (name, text) in parts {
        if seen.contains(&name) {
            return Err(RecurError::Repeated(name.to_string()));
        }
        seen.push(name);
        match name {
            "FREQ" => {
                rule.freq = whole(name, text, freq, "unknown frequency")?;
                has_freq = true;
            }
            "UNTIL" => {
                rule.until = Some(whole(name, text, enddate, "expected a DATE or DATE-TIME")?)
            }
            "COUNT" => rule.count = Some(positive_number(name, text)?),
            "INTERVAL" => rule.interval = positive_number(name, text)?,
            "BYSECOND" => {
                rule.by_second = whole(name, text, byseclist, "expected seconds 0 to 60")?
            }
            "BYMINUTE" => {
                rule.by_minute = whole(name, text, byminlist, "expected minutes 0 to 59")?
            }
            "BYHOUR" => rule.by_hour = whole(name, text, byhrlist, "expected hours 0 to 23")?,
            "BYDAY" => {
                rule.by_day = whole(
                    name,
                    text,
                    bywdaylist,
                    "expected weekdays with ordinals 1 to 53",
                )?
            }
            "BYMONTHDAY" => {
                rule.by_month_day = whole(
                    name,
                    text,
                    bymodaylist,
                    "expected month days 1 to 31, or -31 to -1",
                )?
            }
            "BYYEARDAY" => {
                rule.by_year_day = whole(
                    name,
                    text,
                    byyrdaylist,
                    "expected year days 1 to 366, or -366 to -1",
                )?
            }
            "BYWEEKNO" => {
                rule.by_week_no = whole(
                    name,
                    text,
                    bywknolist,
                    "expected week numbers 1 to 53, or -53 to -1",
                )?
            }
            "BYMONTH" => {
                let months = whole(name, text, bymolist, "expected months 1 to 12")?;
                for (month, leap) in months {
                    if leap {
                        rule.by_leap_month.push(month);
                    } else {
                        rule.by_month.push(month);
                    }
                }
            }
            "RSCALE" => {
                rule.rscale =
                    Some(whole(name, text, rscale, "expected a calendar scale name")?.to_string())
            }
            "SKIP" => rule.skip = whole(name, text, skip, "expected OMIT, BACKWARD or FORWARD")?,
            "BYSETPOS" => {
                rule.by_set_pos = whole(
                    name,
                    text,
                    bysplist,
                    "expected positions 1 to 366, or -366 to -1",
                )?
            }
            "WKST" => rule.week_start = whole(name, text, weekday, "expected a weekday")?,
            other => return Err(RecurError::UnknownPart(other.to_string())),
        }
    }
    if !has_freq {
        return Err(RecurError::MissingFreq);
    }
    check_combinations(&rule)?;
    Ok(rule)
}

fn check_combinations(rule: &Recur) -> Result<(), RecurError> {
    // RFC 7529 section 4.1: SKIP and leap months only with RSCALE.
    if rule.rscale.is_none() {
        if rule.skip != Skip::Omit {
            return Err(RecurError::InvalidPart {
                part: "SKIP".to_string(),
                problem: "only allowed together with RSCALE (RFC 7529)",
            });
        }
        if !rule.by_leap_month.is_empty() {
            return Err(RecurError::InvalidPart {
                part: "BYMONTH".to_string(),
                problem: "leap months (\"L\") only allowed together with RSCALE (RFC 7529)",
            });
        }
    }
    if rule.count.is_some() && rule.until.is_some() {
        return Err(RecurError::CountWithUntil);
    }
    let freq = rule.freq;
    let not_allowed = |part| RecurError::NotAllowedWithFreq {
        part,
        freq: freq.as_str(),
    };
    if !rule.by_week_no.is_empty() && freq != Frequency::Yearly {
        return Err(not_allowed("BYWEEKNO"));
    }
    if !rule.by_year_day.is_empty()
        && matches!(
            freq,
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly
        )
    {
        return Err(not_allowed("BYYEARDAY"));
    }
    if !rule.by_month_day.is_empty() && freq == Frequency::Weekly {
        return Err(not_allowed("BYMONTHDAY"));
    }
    let has_ordinal = rule.by_day.iter().any(|d| d.ordinal.is_some());
    if has_ordinal
        && (!matches!(freq, Frequency::Monthly | Frequency::Yearly)
            || (freq == Frequency::Yearly && !rule.by_week_no.is_empty()))
    {
        return Err(RecurError::OrdinalNotAllowed);
    }
    if !rule.by_set_pos.is_empty()
        && rule.by_second.is_empty()
        && rule.by_minute.is_empty()
        && rule.by_hour.is_empty()
        && rule.by_day.is_empty()
        && rule.by_month_day.is_empty()
        && rule.by_year_day.is_empty()
        && rule.by_week_no.is_empty()
        && rule.by_month.is_empty()
    {
        return Err(RecurError::InvalidPart {
            part: "BYSETPOS".to_string(),
            problem: "must be used with another BYxxx rule part",
        });
    }
    Ok(())
}

/// Parse a DATE or DATE-TIME property value (`19970714`, `19970714T173000Z`).
pub fn parse_date_or_date_time(text: &str) -> Option<DateOrDateTime> {
    all_consuming(enddate)
        .parse(text.trim())
        .ok()
        .map(|(_, d)| d)
}

/// Parse a PERIOD value; returns its start and its end.
pub fn parse_period(text: &str) -> Option<(DateOrDateTime, PeriodEnd)> {
    all_consuming(period)
        .parse(text.trim())
        .ok()
        .map(|(_, p)| p)
}

/// Parse a DURATION value into seconds (days and weeks taken as 86400 s per day).
pub fn parse_duration(text: &str) -> Option<i64> {
    all_consuming(dur_value)
        .parse(text.trim())
        .ok()
        .map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_rule_part() {
        let rule = parse_recur(
            "FREQ=YEARLY;INTERVAL=2;BYMONTH=1;BYDAY=SU,-1MO,+2TU;BYHOUR=8,9;BYMINUTE=30;BYSECOND=0,60;BYSETPOS=1,-1;WKST=SU;UNTIL=20000131T140000Z",
        )
        .unwrap();
        assert_eq!(rule.freq, Frequency::Yearly);
        assert_eq!(rule.interval, 2);
        assert_eq!(rule.by_day.len(), 3);
        assert_eq!(rule.by_day[1].ordinal, Some(-1));
        assert_eq!(rule.week_start, Weekday::Sunday);
        assert!(rule.until.unwrap().utc);
    }

    #[test]
    fn rejects_what_rfc_5545_forbids() {
        let cases = [
            ("FREQ=DAILY;COUNT=5;UNTIL=20200101", "COUNT"),
            ("FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO"),
            ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY"),
            ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "BYDAY"),
            ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
            ("FREQ=DAILY;COUNT=0", "COUNT"),
            ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
            ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
            ("FREQ=DAILY;BYHOUR=24", "BYHOUR"),
            ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY"),
            ("FREQ=MONTHLY;BYDAY=54MO", "BYDAY"),
            ("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY"),
            ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"),
            ("FREQ=DAILY;FREQ=WEEKLY", "FREQ"),
            ("INTERVAL=2", "FREQ"),
            ("FREQ=DAILY;BYSETPOS=0;BYHOUR=1", "BYSETPOS"),
            ("FREQ=DAILY;FOO=1", "FOO"),
            ("FREQ=FORTNIGHTLY", "FREQ"),
        ];
        for (text, part) in cases {
            let error = parse_recur(text).unwrap_err();
            assert_eq!(error.part(), part, "{text}: {error}");
        }
    }

    #[test]
    fn parses_dates_periods_durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("-P1W"), Some(-604_800));
        assert_eq!(parse_duration("P1DT2S"), Some(86_402));
        assert!(parse_date_or_date_time("20230229").is_none());
        assert!(parse_period("19970101T180000Z/PT5H30M").is_some());
        assert!(parse_period("19970101T180000Z/19970102T070000Z").is_some());
    }
}
