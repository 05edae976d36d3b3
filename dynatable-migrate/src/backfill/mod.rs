//! The backfill engine: a migration's plan applied to every item of a scan, each write guarded
//! against concurrent writers, the scan's positions checkpointed (`engine`); the catch-up with
//! the table's stream behind the scan (`catch_up`); and the backfill the processes of a joined
//! run share (`shared`); the re-key of an entity by its key history (`rekey`); and the table's structural changes
//! (`table_changes`: indexes, time to live).

pub(crate) mod catch_up;
pub(crate) mod engine;
mod rekey;
mod scan_and_write;
mod shared;
mod table_changes;

pub use rekey::RekeyError;
pub use shared::DEFAULT_SHARED_SEGMENTS;
pub use table_changes::{CreateIndex, DropIndex, TableChangeError};
