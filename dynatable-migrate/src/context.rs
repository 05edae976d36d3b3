//! What a migration runs with (`Context`): the table, the bulk helpers, progress, and the run's
//! state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{BulkError, BulkReport, Result as TableResult, SegmentPosition, Table, Write};
use futures::{Stream, StreamExt as _};

use crate::checkpoint::Checkpointer;
use crate::dry_run::{DryRunLog, dry_run_client};
use crate::error::Result as MigrationResult;
use crate::joined::Joined;
use crate::ledger::SharedBackfillRecord;
use crate::reporter::{LogReporter, Reporter};
use crate::skipped_items::{Skipped, SkippedItems};
use crate::stream::{ChangeStream, StreamPosition};

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
    /// The table's item count, read once for progress estimates.
    estimate: Arc<tokio::sync::OnceCell<Option<u64>>>,
    /// The table's stream, when backfills catch up with the changes made behind their scans.
    stream: Option<ChangeStream>,
    /// Replaying a run's migrations to convert what changed since they were applied: backfills
    /// only catch up, from the positions their run ended at.
    replay: Option<Arc<Replay>>,
    /// Where each backfill's catch-up ended, by name: where a replay continues from.
    caught_up: Arc<Mutex<HashMap<String, StreamPosition>>>,
    /// Backfills skip the items that do not decode instead of failing (`--skip-malformed`).
    skip_malformed: bool,
    /// What the backfills skipped.
    skipped: Arc<SkippedItems>,
    /// This process's part in a joined run (`migrate up --join`).
    joined: Option<Arc<Joined>>,
}

/// A replay of an applied migration over the changes made since its run (or its last replay).
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// Per backfill name, where its catch-up stands.
    pub(crate) positions: Mutex<HashMap<String, StreamPosition>>,
}

impl Replay {
    /// Where each backfill's catch-up stands now.
    pub(crate) fn positions(&self) -> HashMap<String, StreamPosition> {
        self.positions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl From<HashMap<String, StreamPosition>> for Replay {
    fn from(positions: HashMap<String, StreamPosition>) -> Self {
        Self {
            positions: Mutex::new(positions),
        }
    }
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
            estimate: Arc::default(),
            stream: None,
            replay: None,
            caught_up: Arc::default(),
            skip_malformed: false,
            skipped: Arc::default(),
            joined: None,
        }
    }

    /// The same context, taking part in a joined run.
    pub(crate) fn joining(mut self, joined: Option<Arc<Joined>>) -> Self {
        self.joined = joined;
        self
    }

    /// This process's part in a joined run, if it takes part in one.
    pub(crate) fn joined(&self) -> Option<&Joined> {
        self.joined.as_deref()
    }

    /// Whether this process runs the migration's own code for real: `false` only on the
    /// processes that joined another's run (`migrate up --join`). There the migration's code runs
    /// only to reach the backfill they share, against a table that cannot write, and
    /// [`apply`](Self::apply) and [`transact_units`](Self::transact_units) do nothing: a loop of
    /// your own runs on the leading process alone, and reads the table on the others unless
    /// guarded by `if ctx.leads()`; one that shares its work writes with
    /// [`shared_table`](Self::shared_table).
    pub fn leads(&self) -> bool {
        !self.joined.as_ref().is_some_and(|j| j.is_follower())
    }

    /// The table, able to write on every process of a joined run: the opt-in of a loop of your
    /// own that shares its work among the processes itself (by the segments of
    /// [`Leases`](crate::lease::Leases), say). Elsewhere it is [`table`](Self::table); in a dry
    /// run it cannot write either.
    pub fn shared_table(&self) -> &Table {
        match &self.joined {
            Some(joined) if joined.is_follower() => joined.table(),
            _ => &self.table,
        }
    }

    /// Adds items other processes read and wrote to this run's counts.
    pub(crate) fn add_counts(&self, read: u64, written: u64) {
        self.counts.read.fetch_add(read, Ordering::Relaxed);
        self.counts.written.fetch_add(written, Ordering::Relaxed);
    }

    /// The version part of this run's checkpoint keys (`0.4.0`, `0.4.0#down`).
    pub(crate) fn checkpoint_key_version(&self) -> String {
        self.checkpoints
            .as_ref()
            .map_or_else(|| self.version.clone(), Checkpointer::key_version)
    }

    /// Announces a shared backfill to the joined processes, while the run holds the lock.
    pub(crate) async fn announce(&self, record: &SharedBackfillRecord) -> MigrationResult<()> {
        match &self.checkpoints {
            Some(c) => c.announce(record).await,
            None => Ok(()),
        }
    }

