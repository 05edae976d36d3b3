//! The backfill engine: a migration's plan applied to every item of a scan, each write guarded
//! against concurrent writers, the scan's positions checkpointed (`engine`); the catch-up with
//! the table's stream behind the scan (`catch_up`); and the backfill the processes of a joined
//! run share (`shared`); and the re-key of an entity by its key history (`rekey`).

pub(crate) mod catch_up;
pub(crate) mod engine;
mod rekey;
mod scan_and_write;
mod shared;

pub use rekey::RekeyError;
pub use shared::DEFAULT_SHARED_SEGMENTS;
