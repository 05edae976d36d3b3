//! The lease on one stream shard a shared backfill's catch-up reads: its item in the ledger.

use dynatable_core::{Field, PrimaryKey, entity};

use super::lease_item::LeaseItem;
use crate::skipped_items::{Skipped, SkippedItem};

/// The lease on one shard of the table's stream, read by a shared backfill's catch-up.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "SHARDLEASE#{work}#{shard}",
    name = "_MigrationShardLease",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct ShardLease {
    /// The backfill: its migration's version (with `#down` for a rollback) and its name.
    pub work: String,
    /// The shard's id.
    pub shard: String,
    /// The process holding it (a token unique to the process); none when free.
    pub owner: Option<String>,
    /// Who that is (`user@host pid N`), for `status`.
    pub holder: Option<String>,
    /// Raised by every renewal and takeover.
    pub counter: u64,
    /// The sequence number of the last record read; none before the first.
    pub after: Option<String>,
    /// The shard is closed and was read to its end.
    #[entity(default)]
    pub closed: bool,
    /// The shard was read past the moment the backfill's scan ended: its part of the catch-up
    /// is over.
    #[entity(default)]
    pub caught_up: bool,
    /// A `LATEST` iterator the leader took on the shard when the catch-up started, for the
    /// shard's first reader (iterators expire after 15 minutes; an expired one is replaced by
    /// one at the shard's oldest record, whose records from before the start are passed over).
    pub start_iterator: Option<String>,
    /// When it was taken, in milliseconds since the epoch.
    pub start_iterator_ms: Option<u64>,
    /// Items the catch-up read again in the shard, by every process that held it.
    #[entity(default)]
    pub read: u64,
    /// Items it wrote.
    #[entity(default)]
    pub written: u64,
    /// Who ended the shard's part.
    pub finished_by: Option<String>,
    /// Malformed items the catch-up skipped in the shard so far (`--skip-malformed`): the
    /// leader adds every shard's to the run's ledger record.
    #[entity(default)]
    pub skipped_malformed: u64,
    /// The first of them (up to [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED)).
    #[entity(serde, default)]
    pub skipped_items: Vec<SkippedItem>,
}

impl ShardLease {
    /// Whether the shard's part of the catch-up is over.
    pub fn is_done(&self) -> bool {
        self.closed || self.caught_up
    }

    /// The malformed items skipped in the shard so far.
    pub(crate) fn skipped(&self) -> Skipped {
        Skipped {
            total: self.skipped_malformed,
            listed: self.skipped_items.clone(),
        }
    }
}

impl LeaseItem for ShardLease {
    const PART: &'static str = "shard";
    type Id = String;

    fn id(&self) -> String {
        self.shard.clone()
    }

    fn key_of(work: &str, id: &String) -> PrimaryKey {
        Self::key(work, id)
    }

    lease_fields!();
}
