//! nom parsers for the mail header fields the crate reads itself, on one
//! RFC 5322 lexical layer ([`rfc5322`]).

pub mod authentication_results;
pub mod dkim_signature;
pub mod msg_id;
pub(crate) mod rfc5322;
