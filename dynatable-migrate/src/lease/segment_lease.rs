//! The lease on one scan segment of a shared backfill: its item in the ledger.

use dynatable_core::{Field, PrimaryKey, SegmentPosition, entity};

use super::lease_item::LeaseItem;
use crate::checkpoint::StoredPosition;
use crate::skipped_items::{Skipped, SkippedItem};

/// The lease on one scan segment of a shared backfill.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "LEASE#{work}#{segment}",
    name = "_MigrationLease",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentLease {
    /// The backfill: its migration's version (with `#down` for a rollback) and its name.
    pub work: String,
    /// The segment.
    pub segment: u32,
    /// How many segments the backfill's scan has.
    pub segments: u32,
    /// The process holding it (a token unique to the process); none when free.
    pub owner: Option<String>,
    /// Who that is (`user@host pid N`), for `status`.
    pub holder: Option<String>,
    /// Raised by every renewal and takeover.
    pub counter: u64,
    /// Where the segment's scan stands.
    pub position: StoredPosition,
    /// Items read by the process that finished the segment.
    #[entity(default)]
    pub read: u64,
    /// Items written by the process that finished the segment.
    #[entity(default)]
    pub written: u64,
    /// Who finished the segment.
    pub finished_by: Option<String>,
    /// Malformed items skipped in the segment so far (`--skip-malformed`): the leader adds
    /// every segment's to the run's ledger record.
    #[entity(default)]
    pub skipped_malformed: u64,
    /// The first of them (up to [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED)).
    #[entity(serde, default)]
    pub skipped_items: Vec<SkippedItem>,
}

impl SegmentLease {
    /// Whether the segment's scan is over.
    pub fn is_done(&self) -> bool {
        self.position.0 == SegmentPosition::Done
    }

    /// The malformed items skipped in the segment so far.
    pub(crate) fn skipped(&self) -> Skipped {
        Skipped {
            total: self.skipped_malformed,
            listed: self.skipped_items.clone(),
        }
    }
}

impl LeaseItem for SegmentLease {
    const PART: &'static str = "segment";
    type Id = u32;

    fn id(&self) -> u32 {
        self.segment
    }

    fn key_of(work: &str, id: &u32) -> PrimaryKey {
        Self::key(work, *id)
    }

    lease_fields!();
}
