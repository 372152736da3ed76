//! Every recurrence example of RFC 5545 section 3.8.5.3, with DTSTART in
//! America/New_York as the RFC writes them.

use crate::recurrence::{InstanceCount, RecurrenceProfile};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::New_York;

use super::support::{value, SeriesCase};

fn new_york(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y%m%dT%H%M%S").unwrap();
    New_York
        .from_local_datetime(&naive)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn profile_at(
    dtstart: &str,
    rule: &str,
    exdates: &[&str],
    now: DateTime<Utc>,
    horizon: Duration,
) -> RecurrenceProfile {
    let in_new_york = |local: &str| value(local, Some("America/New_York"));
    let evaluation = SeriesCase::new(in_new_york(dtstart), now, horizon)
        .duration(Some("PT1H"))
        .rule(rule)
        .exdates(exdates.iter().map(|local| in_new_york(local)).collect())
        .evaluate();
    assert!(
        evaluation.findings.is_empty(),
        "{rule}: {:?}",
        evaluation.findings
    );
    evaluation.profile.unwrap()
}

fn profile(dtstart: &str, rule: &str) -> RecurrenceProfile {
    profile_at(
        dtstart,
        rule,
        &[],
        new_york("19960101T000000"),
        Duration::days(365),
    )
}

/// The first `n` instance starts, read one at a time through the horizon.
fn starts(dtstart: &str, rule: &str, exdates: &[&str], n: usize) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut now = new_york(dtstart) - Duration::seconds(1);
    while out.len() < n {
        let p = profile_at(dtstart, rule, exdates, now, Duration::days(366 * 30));
        let Some(next) = p.first_start_in_horizon else {
            break;
        };
        out.push(next);
        now = next + Duration::seconds(1);
    }
    out
}

fn ny(list: &[&str]) -> Vec<DateTime<Utc>> {
    list.iter().map(|s| new_york(s)).collect()
}

fn bounded(dtstart: &str, rule: &str, total: u64, last: &str) {
    let p = profile(dtstart, rule);
    assert_eq!(p.instances_total, InstanceCount::Exact(total), "{rule}");
    assert_eq!(p.first_start, Some(new_york(dtstart)), "{rule}");
    assert_eq!(p.last_start, Some(new_york(last)), "{rule}");
}

fn unbounded(dtstart: &str, rule: &str, first: &[&str]) {
    let p = profile(dtstart, rule);
    assert_eq!(p.instances_total, InstanceCount::Unbounded, "{rule}");
    assert_eq!(starts(dtstart, rule, &[], first.len()), ny(first), "{rule}");
}

#[test]
fn daily() {
    bounded(
        "19970902T090000",
        "FREQ=DAILY;COUNT=10",
        10,
        "19970911T090000",
    );
    bounded(
        "19970902T090000",
        "FREQ=DAILY;UNTIL=19971224T000000Z",
        113,
        "19971223T090000",
    );
    unbounded(
        "19970902T090000",
        "FREQ=DAILY;INTERVAL=2",
        &["19970902T090000", "19970904T090000", "19970906T090000"],
    );
    bounded(
        "19970902T090000",
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        5,
        "19971012T090000",
    );
    assert_eq!(
        starts("19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5", &[], 5),
        ny(&[
            "19970902T090000",
            "19970912T090000",
            "19970922T090000",
            "19971002T090000",
            "19971012T090000"
        ])
    );
    bounded(
        "19980101T090000",
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
        93,
        "20000131T090000",
    );
    bounded(
        "19980101T090000",
        "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1",
        93,
        "20000131T090000",
    );
}

#[test]
fn weekly() {
    bounded(
        "19970902T090000",
        "FREQ=WEEKLY;COUNT=10",
        10,
        "19971104T090000",
    );
    bounded(
        "19970902T090000",
        "FREQ=WEEKLY;UNTIL=19971224T000000Z",
        17,
        "19971223T090000",
    );
    unbounded(
        "19970902T090000",
        "FREQ=WEEKLY;INTERVAL=2;WKST=SU",
        &["19970902T090000", "19970916T090000", "19970930T090000"],
    );
    bounded(
        "19970902T090000",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
        10,
        "19971002T090000",
    );
    bounded(
        "19970902T090000",
        "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH",
        10,
        "19971002T090000",
    );
    bounded(
        "19970901T090000",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        25,
        "19971222T090000",
    );
    bounded(
        "19970902T090000",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
        8,
        "19971016T090000",
    );
    // WKST changes the result of the same rule.
    assert_eq!(
        starts(
            "19970805T090000",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            &[],
            4
        ),
        ny(&[
            "19970805T090000",
            "19970810T090000",
            "19970819T090000",
            "19970824T090000"
        ])
    );
    assert_eq!(
        starts(
            "19970805T090000",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            &[],
            4
        ),
        ny(&[
            "19970805T090000",
            "19970817T090000",
            "19970819T090000",
            "19970831T090000"
        ])
    );
}

