//! `migrate throttle`'s record: a run's capacity share and pause, changed while it runs.

use dynatable_core::{Table, entity};

use super::error::{CapacityError, check_percent};
use crate::error::Result;
use crate::ledger::{now, now_ms, who};

/// How an operator retuned the run in progress (`migrate throttle`). Every process of the run
/// reads it each [heartbeat](super::HEARTBEAT); it applies to the run that was in progress when
/// it was set, not to a later one.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "THROTTLE",
    name = "_MigrationThrottle",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleRecord {
    /// The share of the table's capacity the run may use, in percent; `None` keeps the share
    /// the run started with.
    pub capacity_percent: Option<f64>,
    /// Whether the run's writes and reads are paused.
    pub paused: bool,
    /// Who set it (`user@host`).
    pub set_by: String,
    /// When (RFC 3339).
    pub set_at: String,
    /// When, in ms since the Unix epoch.
    pub set_at_ms: u64,
}

/// Sets the throttle of the run in progress: `percent` (when given) as its share, `paused` (when
/// given) as its pause; the rest as it was. Returns the record written.
///
/// # Errors
/// [`CapacityError::NoRun`] when no process of a run with `--capacity` is alive; a failed read
/// or write.
pub async fn throttle(
    table: &Table,
    percent: Option<f64>,
    paused: Option<bool>,
) -> Result<ThrottleRecord> {
    if let Some(percent) = percent {
        check_percent(percent)?;
    }
    let live = super::share_record::live_shares(table).await?;
    let Some(run_started) = live.iter().map(|s| s.started_ms).min() else {
        return Err(CapacityError::NoRun {
            table: table.name().to_owned(),
        }
        .into());
    };
    let current = current_throttle(table, run_started).await?;
    let record = ThrottleRecord {
        capacity_percent: percent.or(current.as_ref().and_then(|t| t.capacity_percent)),
        paused: paused.unwrap_or(current.is_some_and(|t| t.paused)),
        set_by: who(),
        set_at: now(),
        set_at_ms: now_ms(),
    };
    table.put(&record).send().await?;
    Ok(record)
}

/// The throttle set while the run that started at `run_started_ms` was in progress, if any.
///
/// # Errors
/// The read failed.
pub(crate) async fn current_throttle(
    table: &Table,
    run_started_ms: u64,
) -> Result<Option<ThrottleRecord>> {
    let record = table
        .get::<ThrottleRecord>(ThrottleRecord::key())
        .consistent()
        .send()
        .await?;
    Ok(record.filter(|r| r.set_at_ms >= run_started_ms))
}
