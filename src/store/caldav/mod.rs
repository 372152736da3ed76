//! A CalDAV server (RFC 4791) as the user's calendars: ureq for HTTP,
//! quick-xml for the WebDAV XML, and only the glue here.
//!
//! | operation | exchange |
//! |---|---|
//! | open | `PROPFIND` Depth 1 on the calendar home, unless `calendars` names them |
//! | find a UID | `REPORT` calendar-query per calendar (section 7.8), `prop-filter` on the UID of a VEVENT |
//! | create | `PUT` with `If-None-Match: *` (412: the UID was created meanwhile) |
//! | update | `PUT` with `If-Match: <etag>` (412: changed meanwhile) |
//! | delete | `DELETE` with `If-Match: <etag>` |
//!
//! An item's version is its ETag. A 412, a 404 on an item that was found,
//! and a `CALDAV:no-uid-conflict` refusal are [`StoreError::Conflict`]:
//! read again and retry. Every other failure is
//! [`StoreError::Unavailable`], noted in the [`FailureLog`].
//!
//! One delivery asks for one UID several times (the validation's two reads
//! of the stored copy, then the action's), so an answer is kept for
//! [`RECENT_SECONDS`] and reused: a REQUEST or REPLY costs one REPORT (per
//! calendar) and one PUT. A kept answer that is stale costs nothing but a
//! retry: the write names the ETag it read, and the server refuses it.
//!
//! Everything the server sends is bad input: bodies are read up to
//! `max_response_bytes`, hrefs are followed only within the calendar they
//! were listed in, on the configured server.

mod xml;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use percent_encoding::{
    percent_decode_str, percent_encode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC,
};
use ureq::http::{Method, Request, Uri};

use super::{holds_uid, item_file_name, lookup_of, unavailable, FailureLog};
use crate::calendar::{CalAddress, CalendarLimits};
use crate::validate::{
    CalDavPassword, CalDavSettings, CalendarLookup, CalendarStore, DirectoryLookup, ItemVersion,
    StoreError, StoredAttendee, StoredItem,
};

/// How long an answer about one UID is reused.
pub const RECENT_SECONDS: u64 = 10;

/// UIDs whose answers are kept at once.
const RECENT_KEPT: usize = 32;

/// Answers without calendar-data fetched one by one in a look-up; a
/// server leaving it out of more makes the look-up fail, not run on.
const MAX_FETCHES_PER_QUERY: usize = 8;

/// Longest password file read (one line is expected).
const MAX_PASSWORD_FILE: u64 = 4096;

/// A user's calendars on a CalDAV server: see the module documentation.
pub struct CalDavStore {
    agent: ureq::Agent,
    /// `scheme://authority` of the configured URL: every request goes there.
    origin: String,
    authorization: Option<String>,
    /// Sorted by name.
    calendars: Vec<Collection>,
    default_calendar: Option<String>,
    limits: CalendarLimits,
    max_response_bytes: u64,
    round_trips: Arc<AtomicU64>,
    failures: Arc<FailureLog>,
    recent: Mutex<Vec<Recent>>,
}

impl std::fmt::Debug for CalDavStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalDavStore")
            .field("origin", &self.origin)
            .field("calendars", &self.calendars)
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

/// One calendar collection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Collection {
    name: String,
    /// Absolute path, ending in `/`.
    path: String,
}

/// A kept answer: the item of a UID, or that there was none.
#[derive(Debug, Clone)]
struct Recent {
    uid: String,
    at: Instant,
    item: Option<StoredItem>,
}

/// What the server answered to one request.
struct Answer {
    status: u16,
    etag: Option<String>,
    body: String,
}

