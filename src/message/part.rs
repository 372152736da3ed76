//! What one MIME part's headers say about it, read in a single pass over its
//! headers, and its body as text once it is worth decoding.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{ContentType, Header, HeaderName, HeaderValue, Message, MessagePart, PartType};

/// The header field the draft defines, compared case-insensitively.
const IMIP_CONTENT_ID: &str = "iMIP-Content-ID";

/// File name endings that mark an attachment as an iCalendar file.
const CALENDAR_FILE_ENDINGS: [&str; 3] = [".ics", ".ical", ".vcs"];

/// The headers of one part that locating needs.
pub(crate) struct PartHeaders<'m, 'x> {
    pub content_type: Option<&'m ContentType<'x>>,
    pub disposition: Option<&'m ContentType<'x>>,
    pub imip_content_id: Option<&'m Header<'x>>,
}

impl<'m, 'x> PartHeaders<'m, 'x> {
    pub fn read(part: &'m MessagePart<'x>) -> PartHeaders<'m, 'x> {
        let mut found = PartHeaders {
            content_type: None,
            disposition: None,
            imip_content_id: None,
        };
        for header in &part.headers {
            match &header.name {
                HeaderName::ContentType if found.content_type.is_none() => {
                    found.content_type = header.value.as_content_type();
                }
                HeaderName::ContentDisposition if found.disposition.is_none() => {
                    found.disposition = header.value.as_content_type();
                }
                HeaderName::Other(name)
                    if found.imip_content_id.is_none()
                        && name.eq_ignore_ascii_case(IMIP_CONTENT_ID) =>
                {
                    found.imip_content_id = Some(header);
                }
                _ => {}
            }
        }
        found
    }

    /// What kind of calendar carrier the part is, if any.
    pub fn calendar_kind(&self) -> Option<CalendarKind> {
        let content_type = self.content_type;
        if content_type.is_some_and(|ct| is_media_type(ct, "text", "calendar")) {
            return Some(CalendarKind::TextCalendar);
        }
        if content_type.is_some_and(|ct| is_media_type(ct, "application", "ics")) {
            return Some(CalendarKind::IcsFile);
        }
        let named_like_calendar = [
            content_type.and_then(|ct| attribute(ct, "name")),
            self.disposition.and_then(|cd| attribute(cd, "filename")),
        ]
        .into_iter()
        .flatten()
        .any(is_calendar_file_name);
        named_like_calendar.then_some(CalendarKind::IcsFile)
    }

    /// The Content-Type `method` parameter, upper-cased.
    pub fn parameter_method(&self) -> Option<String> {
        let method = self
            .content_type
            .and_then(|ct| attribute(ct, "method"))?
            .trim();
        (!method.is_empty()).then(|| method.to_ascii_uppercase())
    }

    fn charset(&self) -> Option<&'m str> {
        self.content_type.and_then(|ct| attribute(ct, "charset"))
    }

    /// The part's body as text: mail-parser has already undone the transfer
    /// encoding, and the charset of `text/*` parts; other parts (application/ics,
    /// octet-stream) are decoded here by their charset parameter or BOM.
    pub fn body_text<'p>(&self, part: &'p MessagePart<'x>) -> Cow<'p, str> {
        let text: Cow<'p, str> = match &part.body {
            PartType::Text(text) | PartType::Html(text) => Cow::Borrowed(text.as_ref()),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                decode_bytes(bytes, self.charset())
            }
            PartType::Message(_) | PartType::Multipart(_) => Cow::Borrowed(""),
        };
        match text {
            Cow::Borrowed(text) => Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text)),
            Cow::Owned(text) if text.starts_with('\u{feff}') => {
                Cow::Owned(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
            }
            owned => owned,
        }
    }
}

/// The two ways a part can carry an iCalendar object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CalendarKind {
    /// `text/calendar`: the iMIP media type.
    TextCalendar,
    /// `application/ics`, or any part named `*.ics`, `*.ical`, `*.vcs`.
    IcsFile,
}

fn is_media_type(content_type: &ContentType<'_>, main: &str, sub: &str) -> bool {
    content_type.c_type.trim().eq_ignore_ascii_case(main)
        && content_type
            .c_subtype
            .as_deref()
            .is_some_and(|subtype| subtype.trim().eq_ignore_ascii_case(sub))
}

/// A parameter by name, whatever the case mail-parser kept it in.
fn attribute<'m>(content_type: &'m ContentType<'_>, name: &str) -> Option<&'m str> {
    content_type
        .attributes()?
        .iter()
        .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
        .map(|attribute| attribute.value.as_ref())
}

fn is_calendar_file_name(name: &str) -> bool {
    let name = name.trim().trim_matches('"').trim();
    CALENDAR_FILE_ENDINGS.iter().any(|ending| {
        name.len() > ending.len()
            && name
                .get(name.len().saturating_sub(ending.len())..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(ending))
    })
}

fn decode_bytes<'p>(bytes: &'p [u8], charset: Option<&str>) -> Cow<'p, str> {
    if let Some(decode) = charset.and_then(|charset| charset_decoder(charset.trim().as_bytes())) {
        return Cow::Owned(decode(bytes));
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        if let Some(decode) = charset_decoder(b"utf-16") {
            return Cow::Owned(decode(bytes));
        }
    }
    String::from_utf8_lossy(bytes)
}

/// The raw value of a part's `iMIP-Content-ID` header, from the message bytes
/// when the offsets allow (the parsed value may have lost comments or quoting).
pub(crate) fn raw_header_value<'m>(
    message: &'m Message<'_>,
    header: &'m Header<'_>,
) -> Cow<'m, [u8]> {
    let start = header.offset_start as usize;
    let end = header.offset_end as usize;
    if let Some(raw) = message.raw_message.get(start..end) {
        return Cow::Borrowed(raw);
    }
    match &header.value {
        HeaderValue::Text(text) => Cow::Borrowed(text.as_bytes()),
        HeaderValue::TextList(list) => Cow::Owned(list.join(" ").into_bytes()),
        _ => Cow::Borrowed(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_file_names() {
        for name in ["invite.ics", "MEETING.ICS", " \"a.ical\" ", "old.vcs"] {
            assert!(is_calendar_file_name(name), "{name}");
        }
        for name in [".ics", "invite.ics.txt", "ics", "calendar"] {
            assert!(!is_calendar_file_name(name), "{name}");
        }
    }

    #[test]
    fn utf16_bytes_by_charset_or_bom() {
        let mut utf16: Vec<u8> = vec![0xff, 0xfe];
        for unit in "METHOD:REQUEST".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert!(decode_bytes(&utf16, None).contains("METHOD:REQUEST"));
        assert!(decode_bytes(&utf16, Some("UTF-16")).contains("METHOD:REQUEST"));
        assert_eq!(decode_bytes(b"caf\xe9", Some("iso-8859-1")), "caf\u{e9}");
    }
}