    /// The same context, whose backfills skip the items that do not decode (counting and
    /// listing them for the ledger) instead of failing with the first.
    #[must_use]
    pub fn skipping_malformed(mut self, skip: bool) -> Self {
        self.skip_malformed = skip;
        self
    }

    /// Whether backfills skip the items that do not decode (`migrate up --skip-malformed`).
    /// A loop of your own can honour it with
    /// [`Scan::skip_malformed`](dynatable_core::Scan::skip_malformed).
    pub fn skips_malformed(&self) -> bool {
        self.skip_malformed
    }

    /// Counts the items backfill `name` skipped because they do not decode, and says so: in the
    /// run's count, or in `part`'s (a scan segment or stream shard of a shared backfill, whose
    /// lease keeps them).
    pub(crate) fn record_skipped(
        &self,
        name: &str,
        items: Vec<dynatable_core::MalformedItem>,
        part: Option<&SkippedItems>,
    ) {
        let first = items
            .first()
            .map(|item| item.error.to_string())
            .unwrap_or_default();
        let count = part.unwrap_or(&self.skipped).record(name, items);
        self.log(format!(
            "{name}: skipped {count} malformed item(s), the first: {first}"
        ));
    }

    /// Adds what a part of backfill `name` skipped (a segment of a shared backfill) to the run's
    /// count.
    pub(crate) fn add_skipped(&self, name: &str, skipped: Skipped) {
        self.skipped.merge(name, skipped);
    }

    /// Every item the backfills skipped: the total and the first ones.
    pub(crate) fn skipped_summary(&self) -> Skipped {
        self.skipped.summary()
    }

    /// The context of a run by the migrator: checkpoints are saved in the ledger.
    pub(crate) fn for_run(
        table: Table,
        checkpoints: Checkpointer,
        reporter: Arc<dyn Reporter>,
        stream: Option<ChangeStream>,
    ) -> Self {
        Self {
            version: checkpoints.version.clone(),
            checkpoints: Some(checkpoints),
            reporter,
            stream,
            ..Self::new(table)
        }
    }

    /// The context of a replay of migration `version`: backfills catch up from `replay`'s
    /// positions and record where they end there (and, with `checkpoints`, in the ledger as
    /// they move).
    pub(crate) fn for_replay(
        table: Table,
        version: &str,
        reporter: Arc<dyn Reporter>,
        stream: ChangeStream,
        replay: Arc<Replay>,
        checkpoints: Option<Checkpointer>,
    ) -> Self {
        Self {
            version: version.to_owned(),
            checkpoints,
            reporter,
            stream: Some(stream),
            replay: Some(replay),
            ..Self::new(table)
        }
    }

    /// The same context, reading the table's `stream` (a follower of a joined run, for its part
    /// of the leader's catch-up).
    pub(crate) fn with_stream(mut self, stream: Option<ChangeStream>) -> Self {
        self.stream = stream;
        self
    }

    /// The table's stream, when this run catches up with concurrent changes.
    pub(crate) fn change_stream(&self) -> Option<&ChangeStream> {
        self.stream.as_ref()
    }

    /// The replay this context runs, if any.
    pub(crate) fn replay(&self) -> Option<&Arc<Replay>> {
        self.replay.as_ref()
    }

