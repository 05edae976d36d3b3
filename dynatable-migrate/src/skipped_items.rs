//! Malformed items a run skipped instead of failing (`migrate up --skip-malformed`, or a scan
//! given to a backfill with [`Scan::skip_malformed`](dynatable_core::Scan::skip_malformed)):
//! counted and listed per backfill, saved with the backfill's checkpoints, and recorded with the
//! run in the ledger.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use dynatable_core::MalformedItem;
use serde::{Deserialize, Serialize};

/// How many skipped items a run's ledger record lists (their total is always recorded).
pub const MAX_LISTED_SKIPPED: usize = 100;

/// An item a run skipped because it does not decode, as the ledger lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// The item's `PK`; `None` for an item without string keys.
    pub pk: Option<String>,
    /// The item's `SK`.
    pub sk: Option<String>,
    /// Why it does not decode: the attribute, the expected and the found type.
    pub reason: String,
}

impl From<MalformedItem> for SkippedItem {
    fn from(item: MalformedItem) -> Self {
        let (pk, sk) = match item.key {
            Some(key) => (Some(key.pk), Some(key.sk)),
            None => (None, None),
        };
        Self {
            pk,
            sk,
            reason: item.error.to_string(),
        }
    }
}

/// The items one backfill skipped: every one counted, the first [`MAX_LISTED_SKIPPED`] listed
/// (each key once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) total: u64,
    pub(crate) listed: Vec<SkippedItem>,
}

impl Skipped {
    fn add(&mut self, item: SkippedItem) {
        self.total += 1;
        self.list(item);
    }

    /// Lists `item`, unless its key is listed or the list is full.
    fn list(&mut self, item: SkippedItem) {
        let listed = self
            .listed
            .iter()
            .any(|l| l.pk == item.pk && l.sk == item.sk);
        if !listed && self.listed.len() < MAX_LISTED_SKIPPED {
            self.listed.push(item);
        }
    }
}

/// What a run skipped so far, per backfill name.
#[derive(Debug, Default)]
pub(crate) struct SkippedItems {
    by_backfill: Mutex<BTreeMap<String, Skipped>>,
}

impl SkippedItems {
    /// Counts `items`, skipped by backfill `name`; returns how many.
    pub(crate) fn record(&self, name: &str, items: Vec<MalformedItem>) -> usize {
        let count = items.len();
        let mut by_backfill = self.lock();
        let skipped = by_backfill.entry(name.to_owned()).or_default();
        for item in items {
            skipped.add(item.into());
        }
        count
    }

    /// What backfill `name` skipped so far.
    pub(crate) fn of(&self, name: &str) -> Skipped {
        self.lock().get(name).cloned().unwrap_or_default()
    }

    /// Adds what another part of backfill `name` skipped (a segment of a shared backfill).
    pub(crate) fn merge(&self, name: &str, other: Skipped) {
        let mut by_backfill = self.lock();
        let skipped = by_backfill.entry(name.to_owned()).or_default();
        skipped.total = skipped.total.saturating_add(other.total);
        for item in other.listed {
            skipped.list(item);
        }
    }

    /// Takes up what backfill `name` skipped before an interruption, as its checkpoint saved it.
    pub(crate) fn restore(&self, name: &str, skipped: Skipped) {
        self.lock().insert(name.to_owned(), skipped);
    }

    /// Every backfill's skips together: the total, and the first [`MAX_LISTED_SKIPPED`] items.
    pub(crate) fn summary(&self) -> Skipped {
        let mut all = Skipped::default();
        for skipped in self.lock().values() {
            all.total += skipped.total;
            let room = MAX_LISTED_SKIPPED.saturating_sub(all.listed.len());
            all.listed.extend(skipped.listed.iter().take(room).cloned());
        }
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Skipped>> {
        self.by_backfill
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use dynatable_core::{DecodeError, MalformedItem, PrimaryKey};

    use super::{MAX_LISTED_SKIPPED, SkippedItems};

    fn malformed(n: usize) -> MalformedItem {
        MalformedItem {
            key: Some(PrimaryKey::new(format!("USER#{n}"), "PROFILE")),
            error: DecodeError::MissingAttribute {
                entity: "User",
                key: format!("USER#{n}"),
                attribute: "username",
                expected: "S",
            },
        }
    }

    #[test]
    fn every_skip_counts_and_the_list_is_capped_with_each_key_once() {
        let skipped = SkippedItems::default();
        skipped.record("a", (0..MAX_LISTED_SKIPPED + 20).map(malformed).collect());
        skipped.record("a", vec![malformed(0)]);
        skipped.record("b", vec![malformed(1_000)]);
        let a = skipped.of("a");
        assert_eq!(a.total, MAX_LISTED_SKIPPED as u64 + 21);
        assert_eq!(a.listed.len(), MAX_LISTED_SKIPPED);
        assert_eq!(a.listed[0].pk.as_deref(), Some("USER#0"));
        assert!(a.listed[0].reason.contains("username"));
        let all = skipped.summary();
        assert_eq!(all.total, MAX_LISTED_SKIPPED as u64 + 22);
        assert_eq!(all.listed.len(), MAX_LISTED_SKIPPED);
    }

    #[test]
    fn a_restored_count_goes_on_from_the_checkpoint() {
        let skipped = SkippedItems::default();
        let before = SkippedItems::default();
        before.record("a", vec![malformed(1), malformed(2)]);
        skipped.restore("a", before.of("a"));
        skipped.record("a", vec![malformed(3)]);
        assert_eq!(skipped.of("a").total, 3);
        assert_eq!(skipped.of("a").listed.len(), 3);
    }

    #[test]
    fn merged_parts_add_up_and_list_each_key_once() {
        let run = SkippedItems::default();
        let (one, two) = (SkippedItems::default(), SkippedItems::default());
        one.record("a", vec![malformed(1), malformed(2)]);
        two.record("a", vec![malformed(2), malformed(3)]);
        run.merge("a", one.of("a"));
        run.merge("a", two.of("a"));
        assert_eq!(run.of("a").total, 4);
        let keys: Vec<_> = run
            .of("a")
            .listed
            .into_iter()
            .filter_map(|i| i.pk)
            .collect();
        assert_eq!(keys, ["USER#1", "USER#2", "USER#3"]);
    }
}
