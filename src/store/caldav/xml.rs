//! The WebDAV XML of the CalDAV exchanges: the request bodies written here,
//! the `multistatus` answers (RFC 4918 section 14.16) read with quick-xml's
//! namespace-aware reader. An answer is bad input: it is read within a
//! nesting limit, and anything unexpected in it is skipped or refused,
//! never trusted.

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

const DAV: &[u8] = b"DAV:";
const CALDAV: &[u8] = b"urn:ietf:params:xml:ns:caldav";

/// Deeper than any multistatus needs (multistatus/response/propstat/prop/
/// resourcetype/calendar is six).
const MAX_DEPTH: usize = 32;

/// The calendar-query REPORT finding the events of one UID (RFC 4791
/// section 7.8, example 7.8.6 of the spec filters on UID the same way).
/// `text-match` is a substring match (section 9.7.5), so the answer is
/// checked for the exact UID afterwards.
pub(super) fn calendar_query(uid: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">"#,
            r#"<D:prop><D:getetag/><C:calendar-data/></D:prop>"#,
            r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">"#,
            r#"<C:prop-filter name="UID"><C:text-match collation="i;octet">{}</C:text-match></C:prop-filter>"#,
            r#"</C:comp-filter></C:comp-filter></C:filter>"#,
            r#"</C:calendar-query>"#
        ),
        escape(uid)
    )
}

/// The PROPFIND (Depth 1) listing a calendar home's collections and which
/// of them are calendars.
pub(super) fn list_collections() -> &'static str {
    concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>"#
    )
}

/// What one `response` of a multistatus says, from its `200` propstats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct DavResponse {
    /// The resource, as the server wrote it (percent-encoded).
    pub(super) href: String,
    /// `getetag`, quotes kept (it goes back in `If-Match` as it is).
    pub(super) etag: Option<String>,
    /// `calendar-data`: the resource's iCalendar text.
    pub(super) calendar_data: Option<String>,
    /// `resourcetype` has `C:calendar`.
    pub(super) is_calendar: bool,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum XmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Syntax(String),
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("XML nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    /// No `DAV:multistatus` root.
    #[error("not a WebDAV multistatus")]
    NotMultistatus,
}

/// The elements a multistatus is read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Multistatus,
    Response,
    Href,
    Propstat,
    Prop,
    Status,
    GetEtag,
    ResourceType,
    Calendar,
    CalendarData,
    /// Anything else (read through, its text ignored).
    Other,
}

fn element(namespace: &ResolveResult<'_>, local_name: &[u8]) -> Element {
    let ResolveResult::Bound(Namespace(namespace)) = namespace else {
        return Element::Other;
    };
    match (*namespace, local_name) {
        (DAV, b"multistatus") => Element::Multistatus,
        (DAV, b"response") => Element::Response,
        (DAV, b"href") => Element::Href,
        (DAV, b"propstat") => Element::Propstat,
        (DAV, b"prop") => Element::Prop,
        (DAV, b"status") => Element::Status,
        (DAV, b"getetag") => Element::GetEtag,
        (DAV, b"resourcetype") => Element::ResourceType,
        (CALDAV, b"calendar") => Element::Calendar,
        (CALDAV, b"calendar-data") => Element::CalendarData,
        _ => Element::Other,
    }
}

/// One propstat as it is read: applied to its response only when its
/// status is 200.
#[derive(Debug, Default)]
struct Propstat {
    status: String,
    etag: Option<String>,
    calendar_data: Option<String>,
    is_calendar: bool,
}

/// The responses of a multistatus, in order; a response without an href
/// is dropped.
pub(super) fn parse_multistatus(body: &str) -> Result<Vec<DavResponse>, XmlError> {
    let mut reader = NsReader::from_str(body);
    let mut state = Multistatus::default();
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|error| XmlError::Syntax(error.to_string()))?;
        match event {
            Event::Start(start) => state.open(element(&namespace, start.local_name().as_ref()))?,
            Event::Empty(start) => {
                state.open(element(&namespace, start.local_name().as_ref()))?;
                state.close();
            }
            Event::End(_) => state.close(),
            Event::Text(chunk) => {
                if state.collects_text() {
                    let chunk = chunk
                        .xml10_content()
                        .map_err(|error| XmlError::Syntax(error.to_string()))?;
                    state.text.push_str(&chunk);
                }
            }
            Event::CData(chunk) => {
                if state.collects_text() {
                    let chunk = chunk
                        .xml10_content()
                        .map_err(|error| XmlError::Syntax(error.to_string()))?;
                    state.text.push_str(&chunk);
                }
            }
            Event::GeneralRef(reference) => {
                if state.collects_text() {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(character)) => Some(String::from(character)),
                        Ok(None) => reference
                            .decode()
                            .ok()
                            .and_then(|name| resolve_predefined_entity(&name))
                            .map(str::to_owned),
                        Err(error) => return Err(XmlError::Syntax(error.to_string())),
                    };
                    let resolved = resolved.ok_or_else(|| {
                        XmlError::Syntax("an entity XML does not define".to_owned())
                    })?;
                    state.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !state.seen_root {
        return Err(XmlError::NotMultistatus);
    }
    if !state.stack.is_empty() {
        return Err(XmlError::Syntax(
            "the answer ends inside an element".to_owned(),
        ));
    }
    Ok(state.responses)
}

/// The reading of one multistatus: where it is, what it has gathered.
#[derive(Debug, Default)]
struct Multistatus {
    stack: Vec<Element>,
    seen_root: bool,
    response: Option<DavResponse>,
    propstat: Option<Propstat>,
    /// The text of the innermost open element.
    text: String,
    responses: Vec<DavResponse>,
}

