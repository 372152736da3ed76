//! iCalendar object -> iTIP model (being built).

mod values;

pub use values::{DateValue, Observance, ObservanceKind, TimeZoneDefinition};
