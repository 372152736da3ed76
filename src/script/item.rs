//! The items an `imip` test can ask about, and sets of them.

use crate::finding::Reason;

/// Distinct UIDs or organizers a script can see in one message.
///
/// A PUBLISH may carry several objects; each value gets its own reserved
/// environment slot, so the number of slots is a documented cap: values past
/// it are not visible to scripts (the `:count` item still counts them all).
pub const MULTI_VALUE_SLOTS: usize = 16;

/// The component kinds iTIP schedules (VEVENT, VTODO, VJOURNAL, VFREEBUSY).
const COMPONENT_KINDS: usize = 4;

/// The items of the `imip` test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    /// `:present`: the message carries an iMIP object.
    Present,
    /// `:method`: the iTIP METHOD.
    Method,
    /// `:component`: the scheduled component kinds.
    Component,
    /// `:uid`: UIDs of the scheduled objects.
    Uid,
    /// `:organizer`: ORGANIZER addresses, `mailto:` removed.
    Organizer,
    /// `:reason`: one value per finding of the validation.
    Reason,
    /// `:risk`: the risk score, 0..100, as a decimal string.
    Risk,
    /// `:suspicious`: the risk reached the configured threshold.
    Suspicious,
}

impl Item {
    /// Every item, in the order the documentation lists them.
    pub const ALL: [Item; 8] = [
        Item::Present,
        Item::Method,
        Item::Component,
        Item::Uid,
        Item::Organizer,
        Item::Reason,
        Item::Risk,
        Item::Suspicious,
    ];

    /// The tag name without its colon, as scripts write it.
    pub fn tag(self) -> &'static str {
        match self {
            Item::Present => "present",
            Item::Method => "method",
            Item::Component => "component",
            Item::Uid => "uid",
            Item::Organizer => "organizer",
            Item::Reason => "reason",
            Item::Risk => "risk",
            Item::Suspicious => "suspicious",
        }
    }

    /// The item named by a tag (without colon), compared ASCII
    /// case-insensitively as sieve-rs does for every tag.
    pub fn from_tag(tag: &str) -> Option<Item> {
        Item::ALL
            .into_iter()
            .find(|item| item.tag().eq_ignore_ascii_case(tag))
    }

    /// How many reserved environment slots hold this item's values: 1 for a
    /// single-valued item.
    pub fn slots(self) -> usize {
        match self {
            Item::Component => COMPONENT_KINDS,
            Item::Reason => Reason::ALL.len(),
            Item::Uid | Item::Organizer => MULTI_VALUE_SLOTS,
            Item::Present | Item::Method | Item::Risk | Item::Suspicious => 1,
        }
    }

    /// Whether the test compares keys against the item (every item but the
    /// two flags `:present` and `:suspicious`).
    pub fn takes_keys(self) -> bool {
        !matches!(self, Item::Present | Item::Suspicious)
    }

    fn bit(self) -> u8 {
        match self {
            Item::Present => 1,
            Item::Method => 1 << 1,
            Item::Component => 1 << 2,
            Item::Uid => 1 << 3,
            Item::Organizer => 1 << 4,
            Item::Reason => 1 << 5,
            Item::Risk => 1 << 6,
            Item::Suspicious => 1 << 7,
        }
    }
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, ":{}", self.tag())
    }
}

/// The set of items a script uses, so the engine computes only what they need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemSet(u8);

impl ItemSet {
    /// Whether the set holds `item`.
    pub fn contains(self, item: Item) -> bool {
        self.0 & item.bit() != 0
    }

    /// Whether the set holds no item (the script has no `imip` test).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `item` to the set.
    pub fn insert(&mut self, item: Item) {
        self.0 |= item.bit();
    }

    /// The items in either set.
    pub fn union(self, other: ItemSet) -> ItemSet {
        ItemSet(self.0 | other.0)
    }

    /// The items of the set, in [`Item::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Item> {
        Item::ALL
            .into_iter()
            .filter(move |item| self.contains(*item))
    }
}

impl FromIterator<Item> for ItemSet {
    fn from_iter<T: IntoIterator<Item = Item>>(iter: T) -> Self {
        let mut set = ItemSet::default();
        for item in iter {
            set.insert(item);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_set_holds_what_was_inserted() {
        let mut set = ItemSet::default();
        assert!(set.is_empty());
        set.insert(Item::Reason);
        let other: ItemSet = [Item::Present].into_iter().collect();
        let both = set.union(other);
        assert!(both.contains(Item::Reason) && both.contains(Item::Present));
        assert!(!both.contains(Item::Risk));
        assert_eq!(both.iter().count(), 2);
    }

    #[test]
    fn tags_round_trip() {
        for item in Item::ALL {
            assert_eq!(Item::from_tag(item.tag()), Some(item));
            assert_eq!(Item::from_tag(&item.tag().to_uppercase()), Some(item));
        }
        assert_eq!(Item::Reason.slots(), 14);
    }
}
