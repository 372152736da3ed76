//! iCalendar object -> iTIP model: METHOD, the scheduling components with
//! their dates, recurrence texts and people, and the object's time zones.
//!
//! Parsing is the `icalendar` crate's (`parser::read_calendar_simple`);
//! this module unfolds the text with uniform line breaks (the same result
//! as `parser::unfold`, with line numbers recorded on the way), checks the
//! limits and the BEGIN/END structure with a cheap line scan first (so
//! hostile input never reaches the parser's recursion), maps the parser's
//! positions back to line numbers of the object as received, and keeps
//! whatever can be known from an object that does not parse.
//!
//! (The test `module_example` in `tests.rs` shows the model of a small
//! REQUEST.)

mod address;
mod lines;
mod model;
pub(crate) mod values;

use std::panic::{catch_unwind, AssertUnwindSafe};

use icalendar::parser::{read_calendar_simple, Component};

use crate::finding::{Finding, Reason};
use crate::syntax::content_line::is_method_token;

pub use address::CalAddress;
pub use values::{DateValue, Observance, TimeZoneDefinition};

use lines::{excerpt, offset_within, LineIndex};
use model::ModelBuilder;

/// Size limits on one iCalendar object. Over any of them the object is
/// `oversized` and is not parsed further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLimits {
    /// Bytes of the object text. Default 1 MiB.
    pub max_bytes: usize,
    /// Components (BEGIN lines other than VCALENDAR). Default 1000.
    pub max_components: usize,
    /// Content lines other than BEGIN/END. Default 10000.
    pub max_properties: usize,
    /// Levels of component nesting, VCALENDAR counting as one. Default 8;
    /// values above 64 act as 64 (the parser recurses once per level).
    /// Deeper objects are `malformed` and not parsed.
    pub max_nesting: usize,
}

impl Default for CalendarLimits {
    fn default() -> CalendarLimits {
        CalendarLimits {
            max_bytes: 1024 * 1024,
            max_components: 1000,
            max_properties: 10_000,
            max_nesting: 8,
        }
    }
}

/// One iCalendar object as the validation sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarObject {
    /// METHOD, upper-cased. Found by a line scan when the object does not
    /// parse (cut off, over a limit), so an iMIP message stays recognisable.
    pub method: Option<String>,
    /// VEVENT, VTODO, VJOURNAL and VFREEBUSY components, in object order.
    pub components: Vec<SchedulingComponent>,
    /// VTIMEZONE components, in object order.
    pub timezones: Vec<TimeZoneDefinition>,
    /// Every component but VCALENDAR itself, nested ones included (VTIMEZONE,
    /// STANDARD, DAYLIGHT, VALARM).
    pub component_count: usize,
    /// Content lines other than BEGIN/END, VCALENDAR's own included.
    pub property_count: usize,
    /// Bytes of the object text.
    pub size: usize,
    /// `malformed` (the detail starts with `line N:` of the text as given)
    /// and `oversized` findings.
    pub findings: Vec<Finding>,
}

/// The iTIP component kinds a scheduling message can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// VEVENT: a meeting or appointment.
    Event,
    /// VTODO: a task.
    Todo,
    /// VJOURNAL: a journal entry.
    Journal,
    /// VFREEBUSY: a free/busy request or answer.
    FreeBusy,
}

impl ComponentKind {
    /// Every kind, in the order RFC 5546 lists them. Its length bounds the
    /// `:component` slots.
    pub const ALL: [ComponentKind; 4] = [
        ComponentKind::Event,
        ComponentKind::Todo,
        ComponentKind::Journal,
        ComponentKind::FreeBusy,
    ];

    /// The component name as written in iCalendar (`VEVENT`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }

    /// The kind named `name`, ignoring case.
    pub fn from_name(name: &str) -> Option<ComponentKind> {
        ComponentKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }
}

/// A VEVENT, VTODO, VJOURNAL or VFREEBUSY with what the validation and the
/// recurrence evaluator read. Values are kept as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulingComponent {
    /// Which component this is.
    pub kind: ComponentKind,
    /// UID: which scheduled object the message is about.
    pub uid: Option<String>,
    /// `None` when absent or not a non-negative integer (then also `malformed`).
    pub sequence: Option<u32>,
    /// RECURRENCE-ID: the instance of a series this component changes.
    pub recurrence_id: Option<DateValue>,
    /// DTSTART.
    pub dtstart: Option<DateValue>,
    /// DTEND (VEVENT, VFREEBUSY).
    pub dtend: Option<DateValue>,
    /// DUE (VTODO).
    pub due: Option<DateValue>,
    /// DURATION value text.
    pub duration: Option<String>,
    /// RRULE value texts (RFC 5545 allows one; older objects may carry more).
    pub rrules: Vec<String>,
    /// One entry per comma-separated element of every RDATE, parameters kept.
    pub rdates: Vec<DateValue>,
    /// One entry per comma-separated element of every EXDATE, parameters kept.
    pub exdates: Vec<DateValue>,
    /// ORGANIZER (the first, when an object carries more).
    pub organizer: Option<Organizer>,
    /// Every ATTENDEE of the component itself (not of its VALARMs).
    pub attendees: Vec<Attendee>,
}

