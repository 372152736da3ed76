//! Depth-first walk over a parsed message's MIME tree, naming each entity by
//! its IMAP section path (RFC 3501 6.4.5 BODY[section]).

use std::fmt;

use mail_parser::{Message, MessagePart, PartType};

use super::{MimeLimit, MimeLimits};

/// Deepest MIME nesting followed by default. mail-parser itself does not
/// bound nesting; a path this deep is not produced by any real mail client.
pub(crate) const DEFAULT_MAX_DEPTH: usize = 32;

/// Most entities visited in one message by default, embedded messages
/// included, so a damaged part tree cannot make the walk run away.
pub(crate) const DEFAULT_MAX_ENTITIES: usize = 100_000;

/// Levels reserved for a path up front: deeper paths grow it, but only for
/// messages nested that deep.
const PATH_CAPACITY: usize = 16;

/// An IMAP section path ("1", "2.1", ...), allocated once per walk: the walk
/// must not allocate for parts it only glances at.
#[derive(Debug, Clone)]
pub(crate) struct PartPath {
    numbers: Vec<u32>,
    max_depth: usize,
}

impl PartPath {
    fn new(max_depth: usize) -> PartPath {
        PartPath {
            numbers: Vec::with_capacity(max_depth.min(PATH_CAPACITY)),
            max_depth,
        }
    }

    /// Adds a level; false when the path is already `max_depth` deep.
    fn push(&mut self, number: u32) -> bool {
        if self.numbers.len() >= self.max_depth {
            return false;
        }
        self.numbers.push(number);
        true
    }

    fn pop(&mut self) {
        self.numbers.pop();
    }

    #[cfg(test)]
    fn depth(&self) -> usize {
        self.numbers.len()
    }
}

impl fmt::Display for PartPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, number) in self.numbers.iter().enumerate() {
            if index > 0 {
                f.write_str(".")?;
            }
            write!(f, "{number}")?;
        }
        Ok(())
    }
}

/// One MIME entity as the walk meets it.
pub(crate) struct Entity<'m, 'x> {
    /// The message (outer, or embedded) whose `parts` hold this entity.
    pub message: &'m Message<'x>,
    pub part_id: usize,
    pub part: &'m MessagePart<'x>,
    /// Inside an attached message/rfc822 (at any depth).
    pub embedded: bool,
    /// The top-level entity of the outer message: its headers are the message's.
    pub is_root: bool,
    /// Not a multipart and not an attached message: it has a body of its own.
    pub is_leaf: bool,
}

/// How the walk ended.
#[derive(Debug, Default)]
pub(crate) struct WalkEnd {
    /// The path of the first entity left out because it was nested too deep,
    /// or because the entity budget ran out, and which of the two it was.
    pub cut_at: Option<(String, MimeLimit)>,
}

/// Calls `visit` for every entity of `message`, in document order, with its
/// IMAP section path. Containers are visited before their children. The path
/// of a multipart root is empty; the body of a single-part message is "1".
pub(crate) fn walk<'m, 'x, F>(message: &'m Message<'x>, limits: MimeLimits, visit: F) -> WalkEnd
where
    F: FnMut(&Entity<'m, 'x>, &PartPath),
{
    let mut walker = Walker {
        visit,
        path: PartPath::new(limits.max_depth),
        budget: limits.max_parts,
        end: WalkEnd::default(),
    };
    walker.message(message, false);
    walker.end
}

struct Walker<F> {
    visit: F,
    path: PartPath,
    budget: usize,
    end: WalkEnd,
}

