//! nom parsers for the mail header fields the crate reads itself, on one
//! RFC 5322 lexical layer ([`rfc5322`]).

pub mod authentication_results;
pub mod dkim_signature;
pub mod msg_id;
pub(crate) mod rfc5322;

#[cfg(test)]
mod tests;
/// Header fields as the producers write them, shared by the unit tests
/// and `benches/headers.rs`.
#[cfg(test)]
pub(crate) mod vectors;
