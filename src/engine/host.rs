//! What the embedder decides about the world outside the message.

/// Everything the embedder decides about the world outside the message:
/// mailboxes, duplicate tracking, lists and included scripts. The defaults
/// answer as a server with every mailbox, no history, no lists and no
/// included scripts would.
pub trait Host: Send + Sync {
    /// `mailboxexists` / `fileinto :create` checks (RFC 5490, RFC 8579).
    fn mailbox_exists(&self, mailboxes: &[String], special_use: &[String]) -> bool {
        let _ = (mailboxes, special_use);
        true
    }

    /// `duplicate` (RFC 7352) and vacation's response tracking: true when
    /// `id` was seen within `expiry` seconds. `last` asks to record it.
    fn is_duplicate(&self, id: &str, expiry: u64, last: bool) -> bool {
        let _ = (id, expiry, last);
        false
    }

    /// `:list` match type (RFC 6134): does any list contain any value?
    fn list_contains(&self, lists: &[String], values: &[String]) -> bool {
        let _ = (lists, values);
        false
    }

    /// The source of an `include`d script (RFC 6609), personal or global.
    fn include(&self, name: &str, global: bool) -> Option<String> {
        let _ = (name, global);
        None
    }
}

/// The default [`Host`]: every mailbox exists, nothing is a duplicate, lists
/// are empty, no script can be included.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultHost;

impl Host for DefaultHost {}