impl CalDavStore {
    /// Connect as `settings` say. With no `calendars` named, the home is
    /// listed (one PROPFIND), which also checks the server and the
    /// credentials; a failure is [`StoreError::Unavailable`].
    pub fn open(
        settings: &CalDavSettings,
        limits: &CalendarLimits,
    ) -> Result<CalDavStore, StoreError> {
        let failures = Arc::new(FailureLog::default());
        let refuse = |detail: String| unavailable(&failures, detail);
        let uri: Uri = settings
            .url
            .trim()
            .parse()
            .map_err(|error| refuse(format!("{:?} is not a URL: {error}", settings.url)))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(refuse(format!("{:?} is not an absolute URL", settings.url)));
        };
        if authority.as_str().contains('@') {
            return Err(refuse(
                "the URL carries credentials; give them as user and password".to_owned(),
            ));
        }
        let origin = format!("{}://{}", scheme.to_ascii_lowercase(), authority);
        let mut home = normalize_path(uri.path());
        if !home.ends_with('/') {
            home.push('/');
        }
        let authorization = match &settings.user {
            Some(user) => {
                let password = read_password(settings.password.as_ref()).map_err(&refuse)?;
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(format!("Basic {token}"))
            }
            None => None,
        };
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .user_agent(concat!("sieve-imip/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let mut store = CalDavStore {
            agent,
            origin,
            authorization,
            calendars: Vec::new(),
            default_calendar: settings.default_calendar.clone(),
            limits: limits.clone(),
            max_response_bytes: settings.max_response_bytes,
            round_trips: Arc::new(AtomicU64::new(0)),
            failures,
            recent: Mutex::new(Vec::new()),
        };
        store.calendars = if settings.calendars.is_empty() {
            store.discover(&home)?
        } else {
            settings
                .calendars
                .iter()
                .map(|name| Collection {
                    name: name.clone(),
                    path: normalize_path(&format!("{home}{}/", encode_segment(name))),
                })
                .collect()
        };
        store.calendars.sort_by(|a, b| a.name.cmp(&b.name));
        store.calendars.dedup_by(|a, b| a.name == b.name);
        Ok(store)
    }

