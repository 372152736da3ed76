//! One message's analysis: locate the iMIP object, model it, validate it;
//! each stage run only when an item needs it, and at most once.

use mail_parser::Message;

use crate::calendar::{looks_like_icalendar, parse_calendar, CalendarObject};
use crate::finding::{Finding, Reason};
use crate::message::{locate_imip, normalize_line_endings, Located, LocatedBy, LocatedObject};
use crate::recurrence::{
    evaluate, risk_findings, EvalOptions, RecurrenceProfile, RecurrenceThresholds, Series,
};
use crate::script::{Item, ItemSet};
use crate::validate::{
    is_suspicious, score, validate, AuthResultsEntry, Config, ScoredFinding, ValidationInput,
};

/// How far a message's Date may be from the clock and still be the
/// reference for `far-future`.
const DATE_TRUST_DAYS: i64 = 7;

/// How far the analysis has to go for a set of items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Locate only: `:present`, `:method`.
    Locate,
    /// Locate and build the iTIP model: `:component`, `:uid`, `:organizer`.
    Model,
    /// Every validation step: `:reason`, `:risk`, `:suspicious`.
    Validate,
}

impl Depth {
    /// The depth the items of a script need.
    pub fn for_items(items: ItemSet) -> Depth {
        let needs = |list: &[Item]| list.iter().any(|item| items.contains(*item));
        if needs(&[Item::Reason, Item::Risk, Item::Suspicious]) {
            Depth::Validate
        } else if needs(&[Item::Component, Item::Uid, Item::Organizer]) {
            Depth::Model
        } else {
            Depth::Locate
        }
    }

    fn items(self) -> ItemSet {
        let mut items = ItemSet::default();
        let list: &[Item] = match self {
            Depth::Locate => &[Item::Present, Item::Method],
            Depth::Model => &[
                Item::Present,
                Item::Method,
                Item::Component,
                Item::Uid,
                Item::Organizer,
            ],
            Depth::Validate => &Item::ALL,
        };
        for item in list {
            items.insert(*item);
        }
        items
    }
}

/// One series' recurrence profile, with the component it belongs to.
#[derive(Debug, Clone)]
pub struct SeriesProfile {
    pub uid: Option<String>,
    /// The RECURRENCE-ID of an overridden instance, as written.
    pub recurrence_id: Option<String>,
    pub profile: RecurrenceProfile,
}

/// What was found in one message and why.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Where the iMIP object is (or why there is none).
    pub located: Located,
    /// The iTIP model of the located object (from [`Depth::Model`] on).
    pub calendar: Option<CalendarObject>,
    /// Every finding so far, weighted.
    pub findings: Vec<ScoredFinding>,
    /// Sum of the weights, capped at 100 (meaningful at [`Depth::Validate`]).
    pub risk: u32,
    /// Whether `risk` reached the configured threshold.
    pub suspicious: bool,
    /// The Authentication-Results headers read by the validation.
    pub authentication_results: Vec<AuthResultsEntry>,
    /// The recurrence profile of each scheduled component with a DTSTART.
    pub recurrence: Vec<SeriesProfile>,
    depth: Depth,
    raw_findings: Vec<Finding>,
    bare_calendar: bool,
}

impl Analysis {
    /// Analyse `message` as deep as `depth`, for delivery to `recipient`
    /// (the envelope recipient; used when the configuration names none).
    pub fn of(
        message: &Message<'_>,
        config: &Config,
        depth: Depth,
        recipient: Option<&str>,
    ) -> Analysis {
        let located = locate_imip(message);
        let raw_findings = located.findings.clone();
        let mut analysis = Analysis {
            located,
            calendar: None,
            findings: Vec::new(),
            risk: 0,
            suspicious: false,
            authentication_results: Vec::new(),
            recurrence: Vec::new(),
            depth: Depth::Locate,
            raw_findings,
            bare_calendar: false,
        };
        analysis.deepen(message, config, depth, recipient);
        analysis
    }

