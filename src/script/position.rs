//! Positions: sieve-rs's (line, column) convention, byte offsets, and the
//! 1-based (line, column) shown to authors.
//!
//! sieve-rs counts lines from 1 and columns in bytes, 0-based on line 1 and
//! 1-based on later lines (a newline belongs to the line it starts, at
//! column 0); errors about the top-level block say line 0.

/// A sieve-rs (line, column) in `text` as a byte offset, clamped to the text.
pub(crate) fn sieve_offset(text: &str, line: usize, column: usize) -> usize {
    let bytes = text.as_bytes();
    let line_start = if line <= 1 {
        0
    } else {
        let newline_index = line.saturating_sub(2);
        match bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(newline_index)
        {
            Some((offset, _)) => offset,
            None => return bytes.len(),
        }
    };
    line_start.saturating_add(column).min(bytes.len())
}

/// The sieve-rs (line, column) of a byte offset in `text`.
pub(crate) fn sieve_position(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let head = bytes.get(..end).unwrap_or(bytes);
    // The byte at `offset` itself counts when it is a newline.
    let at_newline = bytes.get(end) == Some(&b'\n');
    let newlines_before = head.iter().filter(|byte| **byte == b'\n').count();
    let newlines = newlines_before.saturating_add(usize::from(at_newline));
    if newlines == 0 {
        return (1, end);
    }
    let last_newline = if at_newline {
        end
    } else {
        head.iter().rposition(|byte| *byte == b'\n').unwrap_or(0)
    };
    (newlines.saturating_add(1), end.saturating_sub(last_newline))
}

/// The author-facing 1-based (line, column) of a sieve-rs position; the
/// top-level block (line 0) shows as the script's start.
pub fn normalize_sieve_position(line: usize, column: usize) -> (usize, usize) {
    match line {
        0 => (1, 1),
        1 => (1, column.saturating_add(1)),
        _ => (line, column.max(1)),
    }
}

/// The author-facing 1-based (line, column) of a byte offset in `text`.
pub(crate) fn author_position(text: &str, offset: usize) -> (usize, usize) {
    let (line, column) = sieve_position(text, offset);
    normalize_sieve_position(line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_sieve_positions_are_inverse() {
        let text = "ab\ncd\n\nef";
        for offset in 0..=text.len() {
            let (line, column) = sieve_position(text, offset);
            assert_eq!(sieve_offset(text, line, column), offset, "offset {offset}");
        }
        assert_eq!(sieve_position(text, 0), (1, 0));
        assert_eq!(sieve_position(text, 3), (2, 1));
        assert_eq!(sieve_position(text, 2), (2, 0));
        assert_eq!(author_position(text, 0), (1, 1));
        assert_eq!(author_position(text, 4), (2, 2));
        assert_eq!(author_position(text, 7), (4, 1));
    }
}
