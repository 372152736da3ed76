//! What the embedder decides about validation: weights, thresholds, limits,
//! the clock, the recipient, whom to trust and where the organizer's copies
//! live. Every field has a documented default so the `imip` test works with
//! no setup.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use super::lookup::CalendarLookup;
use super::relays::{is_domain_name, SchedulingRelays};
use super::store::CalendarStore;
use crate::calendar::{CalendarLimits, TimeZoneDefinition};
use crate::finding::Reason;
use crate::message::MimeLimits;
use crate::recurrence::{
    EvalOptions, RecurrenceLimits, RecurrenceThresholds, DEFAULT_HORIZON_DAYS,
};

/// Highest weight a reason can carry: one finding alone can make the risk
/// 100, never more.
pub const MAX_WEIGHT: u32 = 100;

/// Validation configuration. `Send + Sync`; build it once, share it.
///
/// ```
/// use sieve_imip::{Config, Reason};
///
/// let config = Config::builder()
///     .recipient("jane@example.com")
///     .trust_authserv_id("mx.example.com")
///     .weight(Reason::NotInvited, 30)
///     .build();
/// assert_eq!(config.weight(Reason::NotInvited), 30);
/// assert_eq!(config.suspicious_threshold, 50);
///
/// let from_file = Config::from_toml("suspicious_threshold = 60\n[weights]\nfar-future = 5\n")?;
/// assert_eq!(from_file.weight(Reason::FarFuture), 5);
/// # Ok::<(), sieve_imip::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    /// Weight of each finding's reason in the risk score (0..=100 each).
    pub weights: BTreeMap<Reason, u32>,
    /// Risk at or above which `imip :suspicious` is true. Default 50; above
    /// 100 it is never true.
    pub suspicious_threshold: u32,
    /// Limits on the calendar object (bytes, components, properties).
    pub calendar_limits: CalendarLimits,
    /// The clock: `None` reads the system clock at analysis time.
    pub now: Option<DateTime<Utc>>,
    /// The user's own addresses, for `not-invited`. When empty, the envelope
    /// recipient the embedder passes is used; with neither, the check is
    /// skipped. Default empty.
    pub recipients: Vec<String>,
    /// The authserv-ids of the receiving servers whose
    /// `Authentication-Results` are believed (compared case-insensitively).
    /// Default empty: nothing is trusted, so a forged header changes nothing.
    pub trusted_authserv_ids: Vec<String>,
    /// Report `unauthenticated-sender` also when no trusted result
    /// authenticates the From domain at all (no trusted header, or one
    /// without DKIM or DMARC results). Default false.
    pub flag_unauthenticated: bool,
    /// Providers' scheduling relays: From domains that send for ORGANIZERs
    /// on other domains of the same provider. Default: the built-in table
    /// ([`SchedulingRelays::default`], iCloud).
    pub scheduling_relays: SchedulingRelays,
    /// External lists (RFC 6134), by name: what the `:list` match type and
    /// `processcalendar :organizers` find in them, besides what the
    /// embedder's `Host` answers. A value is in a list when it equals
    /// an entry ASCII case-insensitively, a `mailto:` prefix on either side
    /// ignored. Default empty (`[lists]` in the file).
    pub lists: BTreeMap<String, Vec<String>>,
    /// The organizer's stored copies of events, for `party-crash` and the
    /// stored-copy side of `delegation-unverified`. Default none.
    pub lookup: Option<Arc<dyn CalendarLookup>>,
    /// The user's calendars `processcalendar` writes to (RFC 9671). Set
    /// through [`ConfigBuilder::store`], which also makes it the lookup the
    /// validation reads stored copies from. Default none: the action then
    /// does nothing (outcome `error`, the reason says there is no store).
    pub store: Option<Arc<dyn CalendarStore>>,
    /// The CalDAV server holding the user's calendars (`[caldav]` in the
    /// file). Read here, opened by whoever runs the deliveries (the CLI
    /// opens it into [`Config::store`]). Default none.
    pub caldav: Option<CalDavSettings>,
    /// What `processcalendar` may act on whatever a user's script asks:
    /// the administrator's decision. Default: nothing suspicious, no
    /// sender that fails its method's check.
    pub processing: ProcessingPolicy,
    /// Days after the analysis time in which recurrence instances are
    /// counted. Default 365.
    pub horizon_days: u32,
    /// More instances than this in the horizon is a `recurrence-flood`.
    /// Default 500.
    pub flood_instances: u64,
    /// More instances than this on one day is a `recurrence-flood`.
    /// Default 24.
    pub flood_per_day: u64,
    /// A first instance more than this many days after the message date is
    /// `far-future`. Default 180.
    pub far_future_days: i64,
    /// How many recurring series of one object are evaluated; the rest are
    /// skipped with a finding. Default 100.
    pub max_recurrence_series: usize,
    /// Deepest MIME nesting the walk follows; a part nested deeper is not
    /// examined (`oversized`). Default 32.
    pub max_mime_depth: usize,
    /// Most MIME entities the walk visits in one message, embedded messages
    /// included; the rest are not examined (`oversized`). Default 100,000.
    pub max_mime_parts: usize,
    /// Work units one calendar object may spend on all its recurrence sets
    /// and time zone rules together (a unit is roughly one year built or
    /// walked, one day or one sub-daily period enumerated); a series that
    /// runs out is `oversized`. Default 1,000,000.
    pub recurrence_work_budget: u64,
    /// RRULE lines of one component that are counted; more is `oversized`.
    /// Default 8.
    pub max_rrules_per_component: usize,
    /// RDATE values, and EXDATE values, of one component that are counted;
    /// more is `oversized`. Default 10,000 each.
    pub max_date_values: usize,
    /// Instances the union of several RRULEs of one component is walked
    /// through per count; more is `oversized`. Default 100,000.
    pub max_union_instances: usize,
    /// DELEGATED-FROM, and DELEGATED-TO, values of one attendee that are
    /// checked; more is `oversized`. Default 32 each.
    pub max_delegations_per_attendee: usize,
    /// Addresses of the From field (and of List-Post) that are compared;
    /// more is `oversized`. Default 16.
    pub max_from_addresses: usize,
    /// Other copies of the located object (in other parts) that are parsed
    /// and compared with it; more is `oversized`. Default 8.
    pub max_copies_compared: usize,
    /// Days the message's Date may be from the clock and still be the
    /// reference for `far-future`; further off, the clock is. Default 7.
    pub date_trust_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        // The recurrence limits are the evaluator's own defaults, written once.
        let thresholds = RecurrenceThresholds::default();
        let recurrence = RecurrenceLimits::default();
        let mime = MimeLimits::default();
        Config {
            weights: default_weights(),
            suspicious_threshold: 50,
            calendar_limits: CalendarLimits::default(),
            now: None,
            recipients: Vec::new(),
            trusted_authserv_ids: Vec::new(),
            flag_unauthenticated: false,
            scheduling_relays: SchedulingRelays::default(),
            lists: BTreeMap::new(),
            lookup: None,
            store: None,
            caldav: None,
            processing: ProcessingPolicy::default(),
            horizon_days: DEFAULT_HORIZON_DAYS,
            flood_instances: thresholds.flood_instances,
            flood_per_day: thresholds.flood_per_day,
            far_future_days: thresholds.far_future_days,
            max_recurrence_series: 100,
            max_mime_depth: mime.max_depth,
            max_mime_parts: mime.max_parts,
            recurrence_work_budget: recurrence.work_budget,
            max_rrules_per_component: recurrence.max_rrules_per_component,
            max_date_values: recurrence.max_date_values,
            max_union_instances: recurrence.max_union_instances,
            max_delegations_per_attendee: 32,
            max_from_addresses: 16,
            max_copies_compared: 8,
            date_trust_days: 7,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("weights", &self.weights)
            .field("suspicious_threshold", &self.suspicious_threshold)
            .field("calendar_limits", &self.calendar_limits)
            .field("now", &self.now)
            .field("recipients", &self.recipients)
            .field("trusted_authserv_ids", &self.trusted_authserv_ids)
            .field("flag_unauthenticated", &self.flag_unauthenticated)
            .field("scheduling_relays", &self.scheduling_relays)
            .field("lists", &self.lists)
            .field("lookup", &self.lookup.as_ref().map(|_| "CalendarLookup"))
            .field("store", &self.store.as_ref().map(|_| "CalendarStore"))
            .field("caldav", &self.caldav)
            .field("processing", &self.processing)
            .field("horizon_days", &self.horizon_days)
            .field("flood_instances", &self.flood_instances)
            .field("flood_per_day", &self.flood_per_day)
            .field("far_future_days", &self.far_future_days)
            .field("max_recurrence_series", &self.max_recurrence_series)
            .field("max_mime_depth", &self.max_mime_depth)
            .field("max_mime_parts", &self.max_mime_parts)
            .field("recurrence_work_budget", &self.recurrence_work_budget)
            .field("max_rrules_per_component", &self.max_rrules_per_component)
            .field("max_date_values", &self.max_date_values)
            .field("max_union_instances", &self.max_union_instances)
            .field(
                "max_delegations_per_attendee",
                &self.max_delegations_per_attendee,
            )
            .field("max_from_addresses", &self.max_from_addresses)
            .field("max_copies_compared", &self.max_copies_compared)
            .field("date_trust_days", &self.date_trust_days)
            .finish()
    }
}

