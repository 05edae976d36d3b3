use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{
    BulkError, BulkReport, Result as TableResult, Scan, SegmentPosition, Table, Write,
};
use futures::{Stream, StreamExt as _, TryStreamExt};

use crate::checkpoint::Checkpointer;
use crate::dry_run::{DryRunLog, dry_run_client};
use crate::error::Result as MigrationResult;
use crate::page_tracker::PageTracker;
use crate::reporter::{LogReporter, Reporter};

/// What a migration runs with: the table (typed operations and the bulk helpers), the SDK client
/// for any raw call, and whether this is a dry run.
///
/// The bulk helpers called through the context ([`apply`](Self::apply),
/// [`transact_units`](Self::transact_units)) add their counts to the ledger record of the run.
#[derive(Debug, Clone)]
pub struct Context {
    table: Table,
    dry_run: bool,
    counts: Arc<Counts>,
    checkpoints: Option<Checkpointer>,
    version: String,
    reporter: Arc<dyn Reporter>,
    notes: Arc<Mutex<Vec<String>>>,
}

#[derive(Debug, Default)]
struct Counts {
    read: AtomicU64,
    written: AtomicU64,
    /// Items handed to the bulk helpers so far, for progress while they work.
    streamed: AtomicU64,
}

/// How many items pass between two progress reports of the bulk helpers.
const PROGRESS_EVERY: u64 = 50;

impl Context {
    /// A context for migrations of `table`.
    pub fn new(table: Table) -> Self {
        Self {
            table,
            dry_run: false,
            counts: Arc::default(),
            checkpoints: None,
            version: String::new(),
            reporter: Arc::new(LogReporter),
            notes: Arc::default(),
        }
    }

    /// The context of a run by the migrator: checkpoints are saved in the ledger.
    pub(crate) fn for_run(
        table: Table,
        checkpoints: Checkpointer,
        reporter: Arc<dyn Reporter>,
    ) -> Self {
        Self {
            version: checkpoints.version.clone(),
            checkpoints: Some(checkpoints),
            reporter,
            ..Self::new(table)
        }
    }

    /// The same context, reporting as migration `version` to `reporter`.
    pub(crate) fn reporting(mut self, version: &str, reporter: Arc<dyn Reporter>) -> Self {
        self.version = version.to_owned();
        self.reporter = reporter;
        self
    }

    /// Tells the reporter something (logged by default; shown by the command line).
    pub fn log(&self, text: impl AsRef<str>) {
        self.reporter.message(&self.version, text.as_ref());
    }

    /// Reports progress of bulk work of your own (the helpers report theirs).
    pub fn progress(&self, done: u64, total: Option<u64>) {
        self.reporter.progress(&self.version, done, total);
    }

    /// Records a schema change the entity snapshots cannot see (a new convention for an
    /// attribute's values, say) with this run's ledger record, beside the automatic ones.
    pub fn note_schema_change(&self, change: impl Into<String>) {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(change.into());
    }

    /// The schema changes noted so far.
    pub(crate) fn noted_changes(&self) -> Vec<String> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A context for a dry run on `table`: its client (and so the typed table, the bulk helpers
    /// and any raw call) reads from DynamoDB, but every write is intercepted below the SDK and
    /// recorded in the returned log instead of being sent.
    pub fn dry_run(table: &Table) -> (Self, DryRunLog) {
        let (client, log) = dry_run_client(table.client());
        let table = Table::new(client, table.name()).with_concurrency(table.concurrency());
        let mut context = Self::new(table);
        context.dry_run = true;
        (context, log)
    }

    /// The typed table handle, with the bulk helpers.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The table name.
    pub fn table_name(&self) -> &str {
        self.table.name()
    }

    /// The SDK client, for raw calls.
    pub fn client(&self) -> &Client {
        self.table.client()
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// Items read and written by the bulk helpers called through this context so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.read.load(Ordering::Relaxed),
            self.counts.written.load(Ordering::Relaxed),
        )
    }

    fn count(&self, report: &BulkReport) {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.counts
            .read
            .fetch_add(as_u64(report.read), Ordering::Relaxed);
        self.counts
            .written
            .fetch_add(as_u64(report.written), Ordering::Relaxed);
    }

    /// [`Table::apply`], counted in the run's ledger record.
    ///
    /// # Errors
    /// As [`Table::apply`].
    pub async fn apply<T, S, F>(&self, items: S, plan: F) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = TableResult<T>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
    {
        self.apply_tagged(&self.table, items.map_ok(|item| ((), item)), plan, |()| {})
            .await
    }

