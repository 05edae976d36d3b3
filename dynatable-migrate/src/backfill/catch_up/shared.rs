//! The catch-up of a backfill that the processes of a joined run share: the stream's shards are
//! leased like the scan's segments ([`ShardLease`]), each read by the process holding its lease
//! and resumed from the lease by another when that process dies.
//!
//! The leader records where the stream stands before the scan (the catch-up's start, saved in the
//! ledger as a single run's is) and makes a lease for each shard open then, with the `LATEST`
//! iterator it took on it. Every process, beside its part of the scan and after it, lists the
//! shards, makes the leases of the shards that may be read now (a closed shard's children, once
//! it was read to its end) and claims leases up to its share (the unfinished shards over the
//! processes at work), letting go of one when it holds more. A shard's part is over once it is
//! read to its end, or past the moment its reader saw the scan end; the catch-up is over once
//! every shard that may be read is. The leader then saves the position the leases add up to, from
//! which the migration's replays follow the stream.
//!
//! A record is read by whichever process holds its shard, not by the one that wrote it, so no
//! process passes over its own writes: every item the backfill wrote is read again once, and the
//! plan, which must be convergent, leaves it as it is.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use dynatable_core::{BulkReport, ItemMatcher, OwnWrites, Table, Write};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;

use super::{CatchUp, ReaderStart, ShardEnd, trimmed_check};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::joined::Joined;
use crate::lease::{LeaseItem, Leases, ShardLease, segment_leases_of};
use crate::ledger::now_ms;
use crate::skipped_items::SkippedItems;
use crate::stream::{
    ChangeStream, ITERATOR_LIFETIME, LatestIterator, ShardPosition, StreamPosition, epoch_ms,
    list_shards, ready,
};

/// How often a process of a shared catch-up lists the stream's shards when none was read to its
/// end meanwhile.
const RELIST_EVERY: Duration = Duration::from_secs(60);

impl<'a, T: Send> CatchUp<'a, T> {
    /// This catch-up (the leader's), shared with the processes of a joined run through
    /// `leases`: makes the lease of each shard open at the start, with the `LATEST` iterator
    /// taken on it then, and writes through `table`, which counts no writes of its own.
    pub(crate) async fn sharing(
        mut self,
        table: &Table,
        leases: Leases<ShardLease>,
    ) -> Result<Self> {
        let latest =
            std::mem::take(&mut *self.latest.lock().unwrap_or_else(PoisonError::into_inner));
        for shard in &self.position().open {
            let start = latest.get(shard).map(|latest| {
                let taken = SystemTime::now()
                    .checked_sub(latest.taken.elapsed())
                    .unwrap_or_else(SystemTime::now);
                (
                    latest.iterator.clone(),
                    u64::try_from(epoch_ms(taken)).unwrap_or_default(),
                )
            });
            leases.offer(shard, start).await?;
        }
        self.table = table.clone();
        self.own = Arc::new(OwnWrites::new());
        self.shared = Some(leases);
        Ok(self)
    }

    /// A follower's part of the shared catch-up of backfill `name`, which the leader started at
    /// `position`.
    pub(crate) fn joining(
        context: &'a Context,
        stream: ChangeStream,
        name: &'a str,
        matcher: ItemMatcher<T>,
        position: StreamPosition,
        table: &Table,
        leases: Leases<ShardLease>,
    ) -> Self {
        Self {
            table: table.clone(),
            shared: Some(leases),
            following: true,
            ..Self::at(context, stream, name, matcher, position)
        }
    }

    /// Whether this process holds more shard leases than its share.
    pub(super) fn over_share(&self) -> bool {
        self.shared
            .as_ref()
            .is_some_and(|leases| leases.held_count() > self.share.load(Ordering::Relaxed))
    }