/// What `processcalendar` (RFC 9671) may act on, set by the administrator
/// (the configuration file's `[processcalendar]` table), never by a user's
/// script: the validation gates the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingPolicy {
    /// Act on a message the analysis finds suspicious (its risk reached
    /// `suspicious_threshold`). Default false: such a message gets outcome
    /// `no_action`, the reason listing the findings.
    pub act_on_suspicious: bool,
    /// Act on a message whose sender fails its method's check: From is not
    /// the ORGANIZER (or its SENT-BY) of a REQUEST, ADD, CANCEL or PUBLISH
    /// (`organizer-mismatch`), not the replying ATTENDEE of a REPLY
    /// (`attendee-mismatch`), or cannot be checked (`sender-unverifiable`),
    /// whatever the risk. Default false.
    pub act_on_unverified_sender: bool,
    /// How many times a write that lost a race with another delivery
    /// (the store reports a conflict) is retried, each time on the item
    /// read again after a short random wait. Default 10; after that the
    /// outcome is `error`.
    pub conflict_retries: u32,
}

impl Default for ProcessingPolicy {
    fn default() -> Self {
        ProcessingPolicy {
            act_on_suspicious: false,
            act_on_unverified_sender: false,
            conflict_retries: 10,
        }
    }
}

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// The weight of `reason` (0 when the configuration leaves it out).
    pub fn weight(&self, reason: Reason) -> u32 {
        self.weights.get(&reason).copied().unwrap_or(0)
    }

    /// The analysis time: the configured clock or the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// The recurrence evaluator's clock and horizon, with the object's zones.
    pub(crate) fn eval_options<'z>(&self, timezones: &'z [TimeZoneDefinition]) -> EvalOptions<'z> {
        EvalOptions {
            now: self.now(),
            horizon: chrono::Duration::days(i64::from(self.horizon_days)),
            timezones,
            limits: self.recurrence_limits(),
        }
    }

    /// The limits on each recurrence set and on the object's recurrence work.
    pub(crate) fn recurrence_limits(&self) -> RecurrenceLimits {
        RecurrenceLimits {
            work_budget: self.recurrence_work_budget,
            max_rrules_per_component: self.max_rrules_per_component,
            max_date_values: self.max_date_values,
            max_union_instances: self.max_union_instances,
        }
    }

    /// How far the MIME walk goes.
    pub(crate) fn mime_limits(&self) -> MimeLimits {
        MimeLimits {
            max_depth: self.max_mime_depth,
            max_parts: self.max_mime_parts,
        }
    }

    /// The limits above which a recurrence is reported.
    pub(crate) fn recurrence_thresholds(&self) -> RecurrenceThresholds {
        RecurrenceThresholds {
            flood_instances: self.flood_instances,
            flood_per_day: self.flood_per_day,
            far_future_days: self.far_future_days,
        }
    }

    /// Whether Authentication-Results from `authserv_id` are believed.
    pub fn trusts_authserv_id(&self, authserv_id: &str) -> bool {
        !authserv_id.is_empty()
            && self
                .trusted_authserv_ids
                .iter()
                .any(|trusted| trusted.trim().eq_ignore_ascii_case(authserv_id))
    }

    /// Read a configuration file. Every key is optional (missing ones keep
    /// their defaults); an unknown key, an unknown reason name under
    /// `[weights]` or a value of the wrong type or range is an error naming
    /// the key and its line.
    ///
    /// ```toml
    /// suspicious_threshold = 50
    /// recipients = ["jane@example.com", "j.doe@example.com"]
    /// trusted_authserv_ids = ["mx.example.com"]
    /// flag_unauthenticated = false
    /// now = 2025-01-15T09:00:00Z        # fixed clock; omit for the system clock
    /// horizon_days = 365
    /// flood_instances = 500
    /// flood_per_day = 24
    /// far_future_days = 180
    /// max_recurrence_series = 100
    /// max_mime_depth = 32
    /// max_mime_parts = 100000
    /// recurrence_work_budget = 1000000
    /// max_rrules_per_component = 8
    /// max_date_values = 10000
    /// max_union_instances = 100000
    /// max_delegations_per_attendee = 32
    /// max_from_addresses = 16
    /// max_copies_compared = 8
    /// date_trust_days = 7
    ///
    /// [weights]
    /// organizer-mismatch = 40
    ///
    /// [lists]                           # external lists (RFC 6134): :list, processcalendar :organizers
    /// "tag:example.com,2026:organizers" = ["alice@example.com"]
    ///
    /// [scheduling_relays]               # replaces the built-in table
    /// "insideicloud.icloud.com" = ["imip.me.com"]
    ///
    /// [calendar_limits]
    /// max_bytes = 1048576
    /// max_components = 1000
    /// max_properties = 10000
    /// max_nesting = 8
    ///
    /// [caldav]                          # the user's calendars on a CalDAV server
    /// url = "https://dav.example.com/jane/"   # the calendar home (a collection of calendars)
    /// user = "jane"
    /// password_file = "/etc/sieve-imip/jane.password"   # or password = "..."
    /// calendars = ["personal"]          # default: every calendar of the home (one PROPFIND)
    /// default_calendar = "personal"     # default: the first in name order
    /// required = false                  # true: deliver defers (75) while the server fails
    /// timeout_seconds = 30
    /// max_response_bytes = 16777216
    ///
    /// [processcalendar]                 # what the action may act on
    /// act_on_suspicious = false
    /// act_on_unverified_sender = false
    /// conflict_retries = 10
    /// ```
    ///
    /// The calendar lookup is not read from the file: it is code the
    /// embedder provides (the CLI builds one from `--calendar DIR`, or opens
    /// the `[caldav]` server).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        // Parsed twice: the first pass tells a text that is not TOML apart
        // from a value of the wrong type, which the TOML error alone does not.
        if let Err(error) = text.parse::<toml::Table>() {
            return Err(ConfigError::Syntax {
                line: error.span().map(|span| line_of(text, &span)).unwrap_or(1),
                message: error.message().trim().to_owned(),
            });
        }
        let file: ConfigFile =
            toml::from_str(text).map_err(|error| ConfigError::from_toml(text, &error))?;
        file.apply(text, Config::default())
    }
}