    /// [`Table::apply_tagged`] on `table`, counted in the run's ledger record, with progress.
    async fn apply_tagged<K, T, S, F, D>(
        &self,
        table: &Table,
        items: S,
        plan: F,
        done: D,
    ) -> Result<BulkReport, BulkError>
    where
        K: Send,
        S: Stream<Item = TableResult<(K, T)>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
        D: Fn(K) + Send + Sync,
    {
        let (counts, reporter, version) = (
            self.counts.clone(),
            self.reporter.clone(),
            self.version.clone(),
        );
        let items = items.inspect(move |_| {
            let streamed = counts.streamed.fetch_add(1, Ordering::Relaxed) + 1;
            if streamed % PROGRESS_EVERY == 0 {
                reporter.progress(&version, streamed, None);
            }
        });
        let result = table.apply_tagged(items, plan, done).await;
        self.count(match &result {
            Ok(report) => report,
            Err(e) => &e.report,
        });
        self.progress(self.counts.streamed.load(Ordering::Relaxed), None);
        result
    }

    /// [`Table::transact_units`], counted in the run's ledger record.
    ///
    /// # Errors
    /// As [`Table::transact_units`].
    pub async fn transact_units<S>(&self, units: S) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = TableResult<Vec<Write>>> + Send,
    {
        let result = self.table.transact_units(units).await;
        self.count(match &result {
            Ok(report) => report,
            Err(e) => &e.report,
        });
        result
    }

    /// The positions saved under `name` by an earlier, interrupted run of this migration, for a
    /// resumable loop of your own ([`backfill`](Self::backfill) does this for scans). `None`
    /// outside a run of the migrator, or when nothing was saved.
    ///
    /// # Errors
    /// A table error reading the ledger.
    pub async fn load_checkpoint(
        &self,
        name: &str,
    ) -> MigrationResult<Option<Vec<SegmentPosition>>> {
        match &self.checkpoints {
            Some(c) => c.load(name).await,
            None => Ok(None),
        }
    }

    /// Saves `positions` under `name`, while the run holds the lock (a no-op outside a run of the
    /// migrator). The checkpoints of a migration are removed once it is applied.
    ///
    /// # Errors
    /// [`Error::LockLost`](crate::Error::LockLost), or a table error.
    pub async fn save_checkpoint(
        &self,
        name: &str,
        positions: &[SegmentPosition],
    ) -> MigrationResult<()> {
        match &self.checkpoints {
            Some(c) => c.save(name, positions).await,
            None => Ok(()),
        }
    }

    /// A resumable backfill: applies `plan` to every item of `scan`. The scan's segments are read
    /// concurrently and their items written with the table's concurrency; whenever a page of a
    /// segment and every earlier page of it are written, the segment's position is saved. When
    /// the run is interrupted or fails, the next run of the migration resumes from the saved
    /// positions instead of starting over; the pages in flight when it stopped are read again, so
    /// `plan` must be idempotent (write conditionally, or set values that do not depend on the
    /// old ones). `name` tells apart several backfills of one migration. Outside a run of the
    /// migrator (a dry run, a plain [`Context::new`]) nothing is saved.
    ///
    /// # Errors
    /// The first read or write error; a lost lock.
    pub async fn backfill<T, F>(
        &self,
        name: &str,
        scan: Scan<T>,
        plan: F,
    ) -> MigrationResult<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Write> + Send,
    {
        // Segments finished before an interruption stay finished in every later checkpoint.
        let saved = self.load_checkpoint(name).await?;
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
        let items = futures::stream::select_all(scan.segment_pages())
            .map_ok(|page| {
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
        let written = self.apply_tagged(&self.table, items, plan, |(segment, id)| {
            let mut tracker = tracker.lock().unwrap_or_else(PoisonError::into_inner);
            let moved_now = tracker.item_done(segment, id);
            record(&mut tracker, moved_now);
        });
        // Saves run beside the writes, one at a time, each of the newest positions; every
        // position saved covers only written pages.
        let saves = async {
            while to_save.changed().await.is_ok() {
                let positions = to_save.borrow_and_update().clone();
                self.save_checkpoint(name, &positions).await?;
            }
            Ok::<(), crate::Error>(())
        };
        let written = async {
            let result = written.await;
            moved.lock().unwrap_or_else(PoisonError::into_inner).take();
            result.map_err(crate::Error::from)
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
                if let Err(not_saved) = self.save_checkpoint(name, &last).await {
                    tracing::warn!(%not_saved, "the checkpoint of {name} was not saved");
                }
                Err(error)
            }
        }
    }
}
