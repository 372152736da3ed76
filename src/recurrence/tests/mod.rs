//! The recurrence evaluator against RFC 5545's own examples, a reference
//! expansion, python-dateutil and its behaviour on hostile rules.

mod behaviour;
mod dateutil;
mod reference;
mod rfc5545;
mod sets;
mod support;