    /// Analyse an input file fully: an RFC 5322 message, or a bare
    /// iCalendar object (recognised by its content, not its name).
    pub fn of_input(input: &[u8], config: &Config) -> Analysis {
        if looks_like_icalendar(input) {
            return Analysis::of_calendar_text(&String::from_utf8_lossy(input), config);
        }
        let normalized = normalize_line_endings(input);
        match mail_parser::MessageParser::new().parse(normalized.as_ref()) {
            Some(message) => Analysis::of(&message, config, Depth::Validate, None),
            None => Analysis::of_calendar_text("", config),
        }
    }

    /// Analyse a bare iCalendar object (a `.ics` file): iMIP when it has a
    /// METHOD, as if a message carried it alone.
    pub fn of_calendar_text(text: &str, config: &Config) -> Analysis {
        let calendar = parse_calendar(text, &config.calendar_limits);
        let object = calendar.method.clone().map(|method| LocatedObject {
            located_by: LocatedBy::Structure,
            part: String::new(),
            part_id: 0,
            text: text.to_string(),
            method: Some(method.clone()),
            parameter_method: None,
            object_method: Some(method),
            uid: calendar.components.iter().find_map(|c| c.uid.clone()),
        });
        let raw_findings = if object.is_some() {
            calendar.findings.clone()
        } else {
            Vec::new()
        };
        let is_imip = object.is_some();
        let mut analysis = Analysis {
            located: Located {
                object,
                ..Located::default()
            },
            calendar: Some(calendar),
            findings: Vec::new(),
            risk: 0,
            suspicious: false,
            authentication_results: Vec::new(),
            recurrence: Vec::new(),
            depth: Depth::Model,
            raw_findings,
            bare_calendar: true,
        };
        if is_imip {
            analysis.evaluate_recurrence(config, config.now());
            analysis.depth = Depth::Validate;
        }
        analysis.finish(config);
        analysis
    }

    /// True when the input was a bare iCalendar object, not a message.
    pub fn is_bare_calendar(&self) -> bool {
        self.bare_calendar
    }

    /// Run the stages between the current depth and `depth`.
    pub fn deepen(
        &mut self,
        message: &Message<'_>,
        config: &Config,
        depth: Depth,
        recipient: Option<&str>,
    ) {
        if depth > self.depth && self.depth < Depth::Model {
            if let Some(object) = &self.located.object {
                let calendar = parse_calendar(&object.text, &config.calendar_limits);
                self.raw_findings.extend(calendar.findings.iter().cloned());
                self.calendar = Some(calendar);
            }
            self.depth = Depth::Model;
        }
        if depth > self.depth {
            if let (Some(object), Some(calendar)) = (&self.located.object, &self.calendar) {
                let validation = validate(
                    &ValidationInput {
                        message,
                        calendar,
                        method: object.method.as_deref(),
                        top_level_imip_content_id: object.located_by == LocatedBy::ImipContentIdTop,
                        envelope_recipient: recipient,
                    },
                    config,
                );
                self.raw_findings.extend(validation.findings);
                self.authentication_results = validation.authentication_results;
                // The sender writes Date: trust it only near the clock, so a
                // Date far ahead cannot hide a far-future event, nor an old
                // one make an ordinary event look far away.
                let now = config.now();
                let reference = message
                    .date()
                    .and_then(|date| chrono::DateTime::from_timestamp(date.to_timestamp(), 0))
                    .filter(|date| (*date - now).num_days().abs() <= DATE_TRUST_DAYS)
                    .unwrap_or(now);
                self.evaluate_recurrence(config, reference);
            }
            self.depth = Depth::Validate;
        }
        self.finish(config);
    }