impl Config {
    /// Whether one of `lists` (by name) of [`Config::lists`] holds one of
    /// `values`.
    pub fn list_contains(&self, lists: &[String], values: &[String]) -> bool {
        let bare = |text: &str| {
            let text = text.trim();
            match text.get(..7) {
                Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => {
                    text.get(7..).unwrap_or("").to_owned()
                }
                _ => text.to_owned(),
            }
        };
        lists
            .iter()
            .filter_map(|name| self.lists.get(name))
            .flatten()
            .any(|entry| {
                let entry = bare(entry);
                values
                    .iter()
                    .any(|value| bare(value).eq_ignore_ascii_case(&entry))
            })
    }
}

/// The most retries `[processcalendar] conflict_retries` may ask for: each
/// one reads and writes the item again.
pub const MAX_CONFLICT_RETRIES: u32 = 100;

/// Builds a [`Config`] from the defaults, one setting at a time.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    /// What `processcalendar` may act on (the `[processcalendar]` table).
    pub fn processing(mut self, policy: ProcessingPolicy) -> Self {
        self.config.processing = policy;
        self
    }

    /// Set the weight of one reason; above [`MAX_WEIGHT`] it is held at it.
    pub fn weight(mut self, reason: Reason, weight: u32) -> Self {
        self.config.weights.insert(reason, weight.min(MAX_WEIGHT));
        self
    }

    /// Risk at or above which the message is suspicious.
    pub fn suspicious_threshold(mut self, threshold: u32) -> Self {
        self.config.suspicious_threshold = threshold;
        self
    }

    /// Limits on the calendar object.
    pub fn calendar_limits(mut self, limits: CalendarLimits) -> Self {
        self.config.calendar_limits = limits;
        self
    }

    /// A fixed analysis time instead of the system clock.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.config.now = Some(now);
        self
    }

    /// Add one of the user's addresses.
    pub fn recipient(mut self, address: impl Into<String>) -> Self {
        self.config.recipients.push(address.into());
        self
    }

    /// Add several of the user's addresses.
    pub fn recipients<I, S>(mut self, addresses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config
            .recipients
            .extend(addresses.into_iter().map(Into::into));
        self
    }

    /// Believe Authentication-Results written by this authserv-id.
    pub fn trust_authserv_id(mut self, authserv_id: impl Into<String>) -> Self {
        self.config.trusted_authserv_ids.push(authserv_id.into());
        self
    }

    /// Also flag mail that nothing trusted authenticates.
    pub fn flag_unauthenticated(mut self, flag: bool) -> Self {
        self.config.flag_unauthenticated = flag;
        self
    }

    /// Let mail from `from_domain` send for ORGANIZERs at
    /// `organizer_domains` (added to the table, the built-in pairs kept).
    pub fn scheduling_relay<I, S>(mut self, from_domain: &str, organizer_domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.config
            .scheduling_relays
            .insert(from_domain, organizer_domains);
        self
    }

    /// Replace the scheduling relay table ([`SchedulingRelays::none`] for
    /// none at all).
    pub fn scheduling_relays(mut self, relays: SchedulingRelays) -> Self {
        self.config.scheduling_relays = relays;
        self
    }

    /// An external list (RFC 6134) named `name` holding `values`
    /// (replacing a list of that name).
    pub fn list<I, S>(mut self, name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.lists.insert(
            name.to_owned(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// The organizer's stored copies of events.
    pub fn lookup(mut self, lookup: Arc<dyn CalendarLookup>) -> Self {
        self.config.lookup = Some(lookup);
        self
    }

    /// The user's calendars, which `processcalendar` writes to and the
    /// validation reads stored copies from (it replaces any `lookup`).
    pub fn store(mut self, store: Arc<dyn CalendarStore>) -> Self {
        let lookup: Arc<dyn CalendarLookup> = store.clone();
        self.config.lookup = Some(lookup);
        self.config.store = Some(store);
        self
    }

    /// Days in which recurrence instances are counted.
    pub fn horizon_days(mut self, days: u32) -> Self {
        self.config.horizon_days = days;
        self
    }

    /// Instances in the horizon above which a series is a flood.
    pub fn flood_instances(mut self, instances: u64) -> Self {
        self.config.flood_instances = instances;
        self
    }

    /// Instances on one day above which a series is a flood.
    pub fn flood_per_day(mut self, instances: u64) -> Self {
        self.config.flood_per_day = instances;
        self
    }

    /// Days after the message date beyond which a first instance is far.
    pub fn far_future_days(mut self, days: i64) -> Self {
        self.config.far_future_days = days;
        self
    }

    /// How many recurring series of one object are evaluated.
    pub fn max_recurrence_series(mut self, series: usize) -> Self {
        self.config.max_recurrence_series = series;
        self
    }

    /// Deepest MIME nesting followed.
    pub fn max_mime_depth(mut self, levels: usize) -> Self {
        self.config.max_mime_depth = levels;
        self
    }

    /// Most MIME entities visited in one message.
    pub fn max_mime_parts(mut self, parts: usize) -> Self {
        self.config.max_mime_parts = parts;
        self
    }

    /// Recurrence work units one calendar object may spend.
    pub fn recurrence_work_budget(mut self, units: u64) -> Self {
        self.config.recurrence_work_budget = units;
        self
    }

    /// RRULE lines of one component that are counted.
    pub fn max_rrules_per_component(mut self, rules: usize) -> Self {
        self.config.max_rrules_per_component = rules;
        self
    }

    /// RDATE values, and EXDATE values, of one component that are counted.
    pub fn max_date_values(mut self, values: usize) -> Self {
        self.config.max_date_values = values;
        self
    }

    /// Instances the union of several RRULEs is walked through per count.
    pub fn max_union_instances(mut self, instances: usize) -> Self {
        self.config.max_union_instances = instances;
        self
    }

    /// Delegations of each kind checked per attendee.
    pub fn max_delegations_per_attendee(mut self, delegations: usize) -> Self {
        self.config.max_delegations_per_attendee = delegations;
        self
    }

    /// From (and List-Post) addresses compared.
    pub fn max_from_addresses(mut self, addresses: usize) -> Self {
        self.config.max_from_addresses = addresses;
        self
    }

    /// Other copies of the object compared with it.
    pub fn max_copies_compared(mut self, copies: usize) -> Self {
        self.config.max_copies_compared = copies;
        self
    }

    /// Days the message's Date may be from the clock and still be trusted.
    pub fn date_trust_days(mut self, days: u32) -> Self {
        self.config.date_trust_days = days;
        self
    }

    /// The configuration.
    pub fn build(self) -> Config {
        self.config
    }
}

/// Why a configuration file was refused. Lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not TOML.
    #[error("line {line}: {message}")]
    Syntax {
        /// Where the TOML parser stopped.
        line: usize,
        /// The TOML parser's explanation.
        message: String,
    },
    /// A key the configuration does not have (a typo, or a key of another
    /// version).
    #[error("line {line}: unknown key `{key}`")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Its line.
        line: usize,
    },
    /// A key under `[weights]` that is not a reason name.
    #[error("line {line}: `{name}` is not a reason name (expected one of {expected})")]
    UnknownReason {
        /// The name as written.
        name: String,
        /// Its line.
        line: usize,
        /// The reason names, for the message.
        expected: String,
    },
    /// A value of the wrong type or out of range.
    #[error("line {line}: `{key}`: {message}")]
    InvalidValue {
        /// The key whose value was refused.
        key: String,
        /// The value's line.
        line: usize,
        /// What was expected.
        message: String,
    },
}