    /// HTTP requests sent so far (each a round trip).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// The counter behind [`CalDavStore::round_trips`], for whoever hands
    /// the store on (as a `dyn CalendarStore`) and still wants to count
    /// what one delivery cost.
    pub fn round_trip_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.round_trips)
    }

    /// Where the store notes what it could not do.
    pub fn failures(&self) -> Arc<FailureLog> {
        Arc::clone(&self.failures)
    }

    /// The names of the calendars in use, sorted.
    pub fn calendar_names(&self) -> Vec<String> {
        self.calendars
            .iter()
            .map(|calendar| calendar.name.clone())
            .collect()
    }

    /// Forget the kept answers, so the next look-up asks the server.
    pub fn forget_recent(&self) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.clear();
        }
    }

    fn fail(&self, detail: String) -> StoreError {
        unavailable(&self.failures, detail)
    }

    /// The calendars of the home: its members whose resourcetype says
    /// calendar.
    fn discover(&self, home: &str) -> Result<Vec<Collection>, StoreError> {
        let answer = self.exchange(
            "PROPFIND",
            home,
            &[("Depth", "1")],
            Some(xml::list_collections().to_owned()),
        )?;
        if answer.status != 207 {
            return Err(self.refused("PROPFIND", home, &answer));
        }
        let responses = xml::parse_multistatus(&answer.body)
            .map_err(|error| self.fail(format!("PROPFIND {home}: {error}")))?;
        let mut calendars = Vec::new();
        for response in responses
            .into_iter()
            .filter(|response| response.is_calendar)
        {
            let Some(mut path) = self.resolve(&response.href, home) else {
                continue;
            };
            if !path.ends_with('/') {
                path.push('/');
            }
            if path == home {
                continue;
            }
            let Some(segment) = path.trim_end_matches('/').rsplit('/').next() else {
                continue;
            };
            calendars.push(Collection {
                name: decode_segment(segment),
                path,
            });
        }
        Ok(calendars)
    }

    /// An href of the server as an absolute path on the configured origin
    /// under `within`; `None` for anything else (another host, a path
    /// outside the collection, control characters).
    fn resolve(&self, href: &str, within: &str) -> Option<String> {
        let path = if href.starts_with('/') {
            href.to_owned()
        } else if let Some(rest) = strip_prefix_ignore_case(href, &self.origin) {
            rest.to_owned()
        } else if !href.contains(':') {
            format!("{within}{href}")
        } else {
            return None;
        };
        let path = normalize_path(&path);
        let clean = path.starts_with(within)
            && !path.chars().any(|c| c.is_control() || c.is_whitespace())
            && !path.split('/').any(|segment| segment == "..");
        clean.then_some(path)
    }

    /// Send one request; any answer (with its status) is `Ok`.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Answer, StoreError> {
        let url = format!("{}{path}", self.origin);
        let failed = |error: String| self.fail(format!("{method} {url}: {error}"));
        let method_name =
            Method::from_bytes(method.as_bytes()).map_err(|error| failed(error.to_string()))?;
        let mut builder = Request::builder().method(method_name).uri(&url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(authorization) = &self.authorization {
            builder = builder.header("Authorization", authorization);
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let sent = match body {
            Some(body) => builder
                .header("Content-Type", content_type(method))
                .body(body)
                .map_err(|error| failed(error.to_string()))
                .and_then(|request| {
                    self.agent
                        .run(request)
                        .map_err(|error| failed(error.to_string()))
                }),
            None => builder
                .body(())
                .map_err(|error| failed(error.to_string()))
                .and_then(|request| {
                    self.agent
                        .run(request)
                        .map_err(|error| failed(error.to_string()))
                }),
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("ETag")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|error| failed(format!("reading the answer: {error}")))?;
        Ok(Answer { status, etag, body })
    }

    /// An answer with a status the operation does not expect.
    fn refused(&self, method: &str, path: &str, answer: &Answer) -> StoreError {
        self.fail(format!(
            "{method} {}{path}: HTTP {}",
            self.origin, answer.status
        ))
    }

    fn collection(&self, name: &str) -> Option<&Collection> {
        self.calendars.iter().find(|calendar| calendar.name == name)
    }

    /// The item of `uid` in one calendar.
    fn query(&self, calendar: &Collection, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        let answer = self.exchange(
            "REPORT",
            &calendar.path,
            &[("Depth", "1")],
            Some(xml::calendar_query(uid)),
        )?;
        if answer.status != 207 {
            return Err(self.refused("REPORT", &calendar.path, &answer));
        }
        let responses = xml::parse_multistatus(&answer.body)
            .map_err(|error| self.fail(format!("REPORT {}: {error}", calendar.path)))?;
        let mut fetches = 0usize;
        for response in responses {
            let Some(path) = self.resolve(&response.href, &calendar.path) else {
                continue;
            };
            if path == calendar.path {
                continue;
            }
            let item = match (response.etag, response.calendar_data) {
                (Some(etag), Some(text)) => StoredItem {
                    calendar: calendar.name.clone(),
                    href: path,
                    version: ItemVersion(etag),
                    text,
                },
                // A server that leaves calendar-data out: one GET more.
                _ => {
                    fetches = fetches.saturating_add(1);
                    if fetches > MAX_FETCHES_PER_QUERY {
                        return Err(self.fail(format!(
                            "REPORT {}: more than {MAX_FETCHES_PER_QUERY} answers without calendar-data",
                            calendar.path
                        )));
                    }
                    match self.fetch(calendar, &path)? {
                        Some(item) => item,
                        None => continue,
                    }
                }
            };
            if holds_uid(&item.text, uid, &self.limits) {
                return Ok(Some(item));
            }
        }
        Ok(None)
    }

    /// GET one item; `None` when it is gone.
    fn fetch(&self, calendar: &Collection, path: &str) -> Result<Option<StoredItem>, StoreError> {
        let answer = self.exchange("GET", path, &[], None)?;
        match (answer.status, answer.etag) {
            (200, Some(etag)) => Ok(Some(StoredItem {
                calendar: calendar.name.clone(),
                href: path.to_owned(),
                version: ItemVersion(etag),
                text: answer.body,
            })),
            (404 | 410, _) => Ok(None),
            (status, _) => Err(self.fail(format!(
                "GET {}{path}: HTTP {status}{}",
                self.origin,
                if status == 200 {
                    " without an ETag"
                } else {
                    ""
                }
            ))),
        }
    }

    /// The item after a successful PUT of `text`: the ETag the server gave
    /// means it stored the text as sent (RFC 4791 section 5.3.4); without
    /// one, what it stored is read back.
    fn written(
        &self,
        calendar: &Collection,
        path: &str,
        etag: Option<String>,
        text: &str,
    ) -> Result<StoredItem, StoreError> {
        match etag {
            Some(etag) => Ok(StoredItem {
                calendar: calendar.name.clone(),
                href: path.to_owned(),
                version: ItemVersion(etag),
                text: text.to_owned(),
            }),
            None => self.fetch(calendar, path)?.ok_or(StoreError::Conflict),
        }
    }

    /// The calendar of an item this store handed out, with the item's
    /// path checked to be in it.
    fn item_collection(&self, item: &StoredItem) -> Result<&Collection, StoreError> {
        let calendar = self
            .collection(&item.calendar)
            .ok_or_else(|| StoreError::NoSuchCalendar(item.calendar.clone()))?;
        match self.resolve(&item.href, &calendar.path) {
            Some(path) if path == item.href && path != calendar.path => Ok(calendar),
            _ => Err(StoreError::Unavailable(format!(
                "{:?} is not an item of calendar {:?}",
                item.href, item.calendar
            ))),
        }
    }

    fn recall(&self, uid: &str) -> Option<Option<StoredItem>> {
        let recent = self.recent.lock().ok()?;
        recent
            .iter()
            .find(|kept| kept.uid == uid && kept.at.elapsed() < Duration::from_secs(RECENT_SECONDS))
            .map(|kept| kept.item.clone())
    }

    fn remember(&self, uid: &str, item: Option<StoredItem>) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.retain(|kept| kept.uid != uid);
            if recent.len() >= RECENT_KEPT {
                recent.remove(0);
            }
            recent.push(Recent {
                uid: uid.to_owned(),
                at: Instant::now(),
                item,
            });
        }
    }

    /// After a write to `href`: keep `item` (the new state) for its UID, or
    /// forget the UID when the write failed.
    fn rewrite_recent(&self, href: &str, item: Option<Option<StoredItem>>) {
        if let Ok(mut recent) = self.recent.lock() {
            match item {
                Some(item) => {
                    for kept in recent.iter_mut() {
                        if kept.item.as_ref().is_some_and(|known| known.href == href) {
                            kept.item = item.clone();
                            kept.at = Instant::now();
                        }
                    }
                }
                None => {
                    recent.retain(|kept| kept.item.as_ref().is_none_or(|known| known.href != href))
                }
            }
        }
    }

    fn stored_copy(&self, uid: &str) -> Option<DirectoryLookup> {
        let item = self.find(uid).ok()??;
        Some(lookup_of(&item.text, &self.limits))
    }
}

