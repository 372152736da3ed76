//! Calendar user addresses (ORGANIZER, ATTENDEE, SENT-BY, DELEGATED-*) in
//! the form the validation compares them.

use std::fmt;

/// A calendar user address as the validation compares it: `mailto:` removed
/// (any case), display name and quotes removed, domain lower-cased. The
/// local part is kept as written; comparisons ignore case on the whole
/// address ([`CalAddress::eq_ignore_case`]).
///
/// Addresses that are not `mailto:` URIs (`urn:uuid:...`, `invalid:nomail`)
/// are kept whole, since some producers write them for resources.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalAddress(String);

const MAILTO: &str = "mailto:";

impl CalAddress {
    /// Normalise an address as written in a property value, a parameter or a
    /// mail header (`mailto:Jane@Example.COM`, `"Jane" <jane@example.com>`).
    /// `None` when nothing is left once the decoration is removed.
    pub fn parse(value: &str) -> Option<CalAddress> {
        let mut text = strip_quotes(value.trim());
        // A display form keeps the address between the last angle brackets.
        if let Some((_, bracketed)) = text.rsplit_once('<') {
            if let Some((inside, _)) = bracketed.split_once('>') {
                text = strip_quotes(inside.trim());
            }
        }
        let has_scheme = text
            .get(..MAILTO.len())
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case(MAILTO));
        if has_scheme {
            text = text.get(MAILTO.len()..).unwrap_or_default().trim();
        }
        if text.is_empty() {
            return None;
        }
        let normalised = match text.rsplit_once('@') {
            Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
            None => text.to_owned(),
        };
        Some(CalAddress(normalised))
    }

    /// The normalised address text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other`, normalised the same way as [`CalAddress::parse`]
    /// (so `mailto:` and display names may be present), is this address,
    /// ignoring case on the whole address.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        CalAddress::parse(other).is_some_and(|other| self.matches(&other))
    }

    /// Whether two normalised addresses are the same, ignoring case.
    pub fn matches(&self, other: &CalAddress) -> bool {
        if self.0.is_ascii() && other.0.is_ascii() {
            return self.0.eq_ignore_ascii_case(&other.0);
        }
        self.0
            .chars()
            .flat_map(char::to_lowercase)
            .eq(other.0.chars().flat_map(char::to_lowercase))
    }
}

impl fmt::Display for CalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn strip_quotes(text: &str) -> &str {
    text.trim_matches('"').trim()
}

#[cfg(test)]
mod tests {
    use super::CalAddress;

    fn parsed(value: &str) -> Option<String> {
        CalAddress::parse(value).map(|address| address.as_str().to_owned())
    }

    #[test]
    fn mailto_removed_in_any_case_and_domain_lower_cased() {
        assert_eq!(
            parsed("MAILTO:Jane.Doe@Example.COM").as_deref(),
            Some("Jane.Doe@example.com")
        );
        assert_eq!(
            parsed("mailto:jane@example.com").as_deref(),
            Some("jane@example.com")
        );
    }

    #[test]
    fn display_names_and_quotes_removed() {
        assert_eq!(
            parsed("\"Doe, Jane\" <mailto:jane@Example.com>").as_deref(),
            Some("jane@example.com")
        );
        assert_eq!(
            parsed("\"mailto:bob@example.org\"").as_deref(),
            Some("bob@example.org")
        );
        assert_eq!(
            parsed("<bob@example.org>").as_deref(),
            Some("bob@example.org")
        );
    }

    #[test]
    fn other_schemes_kept_whole() {
        assert_eq!(
            parsed("urn:uuid:1234-ABCD").as_deref(),
            Some("urn:uuid:1234-ABCD")
        );
    }

    #[test]
    fn empty_addresses_are_none() {
        assert_eq!(parsed(""), None);
        assert_eq!(parsed("mailto:"), None);
        assert_eq!(parsed("  \"\" "), None);
        assert_eq!(parsed("Name <>"), None);
    }

    #[test]
    fn comparison_ignores_case_and_decoration() {
        let address = CalAddress::parse("mailto:Jane@example.com");
        assert!(address
            .as_ref()
            .is_some_and(|a| a.eq_ignore_case("JANE@EXAMPLE.COM")));
        assert!(address
            .as_ref()
            .is_some_and(|a| a.eq_ignore_case("Jane Doe <mailto:jane@Example.com>")));
        assert!(!address
            .as_ref()
            .is_some_and(|a| a.eq_ignore_case("jane@example.org")));
        assert!(!address.as_ref().is_some_and(|a| a.eq_ignore_case("")));
    }

    #[test]
    fn comparison_folds_non_ascii_case() {
        let address = CalAddress::parse("mailto:Ärger@Exämple.com");
        assert_eq!(
            address.as_ref().map(CalAddress::as_str),
            Some("Ärger@exämple.com")
        );
        assert!(address
            .as_ref()
            .is_some_and(|a| a.eq_ignore_case("ärger@EXÄMPLE.com")));
    }
}
