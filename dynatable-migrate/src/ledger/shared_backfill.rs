//! The backfill the leader of a joined run works on now, announced for the other processes.

use dynatable_core::{Table, entity};

use crate::direction::Direction;
use crate::error::Result;

/// The backfill the leader of a joined run works on now, for the other processes to join.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "SHARED",
    name = "_SharedBackfill",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct SharedBackfillRecord {
    /// The backfill's leases' key: version (with `#down` for a rollback) and name.
    pub work: String,
    /// The migration's version.
    pub version: String,
    /// `up` or `down`.
    pub direction: String,
    /// The backfill's name.
    pub name: String,
    /// The migration's checksum: a process whose code differs refuses to join.
    pub checksum: String,
    /// When the backfill catches up with the table's stream: the version part of the key its
    /// catch-up's start is saved under (`0.4.0`, `0.4.0#down`); the processes share the catch-up
    /// through shard leases.
    pub catch_up_version: Option<String>,
    /// How many segments its scan has.
    pub segments: u32,
    /// Who leads the run.
    pub leader: String,
    /// When it was announced (RFC 3339).
    pub announced_at: String,
}

impl SharedBackfillRecord {
    /// The direction the migration runs in.
    pub(crate) fn direction(&self) -> Option<Direction> {
        match self.direction.as_str() {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }
}

/// The backfill the leader of a joined run announced, if any.
pub(crate) async fn announced(table: &Table) -> Result<Option<SharedBackfillRecord>> {
    Ok(table
        .get::<SharedBackfillRecord>(SharedBackfillRecord::key())
        .consistent()
        .send()
        .await?)
}
