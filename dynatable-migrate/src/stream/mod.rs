//! Following the table's DynamoDB Stream, so that a backfill also converts the items written
//! behind its scan.
//!
//! Before a backfill's scan starts, the run records where the stream stands ([`position`]):
//! the time, the shards, a `LATEST` iterator on every open shard. Beside the scan, the catch-up
//! reads the stream from there ([`reader`]), the shards side by side in lineage order (a parent
//! before its children: [`shard`]), reads each changed item again (strongly consistent) and hands
//! it to the backfill's plan with the same compare-and-swap rules; once the scan has ended, it
//! goes on until it has caught up with that moment. Its position is saved in the ledger after
//! every batch, so an interrupted catch-up resumes (in a joined run, each shard's in its lease:
//! see `catch_up::shared`). Only the keys of the records are used: a `KEYS_ONLY` stream serves.

mod change_stream;
mod error;
mod position;
mod reader;
mod retry;
mod shard;

pub(crate) use change_stream::{ChangeStream, LatestIterator, aws_stream_client};
pub use change_stream::{StreamEnabled, stream_client};
pub use error::StreamError;
pub use position::StreamPositionRecord;
pub(crate) use position::{ShardPosition, StreamPosition, epoch_ms};
pub(crate) use reader::{Batch, Boundary, ITERATOR_LIFETIME, ShardReader};
pub(crate) use shard::{Shard, list_shards, ready};
