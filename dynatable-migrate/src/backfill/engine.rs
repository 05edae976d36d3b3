//! The resumable, live-table-safe backfill: a migration's plan applied to every item of a scan,
//! each write conditioned on its item being as read, with the scan's positions checkpointed in
//! the ledger.

use std::sync::{Mutex, PoisonError};

use dynatable_core::{BulkReport, Scan, SegmentPosition, Table, Write};
use futures::TryStreamExt as _;

use crate::backfill::catch_up::CatchUp;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::lease::Leases;
use crate::page_tracker::PageTracker;
use crate::skipped_items::SkippedItems;

/// Where a backfill's scan keeps its positions.
pub(crate) enum Positions<'a> {
    /// In the run's checkpoint of the backfill (nowhere outside a run of the migrator).
    Checkpoint,
    /// In the lease of one segment of a shared backfill, which this process holds.
    Lease {
        /// The backfill's leases.
        leases: &'a Leases,
        /// The segment.
        segment: u32,
        /// Every segment's position: the leased one's, the others done.
        start: Vec<SegmentPosition>,
        /// The malformed items skipped in the segment, saved in its lease with its position.
        skipped: &'a SkippedItems,
    },
}

impl Context {
    /// A resumable backfill, safe on a table in use: applies `plan` to every item of `scan`.
    ///
    /// - **Concurrent writers.** Each write is conditioned on its item being as the scan read it
    ///   (on the version of an entity declared with `#[entity(version)]`, otherwise on every
    ///   attribute read; see [`Snapshot`](dynatable_core::Snapshot)). When an application
    ///   changed the item meanwhile, it is read again and `plan` decides anew from its new
    ///   state; an item deleted meanwhile is left deleted. The report's `reread` counts these.
    ///   A write declared [`blind`](Write::blind) opts out.
    /// - **Resumable.** The scan's segments are read concurrently and their items written with
    ///   the table's concurrency; whenever a page of a segment and every earlier page of it are
    ///   written, the segment's position is saved. The next run of an interrupted or failed
    ///   migration resumes from the saved positions; the pages in flight when it stopped are read
    ///   again, so `plan` must be idempotent (write conditionally, or set values that do not
    ///   depend on the old ones).
    /// - **Malformed items.** An item of the scan that does not decode fails the backfill, unless
    ///   the scan was made with [`Scan::skip_malformed`] or the run skips them
    ///   ([`Migrator::skip_malformed`](crate::Migrator::skip_malformed), `migrate up
    ///   --skip-malformed`): then each is left as it is, counted, and listed (up to
    ///   [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED)) in the run's ledger record. The
    ///   count is saved with the checkpoints; a page read again after an interruption counts its
    ///   skipped items again (the list holds each key once).
    /// - **No item left behind.** When the run follows the table's stream (the default; see
    ///   [`Migrator::catch_up`](crate::Migrator::catch_up)), the stream's position is recorded
    ///   before the scan, and beside it every item changed since is read again and handed to
    ///   `plan` with the same rules, until the catch-up reaches the moment the scan ended: the
    ///   items the application wrote behind the scan are converted too, and at the scan's end
    ///   only the last moments' changes remain to be read. The catch-up sees the backfill's own
    ///   writes as well, so `plan` must be *convergent*: given an item it already converted, it
    ///   returns `None` (or a write whose condition fails, or that changes nothing), never a
    ///   new change (`updatedAt = now` on every call would rewrite the table
    ///   again).
    ///
    /// `name` tells apart several backfills of one migration. Outside a run of the migrator (a
    /// dry run, a plain [`Context::new`]) nothing is saved and nothing is caught up with.
    ///
    /// # Errors
    /// The first read or write error (an item that kept changing through every re-read among
    /// them); a lost lock.
    pub async fn backfill<T, F>(&self, name: &str, scan: Scan<T>, mut plan: F) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Write> + Send,
    {
        self.backfill_units(name, scan, move |value| {
            plan(value).map(|write| vec![write])
        })
        .await
    }

