//! One process's view of the leases of one piece of shared work: who it is, its clock, what
//! it saw and what it holds. Taking leases is in `taker.rs`, keeping them in `renewer.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use dynatable_core::Table;

use super::clock::{Clock, SystemClock};
use super::lease_item::LeaseItem;
use super::segment_lease::SegmentLease;

/// What one process saw of another's lease: its owner and counter, and since when (by this
/// process's clock) they stand still.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) owner: Option<String>,
    pub(super) counter: u64,
    pub(super) since: Instant,
}

/// One process's view of the leases of one piece of shared work: the segments of a backfill's
/// scan (`Leases<SegmentLease>`, made with [`Leases::new`]) or the shards of its catch-up
/// (`Leases<ShardLease>`, made with [`Leases::of_shards`]).
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> dynatable_migrate::Result<()> {
/// use std::time::{Duration, Instant};
/// use dynatable_migrate::lease::{Claim, Leases};
///
/// let leases = Leases::new(table, "0.4.0#users", "me@host", Duration::from_secs(30));
/// leases.create(16).await?;
/// while let Claim::Taken(lease) = leases.claim().await? {
///     // ... scan segment `lease.segment` of 16 from `lease.position`, saving with `save` ...
///     leases.finish(lease.segment, 0, 0).await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Leases<L: LeaseItem = SegmentLease> {
    pub(super) table: Table,
    pub(super) work: String,
    pub(super) owner: String,
    pub(super) holder: String,
    pub(super) failover: Duration,
    pub(super) clock: Arc<dyn Clock>,
    /// What this process saw of each lease it did not hold, and since when.
    pub(super) seen: Arc<Mutex<HashMap<L::Id, Seen>>>,
    /// The leases a worker of this process holds now.
    pub(super) held: Arc<Mutex<HashSet<L::Id>>>,
}

impl<L: LeaseItem> Leases<L> {
    /// The leases of `work` as seen by a new process (a fresh owner token), which takes over a
    /// lease whose counter stands still for `failover`.
    pub(crate) fn build(table: Table, work: String, holder: String, failover: Duration) -> Self {
        Self {
            table,
            work,
            owner: ulid::Ulid::new().to_string(),
            holder,
            failover,
            clock: Arc::new(SystemClock),
            seen: Arc::default(),
            held: Arc::default(),
        }
    }

    /// The same view, measuring the failover time with `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same view for the process with owner token `owner` (one token per process, whatever
    /// the work: a lease a stopped worker of the process left is claimed again at once).
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Who this process is, as its leases show it.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// This process's owner token.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The work the leases are of.
    pub fn work(&self) -> &str {
        &self.work
    }

    /// How long a lease's counter must stand still before this process takes it over.
    pub fn failover(&self) -> Duration {
        self.failover
    }

    /// How many leases this process holds now.
    pub(crate) fn held_count(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
