//! The ledger: one item per migration version in the migrated table itself, under the partition
//! `_SCHEMA#MIGRATIONS` (the seed's convention), which entity reads never return.
//!
//! Each kind of record has its file here; the other records (the lock, checkpoints, leases,
//! skipped items, stream positions) live beside the code that writes them, under sort-key
//! prefixes of their own.

mod migration_record;
mod shared_backfill;
mod stamp;
mod store;

pub(crate) use migration_record::records;
pub use migration_record::{MigrationRecord, MigrationStatus};
pub use shared_backfill::SharedBackfillRecord;
pub(crate) use shared_backfill::announced;
pub(crate) use stamp::{now, now_ms, who};
pub(crate) use store::records_of;
