//! Errors of reading the table's DynamoDB Stream.

use thiserror::Error;

/// Why the table's stream could not be read to the end a catch-up needs.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The table has no stream, so items written during the run could not be caught up with.
    #[error(
        "table {table:?} has no stream, so items the application writes during the run would be \
         left behind: enable one with `migrate enable-stream` (a KEYS_ONLY stream is enough), or \
         pass --no-catch-up if nothing writes to the table during the run"
    )]
    NotEnabled {
        /// The table.
        table: String,
    },
    /// The stream no longer holds the changes a catch-up still had to read: DynamoDB keeps
    /// stream records for 24 hours.
    #[error(
        "the table's stream no longer holds the changes of shard {shard} since {since} (DynamoDB \
         keeps stream records for 24 hours): items changed since then may be in the old shape; run \
         the migration's backfill again from its start (roll the migration back, or mark it \
         pending and run `migrate up` again)"
    )]
    Trimmed {
        /// The shard whose records were trimmed.
        shard: String,
        /// Since when the catch-up needed its changes (RFC 3339).
        since: String,
    },
    /// A DynamoDB Streams request failed.
    #[error("{operation} on the stream of table {table:?}: {message}")]
    Request {
        /// The operation: `DescribeStream`, `GetShardIterator`, `GetRecords`.
        operation: &'static str,
        /// The table.
        table: String,
        /// The SDK's error, with its context.
        message: String,
    },
}
