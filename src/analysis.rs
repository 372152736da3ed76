//! One message's analysis: locate the iMIP object, model it, validate it;
//! each stage run only when asked for, and at most once.

use mail_parser::Message;

use crate::calendar::{looks_like_icalendar, parse_calendar, CalAddress, CalendarObject};
use crate::message::{
    is_rfc5322_mail, locate_imip_within, repair_raw_message, Located, LocatedBy, LocatedObject,
};
use crate::validate::{
    self, is_suspicious, score, AuthResultsEntry, Config, ScoredFinding, SeriesProfile,
    ValidationInput,
};

/// The risk of an input that is not mail: nothing in it could be examined,
/// so it counts as the riskiest there is (fail closed).
const UNPARSABLE_RISK: u32 = 100;

/// Why a message handed to the analysis (by the engine, or an embedder
/// through [`Analysis::of`]) is not examined.
const MESSAGE_NOT_MAIL: &str = "the message could not be parsed as RFC 5322 mail (it has no header field), so nothing in it was examined for iMIP; it counts as risk 100";

/// Why an input file of `analyze` is not examined.
const INPUT_NOT_MAIL: &str = "the input is neither RFC 5322 mail (it has no header field) nor an iCalendar object, so nothing in it was examined for iMIP; it counts as risk 100";

/// How far the analysis goes: each depth includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Locate the object: whether there is one, and its METHOD.
    Locate,
    /// Also build the iTIP model: components, UIDs, organizers.
    Model,
    /// Also run every validation step: findings and risk.
    Validate,
}

/// What was found in one message and why.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Where the iMIP object is (or why there is none).
    pub(crate) located: Located,
    /// The iTIP model of the located object (from [`Depth::Model`] on).
    pub(crate) calendar: Option<CalendarObject>,
    /// Every finding, weighted, in step order (from [`Depth::Validate`] on).
    pub(crate) findings: Vec<ScoredFinding>,
    /// Sum of the weights, capped at 100 (meaningful at [`Depth::Validate`]).
    pub(crate) risk: u32,
    /// Whether `risk` reached the configured threshold.
    pub(crate) suspicious: bool,
    /// The Authentication-Results headers read by the validation.
    pub(crate) authentication_results: Vec<AuthResultsEntry>,
    /// The recurrence profile of each scheduled component with a DTSTART.
    pub(crate) recurrence: Vec<SeriesProfile>,
    /// Why the input was not examined: it is not RFC 5322 mail.
    pub(crate) unparsable: Option<&'static str>,
    /// The From addresses the validation compared (empty before
    /// [`Depth::Validate`], and for a bare calendar).
    pub(crate) from: Vec<CalAddress>,
    depth: Depth,
    bare_calendar: bool,
}

impl Analysis {
    /// Analyse `message` as deep as `depth`, for delivery to `recipient`
    /// (the envelope recipient; used when the configuration names none).
    ///
    /// A message without a single header field is no mail: it is not
    /// examined, and its analysis says so ([`Analysis::unparsable`]).
    pub fn of(
        message: &Message<'_>,
        config: &Config,
        depth: Depth,
        recipient: Option<&str>,
    ) -> Analysis {
        if !is_rfc5322_mail(message) {
            return Analysis::of_unparsable(MESSAGE_NOT_MAIL, config);
        }
        let mut analysis =
            Analysis::located(locate_imip_within(message, config.mime_limits()), false);
        analysis.deepen(message, config, depth, recipient);
        analysis
    }

    /// Analyse an input file fully: an RFC 5322 message, or a bare
    /// iCalendar object (recognised by its content, not its name).
    pub fn of_input(input: &[u8], config: &Config) -> Analysis {
        if looks_like_icalendar(input) {
            return Analysis::of_calendar_text(&String::from_utf8_lossy(input), config);
        }
        let repaired = repair_raw_message(input);
        match mail_parser::MessageParser::new().parse(repaired.as_ref()) {
            Some(message) if is_rfc5322_mail(&message) => {
                Analysis::of(&message, config, Depth::Validate, None)
            }
            _ => Analysis::of_unparsable(INPUT_NOT_MAIL, config),
        }
    }

