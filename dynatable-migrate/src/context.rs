use dynatable_core::Table;

use crate::dry_run::{DryRunLog, dry_run_client};
use dynatable_core::aws_sdk_dynamodb::Client;

/// What a migration runs with: the table (typed operations and the bulk helpers), the SDK client
/// for any raw call, and whether this is a dry run.
#[derive(Debug, Clone)]
pub struct Context {
    table: Table,
    dry_run: bool,
}

impl Context {
    /// A context for migrations of `table`.
    pub fn new(table: Table) -> Self {
        Self {
            table,
            dry_run: false,
        }
    }

    /// A context for a dry run on `table`: its client (and so the typed table, the bulk helpers
    /// and any raw call) reads from DynamoDB, but every write is intercepted below the SDK and
    /// recorded in the returned log instead of being sent.
    pub fn dry_run(table: &Table) -> (Self, DryRunLog) {
        let (client, log) = dry_run_client(table.client());
        let table = Table::new(client, table.name()).with_concurrency(table.concurrency());
        (
            Self {
                table,
                dry_run: true,
            },
            log,
        )
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
}
