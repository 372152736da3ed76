//! The bridge from the analysis to the reserved environment items the
//! lowered `imip` tests read: which depth an item needs, and each item's
//! values.

use crate::analysis::{Analysis, Depth};
use crate::finding::Reason;
use crate::script::{Item, ItemSet, ReservedNames};

/// The depth the items of a script need.
pub(super) fn depth_for(items: ItemSet) -> Depth {
    let needs = |list: &[Item]| list.iter().any(|item| items.contains(*item));
    if needs(&[Item::Reason, Item::Risk, Item::Suspicious]) {
        Depth::Validate
    } else if needs(&[Item::Component, Item::Uid, Item::Organizer]) {
        Depth::Model
    } else {
        Depth::Locate
    }
}

/// The items an analysis of this depth can answer.
pub(super) fn answerable_at(depth: Depth) -> ItemSet {
    let mut items = ItemSet::default();
    let list: &[Item] = match depth {
        Depth::Locate => &[Item::Present, Item::Method],
        Depth::Model => &[
            Item::Present,
            Item::Method,
            Item::Component,
            Item::Uid,
            Item::Organizer,
        ],
        Depth::Validate => &Item::ALL,
    };
    for item in list {
        items.insert(*item);
    }
    items
}

/// The values of one `imip` item, one per component (`:component`,
/// `:uid`, `:organizer`) or per finding (`:reason`): empty when the item
/// has no value (on a message that is not iMIP, every item but `:present`).
fn item_values(analysis: &Analysis, item: Item) -> Vec<String> {
    let Some(object) = &analysis.located.object else {
        // A message whose structure could not be examined to the end, or
        // that is no mail at all, is not known to be free of iMIP: fail
        // closed, so an admin filter on `:risk`/`:suspicious` still catches
        // it (and `:reason` says why, when a finding does).
        return match item {
            Item::Reason | Item::Risk | Item::Suspicious if analysis.may_hide_imip() => {
                risk_item_values(analysis, item)
            }
            _ => Vec::new(),
        };
    };
    let components = || {
        analysis
            .calendar
            .iter()
            .flat_map(|calendar| &calendar.components)
    };
    match item {
        Item::Present => vec!["1".into()],
        Item::Method => object.method.iter().cloned().collect(),
        Item::Component => components().map(|c| c.kind.as_str().to_string()).collect(),
        Item::Uid => components().filter_map(|c| c.uid.clone()).collect(),
        Item::Organizer => components()
            .filter_map(|c| c.organizer.as_ref().map(|o| o.address.as_str().to_string()))
            .collect(),
        Item::Reason | Item::Risk | Item::Suspicious => risk_item_values(analysis, item),
    }
}

/// `:reason` (one value per finding, in step order), `:risk` and `:suspicious`.
fn risk_item_values(analysis: &Analysis, item: Item) -> Vec<String> {
    match item {
        Item::Reason => {
            let mut reasons: Vec<Reason> = analysis
                .findings
                .iter()
                .map(|finding| finding.reason)
                .collect();
            reasons.sort();
            reasons
                .into_iter()
                .map(|reason| reason.as_str().to_string())
                .collect()
        }
        Item::Risk => vec![analysis.risk.to_string()],
        Item::Suspicious if analysis.suspicious => vec!["1".into()],
        _ => Vec::new(),
    }
}

/// Put the analysis into the reserved environment items the lowered
/// `imip` tests read. Only the items the script uses are filled.
pub(super) fn fill_items(context: &mut sieve::Context<'_>, analysis: &Analysis, items: ItemSet) {
    // The names live as long as the process: borrowed, never allocated.
    let names: &'static ReservedNames = ReservedNames::global();
    for item in Item::ALL {
        if !items.contains(item) {
            continue;
        }
        let values = item_values(analysis, item);
        // `:count` counts every value (one per component or finding); the
        // match slots need each distinct value once.
        context.set_env_variable(names.count_name(item), values.len().to_string());
        if item.slots() == 1 {
            let value = values.into_iter().next().unwrap_or_default();
            context.set_env_variable(names.value_name(item), value);
        } else {
            for (index, value) in distinct(values).take(item.slots()).enumerate() {
                if let Some(name) = names.slot_name(item, index.saturating_add(1)) {
                    context.set_env_variable(name, value);
                }
            }
        }
    }
}

/// Values in first-seen order without exact repeats (UIDs are
/// case-sensitive, so no folding here; the comparator decides at match time).
fn distinct(values: Vec<String>) -> impl Iterator<Item = String> {
    let mut seen: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen.into_iter()
}
