//! The store of a shared backfill's segment leases: made when the backfill is announced (one
//! per segment), claimed, saved as the scan moves, finished when the segment's scan is over.

use std::collections::HashSet;
use std::time::Duration;

use dynatable_core::{Condition, SegmentPosition, Table, Update};

use super::claim::Claim;
use super::leases::Leases;
use super::segment_lease::SegmentLease;
use crate::checkpoint::StoredPosition;
use crate::error::Result;
use crate::ledger::records_of;
use crate::skipped_items::Skipped;

/// `update`, also recording the malformed items `skipped` in its segment so far.
fn counting(update: Update<SegmentLease>, skipped: Skipped) -> Update<SegmentLease> {
    let f = SegmentLease::fields();
    update
        .set(f.skipped_malformed, skipped.total)
        .set_serde(f.skipped_items, &skipped.listed)
}

impl Leases<SegmentLease> {
    /// The leases of the scan segments of backfill `work` as seen by a new process (a fresh
    /// owner token), which takes over a lease whose counter stands still for `failover`.
    pub fn new(
        table: Table,
        work: impl Into<String>,
        holder: impl Into<String>,
        failover: Duration,
    ) -> Self {
        Self::build(table, work.into(), holder.into(), failover)
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
        let claimable = self.sort_out(leases.into_iter().filter(|l| !l.is_done()).collect());
        let mut free: Vec<SegmentLease> = claimable.free.into_iter().map(|(l, _)| l).collect();
        // Processes starting together spread over the free leases instead of racing for one.
        fastrand::shuffle(&mut free);
        Ok(
            match self
                .take_first(free.into_iter().chain(claimable.expired))
                .await?
            {
                Some(taken) => Claim::Taken(taken),
                None => Claim::Busy,
            },
        )
    }

    /// Saves where `segment`'s scan stands, while this process holds its lease.
    ///
    /// # Errors
    /// [`Error::LeaseLost`](crate::Error::LeaseLost); a table error.
    pub async fn save(&self, segment: u32, position: SegmentPosition) -> Result<()> {
        let save = self.position_update(segment, position);
        self.fenced(&segment, save.send().await)
    }

    /// [`save`](Self::save), with the malformed items skipped in the segment so far.
    pub(crate) async fn save_counting(
        &self,
        segment: u32,
        position: SegmentPosition,
        skipped: Skipped,
    ) -> Result<()> {
        let save = counting(self.position_update(segment, position), skipped);
        self.fenced(&segment, save.send().await)
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
    /// [`Error::LeaseLost`](crate::Error::LeaseLost); a table error.
    pub async fn finish(&self, segment: u32, read: u64, written: u64) -> Result<()> {
        let finish = self.finish_update(segment, read, written);
        self.let_go(&segment, finish).await
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
        self.let_go(&segment, finish).await
    }

    /// The write marking `segment` done.
    fn finish_update(&self, segment: u32, read: u64, written: u64) -> Update<SegmentLease> {
        let f = SegmentLease::fields();
        self.position_update(segment, SegmentPosition::Done)
            .set(f.read, read)
            .set(f.written, written)
            .set(f.finished_by, self.holder.clone())
            .remove(f.owner)
    }
}

/// The leases of backfill `work`, in segment order.
pub(crate) async fn of_work(table: &Table, work: &str) -> Result<Vec<SegmentLease>> {
    let mut leases: Vec<SegmentLease> = records_of(table, &format!("{work}#")).await?;
    leases.sort_by_key(|l| l.segment);
    Ok(leases)
}

/// Every segment lease in the ledger, of every backfill.
pub(crate) async fn every_lease(table: &Table) -> Result<Vec<SegmentLease>> {
    records_of(table, "").await
}
