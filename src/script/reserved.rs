//! The reserved environment items the lowering reads and the engine fills,
//! and the guard that keeps scripts from naming them.
//!
//! Every name starts with [`RESERVED_STEM`] followed by 16 hex digits drawn
//! once per process from the standard library's randomly seeded hasher, so a
//! script can neither spell a reserved name nor build it at run time. On top
//! of that, a script whose text names the stem at all, in any spelling
//! sieve-rs would decode, is rejected before it reaches sieve-rs.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use super::item::Item;

/// The common stem of every reserved name (lower case: sieve-rs lower-cases
/// environment names).
pub const RESERVED_STEM: &str = "vnd.sieve-imip";

/// Names of the reserved environment items the lowering reads and the
/// engine fills before a run.
#[derive(Debug)]
pub struct ReservedNames {
    values: Vec<String>,
    slots: Vec<Vec<String>>,
    counts: Vec<String>,
    /// The first mailbox id of a lowered `processcalendar` call.
    process_call: String,
    /// The environment items a `processcalendar` call leaves its outcome
    /// and reason in, for the `set` commands after it.
    process_outcome: String,
    process_reason: String,
}

impl ReservedNames {
    /// The names used by this process; the random part is drawn on first use.
    pub fn global() -> &'static ReservedNames {
        static NAMES: OnceLock<ReservedNames> = OnceLock::new();
        NAMES.get_or_init(|| ReservedNames::with_secret(RandomState::new().hash_one(RESERVED_STEM)))
    }

    fn with_secret(secret: u64) -> ReservedNames {
        let prefix = format!("{RESERVED_STEM}.{secret:016x}");
        let values = Item::ALL
            .iter()
            .map(|item| format!("{prefix}.{}", item.tag()))
            .collect::<Vec<_>>();
        let slots = Item::ALL
            .iter()
            .zip(&values)
            .map(|(item, value)| {
                if item.slots() == 1 {
                    vec![value.clone()]
                } else {
                    (1..=item.slots()).map(|n| format!("{value}.{n}")).collect()
                }
            })
            .collect();
        let counts = values
            .iter()
            .map(|value| format!("{value}.count"))
            .collect();
        ReservedNames {
            values,
            slots,
            counts,
            process_call: format!("{prefix}.processcalendar"),
            process_outcome: format!("{prefix}.outcome"),
            process_reason: format!("{prefix}.reason"),
        }
    }

    /// The stem of the first mailbox id a lowered `processcalendar` passes
    /// to `mailboxidexists` (its flags and argument counts follow it).
    pub fn process_call(&self) -> &str {
        &self.process_call
    }

    /// The environment item holding the last `processcalendar` outcome.
    pub fn process_outcome(&self) -> &str {
        &self.process_outcome
    }

    /// The environment item holding the last `processcalendar` reason.
    pub fn process_reason(&self) -> &str {
        &self.process_reason
    }

    /// The name holding a single-valued item (`:method`, `:risk`, and the
    /// flags `:present` and `:suspicious`, which hold "1" or nothing).
    /// For a multi-valued item this is the stem its slot names extend.
    #[cfg(test)]
    pub fn value(&self, item: Item) -> String {
        self.value_name(item).to_owned()
    }

    /// [`ReservedNames::value`] without an allocation.
    pub fn value_name(&self, item: Item) -> &str {
        self.values.get(index(item)).map_or("", String::as_str)
    }

    /// The name of slot `n` (1-based, `1..=item.slots()`) of an item; slot 1
    /// of a single-valued item is its [`ReservedNames::value`]. An `n` out of
    /// range gives a name nothing reads.
    #[cfg(test)]
    pub fn slot(&self, item: Item, n: usize) -> String {
        match self.slot_name(item, n) {
            Some(name) => name.to_owned(),
            None => format!("{}.{n}", self.value_name(item)),
        }
    }

    /// [`ReservedNames::slot`] without an allocation; `None` when `n` is out
    /// of range.
    pub fn slot_name(&self, item: Item, n: usize) -> Option<&str> {
        let slots = self.slots.get(index(item))?;
        slots.get(n.checked_sub(1)?).map(String::as_str)
    }

    /// The name holding the number of values of an item, which `:count`
    /// compares.
    #[cfg(test)]
    pub fn count(&self, item: Item) -> String {
        self.count_name(item).to_owned()
    }

    /// [`ReservedNames::count`] without an allocation.
    pub fn count_name(&self, item: Item) -> &str {
        self.counts.get(index(item)).map_or("", String::as_str)
    }
}