impl CalendarLookup for CalDavStore {
    fn attendees(&self, uid: &str) -> Option<Vec<CalAddress>> {
        self.stored_copy(uid)?.attendees(uid)
    }

    fn stored_attendees(&self, uid: &str) -> Option<Vec<StoredAttendee>> {
        self.stored_copy(uid)?.stored_attendees(uid)
    }
}

impl CalendarStore for CalDavStore {
    fn find(&self, uid: &str) -> Result<Option<StoredItem>, StoreError> {
        if let Some(kept) = self.recall(uid) {
            return Ok(kept);
        }
        let mut found = None;
        for calendar in &self.calendars {
            if let Some(item) = self.query(calendar, uid)? {
                found = Some(item);
                break;
            }
        }
        self.remember(uid, found.clone());
        Ok(found)
    }

    fn has_calendar(&self, calendar: &str) -> Result<bool, StoreError> {
        Ok(self.collection(calendar).is_some())
    }

    fn default_calendar(&self) -> Result<String, StoreError> {
        match &self.default_calendar {
            Some(name) if self.collection(name).is_some() => Ok(name.clone()),
            Some(name) => Err(StoreError::NoSuchCalendar(name.clone())),
            None => self
                .calendars
                .first()
                .map(|calendar| calendar.name.clone())
                .ok_or_else(|| {
                    self.fail(format!(
                        "{}: the calendar home has no calendar",
                        self.origin
                    ))
                }),
        }
    }