impl ConfigError {
    fn from_toml(text: &str, error: &toml::de::Error) -> ConfigError {
        let line = error.span().map(|span| line_of(text, &span)).unwrap_or(1);
        let message = error.message().trim().to_owned();
        // serde words an unknown field as "unknown field `name`, expected ...".
        if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some((key, _)) = rest.split_once('`') {
                return ConfigError::UnknownKey {
                    key: key.to_owned(),
                    line,
                };
            }
        }
        match error.span().and_then(|span| key_before(text, &span)) {
            Some(key) => ConfigError::InvalidValue { key, line, message },
            None => ConfigError::Syntax { line, message },
        }
    }
}

/// The 1-based line on which `span` starts.
fn line_of(text: &str, span: &Range<usize>) -> usize {
    let before = text.get(..span.start).unwrap_or(text);
    before.matches('\n').count().saturating_add(1)
}

/// The key of a `key = value` line when `span` points into its value, so a
/// type error can name the key.
fn key_before(text: &str, span: &Range<usize>) -> Option<String> {
    let before = text.get(..span.start)?;
    let line_start = before.rfind('\n').map_or(0, |at| at.saturating_add(1));
    let (key, _) = before.get(line_start..)?.split_once('=')?;
    let key = key.trim().trim_matches('"').trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// The file as written: every field optional, spans kept for messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    weights: Option<BTreeMap<Spanned<String>, Spanned<i64>>>,
    suspicious_threshold: Option<Spanned<i64>>,
    calendar_limits: Option<LimitsFile>,
    now: Option<Spanned<toml::Value>>,
    recipients: Option<Vec<String>>,
    trusted_authserv_ids: Option<Vec<String>>,
    flag_unauthenticated: Option<bool>,
    scheduling_relays: Option<BTreeMap<Spanned<String>, Spanned<Vec<String>>>>,
    lists: Option<BTreeMap<String, Vec<String>>>,
    processcalendar: Option<ProcessingFile>,
    horizon_days: Option<Spanned<i64>>,
    flood_instances: Option<Spanned<i64>>,
    flood_per_day: Option<Spanned<i64>>,
    far_future_days: Option<Spanned<i64>>,
    max_recurrence_series: Option<Spanned<i64>>,
    caldav: Option<Spanned<CalDavFile>>,
    max_mime_depth: Option<Spanned<i64>>,
    max_mime_parts: Option<Spanned<i64>>,
    recurrence_work_budget: Option<Spanned<i64>>,
    max_rrules_per_component: Option<Spanned<i64>>,
    max_date_values: Option<Spanned<i64>>,
    max_union_instances: Option<Spanned<i64>>,
    max_delegations_per_attendee: Option<Spanned<i64>>,
    max_from_addresses: Option<Spanned<i64>>,
    max_copies_compared: Option<Spanned<i64>>,
    date_trust_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalDavFile {
    url: Spanned<String>,
    user: Option<String>,
    password: Option<String>,
    password_file: Option<PathBuf>,
    calendars: Option<Vec<String>>,
    default_calendar: Option<String>,
    required: Option<bool>,
    timeout_seconds: Option<Spanned<i64>>,
    max_response_bytes: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessingFile {
    act_on_suspicious: Option<bool>,
    act_on_unverified_sender: Option<bool>,
    conflict_retries: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_bytes: Option<Spanned<i64>>,
    max_components: Option<Spanned<i64>>,
    max_properties: Option<Spanned<i64>>,
    max_nesting: Option<Spanned<i64>>,
}

impl ConfigFile {
    fn apply(self, text: &str, mut config: Config) -> Result<Config, ConfigError> {
        if let Some(weights) = self.weights {
            for (name, weight) in weights {
                let reason = Reason::from_name(name.get_ref()).ok_or_else(|| {
                    ConfigError::UnknownReason {
                        name: name.get_ref().clone(),
                        line: line_of(text, &name.span()),
                        expected: Reason::ALL.map(Reason::as_str).join(", "),
                    }
                })?;
                let weight = in_range(text, name.get_ref(), &weight, 0, i64::from(MAX_WEIGHT))?;
                config.weights.insert(reason, weight);
            }
        }
        if let Some(value) = self.suspicious_threshold {
            config.suspicious_threshold =
                in_range(text, "suspicious_threshold", &value, 0, i64::from(u32::MAX))?;
        }
        if let Some(limits) = self.calendar_limits {
            let target = &mut config.calendar_limits;
            set_count(text, "max_bytes", limits.max_bytes, &mut target.max_bytes)?;
            set_count(
                text,
                "max_components",
                limits.max_components,
                &mut target.max_components,
            )?;
            set_count(
                text,
                "max_properties",
                limits.max_properties,
                &mut target.max_properties,
            )?;
            set_count(
                text,
                "max_nesting",
                limits.max_nesting,
                &mut target.max_nesting,
            )?;
        }
        if let Some(now) = self.now {
            config.now = Some(parse_now(text, &now)?);
        }
        if let Some(recipients) = self.recipients {
            config.recipients = recipients;
        }
        if let Some(ids) = self.trusted_authserv_ids {
            config.trusted_authserv_ids = ids;
        }
        if let Some(flag) = self.flag_unauthenticated {
            config.flag_unauthenticated = flag;
        }
        if let Some(relays) = self.scheduling_relays {
            config.scheduling_relays = relay_table(text, relays)?;
        }
        if let Some(lists) = self.lists {
            config.lists = lists;
        }
        if let Some(processing) = self.processcalendar {
            let policy = &mut config.processing;
            if let Some(flag) = processing.act_on_suspicious {
                policy.act_on_suspicious = flag;
            }
            if let Some(flag) = processing.act_on_unverified_sender {
                policy.act_on_unverified_sender = flag;
            }
            if let Some(value) = processing.conflict_retries {
                policy.conflict_retries = in_range(
                    text,
                    "processcalendar.conflict_retries",
                    &value,
                    0,
                    i64::from(MAX_CONFLICT_RETRIES),
                )?;
            }
        }
        if let Some(value) = self.horizon_days {
            config.horizon_days = in_range(text, "horizon_days", &value, 0, i64::from(u32::MAX))?;
        }
        if let Some(value) = self.flood_instances {
            config.flood_instances = in_range(text, "flood_instances", &value, 0, i64::MAX)?;
        }
        if let Some(value) = self.flood_per_day {
            config.flood_per_day = in_range(text, "flood_per_day", &value, 0, i64::MAX)?;
        }
        if let Some(value) = self.far_future_days {
            config.far_future_days = in_range(text, "far_future_days", &value, 0, i64::MAX)?;
        }
        set_count(
            text,
            "max_recurrence_series",
            self.max_recurrence_series,
            &mut config.max_recurrence_series,
        )?;
        if let Some(caldav) = self.caldav {
            config.caldav = Some(caldav_settings(text, caldav)?);
        }
        let counts = [
            (
                "max_mime_depth",
                self.max_mime_depth,
                &mut config.max_mime_depth,
            ),
            (
                "max_mime_parts",
                self.max_mime_parts,
                &mut config.max_mime_parts,
            ),
            (
                "max_rrules_per_component",
                self.max_rrules_per_component,
                &mut config.max_rrules_per_component,
            ),
            (
                "max_date_values",
                self.max_date_values,
                &mut config.max_date_values,
            ),
            (
                "max_union_instances",
                self.max_union_instances,
                &mut config.max_union_instances,
            ),
            (
                "max_delegations_per_attendee",
                self.max_delegations_per_attendee,
                &mut config.max_delegations_per_attendee,
            ),
            (
                "max_from_addresses",
                self.max_from_addresses,
                &mut config.max_from_addresses,
            ),
            (
                "max_copies_compared",
                self.max_copies_compared,
                &mut config.max_copies_compared,
            ),
        ];
        for (key, value, target) in counts {
            set_count(text, key, value, target)?;
        }
        if let Some(value) = self.recurrence_work_budget {
            config.recurrence_work_budget =
                in_range(text, "recurrence_work_budget", &value, 0, i64::MAX)?;
        }
        if let Some(value) = self.date_trust_days {
            config.date_trust_days =
                in_range(text, "date_trust_days", &value, 0, i64::from(u32::MAX))?;
        }
        Ok(config)
    }
}

/// `[caldav]`: the URL must be http(s), and the password given one way.
fn caldav_settings(
    text: &str,
    written: Spanned<CalDavFile>,
) -> Result<CalDavSettings, ConfigError> {
    let span = written.span();
    let file = written.into_inner();
    let url = file.url.get_ref().trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ConfigError::InvalidValue {
            key: "caldav.url".to_owned(),
            line: line_of(text, &file.url.span()),
            message: "expected an http:// or https:// URL".to_owned(),
        });
    }
    let password = match (file.password, file.password_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::InvalidValue {
                key: "caldav.password".to_owned(),
                line: line_of(text, &span),
                message: "give password or password_file, not both".to_owned(),
            })
        }
        (Some(password), None) => Some(CalDavPassword::Inline(password)),
        (None, Some(path)) => Some(CalDavPassword::File(path)),
        (None, None) => None,
    };
    let mut settings = CalDavSettings::new(url);
    settings.user = file.user;
    settings.password = password;
    settings.calendars = file.calendars.unwrap_or_default();
    settings.default_calendar = file.default_calendar;
    settings.required = file.required.unwrap_or(false);
    if let Some(value) = file.timeout_seconds {
        settings.timeout_seconds = in_range(text, "caldav.timeout_seconds", &value, 1, 3600)?;
    }
    if let Some(value) = file.max_response_bytes {
        settings.max_response_bytes =
            in_range(text, "caldav.max_response_bytes", &value, 1024, i64::MAX)?;
    }
    Ok(settings)
}