    /// Where each backfill's catch-up ended in this run.
    pub(crate) fn caught_up(&self) -> HashMap<String, StreamPosition> {
        self.caught_up
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records where backfill `name`'s catch-up ended.
    pub(crate) fn record_caught_up(&self, name: &str, position: &StreamPosition) {
        self.caught_up
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), position.clone());
        if let Some(replay) = &self.replay {
            replay
                .positions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.to_owned(), position.clone());
        }
    }

    /// The catch-up position saved under `name`: in the ledger during a run, or where the run
    /// (or the last replay) ended during a replay.
    pub(crate) async fn load_stream_position(
        &self,
        name: &str,
    ) -> MigrationResult<Option<StreamPosition>> {
        if let Some(replay) = &self.replay {
            return Ok(replay
                .positions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(name)
                .cloned());
        }
        match &self.checkpoints {
            Some(c) => c.load_stream(name).await,
            None => Ok(None),
        }
    }

    /// Saves the catch-up position of `name` in the ledger (a no-op outside a run).
    pub(crate) async fn save_stream_position(
        &self,
        name: &str,
        position: &StreamPosition,
    ) -> MigrationResult<()> {
        match &self.checkpoints {
            Some(c) => c.save_stream(name, position).await,
            None => Ok(()),
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
    /// recorded in the returned log instead of being sent. The context's table is a new one on
    /// that client, without `table`'s [`DirectWrites`](dynatable_core::DirectWrites), which
    /// would send writes past the interception.
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

    /// Adds a bulk driver's counts (of its result or its error) to the run's, and reports the
    /// progress it ended at.
    pub(crate) fn count<T>(&self, result: Result<T, BulkError>) -> Result<T, BulkError>
    where
        T: std::borrow::Borrow<BulkReport>,
    {
        let report = match &result {
            Ok(report) => report.borrow(),
            Err(e) => &e.report,
        };
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.counts
            .read
            .fetch_add(as_u64(report.read), Ordering::Relaxed);
        self.counts
            .written
            .fetch_add(as_u64(report.written), Ordering::Relaxed);
        self.report_progress(self.counts.streamed.load(Ordering::Relaxed));
        result
    }

    /// `items`, reporting progress every [`PROGRESS_EVERY`] items taken from it (against the
    /// table's estimated item count, once known).
    pub(crate) fn with_progress<S: Stream>(&self, items: S) -> impl Stream<Item = S::Item> {
        let context = self.clone();
        items.inspect(move |_| {
            let streamed = context.counts.streamed.fetch_add(1, Ordering::Relaxed) + 1;
            if streamed.is_multiple_of(PROGRESS_EVERY) {
                context.report_progress(streamed);
            }
        })
    }

    /// Reports `done` items, out of the table's estimated item count when it is known.
    fn report_progress(&self, done: u64) {
        match self.estimate.get().copied().flatten() {
            Some(estimate) => self
                .reporter
                .progress_estimated(&self.version, done, estimate),
            None => self.reporter.progress(&self.version, done, None),
        }
    }

    /// Reads the table's item count once (`DescribeTable`; DynamoDB refreshes it about every six
    /// hours), as the progress estimate of the bulk helpers.
    pub(crate) async fn estimate_total(&self) {
        self.estimate
            .get_or_init(|| async {
                let described = self
                    .client()
                    .describe_table()
                    .table_name(self.table_name())
                    .send()
                    .await;
                described
                    .ok()
                    .and_then(|d| d.table?.item_count)
                    .and_then(|count| u64::try_from(count).ok())
                    .filter(|count| *count > 0)
            })
            .await;
    }

    /// [`Table::apply`], counted in the run's ledger record, with progress. The values carry no
    /// record of how their items looked when read, so the writes carry only their own
    /// conditions: for writes made from items read from the table, use
    /// [`backfill`](Self::backfill), which also guards each write against concurrent changes
    /// and catches up with the items written behind its scan. When the runner replays an
    /// applied migration over later changes (`up` over several versions, `up --follow`), this
    /// loop does not run again: only backfills replay. In a joined run it runs on the leading
    /// process only (see [`leads`](Self::leads)).
    ///
    /// # Errors
    /// As [`Table::apply`].
    pub async fn apply<T, S, F>(&self, items: S, plan: F) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = TableResult<T>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
    {
        if self.replay.is_some() || !self.leads() {
            return Ok(BulkReport::default());
        }
        self.estimate_total().await;
        let result = self.table.apply(self.with_progress(items), plan).await;
        self.count(result)
    }

    /// [`Table::transact_units`], counted in the run's ledger record, with progress. Like
    /// [`apply`](Self::apply), it cannot tell whether the items the units were made from changed
    /// since they were read: for that, use [`backfill_units`](Self::backfill_units). Not run
    /// again when the runner replays the migration, nor on the processes that joined another's
    /// run, like [`apply`](Self::apply).
    ///
    /// # Errors
    /// As [`Table::transact_units`].
    pub async fn transact_units<S>(&self, units: S) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = TableResult<Vec<Write>>> + Send,
    {
        if self.replay.is_some() || !self.leads() {
            return Ok(BulkReport::default());
        }
        self.estimate_total().await;
        let result = self.table.transact_units(self.with_progress(units)).await;
        self.count(result)
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
            Some(c) => Ok(c.load(name).await?.map(|(positions, skipped)| {
                // What the backfill skipped before, counted on from there.
                self.skipped.restore(name, skipped);
                positions
            })),
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
            Some(c) => c.save(name, positions, self.skipped.of(name)).await,
            None => Ok(()),
        }
    }
}
