//! sieve-imip: an `imip` test for the Sieve mail-filtering language (RFC 5228)
//! on the sieve-rs engine, recognising and validating iMIP (RFC 6047)
//! calendar scheduling mail.

pub mod calendar;
pub mod finding;
pub mod headers;
pub mod message;
pub mod recurrence;
pub mod script;
pub mod validate;