#[test]
fn monthly() {
    bounded(
        "19970905T090000",
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        10,
        "19980605T090000",
    );
    bounded(
        "19970905T090000",
        "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
        4,
        "19971205T090000",
    );
    bounded(
        "19970907T090000",
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        10,
        "19980531T090000",
    );
    bounded(
        "19970922T090000",
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        6,
        "19980216T090000",
    );
    unbounded(
        "19970928T090000",
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        &[
            "19970928T090000",
            "19971029T090000",
            "19971128T090000",
            "19971229T090000",
            "19980129T090000",
            "19980226T090000",
        ],
    );
    bounded(
        "19970902T090000",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        10,
        "19980115T090000",
    );
    bounded(
        "19970930T090000",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        10,
        "19980201T090000",
    );
    bounded(
        "19970910T090000",
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        10,
        "19990313T090000",
    );
    unbounded(
        "19970902T090000",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        &[
            "19970902T090000",
            "19970909T090000",
            "19970916T090000",
            "19970923T090000",
            "19970930T090000",
            "19971104T090000",
        ],
    );
    // Friday the 13th, DTSTART excluded.
    assert_eq!(
        starts(
            "19970902T090000",
            "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
            &["19970902T090000"],
            3
        ),
        ny(&["19980213T090000", "19980313T090000", "19981113T090000"])
    );
    unbounded(
        "19970913T090000",
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        &[
            "19970913T090000",
            "19971011T090000",
            "19971108T090000",
            "19971213T090000",
        ],
    );
    assert_eq!(
        starts(
            "19970904T090000",
            "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
            &[],
            5
        ),
        ny(&["19970904T090000", "19971007T090000", "19971106T090000"])
    );
    unbounded(
        "19970929T090000",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        &[
            "19970929T090000",
            "19971030T090000",
            "19971127T090000",
            "19971230T090000",
        ],
    );
    // Invalid dates (30 February) are skipped, not moved.
    assert_eq!(
        starts(
            "20070115T090000",
            "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
            &[],
            6
        ),
        ny(&[
            "20070115T090000",
            "20070130T090000",
            "20070215T090000",
            "20070315T090000",
            "20070330T090000"
        ])
    );
}

#[test]
fn yearly() {
    bounded(
        "19970610T090000",
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        10,
        "20010710T090000",
    );
    bounded(
        "19970310T090000",
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
        10,
        "20030310T090000",
    );
    bounded(
        "19970101T090000",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        10,
        "20060101T090000",
    );
    unbounded(
        "19970519T090000",
        "FREQ=YEARLY;BYDAY=20MO",
        &["19970519T090000", "19980518T090000", "19990517T090000"],
    );
    unbounded(
        "19970512T090000",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        &["19970512T090000", "19980511T090000", "19990517T090000"],
    );
    unbounded(
        "19970313T090000",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
        &[
            "19970313T090000",
            "19970320T090000",
            "19970327T090000",
            "19980305T090000",
        ],
    );
    unbounded(
        "19970605T090000",
        "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8",
        &["19970605T090000", "19970612T090000"],
    );
    unbounded(
        "19961105T090000",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        &["19961105T090000", "20001107T090000", "20041102T090000"],
    );
}

#[test]
fn sub_daily() {
    // RFC 5545 lists 09:00, 12:00, 15:00 here, but UNTIL=17:00Z is 13:00 EDT
    // (a known erratum): two instances are inside the bound.
    bounded(
        "19970902T090000",
        "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
        2,
        "19970902T120000",
    );
    bounded(
        "19970902T090000",
        "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
        6,
        "19970902T101500",
    );
    assert_eq!(
        starts(
            "19970902T090000",
            "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
            &[],
            5
        ),
        ny(&[
            "19970902T090000",
            "19970902T103000",
            "19970902T120000",
            "19970902T133000"
        ])
    );
    for rule in [
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
        "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
    ] {
        let p = profile("19970902T090000", rule);
        assert_eq!(p.instances_total, InstanceCount::Unbounded, "{rule}");
        assert_eq!(p.max_per_day, 24, "{rule}");
        // One-hour instances every 20 minutes: three in progress at once.
        assert_eq!(p.max_overlap, 3, "{rule}");
        assert_eq!(
            starts("19970902T090000", rule, &[], 4),
            ny(&[
                "19970902T090000",
                "19970902T092000",
                "19970902T094000",
                "19970902T100000"
            ])
        );
    }
}

/// The example of the module documentation.
#[test]
fn module_example() {
    use crate::calendar::DateValue;
    use crate::recurrence::{evaluate, EvalOptions, InstanceCount, Series};

    let dtstart = DateValue {
        value: "20260105T090000Z".into(),
        ..Default::default()
    };
    let rrules = vec!["FREQ=DAILY;COUNT=1000000000".to_string()];
    let series = Series {
        dtstart: &dtstart,
        dtend: None,
        duration: Some("PT30M"),
        rrules: &rrules,
        rdates: &[],
        exdates: &[],
    };
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let profile = evaluate(&series, &EvalOptions::new(now)).profile.unwrap();
    assert_eq!(profile.instances_total, InstanceCount::Exact(1_000_000_000));
    assert_eq!(profile.instances_in_horizon, 361);
}
