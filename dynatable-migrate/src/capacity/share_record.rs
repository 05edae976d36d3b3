//! Each process's record of its share of a run's capacity budget: how the processes of a joined
//! run count each other, and what `status` shows of a running run.

use dynatable_core::{Table, entity};

use crate::error::Result;
use crate::ledger::{now_ms, records_of};

/// One process's share of the run's capacity, rewritten every [heartbeat](super::HEARTBEAT).
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "CAPACITY#{process}",
    name = "_MigrationCapacityShare",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityShareRecord {
    /// A token unique to the process.
    pub process: String,
    /// Who it is (`user@host pid N`).
    pub holder: String,
    /// Raised by every heartbeat: the other processes count a record alive while it moves, by
    /// their own clock.
    pub beat: u64,
    /// When the process started drawing on the budget (ms since the Unix epoch).
    pub started_ms: u64,
    /// Its last heartbeat (ms since the Unix epoch), for `status` and `migrate throttle`.
    pub heartbeat_ms: u64,
    /// The share of the table's capacity the run uses, in percent.
    pub percent: f64,
    /// Whether the run is paused.
    pub paused: bool,
    /// How many processes share the budget, this one included.
    pub processes: u32,
    /// The table's write capacity, in units per second.
    pub table_write_units: f64,
    /// This process's part of the write budget, in units per second.
    pub write_budget: f64,
    /// The write rate it allows itself now (below the budget while it yields to throttling).
    pub write_rate: f64,
    /// Write units it consumed per second, lately.
    pub write_consumed_per_second: f64,
    /// Writes DynamoDB throttled.
    pub write_throttled: u64,
    /// Its part of the read budget, when the table says its read capacity.
    pub read_budget: Option<f64>,
    /// Read units it consumed per second, lately.
    #[entity(default)]
    pub read_consumed_per_second: f64,
}

impl CapacityShareRecord {
    /// Whether its heartbeat is recent by this machine's clock.
    pub fn is_recent(&self) -> bool {
        now_ms().saturating_sub(self.heartbeat_ms) < millis(super::LIVE_FOR)
    }

    /// Whether its process died long ago (its heartbeat is ten minutes old by this machine's
    /// clock).
    pub(crate) fn is_abandoned(&self) -> bool {
        now_ms().saturating_sub(self.heartbeat_ms) > millis(ABANDONED_AFTER)
    }
}

/// How old a share record's heartbeat must be, by the wall clock, before a live process deletes
/// it as abandoned: far beyond any clock skew between machines.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Every share record in the ledger, alive or not.
///
/// # Errors
/// The read failed.
pub(crate) async fn all_shares(table: &Table) -> Result<Vec<CapacityShareRecord>> {
    records_of::<CapacityShareRecord>(table, "").await
}

/// The share records whose heartbeat is recent: the processes of the run in progress.
///
/// # Errors
/// The read failed.
pub(crate) async fn live_shares(table: &Table) -> Result<Vec<CapacityShareRecord>> {
    let mut shares = all_shares(table).await?;
    shares.retain(CapacityShareRecord::is_recent);
    Ok(shares)
}