impl SchedulingComponent {
    fn new(kind: ComponentKind) -> SchedulingComponent {
        SchedulingComponent {
            kind,
            uid: None,
            sequence: None,
            recurrence_id: None,
            dtstart: None,
            dtend: None,
            due: None,
            duration: None,
            rrules: Vec::new(),
            rdates: Vec::new(),
            exdates: Vec::new(),
            organizer: None,
            attendees: Vec::new(),
        }
    }
}

/// The ORGANIZER property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    /// The organizer's address.
    pub address: CalAddress,
    /// CN: the display name.
    pub cn: Option<String>,
    /// Who sent on the organizer's behalf.
    pub sent_by: Option<CalAddress>,
}

/// One ATTENDEE property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The attendee's address.
    pub address: CalAddress,
    /// CN: the display name.
    pub cn: Option<String>,
    /// PARTSTAT, upper-cased.
    pub partstat: Option<String>,
    /// ROLE, upper-cased.
    pub role: Option<String>,
    /// RSVP; `None` when absent or neither TRUE nor FALSE.
    pub rsvp: Option<bool>,
    /// Who replied on the attendee's behalf.
    pub sent_by: Option<CalAddress>,
    /// DELEGATED-TO: to whom this attendee passed the invitation.
    pub delegated_to: Vec<CalAddress>,
    /// DELEGATED-FROM: who passed the invitation to this attendee.
    pub delegated_from: Vec<CalAddress>,
}

/// At most this many `malformed` findings per object, then one summary: a
/// megabyte of garbage must not become thousands of findings.
const MAX_MALFORMED_FINDINGS: usize = 20;

/// Parse one iCalendar object and build the iTIP model. Never fails:
/// problems become findings.
pub fn parse_calendar(text: &str, limits: &CalendarLimits) -> CalendarObject {
    parse_calendar_from(text, limits, ParserInput::RelevantLines)
}

/// What the icalendar parser is given when the object's structure is sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParserInput {
    /// Only the lines the model may read (see `lines::relevant_lines`),
    /// the whole text when that does not parse.
    RelevantLines,
    /// The whole text: the reference the thinned input must agree with.
    #[cfg_attr(not(test), allow(dead_code))]
    WholeText,
}

fn parse_calendar_from(text: &str, limits: &CalendarLimits, input: ParserInput) -> CalendarObject {
    let mut object = CalendarObject {
        size: text.len(),
        ..CalendarObject::default()
    };
    if text.len() > limits.max_bytes {
        object.method = lines::method_near_start(text).filter(|method| is_method_token(method));
        object.findings.push(Finding::new(
            Reason::Oversized,
            format!(
                "calendar object of {} bytes is over the limit of {} bytes; not parsed",
                text.len(),
                limits.max_bytes
            ),
        ));
        return object;
    }

    let (unfolded, index) = lines::unfold_with_line_index(text);
    let mut outline = lines::outline(&unfolded, &index, limits.max_nesting);
    object.component_count = outline.component_count;
    object.property_count = outline.property_count;
    object.method = outline
        .method
        .as_ref()
        .map(|(method, _)| method.clone())
        .filter(|method| is_method_token(method));

    if !outline.has_content {
        object.findings.push(Finding::new(
            Reason::Malformed,
            "line 1: empty calendar object",
        ));
        return object;
    }
    if let Some(detail) = over_count_limits(&outline, limits) {
        object
            .findings
            .push(Finding::new(Reason::Oversized, detail));
        return object;
    }

    let structure_is_sound = outline.problems.is_empty();
    let mut problems = std::mem::take(&mut outline.problems);
    problems.append(&mut outline.tolerated);
    let relevant = (structure_is_sound && !outline.too_deep && input == ParserInput::RelevantLines)
        .then(|| lines::relevant_lines(&unfolded, &index, model::properties_read));
    let model = match relevant.as_ref().and_then(model_of_relevant_lines) {
        Some(model) => model,
        None => model_of_whole_text(
            &outline,
            structure_is_sound,
            &unfolded,
            &index,
            &mut problems,
        ),
    };
    problems.extend(model.problems);
    if model.method.is_some() {
        object.method = model.method;
    }
    object.components = model.components;
    object.timezones = model.timezones;
    object.findings.extend(malformed_findings(problems));
    object
}

/// What the model builder produced, apart from the text it borrowed.
struct Model {
    problems: Vec<(usize, String)>,
    method: Option<String>,
    components: Vec<SchedulingComponent>,
    timezones: Vec<TimeZoneDefinition>,
}

impl From<ModelBuilder<'_>> for Model {
    fn from(builder: ModelBuilder<'_>) -> Model {
        Model {
            problems: builder.problems,
            method: builder.method,
            components: builder.components,
            timezones: builder.timezones,
        }
    }
}