    /// The analysis of an input that is not mail: no iMIP object, nothing
    /// examined, and the risk items fail closed (risk 100, so suspicious at
    /// any threshold up to 100), whatever depth was asked for.
    fn of_unparsable(why: &'static str, config: &Config) -> Analysis {
        let mut analysis = Analysis::located(Located::default(), false);
        analysis.unparsable = Some(why);
        analysis.risk = UNPARSABLE_RISK;
        analysis.suspicious = is_suspicious(UNPARSABLE_RISK, config);
        analysis.depth = Depth::Validate;
        analysis
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
        let located = Located {
            object,
            ..Located::default()
        };
        let mut analysis = Analysis::located(located, true);
        analysis.calendar = Some(calendar);
        analysis.validate(None, config, None);
        analysis
    }

    /// The analysis right after locating.
    fn located(located: Located, bare_calendar: bool) -> Analysis {
        Analysis {
            located,
            calendar: None,
            findings: Vec::new(),
            risk: 0,
            suspicious: false,
            authentication_results: Vec::new(),
            recurrence: Vec::new(),
            unparsable: None,
            from: Vec::new(),
            depth: Depth::Locate,
            bare_calendar,
        }
    }

    /// True when the input was a bare iCalendar object, not a message.
    pub fn is_bare_calendar(&self) -> bool {
        self.bare_calendar
    }

    /// Why the input was not examined, when it is not RFC 5322 mail (no
    /// header field): then there is no iMIP object, no finding, and the
    /// risk is 100.
    pub fn unparsable(&self) -> Option<&str> {
        self.unparsable
    }

    /// True when the message has no iMIP object but is not known to be
    /// free of one (its structure was cut short, or it could not be read
    /// as mail): the risk items answer for it all the same (fail closed).
    pub(crate) fn may_hide_imip(&self) -> bool {
        self.located.object.is_none() && (self.unparsable.is_some() || !self.findings.is_empty())
    }

    /// Run the stages between the current depth and `depth`.
    pub fn deepen(
        &mut self,
        message: &Message<'_>,
        config: &Config,
        depth: Depth,
        recipient: Option<&str>,
    ) {
        if depth >= Depth::Model && self.depth < Depth::Model {
            if let Some(object) = &self.located.object {
                self.calendar = Some(parse_calendar(&object.text, &config.calendar_limits));
            }
            self.depth = Depth::Model;
        }
        if depth >= Depth::Validate && self.depth < Depth::Validate {
            self.validate(Some(message), config, recipient);
        }
    }

    /// Every validation step, then the risk score.
    fn validate(
        &mut self,
        message: Option<&Message<'_>>,
        config: &Config,
        recipient: Option<&str>,
    ) {
        let validation = validate::run(
            &ValidationInput {
                message,
                located: &self.located,
                calendar: self.calendar.as_ref(),
                envelope_recipient: recipient,
            },
            config,
        );
        let (findings, risk) = score(&validation.findings, config);
        // A message whose structure could not be examined to the end is not
        // known to be free of iMIP: its findings count even without an object.
        let examined = self.located.object.is_some() || !findings.is_empty();
        self.suspicious = examined && is_suspicious(risk, config);
        self.findings = findings;
        self.risk = risk;
        self.authentication_results = validation.authentication_results;
        self.recurrence = validation.recurrence;
        self.from = validation.from;
        self.depth = Depth::Validate;
    }

    /// How far this analysis went.
    pub fn depth(&self) -> Depth {
        self.depth
    }

    /// True when the message carries an iMIP object.
    pub fn is_imip(&self) -> bool {
        self.located.object.is_some()
    }

    /// The effective iTIP METHOD of the object, upper-cased.
    pub fn method(&self) -> Option<&str> {
        self.located.method()
    }

    /// The located iCalendar object's text, decoded to UTF-8 whatever the
    /// transfer encoding and charset it came in.
    pub fn object_text(&self) -> Option<&str> {
        self.located
            .object
            .as_ref()
            .map(|object| object.text.as_str())
    }

    /// Every finding, weighted, in step order (empty before
    /// [`Depth::Validate`]).
    pub fn findings(&self) -> &[ScoredFinding] {
        &self.findings
    }

    /// The risk score, 0..=100 (meaningful at [`Depth::Validate`]).
    pub fn risk(&self) -> u32 {
        self.risk
    }

    /// Whether the risk reached the configured threshold.
    pub fn is_suspicious(&self) -> bool {
        self.suspicious
    }
}
