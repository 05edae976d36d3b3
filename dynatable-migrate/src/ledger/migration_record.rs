//! The record of one migration version: where it stands, who ran it, what it did, and the
//! entities' schemas after it.

use std::fmt;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{AttributeCodec, AttributeKind, Table, ValueError, entity};

use crate::error::Result;

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MigrationStatus {
    /// Never applied (no ledger record).
    Pending,
    /// Started and not finished: running now, or interrupted.
    Running,
    /// Applied.
    Applied,
    /// Failed; later migrations wait until it is retried or marked.
    Failed,
    /// Rolled back.
    RolledBack,
}

impl MigrationStatus {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Applied => "applied",
            Self::Failed => "failed",
            Self::RolledBack => "rolled_back",
        }
    }
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AttributeCodec for MigrationStatus {
    const KIND: AttributeKind = AttributeKind::String;

    fn encode(&self) -> std::result::Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.as_str().to_owned())))
    }

    fn decode(value: AttributeValue) -> std::result::Result<Self, ValueError> {
        let text = String::decode(value)?;
        Ok(match text.as_str() {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "applied" => Self::Applied,
            "failed" => Self::Failed,
            "rolled_back" => Self::RolledBack,
            _ => {
                return Err(ValueError::InvalidText {
                    text,
                    target: "MigrationStatus",
                });
            }
        })
    }
}

/// The ledger record of one migration version.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "VERSION#{version}",
    name = "_MigrationRecord",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRecord {
    /// The version.
    pub version: String,
    /// The migration's name.
    pub name: String,
    /// Where it stands.
    pub status: MigrationStatus,
    /// The checksum of the code that ran.
    pub checksum: String,
    /// Who ran it (`user@host`), or who marked it.
    pub run_by: String,
    /// When the last run started (RFC 3339).
    pub started_at: String,
    /// When the last run finished.
    pub finished_at: Option<String>,
    /// How long the last run took.
    pub duration_ms: Option<u64>,
    /// Items the migration read, as its bulk helpers counted.
    #[entity(default)]
    pub items_read: u64,
    /// Items the migration wrote.
    #[entity(default)]
    pub items_written: u64,
    /// The error of a failed run.
    pub error: Option<String>,
    /// How the record got its status when not by running (`marked applied by ...`).
    pub note: Option<String>,
    /// The entities' schemas after the migration was applied (JSON).
    pub schema_snapshot: Option<String>,
    /// The schema changes since the previous applied migration's snapshot.
    #[entity(default)]
    pub schema_changes: Vec<String>,
    /// Malformed items the last run skipped (`--skip-malformed`) instead of failing.
    #[entity(default)]
    pub skipped_malformed: u64,
    /// The first of them (up to [`MAX_LISTED_SKIPPED`](crate::skipped_items::MAX_LISTED_SKIPPED)): key and
    /// reason.
    #[entity(serde, default)]
    pub skipped_items: Vec<crate::skipped_items::SkippedItem>,
    /// The earliest time the table could be restored to when the last run started (RFC 3339),
    /// when the run checked point-in-time recovery.
    pub restorable_from: Option<String>,
}

/// Every ledger record, in no particular order.
pub(crate) async fn records(table: &Table) -> Result<Vec<MigrationRecord>> {
    Ok(table
        .query::<MigrationRecord>(MigrationRecord::partition_key())
        .consistent()
        .all()
        .await?)
}
