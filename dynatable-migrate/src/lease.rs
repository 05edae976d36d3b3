//! Leases on the scan segments of a backfill that several processes share (`migrate up --join`),
//! kept in the ledger: one item per segment holding its owner, a counter the owner renews, and
//! where the segment's scan stands.
//!
//! The protocol is the one of the Kinesis Client Library's lease table. A process takes a free
//! lease, or one whose counter has not moved for the failover time **as measured by its own
//! clock** (no clock is ever compared with another process's), with a write conditioned on the
//! owner and counter it saw. The owner renews the lease by raising the counter, and saves the
//! segment's position with writes conditioned on still owning it: once another process took
//! the lease over, the old owner can no longer move the segment's position (it is fenced), and
//! finds out at its next renewal or save.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use dynatable_core::{Condition, SegmentPosition, Table, Update, entity};

use crate::checkpoint::StoredPosition;
use crate::error::{Error, Result};
use crate::ledger::records_starting;
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

/// `update`, also recording the malformed items `skipped` in its segment so far.
fn counting(update: Update<SegmentLease>, skipped: Skipped) -> Update<SegmentLease> {
    let f = SegmentLease::fields();
    update
        .set(f.skipped_malformed, skipped.total)
        .set_serde(f.skipped_items, &skipped.listed)
}

