//! The writes a run made itself, counted so that a reader of the table's stream can pass over
//! their records instead of reading their items again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::key::PrimaryKey;

/// The writes of the compare-and-swap drivers ([`Table::apply_snapshots`](super::Table::apply_snapshots),
/// [`Table::transact_snapshots`](super::Table::transact_snapshots)) that certainly changed their
/// item, counted per key, for a reader of the table's stream (a migration's catch-up) to tell
/// their records from other writers'.
///
/// A driver counts a write once it succeeded, and only when it is sure the write changed the
/// item (DynamoDB writes no stream record for a write that changes nothing): a delete of an item
/// that existed, or a put or update whose result differs from the item as read (an update asks
/// for the new item), where the compare-and-swap guard proved the item was as read, and the
/// result holds no attribute another writer could have added. Writes it cannot judge are not
/// counted, and their records are read like anyone's.
///
/// The reader calls [`count_record`](Self::count_record) for every record, in stream order. A
/// record may be passed over only while a counted write of its key has a record not read yet:
/// then a write of the run itself, made with the compare-and-swap guard, comes at or after that
/// record, so whatever that record changed was seen by the run's plan. Records read while a write of the
/// same key is in flight are never passed over (that write's record might be among them).
///
/// Keys stay counted only until the records of their counted writes are read, so the count
/// holds about as many keys as there are writes the stream reader has not reached yet.
///
/// ```
/// use std::sync::Arc;
/// use dynatable_core::{OwnWrites, PrimaryKey};
///
/// let own = Arc::new(OwnWrites::new());
/// // Nothing counted: every record is read.
/// assert!(!own.count_record(&PrimaryKey::new("USER#u1", "PROFILE")));
/// assert!(own.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct OwnWrites {
    keys: Mutex<HashMap<PrimaryKey, Count>>,
}

/// What is known of one key's writes.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// Writes sent and not answered yet.
    in_flight: u32,
    /// Counted writes whose records may still be passed over. Negative while writes are in
    /// flight and records of the key were read meanwhile: each such record may be one of those
    /// writes', which then pays for it when counted.
    unread: i64,
}

impl Count {
    fn settled(&self) -> bool {
        self.in_flight == 0 && self.unread <= 0
    }
}

impl OwnWrites {
    /// An empty count.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one stream record of `key`; the reader calls it for every record, in stream order.
    /// `true` when the record may be passed over (a counted write of the run comes at or after
    /// it), `false` when its item must be read.
    pub fn count_record(&self, key: &PrimaryKey) -> bool {
        let mut keys = self.lock();
        let Some(count) = keys.get_mut(key) else {
            return false;
        };
        let own = count.in_flight == 0 && count.unread > 0;
        count.unread -= 1;
        if count.settled() {
            keys.remove(key);
        }
        own
    }

    /// How many keys are counted.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is counted.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Notes a write of `key` about to be sent; the returned guard says how it ended (dropped
    /// unfinished, it counts as a write that changed nothing).
    pub(crate) fn sending(self: &Arc<Self>, key: &PrimaryKey) -> InFlight {
        self.lock().entry(key.clone()).or_default().in_flight += 1;
        InFlight {
            own: Arc::clone(self),
            key: Some(key.clone()),
        }
    }

    fn sent(&self, key: &PrimaryKey, changed: bool) {
        let mut keys = self.lock();
        let Some(count) = keys.get_mut(key) else {
            return;
        };
        count.in_flight = count.in_flight.saturating_sub(1);
        if changed {
            count.unread += 1;
        }
        if count.in_flight == 0 && count.unread < 0 {
            // Every write the records read meanwhile could have been is answered.
            count.unread = 0;
        }
        if count.settled() {
            keys.remove(key);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PrimaryKey, Count>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A write of the run in flight; [`finish`](Self::finish) says whether it changed its item.
#[derive(Debug)]
pub(crate) struct InFlight {
    own: Arc<OwnWrites>,
    key: Option<PrimaryKey>,
}

impl InFlight {
    /// The write succeeded; `changed` when it certainly changed its item.
    pub(crate) fn finish(mut self, changed: bool) {
        if let Some(key) = self.key.take() {
            self.own.sent(&key, changed);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.own.sent(&key, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> PrimaryKey {
        PrimaryKey::new(format!("USER#{id}"), "PROFILE")
    }

    #[test]
    fn a_counted_write_passes_over_one_record_of_its_key() {
        let own = Arc::new(OwnWrites::new());
        own.sending(&key("a")).finish(true);
        assert!(!own.count_record(&key("b")));
        assert!(own.count_record(&key("a")));
        // An application's write after it is read.
        assert!(!own.count_record(&key("a")));
        assert!(own.is_empty());
    }

    #[test]
    fn a_write_that_changed_nothing_passes_over_nothing() {
        let own = Arc::new(OwnWrites::new());
        own.sending(&key("a")).finish(false);
        drop(own.sending(&key("a")));
        assert!(own.is_empty());
        assert!(!own.count_record(&key("a")));
    }

    #[test]
    fn records_read_while_a_write_is_in_flight_are_read() {
        let own = Arc::new(OwnWrites::new());
        let write = own.sending(&key("a"));
        // Maybe the write's own record, maybe an application's: read it.
        assert!(!own.count_record(&key("a")));
        write.finish(true);
        // The count paid for the record read meanwhile: the next one is read too.
        assert!(!own.count_record(&key("a")));
        assert!(own.is_empty());
    }

    #[test]
    fn two_records_read_in_flight_leave_no_debt_after_the_write() {
        let own = Arc::new(OwnWrites::new());
        let write = own.sending(&key("a"));
        assert!(!own.count_record(&key("a")));
        assert!(!own.count_record(&key("a")));
        write.finish(true);
        assert!(own.is_empty());
        own.sending(&key("a")).finish(true);
        assert!(own.count_record(&key("a")));
    }

    #[test]
    fn a_second_counted_write_keeps_its_own_record() {
        let own = Arc::new(OwnWrites::new());
        let first = own.sending(&key("a"));
        let second = own.sending(&key("a"));
        first.finish(true);
        // A write is still in flight: read.
        assert!(!own.count_record(&key("a")));
        second.finish(true);
        assert!(own.count_record(&key("a")));
        assert!(!own.count_record(&key("a")));
    }
}