    fn create(&self, calendar: &str, uid: &str, text: &str) -> Result<StoredItem, StoreError> {
        let collection = self
            .collection(calendar)
            .ok_or_else(|| StoreError::NoSuchCalendar(calendar.to_owned()))?;
        let path = format!("{}{}", collection.path, item_file_name(uid));
        let answer = self.exchange(
            "PUT",
            &path,
            &[("If-None-Match", "*")],
            Some(text.to_owned()),
        )?;
        match answer.status {
            200 | 201 | 204 => {
                let item = self.written(collection, &path, answer.etag, text)?;
                self.remember(uid, Some(item.clone()));
                Ok(item)
            }
            412 => {
                // Something already has this name: another delivery's
                // event, or a task or journal entry, which the lookup (a
                // VEVENT query) does not find. Read it by its name, so that
                // the retry finds it and updates it instead of creating it
                // again.
                match self.fetch(collection, &path) {
                    Ok(Some(item)) if holds_uid(&item.text, uid, &self.limits) => {
                        self.remember(uid, Some(item));
                    }
                    _ => self.remember_nothing_about(uid),
                }
                Err(StoreError::Conflict)
            }
            403 | 409 if answer.body.contains("no-uid-conflict") => {
                self.remember_nothing_about(uid);
                Err(StoreError::Conflict)
            }
            404 | 409 => Err(StoreError::NoSuchCalendar(calendar.to_owned())),
            _ => Err(self.refused("PUT", &path, &answer)),
        }
    }

    fn update(&self, item: &StoredItem, text: &str) -> Result<StoredItem, StoreError> {
        let collection = self.item_collection(item)?;
        let answer = self.exchange(
            "PUT",
            &item.href,
            &[("If-Match", &item.version.0)],
            Some(text.to_owned()),
        )?;
        match answer.status {
            200 | 201 | 204 => {
                let updated = self.written(collection, &item.href, answer.etag, text)?;
                self.rewrite_recent(&item.href, Some(Some(updated.clone())));
                Ok(updated)
            }
            404 | 410 | 412 => {
                self.rewrite_recent(&item.href, None);
                Err(StoreError::Conflict)
            }
            _ => Err(self.refused("PUT", &item.href, &answer)),
        }
    }

    fn delete(&self, item: &StoredItem) -> Result<(), StoreError> {
        self.item_collection(item)?;
        let answer = self.exchange("DELETE", &item.href, &[("If-Match", &item.version.0)], None)?;
        match answer.status {
            200 | 202 | 204 => {
                self.rewrite_recent(&item.href, Some(None));
                Ok(())
            }
            404 | 410 | 412 => {
                self.rewrite_recent(&item.href, None);
                Err(StoreError::Conflict)
            }
            _ => Err(self.refused("DELETE", &item.href, &answer)),
        }
    }
}

impl CalDavStore {
    fn remember_nothing_about(&self, uid: &str) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.retain(|kept| kept.uid != uid);
        }
    }
}

/// The `Content-Type` of a request body.
fn content_type(method: &str) -> &'static str {
    if method == "PUT" {
        "text/calendar; charset=utf-8"
    } else {
        "application/xml; charset=utf-8"
    }
}

/// The password as configured: written in the file, or the first line of
/// the password file.
fn read_password(password: Option<&CalDavPassword>) -> Result<String, String> {
    match password {
        None => Ok(String::new()),
        Some(CalDavPassword::Inline(password)) => Ok(password.clone()),
        Some(CalDavPassword::File(path)) => {
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .and_then(|file| {
                    std::io::Read::read_to_end(
                        &mut std::io::Read::take(file, MAX_PASSWORD_FILE),
                        &mut bytes,
                    )
                })
                .map_err(|error| {
                    format!("{}: cannot read the password file: {error}", path.display())
                })?;
            let text = String::from_utf8_lossy(&bytes);
            Ok(text.lines().next().unwrap_or("").to_owned())
        }
    }
}