    /// [`backfill`](Self::backfill) for plans that write a unit of several items per item read,
    /// all or none: a re-key's delete of the old item and put of the new one, say. A unit of one
    /// write is sent alone, a larger one as its own transaction; the compare-and-swap guard goes
    /// on the unit's write to the item read (the delete, for a re-key), so a unit made from an
    /// item another writer changed meanwhile is made again from the item's new state.
    ///
    /// # Errors
    /// As [`backfill`](Self::backfill); a transaction that fails for another reason than its
    /// conditions.
    pub async fn backfill_units<T, F>(
        &self,
        name: &str,
        scan: Scan<T>,
        plan: F,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let scan = if self.skips_malformed() {
            scan.skip_malformed()
        } else {
            scan
        };
        let plan = Mutex::new(plan);
        let plan_ref = &plan;
        let call = move |value: T| (plan_ref.lock().unwrap_or_else(PoisonError::into_inner))(value);
        if let Some(joined) = self.run.joined()
            && joined.is_follower()
        {
            return self.follow_shared(joined, name, scan, call).await;
        }
        let catch_up = match self.run.change_stream() {
            Some(_) if scan.is_filtered() => {
                return Err(Error::Other(
                    format!(
                        "backfill {name}: its scan has a filter, which the catch-up could not \
                         apply to the items changed behind the scan; test the condition in the \
                         plan instead"
                    )
                    .into(),
                ));
            }
            Some(stream) => {
                let catch_up = CatchUp::start(self, stream.clone(), name, scan.item_matcher())
                    .await?
                    .skipping_malformed(scan.skips_malformed());
                Some(match self.run.joined() {
                    // The leader of a joined run shares the catch-up with the other processes.
                    Some(joined) => {
                        let leases = joined.leases(self.shared_work(name));
                        catch_up.sharing(joined.table(), leases).await?
                    }
                    None => catch_up,
                })
            }
            None => None,
        };
        let (scan_ended, ended) = tokio::sync::watch::channel(false);
        let scanned = async {
            let report = match self.run.replay() {
                // A replay only follows the changes since the last catch-up.
                Some(_) => BulkReport::default(),
                None => {
                    let table = catch_up.as_ref().map_or(self.table(), CatchUp::table);
                    let report = match self.run.joined() {
                        Some(joined) => {
                            let catches_up = catch_up.is_some();
                            self.scan_shared(joined, table, name, scan, call, catches_up)
                                .await?
                        }
                        None => {
                            self.scan_and_write(table, name, scan, call, Positions::Checkpoint)
                                .await?
                        }
                    };
                    if catch_up.is_some() {
                        self.log(format!(
                            "{name}: scan done, catching up with the changes made since it started"
                        ));
                    }
                    report
                }
            };
            scan_ended.send_replace(true);
            Ok::<_, Error>(report)
        };
        let caught_up = async {
            match &catch_up {
                Some(catch_up) => catch_up.run(ended, &plan).await,
                None => Ok(BulkReport::default()),
            }
        };
        // Boxed: both futures are large (a joined run's shared scan and catch-up above all).
        let (mut report, caught_up) =
            futures::future::try_join(Box::pin(scanned), Box::pin(caught_up)).await?;
        report.merge(&caught_up);
        if let Some(catch_up) = &catch_up {
            let (position, shared) = catch_up.ended().await?;
            match shared {
                None => {
                    let own = match catch_up.passed_over() {
                        0 => String::new(),
                        n => format!(" ({n} changes were the run's own writes, not read again)"),
                    };
                    self.log(format!(
                        "{name}: caught up: read {} changed items again, wrote {}{own}",
                        caught_up.read, caught_up.written
                    ));
                }
                Some((read, written)) => {
                    self.log(format!(
                        "{name}: caught up; the joined processes read {read} changed items \
                         again and wrote {written}"
                    ));
                    // The others' part, as for the scan's segments; and the position the shard
                    // leases add up to, for a run that resumes after this one stops.
                    let own_read = u64::try_from(caught_up.read).unwrap_or(u64::MAX);
                    let own_written = u64::try_from(caught_up.written).unwrap_or(u64::MAX);
                    self.run.add_counts(
                        read.saturating_sub(own_read),
                        written.saturating_sub(own_written),
                    );
                    self.run.save_stream_position(name, &position).await?;
                }
            }
            self.run.record_caught_up(name, &position);
        }
        if let Some(joined) = self.run.joined() {
            self.withdraw(joined, name).await?;
        }
        Ok(report)
    }