/// A source of monotonic time: how a process measures the failover time. Tests give processes
/// clocks of their own.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The process's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// What [`Leases::claim`] found.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one claim per segment: a boxed lease would cost an allocation to save a copy of 200 bytes"
)]
pub enum Claim {
    /// This process now holds the lease: scan the segment from its position.
    Taken(SegmentLease),
    /// Every unfinished segment is held by a live process (or was just taken by another).
    Busy,
    /// Every segment is done.
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

/// One process's view of the leases of one shared backfill.
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
pub struct Leases {
    table: Table,
    work: String,
    owner: String,
    holder: String,
    failover: Duration,
    clock: Arc<dyn Clock>,
    seen: Arc<Mutex<HashMap<u32, Seen>>>,
    held: Arc<Mutex<HashSet<u32>>>,
}

impl Leases {
    /// The leases of backfill `work` as seen by a new process (a fresh owner token), which
    /// takes over a lease whose counter stands still for `failover`.
    pub fn new(
        table: Table,
        work: impl Into<String>,
        holder: impl Into<String>,
        failover: Duration,
    ) -> Self {
        Self {
            table,
            work: work.into(),
            owner: ulid::Ulid::new().to_string(),
            holder: holder.into(),
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
    /// the backfill: a lease a stopped worker of the process left is claimed again at once).
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

    /// The backfill the leases are of.
    pub fn work(&self) -> &str {
        &self.work
    }

    /// How long a lease's counter must stand still before this process takes it over.
    pub fn failover(&self) -> Duration {
        self.failover
    }

    /// Creates the leases of `segments` segments, each at its start, unless the backfill has
    /// leases already (an interrupted run's, which keep their positions and their segment count;
    /// those it did not make yet are made). Returns the segment count in force.
    ///
    /// # Errors
    /// A table error.
    pub async fn create(&self, segments: u32) -> Result<u32> {
        let existing = self.all().await?;
        let segments = existing.first().map_or(segments.max(1), |l| l.segments);
        let made: HashSet<u32> = existing.iter().map(|l| l.segment).collect();
        // A process killed while it made them left some: the others are made now.
        for segment in (0..segments).filter(|s| !made.contains(s)) {
            let lease = SegmentLease {
                work: self.work.clone(),
                segment,
                segments,
                owner: None,
                holder: None,
                counter: 0,
                position: StoredPosition(SegmentPosition::Start),
                read: 0,
                written: 0,
                finished_by: None,
                skipped_malformed: 0,
                skipped_items: Vec::new(),
            };
            let absent = Condition::attribute_not_exists(dynatable_core::PARTITION_KEY_ATTRIBUTE);
            match self.table.put(&lease).condition(absent).send().await {
                // Another process creates them at the same moment: theirs are as good.
                Err(e) if e.is_conditional_check_failed() => {}
                other => other?,
            }
        }
        Ok(segments)
    }

    /// Every lease of the backfill, in segment order (read consistently).
    ///
    /// # Errors
    /// A table error.
    pub async fn all(&self) -> Result<Vec<SegmentLease>> {
        of_work(&self.table, &self.work).await
    }

    /// Takes a lease: a free one if any, else one whose counter stood still for the failover time
    /// by this process's clock. Leases this process holds are left alone.
    ///
    /// # Errors
    /// A table error.
    pub async fn claim(&self) -> Result<Claim> {
        let leases = self.all().await?;
        // Every segment has its lease (a process killed while it made them left some to make)
        // and every lease is done.
        let complete = leases
            .first()
            .is_some_and(|l| usize::try_from(l.segments).is_ok_and(|n| n == leases.len()));
        if complete && leases.iter().all(SegmentLease::is_done) {
            return Ok(Claim::AllDone);
        }
        let now = self.clock.now();
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut free = Vec::new();
        let mut expired = Vec::new();
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            for lease in leases.into_iter().filter(|l| !l.is_done()) {
                if held.contains(&lease.segment) {
                    continue;
                }
                let still = seen
                    .get(&lease.segment)
                    .is_some_and(|s| s.owner == lease.owner && s.counter == lease.counter);
                if !still {
                    seen.insert(
                        lease.segment,
                        Seen {
                            owner: lease.owner.clone(),
                            counter: lease.counter,
                            since: now,
                        },
                    );
                }
                let stood_still = seen
                    .get(&lease.segment)
                    .map_or(Duration::ZERO, |s| now.saturating_duration_since(s.since));
                match &lease.owner {
                    None => free.push(lease),
                    // A lease of this process no worker holds: left by a worker that stopped.
                    Some(owner) if *owner == self.owner => free.push(lease),
                    Some(_) if stood_still >= self.failover => expired.push(lease),
                    Some(_) => {}
                }
            }
        }
        // Processes starting together spread over the free leases instead of racing for one.
        fastrand::shuffle(&mut free);
        for lease in free.into_iter().chain(expired) {
            if let Some(taken) = self.take(lease).await? {
                return Ok(Claim::Taken(taken));
            }
        }
        Ok(Claim::Busy)
    }

    /// Takes `lease` as it was seen; `None` when another process moved it first.
    async fn take(&self, lease: SegmentLease) -> Result<Option<SegmentLease>> {
        let f = SegmentLease::fields();
        let as_seen = match &lease.owner {
            Some(owner) => f.owner.eq(owner.clone()),
            None => f.owner.not_exists(),
        }
        .and(f.counter.eq(lease.counter));
        let counter = lease.counter.saturating_add(1);
        let taken = self
            .table
            .update::<SegmentLease>(SegmentLease::key(&self.work, lease.segment))
            .set(f.owner, self.owner.clone())
            .set(f.holder, self.holder.clone())
            .set(f.counter, counter)
            .condition(as_seen)
            .send()
            .await;
        match taken {
            Ok(()) => {
                if let Some(previous) = &lease.holder
                    && lease.owner.as_deref() != Some(self.owner.as_str())
                {
                    tracing::info!(
                        "{}: took segment {} over from {previous}",
                        self.work,
                        lease.segment
                    );
                }
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(lease.segment);
                Ok(Some(SegmentLease {
                    owner: Some(self.owner.clone()),
                    holder: Some(self.holder.clone()),
                    counter,
                    ..lease
                }))
            }
            Err(e) if e.is_conditional_check_failed() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Raises the counter of `segment`'s lease, proving this process alive.
    ///
    /// # Errors
    /// [`Error::LeaseLost`] when another process took it over; a table error.
    pub async fn renew(&self, segment: u32) -> Result<()> {
        let f = SegmentLease::fields();
        let renewal = self
            .table
            .update::<SegmentLease>(SegmentLease::key(&self.work, segment))
            .add(f.counter, 1)
            .condition(self.owned());
        self.fenced(segment, renewal.send().await)
    }

    /// Saves where `segment`'s scan stands, while this process holds its lease.
    ///
    /// # Errors
    /// [`Error::LeaseLost`]; a table error.
    pub async fn save(&self, segment: u32, position: SegmentPosition) -> Result<()> {
        let save = self.position_update(segment, position);
        self.fenced(segment, save.send().await)
    }

    /// [`save`](Self::save), with the malformed items skipped in the segment so far.
    pub(crate) async fn save_counting(
        &self,
        segment: u32,
        position: SegmentPosition,
        skipped: Skipped,
    ) -> Result<()> {
        let save = counting(self.position_update(segment, position), skipped);
        self.fenced(segment, save.send().await)
    }

    /// The write of `segment`'s position, on the condition that this process holds its lease.
    fn position_update(&self, segment: u32, position: SegmentPosition) -> Update<SegmentLease> {
        self.table
            .update::<SegmentLease>(SegmentLease::key(&self.work, segment))
            .set(SegmentLease::fields().position, StoredPosition(position))
            .condition(self.owned())
    }

    /// Marks `segment` done, with the counts of the process that finished it, and lets go of
    /// its lease.
    ///
    /// # Errors
    /// [`Error::LeaseLost`]; a table error.
    pub async fn finish(&self, segment: u32, read: u64, written: u64) -> Result<()> {
        let finish = self.finish_update(segment, read, written);
        self.finished(segment, finish).await
    }

    /// [`finish`](Self::finish), with the malformed items skipped in the segment.
    pub(crate) async fn finish_counting(
        &self,
        segment: u32,
        read: u64,
        written: u64,
        skipped: Skipped,
    ) -> Result<()> {
        let finish = counting(self.finish_update(segment, read, written), skipped);
        self.finished(segment, finish).await
    }

    /// The write marking `segment` done, on the condition that this process holds its lease.
    fn finish_update(&self, segment: u32, read: u64, written: u64) -> Update<SegmentLease> {
        let f = SegmentLease::fields();
        self.position_update(segment, SegmentPosition::Done)
            .set(f.read, read)
            .set(f.written, written)
            .set(f.finished_by, self.holder.clone())
            .remove(f.owner)
    }

    /// Sends `finish`, and lets go of the lease whatever came of it.
    async fn finished(&self, segment: u32, finish: Update<SegmentLease>) -> Result<()> {
        let finished = self.fenced(segment, finish.send().await);
        self.release(segment);
        finished
    }

    /// Forgets that this process holds `segment` (its worker stopped): the lease stays this
    /// process's until another takes it over, or this process claims it again.
    pub fn release(&self, segment: u32) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&segment);
    }

    /// The condition "this process holds the lease".
    fn owned(&self) -> Condition<SegmentLease> {
        SegmentLease::fields().owner.eq(self.owner.clone())
    }

    /// A write's outcome, a failed ownership condition as [`Error::LeaseLost`].
    fn fenced(&self, segment: u32, sent: dynatable_core::Result<()>) -> Result<()> {
        match sent {
            Ok(()) => Ok(()),
            Err(e) if e.is_conditional_check_failed() => {
                self.release(segment);
                Err(Error::LeaseLost {
                    work: self.work.clone(),
                    segment,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The leases of backfill `work`, in segment order.
pub(crate) async fn of_work(table: &Table, work: &str) -> Result<Vec<SegmentLease>> {
    let mut leases: Vec<SegmentLease> = records_starting(table, format!("LEASE#{work}#")).await?;
    leases.sort_by_key(|l| l.segment);
    Ok(leases)
}

/// Every lease in the ledger, of every backfill.
pub(crate) async fn every_lease(table: &Table) -> Result<Vec<SegmentLease>> {
    records_starting(table, "LEASE#".to_owned()).await
}
