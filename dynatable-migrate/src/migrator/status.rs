//! `Migrator::status`: where every migration stands, the lock, and schema drift; and
//! `Migrator::table_drift`, how the live table differs from what the entities need.

use semver::Version;
use serde::Serialize;

use super::runner::Migrator;
use crate::direction::Direction;
use crate::error::Result;
use crate::ledger::MigrationStatus;
use crate::lock;
use crate::schema_snapshot::{SchemaChange, SchemaSnapshot};
use crate::shared_progress::{SharedBackfillProgress, shared_backfills};
use crate::table_drift::{self, TableDrift};

/// One migration's line in [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MigrationState {
    /// The version.
    pub version: String,
    /// The name (from the binary, or the ledger for unknown versions).
    pub name: String,
    /// Where it stands.
    pub status: MigrationStatus,
    /// When its last run finished.
    pub finished_at: Option<String>,
    /// How long its last run took.
    pub duration_ms: Option<u64>,
    /// Items read and written by its last run.
    pub items_read: u64,
    /// Items written by its last run.
    pub items_written: u64,
    /// Whether the code in the binary is the code that ran (`None` when it never ran).
    pub checksum_ok: Option<bool>,
    /// Whether the binary contains it.
    pub known: bool,
    /// Why it cannot be rolled back, when it cannot.
    pub irreversible: Option<String>,
    /// The error of a failed run.
    pub error: Option<String>,
    /// Malformed items its last run skipped (`--skip-malformed`).
    pub skipped_malformed: u64,
    /// The first of them, with their keys and why they do not decode.
    pub skipped_items: Vec<crate::SkippedItem>,
}

/// The state of the migrations, the lock and the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// Every known or recorded version, in version order.
    pub migrations: Vec<MigrationState>,
    /// Who holds the lock and until when (ms since the Unix epoch), if anyone.
    pub lock: Option<(String, u64)>,
    /// Entity schema changes in the binary that no migration records: since the last applied
    /// migration's snapshot when every migration is applied, else beyond what the pending
    /// migrations will record (entities and attributes declared `since` a later version).
    pub drift: Vec<SchemaChange>,
    /// The schema changes the pending migrations will record when applied.
    pub pending_changes: Vec<SchemaChange>,
    /// The backfills of a joined run in progress (or interrupted), with the processes working
    /// on them and their segments.
    pub shared_backfills: Vec<SharedBackfillProgress>,
    /// The versions whose replay an `up` saved and has not finished, in version order: a run in
    /// progress, or one killed after applying them, whose replay the next `up` finishes.
    pub unfinished_replays: Vec<String>,
    /// The versions whose rollback's replay a `down` saved and has not finished, newest first: a
    /// rollback in progress, or one killed after recording them, which the next `down` finishes.
    pub unfinished_rollback_replays: Vec<String>,
}

impl Status {
    /// The unfinished replays, each as what it replays (`0.3.0`, `the rollbacks of 0.5.0, 0.4.0`)
    /// with the command that finishes it (`up`, `down`).
    pub fn unfinished(&self) -> impl Iterator<Item = (String, &'static str)> + '_ {
        [
            (&self.unfinished_replays, "", "up"),
            (
                &self.unfinished_rollback_replays,
                "the rollbacks of ",
                "down",
            ),
        ]
        .into_iter()
        .filter(|(versions, _, _)| !versions.is_empty())
        .map(|(versions, of, run)| (format!("{of}{}", versions.join(", ")), run))
    }
}

impl Migrator {
    /// How the live table differs from what the binary's entities need at the newest applied
    /// version: indexes missing, extra, keyed or projected otherwise, time to live off or on
    /// another attribute, and (when the runs catch up, see [`catch_up`](Self::catch_up)) the
    /// stream off.
    ///
    /// # Errors
    /// Reading the ledger, `DescribeTable` or `DescribeTimeToLive` failed.
    pub async fn table_drift(&self) -> Result<Vec<TableDrift>> {
        let ledger = self.ledger().await?;
        let applied = ledger
            .values()
            .filter(|r| r.status == MigrationStatus::Applied)
            .filter_map(|r| Version::parse(&r.version).ok())
            .max();
        table_drift::table_drift(&self.table, &self.entities, applied.as_ref(), self.catch_up).await
    }

    /// The state of every migration, of the lock and of the schema.
    ///
    /// # Errors
    /// A table error reading the ledger or the lock.
    pub async fn status(&self) -> Result<Status> {
        let ledger = self.ledger().await?;
        let mut rows: Vec<(Version, MigrationState)> = Vec::new();
        for m in &self.migrations {
            let record = ledger.get(m.version);
            rows.push((
                m.semver()?,
                MigrationState {
                    version: m.version.to_owned(),
                    name: m.name.to_owned(),
                    status: record.map_or(MigrationStatus::Pending, |r| r.status),
                    finished_at: record.and_then(|r| r.finished_at.clone()),
                    duration_ms: record.and_then(|r| r.duration_ms),
                    items_read: record.map_or(0, |r| r.items_read),
                    items_written: record.map_or(0, |r| r.items_written),
                    checksum_ok: record
                        .filter(|r| r.status != MigrationStatus::Pending)
                        .map(|r| r.checksum == m.checksum),
                    known: true,
                    irreversible: m.irreversible.map(str::to_owned),
                    error: record.and_then(|r| r.error.clone()),
                    skipped_malformed: record.map_or(0, |r| r.skipped_malformed),
                    skipped_items: record.map(|r| r.skipped_items.clone()).unwrap_or_default(),
                },
            ));
        }
        for record in ledger.values() {
            if self.migrations.iter().any(|m| m.version == record.version) {
                continue;
            }
            let version = Version::parse(&record.version).unwrap_or_else(|_| Version::new(0, 0, 0));
            rows.push((
                version,
                MigrationState {
                    version: record.version.clone(),
                    name: record.name.clone(),
                    status: record.status,
                    finished_at: record.finished_at.clone(),
                    duration_ms: record.duration_ms,
                    items_read: record.items_read,
                    items_written: record.items_written,
                    checksum_ok: None,
                    known: false,
                    irreversible: None,
                    error: record.error.clone(),
                    skipped_malformed: record.skipped_malformed,
                    skipped_items: record.skipped_items.clone(),
                },
            ));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let lock = lock::current(&self.table)
            .await?
            .map(|l| (l.holder, l.expires_at_ms));
        let recorded = self.last_snapshot(&ledger)?;
        let binary = SchemaSnapshot::of(&self.entities);
        let newest_pending = rows
            .iter()
            .filter(|(_, s)| s.known && s.status != MigrationStatus::Applied)
            .map(|(v, _)| v)
            .max();
        let (drift, pending_changes) = match newest_pending {
            None => (recorded.diff(&binary), Vec::new()),
            Some(version) => {
                let after_pending = SchemaSnapshot::at(&self.entities, version);
                (after_pending.diff(&binary), recorded.diff(&after_pending))
            }
        };
        Ok(Status {
            migrations: rows.into_iter().map(|(_, s)| s).collect(),
            lock,
            drift,
            pending_changes,
            shared_backfills: shared_backfills(&self.table).await?,
            unfinished_replays: self.unfinished_in(&ledger, Direction::Up).await?,
            unfinished_rollback_replays: self.unfinished_in(&ledger, Direction::Down).await?,
        })
    }
}