fn index(item: Item) -> usize {
    Item::ALL
        .iter()
        .position(|candidate| *candidate == item)
        .unwrap_or(0)
}

/// Byte offset, in the author's script, of the first spelling of
/// [`RESERVED_STEM`]: raw (any case), after sieve-rs's backslash escapes,
/// and after RFC 5228 encoded characters (`${hex:..}`, `${unicode:..}`).
///
/// The check runs on the whole text rather than on string tokens so that it
/// holds whatever a lexer, ours or sieve-rs's, decides is a string.
pub(crate) fn find_reserved_stem(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    // Only escapes and encoded characters can hide the stem; most scripts
    // have neither, and the check runs on every compile. Dropping escapes
    // never hides a stem written plainly, so with escapes one pass does.
    let has_escape = bytes.contains(&b'\\');
    if !has_escape {
        if let Some(found) = find_stem(bytes) {
            return Some(found);
        }
        if !has_encoded_character(bytes) {
            return None;
        }
    }
    // A first pass without origins; only a hit pays for finding where.
    if find_decoded_stem(bytes, false).is_some() {
        return find_decoded_stem(bytes, true).flatten();
    }
    None
}

/// Looks for the stem after escapes, then after encoded characters, then
/// after Unicode lower-casing. `Some(None)` is a hit whose origin was not
/// tracked.
fn find_decoded_stem(bytes: &[u8], track: bool) -> Option<Option<usize>> {
    let unescaped = unescape(bytes, track);
    if let Some(found) = find_stem(&unescaped.bytes) {
        return Some(unescaped.origin(found));
    }
    if !has_encoded_character(&unescaped.bytes) {
        return None;
    }
    let decoded = decode_encoded_characters(&unescaped, track);
    if let Some(found) = find_stem(&decoded.bytes) {
        return Some(decoded.origin(found));
    }
    if !decoded.bytes.is_ascii() {
        // Unicode lower-casing (what sieve-rs applies to environment names)
        // maps a few non-ASCII letters onto ASCII ones.
        let folded = String::from_utf8_lossy(&decoded.bytes).to_lowercase();
        if find_stem(folded.as_bytes()).is_some() {
            let first_non_ascii = decoded.bytes.iter().position(|byte| !byte.is_ascii());
            return Some(first_non_ascii.and_then(|at| decoded.origin(at)));
        }
    }
    None
}

/// Whether the text may hold a `${hex:` or `${unicode:` encoded character
/// (any case, possibly with escapes inside, hence the loose test).
fn has_encoded_character(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|window| {
        matches!(window, [b'$', b'{', next] if matches!(next.to_ascii_lowercase(), b'h' | b'u' | b'\\'))
    })
}

fn find_stem(haystack: &[u8]) -> Option<usize> {
    let stem = RESERVED_STEM.as_bytes();
    let mut from = 0usize;
    // Each round moves `from` past a candidate, so the loop ends.
    loop {
        // `| 0x20` folds 'V' onto 'v' and maps no other byte there.
        let candidate = haystack
            .get(from..)?
            .iter()
            .position(|byte| byte | 0x20 == b'v')?;
        let at = from.checked_add(candidate)?;
        let window = at
            .checked_add(stem.len())
            .and_then(|end| haystack.get(at..end))?;
        if window.eq_ignore_ascii_case(stem) {
            return Some(at);
        }
        from = at.checked_add(1)?;
    }
}

/// Bytes after a decoding step, each with the offset in the author's script
/// it came from when tracked.
struct Decoded {
    bytes: Vec<u8>,
    origins: Option<Vec<usize>>,
}

impl Decoded {
    fn with_capacity(capacity: usize, track: bool) -> Decoded {
        Decoded {
            bytes: Vec::with_capacity(capacity),
            origins: track.then(|| Vec::with_capacity(capacity)),
        }
    }

    fn push(&mut self, byte: u8, origin: usize) {
        self.bytes.push(byte);
        if let Some(origins) = &mut self.origins {
            origins.push(origin);
        }
    }

    fn origin(&self, at: usize) -> Option<usize> {
        self.origins.as_ref()?.get(at).copied()
    }
}

