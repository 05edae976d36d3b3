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

mod clock;
mod segment;
mod shard;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use dynatable_core::{Condition, Entity, Field, PrimaryKey, Table};

use crate::error::{Error, Result};

pub use clock::{Clock, SystemClock};
pub use segment::SegmentLease;
pub(crate) use segment::{every_lease, of_work as segment_leases_of};
pub use shard::ShardLease;
pub(crate) use shard::{ShardRead, every_shard_lease};

/// An item of the ledger that processes lease: [`SegmentLease`], [`ShardLease`].
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

/// What [`Leases::claim`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<L = SegmentLease> {
    /// This process now holds the lease: work on its part from its position.
    Taken(L),
    /// Every unfinished part is held by a live process (or was just taken by another).
    Busy,
    /// Every part is done.
    AllDone,
}

/// What one process saw of another's lease: its owner and counter, and since when (by this
/// process's clock) they stand still.
#[derive(Debug, Clone)]
struct Seen {
    owner: Option<String>,
    counter: u64,
    since: Instant,
}

/// The leases one process may take now, sorted out by [`Leases::sort_out`].
#[derive(Debug)]
struct Claimable<L> {
    /// Held by nobody (or left by a stopped worker of this process).
    free: Vec<(L, Duration)>,
    /// Held by a process whose counter stood still for the failover time.
    expired: Vec<L>,
}

/// One process's view of the leases of one piece of shared work: the segments of a backfill's
/// scan (`Leases<SegmentLease>`, made with [`Leases::new`]) or the shards of its catch-up
/// (`Leases<ShardLease>`, made with [`Leases::of_shards`]).
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> dynatable_migrate::Result<()> {
/// use std::time::Duration;
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
    table: Table,
    work: String,
    owner: String,
    holder: String,
    failover: Duration,
    clock: Arc<dyn Clock>,
    seen: Arc<Mutex<HashMap<L::Id, Seen>>>,
    held: Arc<Mutex<HashSet<L::Id>>>,
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

    /// Sorts `candidates` (leases of unfinished parts) into those this process may take: free
    /// ones (with how long each has stood free, by this process's clock), and those whose
    /// counter stood still for the failover time. Leases this process holds are left out.
    fn sort_out(&self, candidates: Vec<L>) -> Claimable<L> {
        let now = self.clock.now();
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut claimable = Claimable {
            free: Vec::new(),
            expired: Vec::new(),
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        for lease in candidates {
            let id = lease.id();
            if held.contains(&id) {
                continue;
            }
            let still = seen.get(&id).is_some_and(|s| {
                s.owner.as_deref() == lease.owner() && s.counter == lease.counter()
            });
            if !still {
                seen.insert(
                    id.clone(),
                    Seen {
                        owner: lease.owner().map(str::to_owned),
                        counter: lease.counter(),
                        since: now,
                    },
                );
            }
            let stood_still = seen
                .get(&id)
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s.since));
            match lease.owner() {
                None => claimable.free.push((lease, stood_still)),
                // A lease of this process no worker holds: left by a worker that stopped.
                Some(owner) if owner == self.owner => claimable.free.push((lease, stood_still)),
                Some(_) if stood_still >= self.failover => claimable.expired.push(lease),
                Some(_) => {}
            }
        }
        claimable
    }

    /// Takes the first of `leases` no other process moves first.
    async fn take_first(&self, leases: impl IntoIterator<Item = L>) -> Result<Option<L>> {
        for lease in leases {
            if let Some(taken) = self.take(lease).await? {
                return Ok(Some(taken));
            }
        }
        Ok(None)
    }

    /// Takes `lease` as it was seen; `None` when another process moved it first.
    async fn take(&self, lease: L) -> Result<Option<L>> {
        let as_seen = match lease.owner() {
            Some(owner) => L::owner_field().eq(owner.to_owned()),
            None => L::owner_field().not_exists(),
        }
        .and(L::counter_field().eq(lease.counter()));
        let counter = lease.counter().saturating_add(1);
        let id = lease.id();
        let taken = self
            .table
            .update::<L>(L::key_of(&self.work, &id))
            .set(L::owner_field(), self.owner.clone())
            .set(L::holder_field(), self.holder.clone())
            .set(L::counter_field(), counter)
            .condition(as_seen)
            .send()
            .await;
        match taken {
            Ok(()) => {
                if let Some(previous) = lease.holder()
                    && lease.owner() != Some(self.owner.as_str())
                {
                    tracing::info!("{}: took {} {id} over from {previous}", self.work, L::PART);
                }
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id);
                Ok(Some(lease.taken(
                    self.owner.clone(),
                    self.holder.clone(),
                    counter,
                )))
            }
            Err(e) if e.is_conditional_check_failed() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Raises the counter of the lease on `id`, proving this process alive.
    ///
    /// # Errors
    /// [`Error::LeaseLost`] when another process took it over; a table error.
    pub async fn renew(&self, id: &L::Id) -> Result<()> {
        let renewal = self
            .table
            .update::<L>(L::key_of(&self.work, id))
            .add(L::counter_field(), 1)
            .condition(self.owned());
        self.fenced(id, renewal.send().await)
    }

    /// Renews the lease on `id` three times per failover time until another process takes it
    /// over, and returns that [`Error::LeaseLost`]: run it beside the work on the part, which
    /// stops when it returns. A renewal that fails otherwise is tried again (the lease outlives
    /// one).
    pub(crate) async fn keep_renewed(&self, id: &L::Id) -> Error {
        loop {
            tokio::time::sleep(self.failover / 3).await;
            match self.renew(id).await {
                Ok(()) => {}
                Err(lost @ Error::LeaseLost { .. }) => return lost,
                Err(e) => tracing::warn!(%e, "renewing the lease on {} {id}", L::PART),
            }
        }
    }

    /// Forgets that this process holds the lease on `id` (its worker stopped): the lease stays
    /// this process's until another takes it over, or this process claims it again.
    pub fn release(&self, id: &L::Id) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// The condition "this process holds the lease".
    fn owned(&self) -> Condition<L> {
        L::owner_field().eq(self.owner.clone())
    }

    /// A write's outcome, a failed ownership condition as [`Error::LeaseLost`].
    fn fenced(&self, id: &L::Id, sent: dynatable_core::Result<()>) -> Result<()> {
        match sent {
            Ok(()) => Ok(()),
            Err(e) if e.is_conditional_check_failed() => {
                self.release(id);
                Err(Error::LeaseLost {
                    work: self.work.clone(),
                    lease: format!("{} {id}", L::PART),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends `update`, which lets go of the lease on `id` (conditioned on this process holding
    /// it); forgets the lease whatever came of it.
    async fn let_go(&self, id: &L::Id, update: dynatable_core::Update<L>) -> Result<()> {
        let sent = self.fenced(id, update.send().await);
        self.release(id);
        sent
    }
}
