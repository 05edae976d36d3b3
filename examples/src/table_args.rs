//! The command-line options the example's own binaries (`seed`, `user-page`) share: which table,
//! reached where.

use clap::Args;
use dynatable_core::Table;
use dynatable_core::client::ClientConfig;

/// `--table` and `--endpoint-url`, with their environment variables.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// The table.
    #[arg(long, env = "DYNATABLE_TABLE", default_value = crate::DEFAULT_TABLE)]
    pub table: String,
    /// An endpoint instead of AWS's (DynamoDB Local).
    #[arg(long, env = "DYNATABLE_ENDPOINT")]
    pub endpoint_url: Option<String>,
}

impl TableArgs {
    /// The table, reached through the endpoint when one is given, otherwise through the
    /// standard AWS configuration chain.
    pub async fn table(&self) -> Table {
        let mut config = ClientConfig::default();
        if let Some(url) = self.endpoint_url.as_ref().filter(|u| !u.trim().is_empty()) {
            config = config.endpoint_url(url);
        }
        Table::new(config.load().await, &self.table)
    }
}