/// Drops every escaping backslash the way a quoted string loses it.
fn unescape(bytes: &[u8], track: bool) -> Decoded {
    if !track {
        // Copies the runs between escapes whole: this pass runs on every
        // compile of a script holding a backslash.
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(backslash) = rest.iter().position(|byte| *byte == b'\\') {
            out.extend_from_slice(rest.get(..backslash).unwrap_or_default());
            let escaped_at = backslash.saturating_add(1);
            out.extend(rest.get(escaped_at).copied());
            rest = rest.get(escaped_at.saturating_add(1)..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        return Decoded {
            bytes: out,
            origins: None,
        };
    }
    let mut out = Decoded::with_capacity(bytes.len(), track);
    let mut escaped = false;
    for (offset, &byte) in bytes.iter().enumerate() {
        if byte == b'\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(byte, offset);
    }
    out
}

/// Replaces each well-formed `${hex:..}` / `${unicode:..}` with what it
/// encodes (RFC 5228 section 2.4.2.4); anything else stays as it is.
fn decode_encoded_characters(input: &Decoded, track: bool) -> Decoded {
    let bytes = &input.bytes;
    let mut out = Decoded::with_capacity(bytes.len(), track);
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let origin = input.origin(at).unwrap_or(0);
        if byte == b'$' {
            if let Some((decoded, consumed)) = bytes.get(at..).and_then(encoded_character) {
                for decoded_byte in decoded {
                    out.push(decoded_byte, origin);
                }
                at = at.saturating_add(consumed);
                continue;
            }
        }
        out.push(byte, origin);
        at = at.saturating_add(1);
    }
    out
}

/// Decodes one `${hex:..}` or `${unicode:..}` at the start of `bytes`,
/// giving the decoded bytes and how many input bytes it spans.
///
/// Reads only as far as the body's hex digits and blanks go, so scanning a
/// whole script stays linear.
pub(super) fn encoded_character(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let rest = bytes.strip_prefix(b"${")?;
    let starts_with = |prefix: &[u8]| {
        rest.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let (is_unicode, body_start) = if starts_with(b"hex:") {
        (false, 4)
    } else if starts_with(b"unicode:") {
        (true, 8)
    } else {
        return None;
    };
    let body = rest.get(body_start..)?;
    let body_len = body
        .iter()
        .position(|byte| !(byte.is_ascii_hexdigit() || byte.is_ascii_whitespace()))?;
    if body.get(body_len) != Some(&b'}') {
        return None;
    }
    let body = std::str::from_utf8(body.get(..body_len)?).ok()?;
    let mut decoded = Vec::new();
    for code in body.split_ascii_whitespace() {
        if is_unicode {
            let scalar = u32::from_str_radix(code, 16)
                .ok()
                .and_then(char::from_u32)?;
            let mut buffer = [0; 4];
            decoded.extend_from_slice(scalar.encode_utf8(&mut buffer).as_bytes());
        } else {
            decoded.push(u8::from_str_radix(code, 16).ok()?);
        }
    }
    if decoded.is_empty() {
        return None;
    }
    let consumed = 2usize
        .checked_add(body_start)?
        .checked_add(body_len)?
        .checked_add(1)?;
    Some((decoded, consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_and_share_a_random_prefix() {
        let names = ReservedNames::global();
        let method = names.value(Item::Method);
        assert!(method.starts_with("vnd.sieve-imip."));
        assert_eq!(method, method.to_lowercase());
        let random = method
            .strip_prefix("vnd.sieve-imip.")
            .and_then(|rest| rest.strip_suffix(".method"))
            .unwrap_or_default();
        assert_eq!(random.len(), 16);
        assert!(random.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert_eq!(names.slot(Item::Method, 1), method);
        assert_eq!(
            names.slot(Item::Reason, 14),
            format!("{}.14", names.value(Item::Reason))
        );
        assert_eq!(names.slot_name(Item::Reason, 15), None);
        assert_eq!(names.slot_name(Item::Reason, 0), None);
        assert_eq!(
            names.count(Item::Uid),
            format!("{}.count", names.value(Item::Uid))
        );
    }

    #[test]
    fn stem_is_found_in_every_spelling() {
        let spellings = [
            ("x \"VND.Sieve-IMIP.x\"", 3),
            ("x \"vnd\\.sieve\\-imip\"", 3),
            ("x \"${env.vnd.sieve-${hex:69}mip.x}\"", 3),
            ("x \"${hex: 76 6e 64}.sieve-imip\"", 3),
            ("x \"${UNICODE:76}nd.sieve-imip\"", 3),
            ("x \"${hex:5${hex:63}}vnd.sieve-imip\"", 3),
        ];
        for (text, _) in spellings {
            assert!(find_reserved_stem(text).is_some(), "{text}");
        }
        assert_eq!(find_reserved_stem("# vnd.sieve-imip"), Some(2));
        assert_eq!(find_reserved_stem("  \"${hex:76}nd.sieve-imip\""), Some(3));
        assert_eq!(find_reserved_stem("vnd.sieve-imap ${hex:zz}"), None);
    }
}
