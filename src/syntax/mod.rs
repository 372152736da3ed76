//! Syntax shared by more than one stage. It sits below them all, so that a
//! stage and a later one can read the same text by the same rules without
//! either importing the other.

pub(crate) mod content_line;