/// Where the CalDAV store is and how to log in (`[caldav]` in the file).
#[derive(Clone, PartialEq, Eq)]
pub struct CalDavSettings {
    /// The calendar home: the collection holding the user's calendars
    /// (Radicale: `https://host/USER/`).
    pub url: String,
    /// User name for HTTP Basic authentication; none: no authentication.
    pub user: Option<String>,
    /// The password, written in the file or read from another file.
    pub password: Option<CalDavPassword>,
    /// The calendars to use, by name (the last segment of their URL under
    /// the home). Empty (default): every calendar the home lists, found
    /// with one PROPFIND when the store is opened.
    pub calendars: Vec<String>,
    /// The calendar new events go to; default the first in name order.
    pub default_calendar: Option<String>,
    /// Whether a delivery must wait (`deliver` exits 75, the MTA retries)
    /// while the server cannot be reached. Default false: the message is
    /// delivered and the failure logged.
    pub required: bool,
    /// Time allowed for one HTTP exchange, connecting included. Default 30.
    pub timeout_seconds: u64,
    /// Largest response body read (a multistatus of calendar data).
    /// Default 16 MiB; a larger answer is an error.
    pub max_response_bytes: u64,
}

/// Where the CalDAV password comes from. Never the command line.
#[derive(Clone, PartialEq, Eq)]
pub enum CalDavPassword {
    /// Written in the configuration file (`password`).
    Inline(String),
    /// The first line of this file (`password_file`; the CLI reads a
    /// relative path from the configuration file's folder).
    File(PathBuf),
}

