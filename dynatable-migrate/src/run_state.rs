//! The state of one migration's run that its [`Context`](crate::Context) carries for the
//! runner and the backfill engine: the ledger's checkpoints, counts and progress, the stream a
//! backfill catches up with, a replay's positions, skipped items and a joined run's part. A
//! migration's author never sees it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use dynatable_core::{BulkError, BulkReport, EntitySchema, Table};
use futures::{Stream, StreamExt as _};

use crate::checkpoint::Checkpointer;
use crate::direction::Direction;
use crate::error::Result;
use crate::joined::Joined;
use crate::ledger::SharedBackfillRecord;
use crate::own_entities::is_own;
use crate::reporter::{LogReporter, Reporter};
use crate::skipped_items::{Skipped, SkippedItems};
use crate::stream::{ChangeStream, StreamPosition};

/// The state of one migration's run (see the [module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct RunState {
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
    pub(crate) skip_malformed: bool,
    /// What the backfills skipped.
    skipped: Arc<SkippedItems>,
    /// This process's part in a joined run (`migrate up --join`).
    joined: Option<Arc<Joined>>,
    /// The migration running, and which way: what `ctx.rekey` moves keys between.
    heading: Option<(&'static str, Direction)>,
    /// The entities of the run (the migrator's); `None`: every app entity linked in. What
    /// `ctx.create_index` fills and `ctx.enable_ttl` reads.
    entities: Option<Arc<[&'static EntitySchema]>>,
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

impl Default for RunState {
    fn default() -> Self {
        Self {
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
            heading: None,
            entities: None,
        }
    }
}

impl RunState {
    /// A run by the migrator: checkpoints are saved in the ledger.
    pub(crate) fn for_run(
        checkpoints: Checkpointer,
        reporter: Arc<dyn Reporter>,
        stream: Option<ChangeStream>,
    ) -> Self {
        Self {
            version: checkpoints.version.clone(),
            checkpoints: Some(checkpoints),
            reporter,
            stream,
            ..Self::default()
        }
    }

    /// A replay of migration `version`: backfills catch up from `replay`'s positions and record
    /// where they end there (and, with `checkpoints`, in the ledger as they move).
    pub(crate) fn for_replay(
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
            ..Self::default()
        }
    }

    /// The same state, running migration `version` towards `direction`.
    pub(crate) fn heading(mut self, version: &'static str, direction: Direction) -> Self {
        self.heading = Some((version, direction));
        self
    }

    /// The same state, for a run over `entities`.
    pub(crate) fn over(mut self, entities: &[&'static EntitySchema]) -> Self {
        self.entities = Some(entities.into());
        self
    }

    /// The app's entities of the run: the migrator's, or every one linked in (the migrator's
    /// own records left out).
    pub(crate) fn entities(&self) -> Vec<&'static EntitySchema> {
        match &self.entities {
            Some(entities) => entities.iter().copied().filter(|e| !is_own(e)).collect(),
            None => dynatable_core::registry::entities()
                .into_iter()
                .filter(|e| !is_own(e))
                .collect(),
        }
    }

    /// The migration running and which way, when the state is a migration's run.
    pub(crate) fn headed(&self) -> Option<(&'static str, Direction)> {
        self.heading
    }

    /// The same state, taking part in a joined run.
    pub(crate) fn joining(mut self, joined: Option<Arc<Joined>>) -> Self {
        self.joined = joined;
        self
    }

    /// The same state, reading the table's `stream` (a follower of a joined run, for its part
    /// of the leader's catch-up).
    pub(crate) fn with_stream(mut self, stream: Option<ChangeStream>) -> Self {
        self.stream = stream;
        self
    }

    /// The same state, reporting as migration `version` to `reporter`.
    pub(crate) fn reporting(mut self, version: &str, reporter: Arc<dyn Reporter>) -> Self {
        self.version = version.to_owned();
        self.reporter = reporter;
        self
    }

    /// This process's part in a joined run, if it takes part in one.
    pub(crate) fn joined(&self) -> Option<&Joined> {
        self.joined.as_deref()
    }

    /// The replay this run is, if it is one.
    pub(crate) fn replay(&self) -> Option<&Arc<Replay>> {
        self.replay.as_ref()
    }

    /// The table's stream, when this run catches up with concurrent changes.
    pub(crate) fn change_stream(&self) -> Option<&ChangeStream> {
        self.stream.as_ref()
    }

    /// Tells the reporter something, as this run's migration.
    pub(crate) fn log(&self, text: &str) {
        self.reporter.message(&self.version, text);
    }

    /// Reports progress, as this run's migration.
    pub(crate) fn progress(&self, done: u64, total: Option<u64>) {
        self.reporter.progress(&self.version, done, total);
    }

    /// Records a schema change noted by the migration's code.
    pub(crate) fn note_schema_change(&self, change: String) {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(change);
    }

    /// The schema changes noted so far.
    pub(crate) fn noted_changes(&self) -> Vec<String> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Items read and written by the bulk helpers so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.read.load(Ordering::Relaxed),
            self.counts.written.load(Ordering::Relaxed),
        )
    }

    /// Adds items other processes read and wrote to this run's counts.
    pub(crate) fn add_counts(&self, read: u64, written: u64) {
        self.counts.read.fetch_add(read, Ordering::Relaxed);
        self.counts.written.fetch_add(written, Ordering::Relaxed);
    }

    /// Adds a bulk driver's counts (of its result or its error) to the run's, and reports the
    /// progress it ended at.
    pub(crate) fn count<T>(
        &self,
        result: std::result::Result<T, BulkError>,
    ) -> std::result::Result<T, BulkError>
    where
        T: std::borrow::Borrow<BulkReport>,
    {
        let report = match &result {
            Ok(report) => report.borrow(),
            Err(e) => &e.report,
        };
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.add_counts(as_u64(report.read), as_u64(report.written));
        self.report_progress(self.counts.streamed.load(Ordering::Relaxed));
        result
    }

    /// `items`, reporting progress every [`PROGRESS_EVERY`] items taken from it (against the
    /// table's estimated item count, once known).
    pub(crate) fn with_progress<S: Stream>(&self, items: S) -> impl Stream<Item = S::Item> {
        let state = self.clone();
        items.inspect(move |_| {
            let streamed = state.counts.streamed.fetch_add(1, Ordering::Relaxed) + 1;
            if streamed.is_multiple_of(PROGRESS_EVERY) {
                state.report_progress(streamed);
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

    /// Reads `table`'s item count once (`DescribeTable`; DynamoDB refreshes it about every six
    /// hours), as the progress estimate of the bulk helpers.
    pub(crate) async fn estimate_total(&self, table: &Table) {
        self.estimate
            .get_or_init(|| async {
                let described = table
                    .client()
                    .describe_table()
                    .table_name(table.name())
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

    /// The version part of this run's checkpoint keys (`0.4.0`, `0.4.0#down`).
    pub(crate) fn checkpoint_key_version(&self) -> String {
        self.checkpoints
            .as_ref()
            .map_or_else(|| self.version.clone(), Checkpointer::key_version)
    }

    /// Announces a shared backfill to the joined processes, while the run holds the lock.
    pub(crate) async fn announce(&self, record: &SharedBackfillRecord) -> Result<()> {
        match &self.checkpoints {
            Some(c) => c.announce(record).await,
            None => Ok(()),
        }
    }

    /// The scan positions saved under `name` by an interrupted run, with what it skipped
    /// counted on from there. `None` outside a run of the migrator.
    pub(crate) async fn load_checkpoint(
        &self,
        name: &str,
    ) -> Result<Option<Vec<dynatable_core::SegmentPosition>>> {
        match &self.checkpoints {
            Some(c) => Ok(c.load(name).await?.map(|(positions, skipped)| {
                self.skipped.restore(name, skipped);
                positions
            })),
            None => Ok(None),
        }
    }

    /// Saves the scan positions of `name` with what it skipped (a no-op outside a run).
    pub(crate) async fn save_checkpoint(
        &self,
        name: &str,
        positions: &[dynatable_core::SegmentPosition],
    ) -> Result<()> {
        match &self.checkpoints {
            Some(c) => c.save(name, positions, self.skipped.of(name)).await,
            None => Ok(()),
        }
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
        self.log(&format!(
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
    pub(crate) async fn load_stream_position(&self, name: &str) -> Result<Option<StreamPosition>> {
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
    ) -> Result<()> {
        match &self.checkpoints {
            Some(c) => c.save_stream(name, position).await,
            None => Ok(()),
        }
    }
}