impl<'m, 'x, F> Walker<F>
where
    F: FnMut(&Entity<'m, 'x>, &PartPath),
{
    /// A whole message: its root's children are numbered from the current
    /// path; a non-multipart root is the current path's ".1".
    fn message(&mut self, message: &'m Message<'x>, embedded: bool) {
        let Some(root) = message.parts.first() else {
            return;
        };
        let is_root = !embedded;
        if let PartType::Multipart(children) = &root.body {
            if is_root {
                self.entity(message, 0, embedded, is_root);
            } else {
                // An embedded multipart root has no number of its own in IMAP:
                // it shares the message/rfc822 part's path, already visited.
                self.children(message, children, embedded);
            }
        } else if self.enter(1) {
            self.entity(message, 0, embedded, is_root);
            self.path.pop();
        }
    }

    fn children(&mut self, message: &'m Message<'x>, children: &'m [u32], embedded: bool) {
        for (index, &child) in children.iter().enumerate() {
            let number = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(1);
            if !self.enter(number) {
                return;
            }
            self.entity(message, child as usize, embedded, false);
            self.path.pop();
        }
    }

    /// Pushes a path level when depth and budget allow; records the cut otherwise.
    fn enter(&mut self, number: u32) -> bool {
        let reached = if self.budget == 0 {
            Some(MimeLimit::Parts)
        } else if !self.path.push(number) {
            Some(MimeLimit::Depth)
        } else {
            None
        };
        if let Some(limit) = reached {
            if self.end.cut_at.is_none() {
                let path = format!("{}.{number}", self.path)
                    .trim_start_matches('.')
                    .to_owned();
                self.end.cut_at = Some((path, limit));
            }
            return false;
        }
        self.budget = self.budget.saturating_sub(1);
        true
    }

    fn entity(&mut self, message: &'m Message<'x>, part_id: usize, embedded: bool, is_root: bool) {
        let Some(part) = message.parts.get(part_id) else {
            return;
        };
        let is_leaf = !matches!(part.body, PartType::Multipart(_) | PartType::Message(_));
        let entity = Entity {
            message,
            part_id,
            part,
            embedded,
            is_root,
            is_leaf,
        };
        (self.visit)(&entity, &self.path);
        match &part.body {
            PartType::Multipart(children) => self.children(message, children, embedded),
            PartType::Message(nested) => self.message(nested, true),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(raw: &str) -> Vec<(String, bool, bool)> {
        let Some(message) = mail_parser::MessageParser::default().parse(raw.as_bytes()) else {
            panic!("test message should parse");
        };
        let mut seen = Vec::new();
        walk(&message, MimeLimits::default(), |entity, path| {
            seen.push((path.to_string(), entity.is_leaf, entity.embedded));
        });
        seen
    }

    #[test]
    fn single_part_body_is_1() {
        assert_eq!(
            paths("Subject: x\n\nbody\n"),
            vec![("1".to_owned(), true, false)]
        );
    }

    #[test]
    fn nested_multiparts_and_embedded_message() {
        let raw = "Content-Type: multipart/mixed; boundary=a\n\n--a\n\
Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nt\n--b\n\
Content-Type: text/html\n\n<p>h</p>\n--b--\n\n--a\nContent-Type: message/rfc822\n\n\
Subject: inner\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: text/plain\n\ni1\n--c\n\
Content-Type: text/calendar\n\nBEGIN:VCALENDAR\n--c--\n\n--a\nContent-Type: message/rfc822\n\n\
Subject: single\n\nbody\n\n--a--\n";
        let seen = paths(raw);
        let expected = [
            ("", false, false),
            ("1", false, false),
            ("1.1", true, false),
            ("1.2", true, false),
            ("2", false, false),
            ("2.1", true, true),
            ("2.2", true, true),
            ("3", false, false),
            ("3.1", true, true),
        ];
        let expected: Vec<(String, bool, bool)> = expected
            .iter()
            .map(|(p, l, e)| ((*p).to_owned(), *l, *e))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn nesting_is_bounded() {
        let depth = DEFAULT_MAX_DEPTH + 5;
        let mut raw = String::new();
        for level in 0..depth {
            raw.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{level}\n\n--b{level}\n"
            ));
        }
        raw.push_str("Content-Type: text/plain\n\nleaf\n");
        for level in (0..depth).rev() {
            raw.push_str(&format!("--b{level}--\n"));
        }
        let Some(message) = mail_parser::MessageParser::default().parse(raw.as_bytes()) else {
            panic!("test message should parse");
        };
        let mut deepest = 0;
        let end = walk(&message, MimeLimits::default(), |_, path| {
            deepest = deepest.max(path.depth())
        });
        assert_eq!(deepest, DEFAULT_MAX_DEPTH);
        assert!(matches!(end.cut_at, Some((_, MimeLimit::Depth))));
    }
}
