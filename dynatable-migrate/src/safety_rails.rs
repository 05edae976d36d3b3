//! The checks before a run writes a table it could not give back: point-in-time recovery on
//! (`DescribeContinuousBackups`), and no replicas in other regions (`DescribeTable`), whose
//! concurrent writes can each pass a condition that the other's makes false.

use dynatable_core::Table;
use dynatable_core::aws_sdk_dynamodb::types::PointInTimeRecoveryStatus;

use crate::error::{Error, Result};
use crate::live_table;

/// Checks `table` before a run writes it: refuses a global table (one with replicas) unless
/// `global_table_writer`, and, when `require_backup`, a table without point-in-time recovery.
/// Returns the earliest time the table can be restored to (RFC 3339), when it was asked for.
///
/// # Errors
/// [`Error::GlobalTable`], [`Error::NoPointInTimeRecovery`], or a failed describe.
pub(crate) async fn check(
    table: &Table,
    require_backup: bool,
    global_table_writer: bool,
) -> Result<Option<String>> {
    let described = live_table::describe(table).await?;
    let regions: Vec<String> = described
        .replicas()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    if !regions.is_empty() && !global_table_writer {
        return Err(Error::GlobalTable {
            table: table.name().to_owned(),
            regions,
        });
    }
    if !require_backup {
        return Ok(None);
    }
    let backups = table
        .client()
        .describe_continuous_backups()
        .table_name(table.name())
        .send()
        .await
        .map_err(|e| {
            Error::msg(format!(
                "DescribeContinuousBackups {}: {} (run with --no-backup-check to skip the check)",
                table.name(),
                dynatable_core::sdk_error_text(&e)
            ))
        })?;
    let recovery = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description());
    let enabled = recovery.and_then(|r| r.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled);
    if !enabled {
        return Err(Error::NoPointInTimeRecovery {
            table: table.name().to_owned(),
        });
    }
    Ok(Some(
        recovery
            .and_then(|r| r.earliest_restorable_date_time())
            .map_or_else(
                || "an unknown time".to_owned(),
                |t| {
                    t.fmt(dynatable_core::aws_sdk_dynamodb::primitives::DateTimeFormat::DateTime)
                        .unwrap_or_else(|_| t.to_string())
                },
            ),
    ))
}