impl CalDavSettings {
    /// Settings for the home at `url`, everything else at its default.
    pub fn new(url: impl Into<String>) -> CalDavSettings {
        CalDavSettings {
            url: url.into(),
            user: None,
            password: None,
            calendars: Vec::new(),
            default_calendar: None,
            required: false,
            timeout_seconds: 30,
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for CalDavPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password stays out of logs and panics.
        match self {
            CalDavPassword::Inline(_) => f.write_str("Inline(..)"),
            CalDavPassword::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl fmt::Debug for CalDavSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalDavSettings")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("calendars", &self.calendars)
            .field("default_calendar", &self.default_calendar)
            .field("required", &self.required)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// `[scheduling_relays]`: each key a From domain, each value the ORGANIZER
/// domains it sends for; the whole table replaces the built-in one.
fn relay_table(
    text: &str,
    written: BTreeMap<Spanned<String>, Spanned<Vec<String>>>,
) -> Result<SchedulingRelays, ConfigError> {
    let mut relays = SchedulingRelays::none();
    for (from_domain, organizer_domains) in written {
        let refused = |span: &Range<usize>, what: &str| ConfigError::InvalidValue {
            key: format!("scheduling_relays.{}", from_domain.get_ref()),
            line: line_of(text, span),
            message: format!("{what} is not a domain name"),
        };
        if !is_domain_name(from_domain.get_ref()) {
            return Err(refused(
                &from_domain.span(),
                &format!("`{}`", from_domain.get_ref()),
            ));
        }
        if let Some(bad) = organizer_domains
            .get_ref()
            .iter()
            .find(|domain| !is_domain_name(domain))
        {
            return Err(refused(&organizer_domains.span(), &format!("`{bad}`")));
        }
        relays.insert(from_domain.get_ref(), organizer_domains.get_ref());
    }
    Ok(relays)
}

fn set_count(
    text: &str,
    key: &str,
    value: Option<Spanned<i64>>,
    target: &mut usize,
) -> Result<(), ConfigError> {
    if let Some(value) = value {
        *target = in_range(text, key, &value, 0, i64::MAX)?;
    }
    Ok(())
}

/// The value as `T` when it lies in `min..=max`.
fn in_range<T: TryFrom<i64>>(
    text: &str,
    key: &str,
    value: &Spanned<i64>,
    min: i64,
    max: i64,
) -> Result<T, ConfigError> {
    let number = *value.get_ref();
    let refused = || ConfigError::InvalidValue {
        key: key.to_owned(),
        line: line_of(text, &value.span()),
        message: format!("{number} is out of range (expected {min} to {max})"),
    };
    if number < min || number > max {
        return Err(refused());
    }
    T::try_from(number).map_err(|_| refused())
}

/// `now` as a TOML offset date-time (`2025-01-15T09:00:00Z`) or an RFC 3339
/// string.
fn parse_now(text: &str, value: &Spanned<toml::Value>) -> Result<DateTime<Utc>, ConfigError> {
    let written = match value.get_ref() {
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::String(string) => string.clone(),
        _ => String::new(),
    };
    DateTime::parse_from_rfc3339(&written)
        .map(|datetime| datetime.with_timezone(&Utc))
        .map_err(|_| ConfigError::InvalidValue {
            key: "now".to_owned(),
            line: line_of(text, &value.span()),
            message: "expected a date-time with an offset, like 2025-01-15T09:00:00Z".to_owned(),
        })
}

/// Default weights. A party crash, a failed authentication, a flood of
/// instances or an oversized object each reach the default threshold alone;
/// a sender that is not who the object says (40) does with any other
/// finding; a sender that cannot be checked (20: no From, no ORGANIZER)
/// and structural oddities that real producers commit (a missing METHOD, a
/// disagreeing parameter) do not.
fn default_weights() -> BTreeMap<Reason, u32> {
    use Reason::*;
    BTreeMap::from([
        (MethodMismatch, 10),
        (Malformed, 15),
        (Oversized, 50),
        (OrganizerMismatch, 40),
        (AttendeeMismatch, 40),
        (SenderUnverifiable, 20),
        (PartyCrash, 50),
        (UnauthenticatedSender, 50),
        (DelegationUnverified, 25),
        (NotInvited, 20),
        (RecurrenceFlood, 50),
        (RecurrenceOverlap, 25),
        (FarFuture, 20),
        (ImipHeaderUnsigned, 15),
    ])
}