/// The model from the relevant lines alone; `None` when they do not parse,
/// so the whole text is parsed and its problems reported as they stand.
fn model_of_relevant_lines(relevant: &lines::RelevantLines) -> Option<Model> {
    let roots = parse_components(&relevant.text, &relevant.text, &relevant.index).ok()?;
    let mut builder = ModelBuilder::new(&relevant.text, &relevant.index);
    builder.add_roots(&roots);
    Some(Model::from(builder))
}

fn model_of_whole_text(
    outline: &lines::Outline,
    structure_is_sound: bool,
    unfolded: &str,
    index: &LineIndex,
    problems: &mut Vec<(usize, String)>,
) -> Model {
    let mut builder = ModelBuilder::new(unfolded, index);
    if outline.too_deep {
        // Not even balanced parts go to the parser: the scan stopped early.
    } else if structure_is_sound {
        match parse_components(unfolded, unfolded, index) {
            Ok(roots) => builder.add_roots(&roots),
            Err(whole_problem) => {
                let every_span_parsed =
                    salvage(&mut builder, &outline.balanced_spans, unfolded, index);
                // A span's own error names the same line; only when every
                // span parsed is the problem outside them.
                if every_span_parsed {
                    problems.push(whole_problem);
                }
            }
        }
    } else {
        salvage(&mut builder, &outline.balanced_spans, unfolded, index);
    }
    Model::from(builder)
}

/// True when the bytes look like a bare iCalendar file: `BEGIN:VCALENDAR`
/// (any case) after an optional UTF-8 byte-order mark and white space.
pub fn looks_like_icalendar(bytes: &[u8]) -> bool {
    const START: &[u8] = b"BEGIN:VCALENDAR";
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes
        .get(first..)
        .and_then(|rest| rest.get(..START.len()))
        .is_some_and(|head| head.eq_ignore_ascii_case(START))
}

fn over_count_limits(outline: &lines::Outline, limits: &CalendarLimits) -> Option<String> {
    if outline.component_count > limits.max_components {
        return Some(format!(
            "{} components, over the limit of {}; not parsed",
            outline.component_count, limits.max_components
        ));
    }
    if outline.property_count > limits.max_properties {
        return Some(format!(
            "{} properties, over the limit of {}; not parsed",
            outline.property_count, limits.max_properties
        ));
    }
    None
}

/// Run the icalendar parser on `input` (the whole unfolded text or a slice
/// of it). On failure, the problem with its original line number.
fn parse_components<'u>(
    unfolded: &str,
    input: &'u str,
    index: &LineIndex,
) -> Result<Vec<Component<'u>>, (usize, String)> {
    // The outline scan has already refused the inputs known to hurt the
    // parser (too deep, too large). This is the last line of defence against
    // a panic inside a third-party crate on input nobody foresaw: the
    // message must still be delivered and analysed. It cannot help with a
    // panic=abort build or a stack overflow, which the nesting cap prevents.
    let outcome = catch_unwind(AssertUnwindSafe(|| read_calendar_simple(input)));
    match outcome {
        Ok(Ok(roots)) => Ok(roots),
        Ok(Err(error)) => {
            let offset = offset_within(unfolded, error.input).unwrap_or(unfolded.len());
            let line = index.original_line_at(offset);
            let text_there = error.input.split("\r\n").next().unwrap_or_default();
            let detail = if text_there.trim().is_empty() {
                "the iCalendar parser stopped at the end of the text".to_owned()
            } else {
                format!("the iCalendar parser stopped at {}", excerpt(text_there))
            };
            Err((line, detail))
        }
        Err(_) => Err((
            index.original_line_at(offset_within(unfolded, input).unwrap_or_default()),
            "the iCalendar parser failed on this object".to_owned(),
        )),
    }
}

/// The object as a whole did not parse: parse each component that the
/// outline found balanced on its own, so a cut-off object still yields the
/// complete components before the cut. True when every span parsed.
fn salvage(
    builder: &mut ModelBuilder<'_>,
    spans: &[std::ops::Range<usize>],
    unfolded: &str,
    index: &LineIndex,
) -> bool {
    let mut every_span_parsed = true;
    for span in spans {
        let Some(input) = unfolded.get(span.clone()) else {
            continue;
        };
        match parse_components(unfolded, input, index) {
            Ok(components) => builder.add_children(&components),
            Err((line, detail)) => {
                every_span_parsed = false;
                builder.problems.push((line, detail));
            }
        }
    }
    every_span_parsed
}

fn malformed_findings(mut problems: Vec<(usize, String)>) -> Vec<Finding> {
    problems.sort_by_key(|(line, _)| *line);
    // The line scan and the parser can both stop at one bad line; the
    // scan's wording, first after the stable sort, says more.
    problems.dedup_by_key(|(line, _)| *line);
    let total = problems.len();
    let mut findings: Vec<Finding> = problems
        .into_iter()
        .take(MAX_MALFORMED_FINDINGS)
        .map(|(line, detail)| Finding::new(Reason::Malformed, format!("line {line}: {detail}")))
        .collect();
    if total > MAX_MALFORMED_FINDINGS {
        findings.push(Finding::new(
            Reason::Malformed,
            format!(
                "{} more problems not listed",
                total.saturating_sub(MAX_MALFORMED_FINDINGS)
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
