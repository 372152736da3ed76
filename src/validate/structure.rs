//! Step 2, structure: what the located object and its copies say about
//! themselves. `method-mismatch` when the Content-Type `method` parameter
//! and the object's METHOD differ, or when candidate parts carry different
//! objects; `malformed` when there is no METHOD to trust or the object does
//! not parse (the model's own findings); `oversized` when the MIME structure
//! could not be examined to the end.

use crate::calendar::CalendarObject;
use crate::finding::{quote_untrusted, Finding, Quote, Reason};
use crate::message::{CandidateCopy, Located, LocatedObject, MimeLimit, MimeLimits};
use crate::syntax::content_line::{as_method, is_method_token};

/// The step's findings, in the order a reader meets them: the MIME walk,
/// the copies, the object's METHOD, then the object's own parse.
pub(super) fn structure(
    located: &Located,
    calendar: Option<&CalendarObject>,
    limits: MimeLimits,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some((cut_at, limit)) = &located.cut_at {
        let reached = match limit {
            MimeLimit::Depth => format!(
                "MIME structure nested more than {} levels deep (max_mime_depth)",
                limits.max_depth
            ),
            MimeLimit::Parts => format!(
                "MIME structure with more than {} parts (max_mime_parts)",
                limits.max_parts
            ),
        };
        findings.push(Finding::new(
            Reason::Oversized,
            format!("{reached}; part {cut_at} and what follows it were not examined"),
        ));
    }
    let Some(object) = &located.object else {
        return findings;
    };
    findings.extend(
        located
            .other_candidates
            .iter()
            .filter_map(|other| copy_disagreement(other, object)),
    );
    findings.extend(method_findings(object));
    if let Some(calendar) = calendar {
        findings.extend(calendar.findings.iter().cloned());
    }
    findings
}

/// Whether a candidate part carries the chosen object (another copy of
/// it): neither its METHOD nor its UID, where both are known, differ.
pub(super) fn is_copy_of(other: &CandidateCopy, chosen: &LocatedObject) -> bool {
    !differs(&other.method, &chosen.method) && !differs(&other.uid, &chosen.uid)
}

/// `method-mismatch` for a candidate part that is not a copy of the chosen
/// object: both name a METHOD, or both a UID, and they differ. What copies
/// of the same object say inside is compared by `copies.rs`.
fn copy_disagreement(other: &CandidateCopy, chosen: &LocatedObject) -> Option<Finding> {
    (!is_copy_of(other, chosen)).then(|| {
        Finding::new(
            Reason::MethodMismatch,
            format!(
                "part {} carries a different calendar object than part {}: METHOD {} and UID {} against METHOD {} and UID {}",
                other.part,
                chosen.part,
                shown(&other.method),
                shown(&other.uid),
                shown(&chosen.method),
                shown(&chosen.uid),
            ),
        )
    })
}

/// Values that are both known and not the same.
fn differs(one: &Option<String>, other: &Option<String>) -> bool {
    matches!((one, other), (Some(one), Some(other)) if one != other)
}

fn shown(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}

/// What the object's own METHOD says against its Content-Type parameter.
/// A value that is not an RFC 5545 token is `malformed` and compared with
/// nothing: it is no method at all.
fn method_findings(object: &LocatedObject) -> Vec<Finding> {
    let part = &object.part;
    let mut findings = Vec::new();
    let said = [
        (&object.parameter_method, "Content-Type method parameter"),
        (&object.object_method, "METHOD property"),
    ];
    for (value, what) in said {
        if let Some(value) = value.as_deref().filter(|value| !is_method_token(value)) {
            findings.push(Finding::new(
                Reason::Malformed,
                format!(
                    "part {part}: the {what} {} is not an RFC 5545 token (letters, digits and '-'); it is not used as the method",
                    quote_untrusted(value, Quote::Excerpt)
                ),
            ));
        }
    }
    let nothing_said = object.parameter_method.is_none() && object.object_method.is_none();
    let compared = match (
        as_method(object.parameter_method.as_deref()),
        as_method(object.object_method.as_deref()),
    ) {
        (Some(parameter), Some(property)) if parameter != property => Some(Finding::new(
            Reason::MethodMismatch,
            format!("part {part}: Content-Type method={parameter} but the object says METHOD:{property}; the object wins"),
        )),
        (Some(parameter), None) if object.object_method.is_none() => Some(Finding::new(
            Reason::Malformed,
            format!("part {part}: the object has no METHOD property; using the Content-Type method={parameter}"),
        )),
        (None, None) if nothing_said => Some(Finding::new(
            Reason::Malformed,
            format!("part {part}: neither a METHOD property nor a Content-Type method parameter"),
        )),
        _ => None,
    };
    findings.extend(compared);
    findings
}