    /// Step 6: profile every series (each component with a DTSTART, up to
    /// the configured number) and add its recurrence findings. `reference`
    /// is the message's Date (or the clock) for `far-future`.
    fn evaluate_recurrence(&mut self, config: &Config, reference: chrono::DateTime<chrono::Utc>) {
        let Some(calendar) = &self.calendar else {
            return;
        };
        let options = EvalOptions {
            now: config.now(),
            horizon: chrono::Duration::days(i64::from(config.horizon_days)),
            timezones: &calendar.timezones,
        };
        let thresholds = RecurrenceThresholds {
            flood_instances: config.flood_instances,
            flood_per_day: config.flood_per_day,
            far_future_days: config.far_future_days,
        };
        // An overridden instance (RECURRENCE-ID) of a series whose master is
        // in the object is part of that series, not a series of its own:
        // judging it alone would flag a moved instance as far in the future.
        let masters: std::collections::HashSet<Option<&str>> = calendar
            .components
            .iter()
            .filter(|component| component.recurrence_id.is_none())
            .map(|component| component.uid.as_deref())
            .collect();
        let series_components = calendar
            .components
            .iter()
            .filter(|component| {
                component.recurrence_id.is_none() || !masters.contains(&component.uid.as_deref())
            })
            .filter_map(|component| Some((component, component.dtstart.as_ref()?)));
        for (evaluated, (component, dtstart)) in series_components.enumerate() {
            if evaluated >= config.max_recurrence_series {
                self.raw_findings.push(Finding::new(
                    Reason::Oversized,
                    format!(
                        "more than {} series with a DTSTART: the rest were not evaluated",
                        config.max_recurrence_series
                    ),
                ));
                break;
            }
            let series = Series {
                dtstart,
                dtend: component.dtend.as_ref().or(component.due.as_ref()),
                duration: component.duration.as_deref(),
                rrules: &component.rrules,
                rdates: &component.rdates,
                exdates: &component.exdates,
            };
            let evaluation = evaluate(&series, &options);
            self.raw_findings.extend(evaluation.findings);
            if let Some(profile) = evaluation.profile {
                self.raw_findings
                    .extend(risk_findings(&profile, &thresholds, reference));
                self.recurrence.push(SeriesProfile {
                    uid: component.uid.clone(),
                    recurrence_id: component.recurrence_id.as_ref().map(|id| id.value.clone()),
                    profile,
                });
            }
        }
    }

    /// Weigh the findings into the risk score.
    fn finish(&mut self, config: &Config) {
        let (findings, risk) = score(&self.raw_findings, config);
        self.findings = findings;
        self.risk = risk;
        let examined = self.located.object.is_some() || !self.raw_findings.is_empty();
        self.suspicious = examined && is_suspicious(risk, config);
    }

    /// How far this analysis went.
    pub fn depth(&self) -> Depth {
        self.depth
    }

    /// The items this analysis can answer.
    pub fn items(&self) -> ItemSet {
        self.depth.items()
    }

    /// True when the message carries an iMIP object.
    pub fn is_imip(&self) -> bool {
        self.located.object.is_some()
    }

    /// The values of one `imip` item, one per component (`:component`,
    /// `:uid`, `:organizer`) or per finding (`:reason`): empty when the item
    /// has no value (on a message that is not iMIP, every item but `:present`).
    pub fn item_values(&self, item: Item) -> Vec<String> {
        let Some(object) = &self.located.object else {
            // A message whose structure could not be examined to the end is
            // not known to be free of iMIP: fail closed, so an admin filter
            // on `:reason`/`:risk`/`:suspicious` still sees why.
            return match item {
                Item::Reason | Item::Risk | Item::Suspicious if !self.raw_findings.is_empty() => {
                    self.risk_item_values(item)
                }
                _ => Vec::new(),
            };
        };
        let components = || {
            self.calendar
                .iter()
                .flat_map(|calendar| &calendar.components)
        };
        match item {
            Item::Present => vec!["1".into()],
            Item::Method => object.method.iter().cloned().collect(),
            Item::Component => components().map(|c| c.kind.as_str().to_string()).collect(),
            Item::Uid => components().filter_map(|c| c.uid.clone()).collect(),
            Item::Organizer => components()
                .filter_map(|c| c.organizer.as_ref().map(|o| o.address.as_str().to_string()))
                .collect(),
            Item::Reason | Item::Risk | Item::Suspicious => self.risk_item_values(item),
        }
    }

    /// `:reason` (one value per finding), `:risk` and `:suspicious`.
    fn risk_item_values(&self, item: Item) -> Vec<String> {
        match item {
            Item::Reason => {
                let mut reasons: Vec<Reason> = self
                    .raw_findings
                    .iter()
                    .map(|finding| finding.reason)
                    .collect();
                reasons.sort();
                reasons
                    .into_iter()
                    .map(|reason| reason.as_str().to_string())
                    .collect()
            }
            Item::Risk => vec![self.risk.to_string()],
            Item::Suspicious if self.suspicious => vec!["1".into()],
            _ => Vec::new(),
        }
    }
}
