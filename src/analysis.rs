//! One message's analysis: locate the iMIP object, model it, validate it;
//! each stage run only when an item needs it, and at most once.

use mail_parser::Message;

use crate::calendar::{parse_calendar, CalendarObject};
use crate::finding::{Finding, Reason};
use crate::message::{locate_imip, Located};
use crate::script::{Item, ItemSet};
use crate::validate::{score, Config, ScoredFinding};

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
    depth: Depth,
    raw_findings: Vec<Finding>,
}

impl Analysis {
    /// Analyse `message` as deep as `depth`.
    pub fn of(message: &Message<'_>, config: &Config, depth: Depth) -> Analysis {
        let located = locate_imip(message);
        let raw_findings = located.findings.clone();
        let mut analysis = Analysis {
            located,
            calendar: None,
            findings: Vec::new(),
            risk: 0,
            suspicious: false,
            depth: Depth::Locate,
            raw_findings,
        };
        analysis.deepen(message, config, depth);
        analysis
    }

    /// Run the stages between the current depth and `depth`.
    pub fn deepen(&mut self, _message: &Message<'_>, config: &Config, depth: Depth) {
        if depth > self.depth && self.depth < Depth::Model {
            if let Some(object) = &self.located.object {
                let calendar = parse_calendar(&object.text, &config.calendar_limits);
                self.raw_findings.extend(calendar.findings.iter().cloned());
                self.calendar = Some(calendar);
            }
            self.depth = Depth::Model;
        }
        if depth > self.depth {
            self.depth = Depth::Validate;
        }
        let (findings, risk) = score(&self.raw_findings, config);
        self.findings = findings;
        self.risk = risk;
        self.suspicious = self.located.object.is_some() && risk >= config.suspicious_threshold;
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
            return Vec::new();
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
            Item::Suspicious => {
                if self.suspicious {
                    vec!["1".into()]
                } else {
                    Vec::new()
                }
            }
        }
    }
}
