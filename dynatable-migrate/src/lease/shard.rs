//! The leases on the stream shards a shared backfill's catch-up reads: one per shard, made by the
//! first process that finds the shard may be read (the leader makes those of the shards open
//! when the catch-up started), ended when the shard is read to its end or past the moment the
//! scan ended.

use std::time::Duration;

use dynatable_core::{Table, Update};

use super::claim::Claim;
use super::leases::Leases;
use super::shard_lease::ShardLease;
use crate::error::Result;
use crate::ledger::SharedBackfillRecord;
use crate::ledger::records_of;
use crate::skipped_items::Skipped;

/// What a holder read of its shard since its last save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShardRead {
    /// The last record read, if it read any.
    pub(crate) after: Option<String>,
    /// Items read again meanwhile.
    pub(crate) read: u64,
    /// Items written meanwhile.
    pub(crate) written: u64,
    /// The shard was read to its end.
    pub(crate) closed: bool,
    /// The shard was read past the moment the scan ended.
    pub(crate) caught_up: bool,
    /// This process lets go of the lease for another to read on.
    pub(crate) let_go: bool,
    /// The malformed items skipped in the shard so far (`--skip-malformed`), if any.
    pub(crate) skipped: Option<Skipped>,
}

impl Leases<ShardLease> {
    /// The leases of the stream shards of backfill `work`'s catch-up, as seen by a new process.
    pub fn of_shards(
        table: Table,
        work: impl Into<String>,
        holder: impl Into<String>,
        failover: Duration,
    ) -> Self {
        Self::build(table, work.into(), holder.into(), failover)
    }

    /// Makes the lease on `shard`, free, unless it exists; `start` is a `LATEST` iterator taken
    /// on the shard when the catch-up started, with when (milliseconds since the epoch).
    ///
    /// # Errors
    /// A table error.
    pub async fn offer(&self, shard: &str, start: Option<(String, u64)>) -> Result<()> {
        let put = self.table.put(&self.fresh(shard, start)).if_absent();
        ignoring_made(put.send().await)
    }

    /// [`offer`](Self::offer), while the backfill is announced: a process that finds a shard to
    /// read after the run withdrew the backfill (and deleted its leases) makes no lease.
    pub(crate) async fn offer_while_announced(&self, shard: &str) -> Result<()> {
        let f = SharedBackfillRecord::fields();
        let offered = self
            .table
            .transaction()
            .condition_check(SharedBackfillRecord::key(), f.work.eq(self.work.clone()))
            .write(self.table.put(&self.fresh(shard, None)).if_absent())
            .send()
            .await;
        ignoring_made(offered)
    }

    /// A free lease on `shard`, never read.
    fn fresh(&self, shard: &str, start: Option<(String, u64)>) -> ShardLease {
        let (start_iterator, start_iterator_ms) = start.unzip();
        ShardLease {
            work: self.work.clone(),
            shard: shard.to_owned(),
            owner: None,
            holder: None,
            counter: 0,
            after: None,
            closed: false,
            caught_up: false,
            start_iterator,
            start_iterator_ms,
            read: 0,
            written: 0,
            finished_by: None,
            skipped_malformed: 0,
            skipped_items: Vec::new(),
        }
    }

    /// Every shard lease of the catch-up (read consistently).
    ///
    /// # Errors
    /// A table error.
    pub async fn all(&self) -> Result<Vec<ShardLease>> {
        records_of(&self.table, &format!("{}#", self.work)).await
    }

    /// Takes the lease on one of the `readable` shards whose part is not over: a free one
    /// while this process holds fewer than `share` shard leases, or one free for the failover
    /// time (nobody else took it), or one whose holder's counter stood still for the failover
    /// time (by this process's clock). [`Claim::AllDone`] once every readable shard's part is
    /// over.
    ///
    /// # Errors
    /// A table error.
    pub async fn claim(&self, readable: &[&str], share: usize) -> Result<Claim<ShardLease>> {
        let all = self.all().await?;
        let over = readable.iter().all(|shard| {
            all.iter()
                .any(|lease| lease.shard == *shard && lease.is_done())
        });
        if over {
            return Ok(Claim::AllDone);
        }
        let taken = self
            .claim_among(all, |lease| readable.contains(&lease.shard.as_str()), share)
            .await?;
        Ok(taken.map_or(Claim::Busy, Claim::Taken))
    }

    /// [`claim`](Self::claim) among `leases`, as read, whose shard `readable` accepts.
    pub(crate) async fn claim_among(
        &self,
        leases: Vec<ShardLease>,
        readable: impl Fn(&ShardLease) -> bool,
        share: usize,
    ) -> Result<Option<ShardLease>> {
        let candidates = leases
            .into_iter()
            .filter(|l| !l.is_done() && readable(l))
            .collect();
        let claimable = self.sort_out(candidates);
        let under_share = self.held_count() < share;
        let mut free: Vec<ShardLease> = claimable
            .free
            .into_iter()
            .filter(|(_, stood_free)| under_share || *stood_free >= self.failover)
            .map(|(lease, _)| lease)
            .collect();
        fastrand::shuffle(&mut free);
        self.take_first(free.into_iter().chain(claimable.expired))
            .await
    }

    /// Saves what this process read of `shard` since its last save, while it holds the lease;
    /// lets go of the lease when the shard's part is over.
    ///
    /// # Errors
    /// [`Error::LeaseLost`](crate::Error::LeaseLost); a table error.
    pub(crate) async fn save_read(&self, shard: &str, read: ShardRead) -> Result<()> {
        let f = ShardLease::fields();
        let mut update: Update<ShardLease> = self
            .table
            .update::<ShardLease>(ShardLease::key(&self.work, shard))
            .add(f.read, read.read)
            .add(f.written, read.written)
            .condition(self.owned());
        if let Some(after) = read.after {
            update = update.set(f.after, after);
        }
        if let Some(skipped) = read.skipped.filter(|s| s.total > 0) {
            update = update
                .set(f.skipped_malformed, skipped.total)
                .set_serde(f.skipped_items, &skipped.listed);
        }
        let id = shard.to_owned();
        if read.closed || read.caught_up {
            update = update
                .set(f.closed, read.closed)
                .set(f.caught_up, read.caught_up)
                .set(f.finished_by, self.holder.clone());
        }
        if read.closed || read.caught_up || read.let_go {
            return self.let_go(&id, update.remove(f.owner)).await;
        }
        let sent = update.send().await;
        self.fenced(&id, sent)
    }
}

/// Every shard lease in the ledger, of every backfill.
pub(crate) async fn every_shard_lease(table: &Table) -> Result<Vec<ShardLease>> {
    records_of(table, "").await
}

/// An offer's outcome, a lease made already (perhaps by another process at the same moment), or
/// a backfill no longer announced, as success: there is nothing to make.
fn ignoring_made(sent: dynatable_core::Result<()>) -> Result<()> {
    match sent {
        Err(e) if e.is_conditional_check_failed() => Ok(()),
        other => Ok(other?),
    }
}
