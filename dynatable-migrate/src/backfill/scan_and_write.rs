//! The scan half of a backfill: every item of a scan through the plan, written with the
//! compare-and-swap guard, and the scan's positions saved as its pages are finished (in the
//! run's checkpoint, or in the lease of a shared backfill's segment).

use std::sync::{Mutex, PoisonError};

use dynatable_core::{BulkReport, Cursor, Scan, SegmentPosition, Table, Write};
use futures::TryStreamExt as _;
use tokio::sync::watch;

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

impl Positions<'_> {
    /// The positions to start from: the checkpoint an interrupted run saved, or the lease's.
    async fn saved(&self, context: &Context, name: &str) -> Result<Option<Vec<SegmentPosition>>> {
        match self {
            Self::Checkpoint => context.load_checkpoint(name).await,
            Self::Lease { start, .. } => Ok(Some(start.clone())),
        }
    }

    /// Where the skipped items of a leased segment are counted (the run's count otherwise).
    fn skipped(&self) -> Option<&SkippedItems> {
        match self {
            Self::Checkpoint => None,
            Self::Lease { skipped, .. } => Some(skipped),
        }
    }

    /// Saves `positions`: the whole checkpoint, or the leased segment's position with what it
    /// skipped. A finished segment is left to `Leases::finish`, which marks it done with its
    /// counts and who finished it; a process killed before that leaves the last cursor, and its
    /// successor reads the last page again.
    async fn save(
        &self,
        context: &Context,
        name: &str,
        positions: &[SegmentPosition],
    ) -> Result<()> {
        match self {
            Self::Checkpoint => context.save_checkpoint(name, positions).await,
            Self::Lease {
                leases,
                segment,
                skipped,
                ..
            } => match positions.get(usize::try_from(*segment).unwrap_or(usize::MAX)) {
                Some(SegmentPosition::Done) | None => Ok(()),
                Some(position) => {
                    leases
                        .save_counting(*segment, position.clone(), skipped.of(name))
                        .await
                }
            },
        }
    }
}

/// The scan's positions as its pages are written: which page each item belongs to, and the
/// newest positions that cover only written pages, sent to the saver whenever they move.
struct MovingPositions {
    tracker: Mutex<PageTracker>,
    /// Dropped once the writes are over, which ends the saves.
    moved: Mutex<Option<watch::Sender<Vec<SegmentPosition>>>>,
}

impl MovingPositions {
    /// Positions starting at `positions`, and the receiver of every move.
    fn new(positions: Vec<SegmentPosition>) -> (Self, watch::Receiver<Vec<SegmentPosition>>) {
        let (moved, to_save) = watch::channel(positions.clone());
        let this = Self {
            tracker: Mutex::new(PageTracker::new(positions)),
            moved: Mutex::new(Some(moved)),
        };
        (this, to_save)
    }

    /// Registers a page of `items` items of `segment` read up to `cursor`; returns its id.
    fn page(&self, segment: usize, items: usize, cursor: Option<Cursor>) -> u64 {
        let mut tracker = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        let (id, moved) = tracker.page(segment, items, cursor);
        self.send_if(moved, &tracker);
        id
    }

    /// Registers a written item of page `id` of `segment`.
    fn item_done(&self, segment: usize, id: u64) {
        let mut tracker = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        let moved = tracker.item_done(segment, id);
        self.send_if(moved, &tracker);
    }

    fn send_if(&self, moved: bool, tracker: &PageTracker) {
        if moved
            && let Some(sender) = self
                .moved
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
        {
            sender.send_replace(tracker.positions().to_vec());
        }
    }

    /// Ends the moves: the saver stops once it saved the last one.
    fn close(&self) {
        self.moved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// The newest positions.
    fn now(&self) -> Vec<SegmentPosition> {
        self.tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .positions()
            .to_vec()
    }
}

impl Context {
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
        let saved = positions.saved(self, name).await?;
        let start = saved
            .clone()
            .unwrap_or_else(|| vec![SegmentPosition::Start; scan.segment_count()]);
        let scan = match saved {
            Some(saved) => scan.resume(saved),
            None => scan,
        };
        let (moving, mut to_save) = MovingPositions::new(start);
        let items = futures::stream::select_all(scan.segment_snapshot_pages())
            .map_ok(|mut page| {
                // Counted before any item of the page is written, so every checkpoint that
                // passes the page holds them.
                if !page.malformed.is_empty() {
                    let malformed = std::mem::take(&mut page.malformed);
                    self.run
                        .record_skipped(name, malformed, positions.skipped());
                }
                let segment = usize::try_from(page.segment).unwrap_or_default();
                let id = moving.page(segment, page.items.len(), page.cursor);
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
            |(segment, id)| moving.item_done(segment, id),
        );
        // Saves run beside the writes, one at a time, each of the newest positions; every
        // position saved covers only written pages.
        let saves = async {
            while to_save.changed().await.is_ok() {
                let now = to_save.borrow_and_update().clone();
                positions.save(self, name, &now).await?;
            }
            Ok::<(), Error>(())
        };
        let written = async {
            let result = self.run.count(written.await);
            moving.close();
            result.map_err(Error::from)
        };
        match futures::future::try_join(written, saves).await {
            // The saves ran until the writes were over, the newest positions last.
            Ok((report, ())) => Ok(report),
            Err(error) => {
                self.save_after_failure(name, &positions, &moving).await;
                Err(error)
            }
        }
    }

    /// After a failed scan, saves the newest positions: the saves stopped with the error, perhaps
    /// before them, and the pages finished by then need not be read again. The run's error is
    /// the one to report; a failed save is only logged.
    async fn save_after_failure(
        &self,
        name: &str,
        positions: &Positions<'_>,
        moving: &MovingPositions,
    ) {
        match positions.save(self, name, &moving.now()).await {
            // A lease taken over: its new holder saves the segment's position now.
            Ok(()) | Err(Error::LeaseLost { .. }) => {}
            Err(not_saved) => {
                tracing::warn!(%not_saved, "the checkpoint of {name} was not saved");
            }
        }
    }
}
