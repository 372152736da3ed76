//! The adversarial suite: each case ends in a finding or a clear error,
//! from work bounded in the code (budgets and named limits), never from a
//! wall clock.

#[path = "hostile/calendar.rs"]
mod calendar;
