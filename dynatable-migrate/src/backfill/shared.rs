//! A backfill shared by the processes of a joined run (`migrate up --join`): the leader announces
//! it in the ledger and creates a lease per scan segment; every process, the leader included,
//! claims segments, scans and converts them, and saves their positions in their leases; beside
//! them, each reads the stream shards of the catch-up it leases (see `catch_up::shared`). The
//! backfill is over when every segment is done and the catch-up is over.

use dynatable_core::{BulkReport, Scan, SegmentPosition, Table, Write};

use crate::backfill::catch_up::CatchUp;
use crate::backfill::scan_and_write::Positions;
use crate::checkpoint::load_stream_position;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::joined::{Joined, JoinedRole};
use crate::lease::{Claim, Leases, SegmentLease, ShardLease};
use crate::ledger::SharedBackfillRecord;
use crate::skipped_items::SkippedItems;

/// How many segments a shared backfill's scan has unless `--segments` says otherwise: enough for
/// a few dozen processes to balance, each working a few segments at a time.
pub const DEFAULT_SHARED_SEGMENTS: u32 = 64;

/// Who finished how many of `leases`: `a pid 1: 5, b pid 2: 3`.
fn finishers(leases: &[SegmentLease]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for lease in leases {
        *counts
            .entry(lease.finished_by.as_deref().unwrap_or("nobody"))
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(holder, n)| format!("{holder}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Context {
    /// The leader's scan of a shared backfill: creates the leases (or finds an interrupted
    /// run's), announces the backfill (with whether it `catches_up` with the stream), works on
    /// it beside the other processes until every segment is done, and counts the others' items
    /// in the run's record.
    pub(crate) async fn scan_shared<T, F>(
        &self,
        joined: &Joined,
        table: &Table,
        name: &str,
        scan: Scan<T>,
        plan: F,
        catches_up: bool,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send + Copy,
    {
        let JoinedRole::Leader {
            version,
            checksum,
            direction,
        } = &joined.role
        else {
            return Err(Error::msg(
                "only the leader of a joined run announces backfills",
            ));
        };
        let work = self.shared_work(name);
        let leases = joined.leases::<SegmentLease>(work.clone());
        let segments = leases.create(joined.process.segments).await?;
        let announced = SharedBackfillRecord {
            work: work.clone(),
            version: version.clone(),
            direction: direction.to_string(),
            name: name.to_owned(),
            checksum: checksum.clone(),
            catch_up_version: catches_up.then(|| self.run.checkpoint_key_version()),
            segments,
            leader: joined.process.holder.clone(),
            announced_at: crate::ledger::now(),
        };
        self.run.announce(&announced).await?;
        self.log(format!(
            "{name}: shared with the joined processes in {segments} segments"
        ));
        let own = self
            .work_segments(&leases, table, name, scan, segments, plan)
            .await?;
        let finished = leases.all().await?;
        self.log(format!(
            "{name}: all {segments} segments done; finished by {}",
            finishers(&finished)
        ));
        let (read, written) = finished.iter().fold((0u64, 0u64), |(r, w), lease| {
            (
                r.saturating_add(lease.read),
                w.saturating_add(lease.written),
            )
        });
        // Every process's skipped items are in the leases (the leader's too).
        for lease in &finished {
            self.run.add_skipped(name, lease.skipped());
        }
        let own_read = u64::try_from(own.read).unwrap_or(u64::MAX);
        let own_written = u64::try_from(own.written).unwrap_or(u64::MAX);
        self.run.add_counts(
            read.saturating_sub(own_read),
            written.saturating_sub(own_written),
        );
        Ok(own)
    }

    /// The key of backfill `name`'s leases: version (with `#down` for a rollback) and name.
    pub(crate) fn shared_work(&self, name: &str) -> String {
        format!("{}#{}", self.run.checkpoint_key_version(), name)
    }

    /// Withdraws the announcement of shared backfill `name`, once its scan and catch-up are
    /// over: the followers stop looking for more of it.
    pub(crate) async fn withdraw(&self, joined: &Joined, name: &str) -> Result<()> {
        let f = SharedBackfillRecord::fields();
        match joined
            .table()
            .delete::<SharedBackfillRecord>(SharedBackfillRecord::key())
            .condition(f.work.eq(self.shared_work(name)))
            .send()
            .await
        {
            Err(e) if !e.is_conditional_check_failed() => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// A follower's backfill: works on the announced one until every segment is done, then waits
    /// (the follower stops the migration's code there); any other backfill of the migration is
    /// the leader's, done before the announced one or after it.
    pub(crate) async fn follow_shared<T, F>(
        &self,
        joined: &Joined,
        name: &str,
        scan: Scan<T>,
        plan: F,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send + Copy,
    {
        let JoinedRole::Follower { announced, done } = &joined.role else {
            return Err(Error::msg(
                "only a follower of a joined run joins backfills",
            ));
        };
        if name != announced.name {
            return Ok(BulkReport::default());
        }
        let leases = joined.leases::<SegmentLease>(announced.work.clone());
        let (matcher, skips_malformed) = (scan.item_matcher(), scan.skips_malformed());
        let (scan_ended, ended) = tokio::sync::watch::channel(false);
        let scanned = async {
            let report = self
                .work_segments(
                    &leases,
                    joined.table(),
                    name,
                    scan,
                    announced.segments,
                    plan,
                )
                .await;
            scan_ended.send_replace(true);
            report
        };
        let caught_up = async {
            let (Some(version), Some(stream)) =
                (&announced.catch_up_version, self.run.change_stream())
            else {
                return Ok(None);
            };
            let Some(position) = load_stream_position(joined.table(), version, name).await? else {
                return Err(Error::msg(format!(
                    "{name}: the leader announced a catch-up whose start is not in the ledger"
                )));
            };
            let catch_up = CatchUp::joining(
                self,
                stream.clone(),
                name,
                matcher,
                position,
                joined.table(),
                joined.leases::<ShardLease>(announced.work.clone()),
            )
            .skipping_malformed(skips_malformed);
            let plan = std::sync::Mutex::new(plan);
            Ok(Some(catch_up.run(ended, &plan).await?))
        };
        let (mut report, caught_up) =
            futures::future::try_join(Box::pin(scanned), Box::pin(caught_up)).await?;
        self.log(format!(
            "{name}: every segment is done; this process read {}, wrote {}",
            report.read, report.written
        ));
        if let Some(caught_up) = caught_up {
            self.log(format!(
                "{name}: caught up; this process read {} changed items again, wrote {}",
                caught_up.read, caught_up.written
            ));
            report.merge(&caught_up);
        }
        done.notify_one();
        std::future::pending::<()>().await;
        Ok(report)
    }

    /// Claims segments of `leases` and converts them, as many at a time as `scan` has segments,
    /// until every segment is done; a segment another process took over is left to it.
    async fn work_segments<T, F>(
        &self,
        leases: &Leases,
        table: &Table,
        name: &str,
        scan: Scan<T>,
        segments: u32,
        plan: F,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send + Copy,
    {
        let workers = scan.segment_count().max(1);
        let scan = scan.reading_through(table).segments(segments);
        let poll = Joined::poll_every(leases.failover());
        let worker = || async {
            let mut report = BulkReport::default();
            loop {
                match leases.claim().await? {
                    Claim::AllDone => return Ok::<_, Error>(report),
                    Claim::Busy => tokio::time::sleep(poll).await,
                    Claim::Taken(lease) => {
                        if let Some(done) = self
                            .work_segment(leases, table, name, &scan, lease, plan)
                            .await?
                        {
                            report.merge(&done);
                        }
                    }
                }
            }
        };
        let reports = futures::future::try_join_all((0..workers).map(|_| worker())).await?;
        Ok(reports.iter().fold(BulkReport::default(), |mut all, r| {
            all.merge(r);
            all
        }))
    }

    /// Converts the segment of `lease` from its position, renewing the lease meanwhile; `None`
    /// when another process took it over.
    async fn work_segment<T, F>(
        &self,
        leases: &Leases,
        table: &Table,
        name: &str,
        scan: &Scan<T>,
        lease: SegmentLease,
        plan: F,
    ) -> Result<Option<BulkReport>>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send + Copy,
    {
        let segment = lease.segment;
        let start: Vec<SegmentPosition> = (0..lease.segments)
            .map(|s| match s == segment {
                true => lease.position.0.clone(),
                false => SegmentPosition::Done,
            })
            .collect();
        let skipped = SkippedItems::default();
        skipped.restore(name, lease.skipped());
        let positions = Positions::Lease {
            leases,
            segment,
            start: start.clone(),
            skipped: &skipped,
        };
        let scanned = self.scan_and_write(table, name, scan.clone().resume(start), plan, positions);
        let outcome = tokio::select! {
            scanned = scanned => scanned,
            lost = leases.keep_renewed(&segment) => Err(lost),
        };
        match outcome {
            Ok(report) => {
                let read = u64::try_from(report.read).unwrap_or(u64::MAX);
                let written = u64::try_from(report.written).unwrap_or(u64::MAX);
                match leases
                    .finish_counting(segment, read, written, skipped.of(name))
                    .await
                {
                    Ok(()) => {
                        self.log(format!(
                            "{name}: segment {segment} done by {}: read {read}, wrote {written}",
                            leases.holder()
                        ));
                        Ok(Some(report))
                    }
                    Err(Error::LeaseLost { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Err(Error::LeaseLost { .. }) => {
                self.log(format!(
                    "{name}: segment {segment} was taken over by another process"
                ));
                Ok(None)
            }
            Err(e) => {
                leases.release(&segment);
                Err(e)
            }
        }
    }
}
