//! nom parsers for the mail header fields the crate reads itself.

pub mod authentication_results;
pub mod dkim_signature;
pub mod msg_id;