    /// The scan half of a backfill: every item of `scan` through `plan`, written to `table`, with
    /// the scan's positions saved in `positions`.
    pub(crate) async fn scan_and_write<T, F>(
        &self,
        table: &Table,
        name: &str,
        scan: Scan<T>,
        plan: F,
        positions: Positions<'_>,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        self.run.estimate_total(self.table()).await;
        // Segments finished before an interruption stay finished in every later checkpoint.
        let saved = match &positions {
            Positions::Checkpoint => self.load_checkpoint(name).await?,
            Positions::Lease { start, .. } => Some(start.clone()),
        };
        let segment_skipped = match &positions {
            Positions::Checkpoint => None,
            Positions::Lease { skipped, .. } => Some(*skipped),
        };
        let save = |positions_now: Vec<SegmentPosition>| {
            let store = &positions;
            async move {
                match store {
                    Positions::Checkpoint => self.save_checkpoint(name, &positions_now).await,
                    Positions::Lease {
                        leases,
                        segment,
                        skipped,
                        ..
                    } => {
                        let index = usize::try_from(*segment).unwrap_or(usize::MAX);
                        match positions_now.get(index) {
                            // `Leases::finish` marks the segment done, with its counts and who
                            // finished it; a process killed before that leaves the last
                            // cursor, and its successor reads the last page again.
                            Some(SegmentPosition::Done) | None => Ok(()),
                            Some(position) => {
                                leases
                                    .save_counting(*segment, position.clone(), skipped.of(name))
                                    .await
                            }
                        }
                    }
                }
            }
        };
        let positions = saved
            .clone()
            .unwrap_or_else(|| vec![SegmentPosition::Start; scan.segment_count()]);
        let scan = match saved {
            Some(saved) => scan.resume(saved),
            None => scan,
        };
        let tracker = Mutex::new(PageTracker::new(positions.clone()));
        let (moved, mut to_save) = tokio::sync::watch::channel(positions);
        // Dropped once the writes are over, which ends the saves.
        let moved = Mutex::new(Some(moved));
        let record = |tracker: &mut PageTracker, moved_now: bool| {
            if moved_now
                && let Some(moved) = moved
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_ref()
            {
                moved.send_replace(tracker.positions().to_vec());
            }
        };
        let items = futures::stream::select_all(scan.segment_snapshot_pages())
            .map_ok(|mut page| {
                // Counted before any item of the page is written, so every checkpoint that
                // passes the page holds them.
                if !page.malformed.is_empty() {
                    let malformed = std::mem::take(&mut page.malformed);
                    self.run.record_skipped(name, malformed, segment_skipped);
                }
                let segment = usize::try_from(page.segment).unwrap_or_default();
                let mut tracker = tracker.lock().unwrap_or_else(PoisonError::into_inner);
                let (id, moved_now) = tracker.page(segment, page.items.len(), page.cursor);
                record(&mut tracker, moved_now);
                futures::stream::iter(
                    page.items
                        .into_iter()
                        .map(move |item| Ok(((segment, id), item))),
                )
            })
            .try_flatten();
        let written = table.transact_snapshots_tagged(
            self.run.with_progress(items),
            plan,
            |(segment, id)| {
                let mut tracker = tracker.lock().unwrap_or_else(PoisonError::into_inner);
                let moved_now = tracker.item_done(segment, id);
                record(&mut tracker, moved_now);
            },
        );
        // Saves run beside the writes, one at a time, each of the newest positions; every
        // position saved covers only written pages.
        let saves = async {
            while to_save.changed().await.is_ok() {
                let positions = to_save.borrow_and_update().clone();
                save(positions).await?;
            }
            Ok::<(), Error>(())
        };
        let written = async {
            let result = self.run.count(written.await);
            moved.lock().unwrap_or_else(PoisonError::into_inner).take();
            result.map_err(Error::from)
        };
        match futures::future::try_join(written, saves).await {
            // The saves ran until the writes were over, the newest positions last.
            Ok((report, ())) => Ok(report),
            // The saves stopped with the error, perhaps before the newest positions: save them
            // now, so the pages finished by then are not read again. The run's error is the one
            // to report.
            Err(error) => {
                let last = tracker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .positions()
                    .to_vec();
                match save(last).await {
                    // A lease taken over: its new holder saves the segment's position now.
                    Ok(()) | Err(Error::LeaseLost { .. }) => {}
                    Err(not_saved) => {
                        tracing::warn!(%not_saved, "the checkpoint of {name} was not saved");
                    }
                }
                Err(error)
            }
        }
    }
}
