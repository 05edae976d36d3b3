//! The handle a migration's code works with (`Context`): the table, the bulk helpers, progress
//! and notes. The run's own state, which the runner and the backfill engine keep, is in
//! [`run_state`](crate::run_state).

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{BulkError, BulkReport, Result as TableResult, SegmentPosition, Table, Write};
use futures::Stream;

use crate::direction::Direction;
use crate::dry_run::{DryRunLog, dry_run_client};
use crate::error::Result as MigrationResult;
use crate::run_state::RunState;

/// What a migration runs with: the table (typed operations and the bulk helpers), the SDK client
/// for any raw call, and whether this is a dry run.
///
/// The bulk helpers called through the context ([`apply`](Self::apply),
/// [`transact_units`](Self::transact_units)) add their counts to the ledger record of the run.
#[derive(Debug, Clone)]
pub struct Context {
    table: Table,
    dry_run: bool,
    /// The run's state, for the runner and the backfill engine.
    pub(crate) run: RunState,
}

impl Context {
    /// A context for migrations of `table`.
    pub fn new(table: Table) -> Self {
        Self::running(table, RunState::default())
    }

    /// A context for `table` in the run `run`.
    pub(crate) fn running(table: Table, run: RunState) -> Self {
        Self {
            table,
            dry_run: false,
            run,
        }
    }

    /// The same context, running migration `version` towards `direction`.
    pub(crate) fn heading(&self, version: &'static str, direction: Direction) -> Self {
        let mut ctx = self.clone();
        ctx.run = ctx.run.heading(version, direction);
        ctx
    }

    /// The same context (a dry run's, say) in the run `run`.
    pub(crate) fn in_run(mut self, run: RunState) -> Self {
        self.run = run;
        self
    }

    /// Whether this process runs the migration's own code for real: `false` only on the
    /// processes that joined another's run (`migrate up --join`). There the migration's code runs
    /// only to reach the backfill they share, against a table that cannot write, and
    /// [`apply`](Self::apply) and [`transact_units`](Self::transact_units) do nothing: a loop of
    /// your own runs on the leading process alone, and reads the table on the others unless
    /// guarded by `if ctx.leads()`; one that shares its work writes with
    /// [`shared_table`](Self::shared_table).
    pub fn leads(&self) -> bool {
        !self.run.joined().is_some_and(|j| j.is_follower())
    }

    /// The table, able to write on every process of a joined run: the opt-in of a loop of your
    /// own that shares its work among the processes itself (by the segments of
    /// [`Leases`](crate::lease::Leases), say). Elsewhere it is [`table`](Self::table); in a dry
    /// run it cannot write either.
    pub fn shared_table(&self) -> &Table {
        match self.run.joined() {
            Some(joined) if joined.is_follower() => joined.table(),
            _ => &self.table,
        }
    }

    /// The same context, whose backfills skip the items that do not decode (counting and
    /// listing them for the ledger) instead of failing with the first.
    #[must_use]
    pub fn skipping_malformed(mut self, skip: bool) -> Self {
        self.run.skip_malformed = skip;
        self
    }

    /// Whether backfills skip the items that do not decode (`migrate up --skip-malformed`).
    /// A loop of your own can honour it with
    /// [`Scan::skip_malformed`](dynatable_core::Scan::skip_malformed).
    pub fn skips_malformed(&self) -> bool {
        self.run.skip_malformed
    }

    /// Tells the reporter something (logged by default; shown by the command line).
    pub fn log(&self, text: impl AsRef<str>) {
        self.run.log(text.as_ref());
    }

    /// Reports progress of bulk work of your own (the helpers report theirs).
    pub fn progress(&self, done: u64, total: Option<u64>) {
        self.run.progress(done, total);
    }

    /// Records a schema change the entity snapshots cannot see (a new convention for an
    /// attribute's values, say) with this run's ledger record, beside the automatic ones.
    pub fn note_schema_change(&self, change: impl Into<String>) {
        self.run.note_schema_change(change.into());
    }

    /// A context for a dry run on `table`: its client (and so the typed table, the bulk helpers
    /// and any raw call) reads from DynamoDB, but every write is intercepted below the SDK and
    /// recorded in the returned log instead of being sent. The context's table is a new one on
    /// that client, without `table`'s [`DirectRequests`](dynatable_core::DirectRequests), which
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
        self.run.counts()
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
        if self.run.replay().is_some() || !self.leads() {
            return Ok(BulkReport::default());
        }
        self.run.estimate_total(&self.table).await;
        let result = self.table.apply(self.run.with_progress(items), plan).await;
        self.run.count(result)
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
        if self.run.replay().is_some() || !self.leads() {
            return Ok(BulkReport::default());
        }
        self.run.estimate_total(&self.table).await;
        let result = self
            .table
            .transact_units(self.run.with_progress(units))
            .await;
        self.run.count(result)
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
        self.run.load_checkpoint(name).await
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
        self.run.save_checkpoint(name, positions).await
    }
}
