//! Repairs after a failure: a version marked without running it, the lock removed.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::ledger::{self, MigrationRecord, MigrationStatus, now};
use crate::lock::{self, Lock};

use super::runner::Migrator;

impl Migrator {
    /// Records `version` as `status` without running it (repair after a failure), with who and
    /// when; `Pending` removes its record.
    ///
    /// # Errors
    /// [`Error::NoSuchVersion`], [`Error::LockHeld`].
    pub async fn mark(&self, version: &str, status: MigrationStatus) -> Result<()> {
        let migration = self.find(version)?;
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = async {
            if status == MigrationStatus::Pending {
                self.table
                    .delete::<MigrationRecord>(MigrationRecord::key(migration.version))
                    .send()
                    .await?;
                return Ok(());
            }
            let previous = self.ledger().await?.remove(migration.version);
            let now = now();
            let record = MigrationRecord {
                version: migration.version.to_owned(),
                name: migration.name.to_owned(),
                status,
                checksum: migration.checksum.to_owned(),
                run_by: self.who.clone(),
                started_at: previous
                    .as_ref()
                    .map_or_else(|| now.clone(), |p| p.started_at.clone()),
                finished_at: Some(now),
                duration_ms: previous.as_ref().and_then(|p| p.duration_ms),
                items_read: previous.as_ref().map_or(0, |p| p.items_read),
                items_written: previous.as_ref().map_or(0, |p| p.items_written),
                error: None,
                note: Some(format!("marked {status} by {}", self.who)),
                schema_snapshot: previous.as_ref().and_then(|p| p.schema_snapshot.clone()),
                skipped_malformed: previous.as_ref().map_or(0, |p| p.skipped_malformed),
                skipped_items: previous
                    .as_ref()
                    .map(|p| p.skipped_items.clone())
                    .unwrap_or_default(),
                restorable_from: previous.as_ref().and_then(|p| p.restorable_from.clone()),
                schema_changes: previous.map(|p| p.schema_changes).unwrap_or_default(),
            };
            self.record(&lock, &record).await
        }
        .await;
        lock.release_after(result).await
    }

    /// Removes the lock. Without `force` only an expired lock is removed.
    ///
    /// # Errors
    /// [`Error::LockHeld`] when the lock is live and `force` is false.
    pub async fn unlock(&self, force: bool) -> Result<bool> {
        match lock::current(&self.table).await? {
            None => Ok(false),
            Some(l) if !force && l.expires_at_ms > ledger::now_ms() => Err(Error::LockHeld {
                holder: l.holder,
                expires_at: humantime::format_rfc3339_millis(
                    std::time::UNIX_EPOCH + Duration::from_millis(l.expires_at_ms),
                )
                .to_string(),
            }),
            Some(_) => lock::force_unlock(&self.table).await,
        }
    }
}