/// `text` without `prefix`, compared ASCII case-insensitively (scheme and
/// host are case-insensitive).
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// A path with the escapes of characters a path may carry as they are
/// decoded (Radicale writes `@` as `%40`), so that one resource has one
/// spelling; other escapes are kept (upper-cased).
fn normalize_path(path: &str) -> String {
    path.split('/')
        .map(normalize_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Characters a path segment holds as they are (RFC 3986 `pchar` without
/// its escapes): unreserved, sub-delims, ':' and '@'.
const PCHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Characters a calendar name keeps in its segment: the unreserved ones.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// [`PCHAR`] and the escapes' `%`: what a segment written as it should be
/// holds.
const PCHAR_OR_ESCAPE: &AsciiSet = &PCHAR.remove(b'%');

/// One segment in the form [`normalize_path`] compares: escapes of
/// characters a segment may hold decoded, other escapes upper-cased. A
/// segment that holds a character no segment may (a space, non-ASCII:
/// the request's URL check refuses it) or a `%` that starts no escape is
/// kept as written.
fn normalize_segment(segment: &str) -> String {
    let well_formed = Cow::from(utf8_percent_encode(segment, PCHAR_OR_ESCAPE)) == segment
        && segment.match_indices('%').all(|(at, _)| {
            segment
                .get(at.saturating_add(1)..at.saturating_add(3))
                .is_some_and(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
        });
    if !well_formed {
        return segment.to_owned();
    }
    let bytes: Vec<u8> = percent_decode_str(segment).collect();
    percent_encode(&bytes, PCHAR).to_string()
}

/// A calendar name as one URL path segment: unreserved characters as they
/// are, everything else percent-encoded.
fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, UNRESERVED).to_string()
}

/// A URL path segment with its percent-escapes decoded (a malformed escape
/// is kept as written).
fn decode_segment(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_encode_and_decode() {
        assert_eq!(encode_segment("work cal/ü"), "work%20cal%2F%C3%BC");
        assert_eq!(decode_segment("work%20cal%2F%C3%BC"), "work cal/ü");
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz%4"), "%zz%4");
        assert_eq!(normalize_path("/jane/cal/a%40b.ics"), "/jane/cal/a@b.ics");
        assert_eq!(
            normalize_path("/jane/my%2fcal/%e2%82%ac"),
            "/jane/my%2Fcal/%E2%82%AC"
        );
        assert_eq!(normalize_path("/a%2"), "/a%2");
    }

    #[test]
    fn hrefs_stay_on_the_server_and_in_the_calendar() {
        let settings = CalDavSettings {
            calendars: vec!["work".to_owned()],
            ..CalDavSettings::new("http://127.0.0.1:9/jane/")
        };
        let store = CalDavStore::open(&settings, &CalendarLimits::default())
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(store.round_trips(), 0, "named calendars need no PROPFIND");
        let within = "/jane/work/";
        assert_eq!(
            store.resolve("/jane/work/a.ics", within).as_deref(),
            Some("/jane/work/a.ics")
        );
        assert_eq!(
            store
                .resolve("HTTP://127.0.0.1:9/jane/work/a.ics", within)
                .as_deref(),
            Some("/jane/work/a.ics")
        );
        assert_eq!(
            store.resolve("a.ics", within).as_deref(),
            Some("/jane/work/a.ics")
        );
        assert_eq!(
            store.resolve("/jane/work/a%40x.ics", within).as_deref(),
            Some("/jane/work/a@x.ics")
        );
        // An encoded dot-dot is still a dot-dot.
        assert_eq!(store.resolve("/jane/work/%2e%2e/other/a.ics", within), None);
        for hostile in [
            "http://evil.example/jane/work/a.ics",
            "/jane/other/a.ics",
            "/jane/work/../other/a.ics",
            "/jane/work/a b.ics",
            "mailto:x@y",
        ] {
            assert_eq!(store.resolve(hostile, within), None, "{hostile}");
        }
    }
}
