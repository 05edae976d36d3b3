use dynatable_core::Table;
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