impl Multistatus {
    fn open(&mut self, opened: Element) -> Result<(), XmlError> {
        match (self.stack.last(), opened) {
            (None, Element::Multistatus) => self.seen_root = true,
            (None, _) => return Err(XmlError::NotMultistatus),
            (Some(Element::Multistatus), Element::Response) => {
                self.response = Some(DavResponse::default());
            }
            (Some(Element::Response), Element::Propstat) => {
                self.propstat = Some(Propstat::default());
            }
            (Some(Element::ResourceType), Element::Calendar) => {
                if let Some(propstat) = self.propstat.as_mut() {
                    propstat.is_calendar = true;
                }
            }
            _ => {}
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(XmlError::TooDeep);
        }
        self.stack.push(opened);
        self.text.clear();
        Ok(())
    }

    fn close(&mut self) {
        let closed = self.stack.pop().unwrap_or(Element::Other);
        let value = std::mem::take(&mut self.text);
        match (self.stack.last(), closed) {
            (Some(Element::Response), Element::Href) => {
                if let Some(response) = self.response.as_mut() {
                    response.href = value.trim().to_owned();
                }
            }
            (Some(Element::Propstat), Element::Status) => {
                if let Some(propstat) = self.propstat.as_mut() {
                    propstat.status = value;
                }
            }
            (Some(Element::Prop), Element::GetEtag) => {
                if let Some(propstat) = self.propstat.as_mut() {
                    propstat.etag = Some(value.trim().to_owned());
                }
            }
            (Some(Element::Prop), Element::CalendarData) => {
                if let Some(propstat) = self.propstat.as_mut() {
                    propstat.calendar_data = Some(value);
                }
            }
            (Some(Element::Response), Element::Propstat) => {
                if let (Some(response), Some(done)) = (self.response.as_mut(), self.propstat.take())
                {
                    if status_is_ok(&done.status) {
                        response.etag = response.etag.take().or(done.etag);
                        response.calendar_data =
                            response.calendar_data.take().or(done.calendar_data);
                        response.is_calendar |= done.is_calendar;
                    }
                }
            }
            (Some(Element::Multistatus), Element::Response) => {
                if let Some(done) = self.response.take().filter(|done| !done.href.is_empty()) {
                    self.responses.push(done);
                }
            }
            _ => {}
        }
    }

    /// Only the values read are gathered; other text is skipped unread.
    fn collects_text(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Element::Href | Element::Status | Element::GetEtag | Element::CalendarData)
        )
    }
}

/// A `DAV:status` line (`HTTP/1.1 200 OK`) saying 200.
fn status_is_ok(status: &str) -> bool {
    status.split_whitespace().nth(1) == Some("200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_calendar_query_answer() {
        // As Radicale writes it: CR as a character reference, a 404
        // propstat for what it lacks.
        let body = concat!(
            r#"<?xml version='1.0' encoding='utf-8'?>"#,
            r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">"#,
            r#"<response><href>/jane/cal/a%40x.ics</href>"#,
            r#"<propstat><prop><getetag>"abc"</getetag>"#,
            r#"<C:calendar-data>BEGIN:VCALENDAR&#13;"#,
            "
SUMMARY:Tom &amp; Jerry&#13;
END:VCALENDAR&#13;
",
            r#"</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>"#,
            r#"<propstat><prop><C:schedule-tag/></prop><status>HTTP/1.1 404 Not Found</status></propstat>"#,
            r#"</response></multistatus>"#
        );
        let responses = parse_multistatus(body).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            responses,
            [DavResponse {
                href: "/jane/cal/a%40x.ics".to_owned(),
                etag: Some("\"abc\"".to_owned()),
                calendar_data: Some(
                    "BEGIN:VCALENDAR\r\nSUMMARY:Tom & Jerry\r\nEND:VCALENDAR\r\n".to_owned()
                ),
                is_calendar: false,
            }]
        );
    }

    #[test]
    fn reads_which_collections_are_calendars() {
        let body = concat!(
            r#"<D:multistatus xmlns:D="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">"#,
            r#"<D:response><D:href>/jane/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop>"#,
            r#"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
            r#"<D:response><D:href>/jane/work/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/><cal:calendar/></D:resourcetype></D:prop>"#,
            r#"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
            // A calendar element in another namespace is not one.
            r#"<D:response><D:href>/jane/fake/</D:href><D:propstat><D:prop><D:resourcetype><calendar xmlns="urn:example"/></D:resourcetype></D:prop>"#,
            r#"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"#,
            r#"</D:multistatus>"#
        );
        let responses = parse_multistatus(body).unwrap_or_else(|err| panic!("{err}"));
        let calendars: Vec<&str> = responses
            .iter()
            .filter(|response| response.is_calendar)
            .map(|response| response.href.as_str())
            .collect();
        assert_eq!(calendars, ["/jane/work/"]);
    }

    #[test]
    fn refuses_what_is_not_a_multistatus() {
        for body in [
            "",
            "<html><body>login</body></html>",
            "<D:multistatus xmlns:D=\"DAV:\"><D:response>",
            "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>&bogus;</D:href></D:response></D:multistatus>",
        ] {
            assert!(parse_multistatus(body).is_err(), "{body:?}");
        }
        let deep = format!(
            "<D:multistatus xmlns:D=\"DAV:\">{}",
            "<x>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse_multistatus(&deep), Err(XmlError::TooDeep));
    }

    #[test]
    fn escapes_the_uid_in_the_query() {
        let query = calendar_query("a<b>&\"c");
        assert!(
            query.contains("a&lt;b&gt;&amp;&quot;c</C:text-match>"),
            "{query}"
        );
    }
}
