use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{BulkError, BulkReport, Result as TableResult, Table, Write};
use futures::Stream;

use crate::dry_run::{DryRunLog, dry_run_client};

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
}

#[derive(Debug, Default)]
struct Counts {
    read: AtomicU64,
    written: AtomicU64,
}

impl Context {
    /// A context for migrations of `table`.
    pub fn new(table: Table) -> Self {
        Self {
            table,
            dry_run: false,
            counts: Arc::default(),
        }
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
        (self.counts.read.load(Ordering::Relaxed), self.counts.written.load(Ordering::Relaxed))
    }

    fn count(&self, report: &BulkReport) {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.counts.read.fetch_add(as_u64(report.read), Ordering::Relaxed);
        self.counts.written.fetch_add(as_u64(report.written), Ordering::Relaxed);
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
        let result = self.table.apply(items, plan).await;
        self.count(match &result {
            Ok(report) => report,
            Err(e) => &e.report,
        });
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
}
