//! Leases on the parts of a backfill that several processes share (`migrate up --join`), kept
//! in the ledger: one item per part ([`SegmentLease`] for a segment of the scan, [`ShardLease`]
//! for a shard of the table's stream that the catch-up reads), each holding its owner, a counter
//! the owner renews, and where the part's work stands.
//!
//! The protocol is the one of the Kinesis Client Library's lease table. A process takes a free
//! lease, or one whose counter has not moved for the failover time **as measured by its own
//! clock** (no clock is ever compared with another process's), with a write conditioned on the
//! owner and counter it saw. The owner renews the lease by raising the counter, and saves the
//! part's position with writes conditioned on still owning it: once another process took the
//! lease over, the old owner can no longer move the part's position (it is fenced), and finds
//! out at its next renewal or save.

/// The parts of a [`LeaseItem`] implementation every lease entity has alike: its `owner`,
/// `holder` and `counter` fields.
macro_rules! lease_fields {
    () => {
        fn owner(&self) -> Option<&str> {
            self.owner.as_deref()
        }

        fn holder(&self) -> Option<&str> {
            self.holder.as_deref()
        }

        fn counter(&self) -> u64 {
            self.counter
        }

        fn taken(self, owner: String, holder: String, counter: u64) -> Self {
            Self {
                owner: Some(owner),
                holder: Some(holder),
                counter,
                ..self
            }
        }

        fn owner_field() -> Field<Self, Option<String>> {
            Self::fields().owner
        }

        fn holder_field() -> Field<Self, Option<String>> {
            Self::fields().holder
        }

        fn counter_field() -> Field<Self, u64> {
            Self::fields().counter
        }
    };
}

mod claim;
mod clock;
mod lease_item;
mod leases;
mod renewer;
mod segment;
mod segment_lease;
mod shard;
mod shard_lease;
mod taker;

pub use claim::Claim;
pub use clock::{Clock, SystemClock};
pub use lease_item::LeaseItem;
pub use leases::Leases;
pub(crate) use segment::{every_lease, of_work as segment_leases_of};
pub use segment_lease::SegmentLease;
pub(crate) use shard::{ShardRead, every_shard_lease};
pub use shard_lease::ShardLease;