    /// Reads shards whose leases this process claims, until every shard that may be read is
    /// read to its end or past the moment the scan ended.
    pub(super) async fn run_shared<F>(
        &self,
        leases: &Leases<ShardLease>,
        scan_ended: watch::Receiver<bool>,
        plan: &Mutex<F>,
    ) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let poll = Joined::poll_every(leases.failover());
        let mut report = BulkReport::default();
        let mut reading = FuturesUnordered::new();
        // The shards are listed again when a shard was read to its end (its children may be
        // read from then on), and now and then; not every round: `DescribeStream` allows 10
        // requests a second for all the processes.
        let mut shards = Vec::new();
        let mut listed: Option<(Instant, usize)> = None;
        loop {
            let mut all = leases.all().await?;
            let closed = all.iter().filter(|lease| lease.closed).count();
            if listed.is_none_or(|(at, closed_then)| {
                closed_then != closed || at.elapsed() >= RELIST_EVERY
            }) {
                shards =
                    list_shards(&self.stream.client, &self.stream.arn, &self.stream.table).await?;
                listed = Some((Instant::now(), closed));
            }
            let position = self.adding_up(&all);
            trimmed_check(&position, &shards)?;
            let selected = position.selected(&shards);
            let readable = ready(&selected, |id| position.finished(id));
            let mut offered = false;
            for shard in &readable {
                if !all.iter().any(|lease| lease.shard == shard.id) {
                    match self.following {
                        true => leases.offer_while_announced(&shard.id).await?,
                        false => leases.offer(&shard.id, None).await?,
                    }
                    offered = true;
                }
            }
            if offered {
                all = leases.all().await?;
            }
            let readable: HashSet<&str> = readable.iter().map(|s| s.id.as_str()).collect();
            let unfinished: Vec<&ShardLease> = all
                .iter()
                .filter(|l| readable.contains(l.shard.as_str()) && !l.is_done())
                .collect();
            // A readable shard without a lease (a follower's offer after the backfill was
            // withdrawn) is not over either.
            let unleased = readable
                .iter()
                .any(|id| !all.iter().any(|lease| lease.shard == *id));
            let scan_over = *scan_ended.borrow() || scan_ended.has_changed().is_err();
            if scan_over && unfinished.is_empty() && !unleased && reading.is_empty() {
                return Ok(report);
            }
            let processes = self.processes_at_work(leases, &unfinished).await?;
            let share = unfinished.len().div_ceil(processes).max(1);
            self.share.store(share, Ordering::Relaxed);
            while let Some(lease) = leases
                .claim_among(all.clone(), |l| readable.contains(l.shard.as_str()), share)
                .await?
            {
                reading.push(self.read_leased(leases, lease, scan_ended.clone(), plan));
            }
            tokio::select! {
                Some(read) = reading.next(), if !reading.is_empty() => match read {
                    Ok((_, done)) => report.merge(&done),
                    // Another process reads on from the lease's position.
                    Err(Error::LeaseLost { .. }) => {}
                    Err(e) => return Err(e),
                },
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// How many processes share the work now: this one, and every other holding a lease on an
    /// unfinished segment or on one of `unfinished` shards.
    async fn processes_at_work(
        &self,
        leases: &Leases<ShardLease>,
        unfinished: &[&ShardLease],
    ) -> Result<usize> {
        let segments = segment_leases_of(&self.table, leases.work()).await?;
        let owners: HashSet<&str> = segments
            .iter()
            .filter(|l| !l.is_done())
            .filter_map(LeaseItem::owner)
            .chain(unfinished.iter().filter_map(|l| l.owner()))
            .chain([leases.owner()])
            .collect();
        Ok(owners.len())
    }

    /// Reads the shard of `lease` from where the lease stands, renewing it meanwhile.
    async fn read_leased<F>(
        &self,
        leases: &Leases<ShardLease>,
        lease: ShardLease,
        scan_ended: watch::Receiver<bool>,
        plan: &Mutex<F>,
    ) -> Result<(ShardEnd, BulkReport)>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let shard = lease.shard.clone();
        // The shard's skipped items are kept in its lease, as a segment's are.
        let skipped = SkippedItems::default();
        skipped.restore(self.name, lease.skipped());
        let start = reader_start(lease);
        let reading = self.read_shard(shard.clone(), start, scan_ended, plan, Some(&skipped));
        let outcome = tokio::select! {
            read = reading => read,
            lost = leases.keep_renewed(&shard) => Err(lost),
        };
        if let Err(e) = &outcome
            && !matches!(e, Error::LeaseLost { .. })
        {
            leases.release(&shard);
        }
        outcome
    }

    /// The catch-up's position with every shard lease's: where the leases' shards were read to.
    fn adding_up(&self, leases: &[ShardLease]) -> StreamPosition {
        let mut position = self.position();
        for lease in leases {
            let at = match (&lease.after, lease.closed) {
                (_, true) => ShardPosition::Done,
                (Some(after), false) => ShardPosition::After(after.clone()),
                (None, false) => continue,
            };
            position.shards.insert(lease.shard.clone(), at);
        }
        position
    }

    /// Where the catch-up ended: in a joined run, the position every shard lease adds up to,
    /// with what the processes read and wrote in all (the malformed items they skipped are
    /// added to the run's); else where this process's readers ended.
    pub(crate) async fn ended(&self) -> Result<(StreamPosition, Option<(u64, u64)>)> {
        let Some(leases) = &self.shared else {
            return Ok((self.position(), None));
        };
        let all = leases.all().await?;
        for lease in &all {
            self.context.run.add_skipped(self.name, lease.skipped());
        }
        let counts = all.iter().fold((0u64, 0u64), |(r, w), lease| {
            (
                r.saturating_add(lease.read),
                w.saturating_add(lease.written),
            )
        });
        Ok((self.adding_up(&all), Some(counts)))
    }
}

/// Where the reader of `lease`'s shard starts: where the lease stands, or, for a shard never
/// read, at the `LATEST` iterator the leader took at the start while it is fresh.
fn reader_start(lease: ShardLease) -> ReaderStart {
    if lease.closed {
        return ReaderStart {
            position: Some(ShardPosition::Done),
            latest: None,
        };
    }
    if let Some(after) = lease.after {
        return ReaderStart {
            position: Some(ShardPosition::After(after)),
            latest: None,
        };
    }
    let latest = match (lease.start_iterator, lease.start_iterator_ms) {
        (Some(iterator), Some(taken_ms)) => {
            let age = Duration::from_millis(now_ms().saturating_sub(taken_ms));
            (age < ITERATOR_LIFETIME)
                .then(|| Instant::now().checked_sub(age))
                .flatten()
                .map(|taken| LatestIterator { iterator, taken })
        }
        _ => None,
    };
    ReaderStart {
        position: None,
        latest,
    }
}
