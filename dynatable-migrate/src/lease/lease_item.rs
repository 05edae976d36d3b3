//! What a lease of the ledger has, whatever its part: an owner, a holder, a counter.

use std::fmt;
use std::hash::Hash;

use dynatable_core::{Entity, Field, PrimaryKey};

/// An item of the ledger that processes lease: [`SegmentLease`](super::SegmentLease),
/// [`ShardLease`](super::ShardLease).
pub trait LeaseItem: Entity + Clone + fmt::Debug + Send + Sync + 'static {
    /// What the lease is on, as errors and logs name it (`segment`, `shard`).
    const PART: &'static str;
    /// What tells apart the leases of one piece of work: a segment number, a shard id.
    type Id: Clone + Eq + Hash + fmt::Display + fmt::Debug + Send + Sync + 'static;
    /// This lease's part.
    fn id(&self) -> Self::Id;
    /// The key of the lease on part `id` of `work`.
    fn key_of(work: &str, id: &Self::Id) -> PrimaryKey;
    /// The process holding it (its owner token), if any.
    fn owner(&self) -> Option<&str>;
    /// Who that is (`user@host pid N`).
    fn holder(&self) -> Option<&str>;
    /// Raised by every renewal and takeover.
    fn counter(&self) -> u64;
    /// The lease as it is once `owner` (who is `holder`) took it, its counter now `counter`.
    #[must_use]
    fn taken(self, owner: String, holder: String, counter: u64) -> Self;
    /// The owner attribute.
    fn owner_field() -> Field<Self, Option<String>>;
    /// The holder attribute.
    fn holder_field() -> Field<Self, Option<String>>;
    /// The counter attribute.
    fn counter_field() -> Field<Self, u64>;
}
