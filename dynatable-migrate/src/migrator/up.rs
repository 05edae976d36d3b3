//! `up`: the pending migrations applied in version order under the lock.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::direction::Direction;
use crate::error::{Error, Result};
use crate::ledger::{MigrationRecord, MigrationStatus};
use crate::lock::Lock;
use crate::registry::RegisteredMigration;
use crate::replay_positions::{self, ReplayState};
use crate::run_state::Replay;
use crate::schema_snapshot::SchemaSnapshot;
use crate::stream::ChangeStream;

use super::run_report::RunReport;
use super::runner::Migrator;
use super::runner::Replays;

impl Migrator {
    /// Applies the pending migrations up to `target` (all when `None`), in version order. A
    /// failed or interrupted migration runs again first; later ones never run past a failure.
    /// A replay an earlier run left unfinished (killed after its migrations were applied) is
    /// finished before anything else.
    ///
    /// # Errors
    /// [`Error::LockHeld`], [`Error::ChecksumChanged`], [`Error::UnknownVersions`],
    /// [`Error::NoSuchVersion`], [`Error::OutOfOrder`] (a migration not applied is older than
    /// one that is), [`Error::MigrationFailed`] (recorded as failed in the ledger).
    pub async fn up(&self, target: Option<&str>) -> Result<RunReport> {
        self.verify(&self.ledger().await?)?;
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        self.up_holding(lock, target).await
    }

    /// [`up`](Self::up) with the lock taken; releases it.
    pub(crate) async fn up_holding(&self, lock: Lock, target: Option<&str>) -> Result<RunReport> {
        let result = async {
            let (report, followed) = self.up_locked(&lock, target, false).await?;
            // The run's replays are over: none is left to finish.
            if followed.is_some() {
                replay_positions::forget(&self.table, ReplayState::Unfinished).await?;
            }
            Ok::<_, Error>(report)
        }
        .await;
        lock.release_after(result).await
    }

    /// Applies the pending migrations under `lock`, after finishing the replays an earlier run
    /// left unfinished (and, with `resume_stopped` when nothing is pending, taking up those of
    /// the last follow period, which a run that applies migrations forgets). Returns what a
    /// follow period replays: the table's stream and, per migration applied or taken up, where
    /// its catch-ups stand; `None` without a stream to follow, or when there was nothing to do.
    pub(crate) async fn up_locked(
        &self,
        lock: &Lock,
        target: Option<&str>,
        resume_stopped: bool,
    ) -> Result<(RunReport, Option<(ChangeStream, Replays)>)> {
        // Another run may have applied migrations while this one waited for the lock.
        let ledger = self.ledger().await?;
        self.verify(&ledger)?;
        let mut snapshot = self.last_snapshot(&ledger)?;
        let mut report = RunReport::default();
        let pending = self.pending(&ledger, target)?;
        let resumed = match self.catch_up {
            true => {
                self.saved_replays(&ledger, resume_stopped && pending.is_empty())
                    .await?
            }
            false => Vec::new(),
        };
        let stream = match pending.is_empty() && resumed.is_empty() {
            true => None,
            false => self.change_stream().await?,
        };
        let mut replays = resumed;
        report.replayed += self
            .take_up(stream.as_ref(), Direction::Up, &replays, lock)
            .await?;
        let taken_up = replays.len();
        for migration in pending {
            let next = SchemaSnapshot::at(&self.entities, &migration.semver()?);
            let changes = snapshot.diff(&next);
            let (caught_up, skipped) = self
                .run(
                    lock,
                    migration,
                    Direction::Up,
                    Some((&next, &changes)),
                    stream.as_ref(),
                )
                .await?;
            replays.push((migration, Arc::new(Replay::from(caught_up))));
            snapshot = next;
            report.ran(migration.version, skipped);
        }
        if !report.versions.is_empty() {
            // A follow period of older migrations cannot continue past these, and the replay of
            // a killed `down` is moot once they are applied again.
            replay_positions::forget(&self.table, ReplayState::Stopped).await?;
            replay_positions::forget(&self.table, ReplayState::UnfinishedRollback).await?;
        }
        report.replayed += self
            .replay_run(stream.as_ref(), Direction::Up, &replays, taken_up, lock)
            .await?;
        Ok((report, stream.map(|stream| (stream, replays))))
    }

    /// The migrations `up` would run: not applied, up to `target`, in version order. Refuses
    /// when one of them is older than an applied one ([`Error::OutOfOrder`]).
    fn pending(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        target: Option<&str>,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        let limit = match target {
            Some(version) => Some(self.find(version)?.semver()?),
            None => None,
        };
        let mut pending = Vec::new();
        for m in &self.migrations {
            if limit
                .as_ref()
                .is_some_and(|l| m.semver().is_ok_and(|v| v > *l))
            {
                break;
            }
            let applied = ledger
                .get(m.version)
                .is_some_and(|r| r.status == MigrationStatus::Applied);
            if !applied {
                pending.push(*m);
            }
        }
        let out_of_order = out_of_order(&self.migrations, ledger);
        if let Some(newest) = out_of_order.newest {
            return Err(Error::OutOfOrder {
                versions: out_of_order.versions,
                newest: newest.to_owned(),
            });
        }
        Ok(pending)
    }

    /// The migrations [`up`](Self::up) to `target` would run now, in order (nothing is run).
    ///
    /// # Errors
    /// As [`up`](Self::up) before it takes the lock: changed or unknown applied code, an unknown
    /// target, a table error.
    pub async fn up_plan(&self, target: Option<&str>) -> Result<Vec<&'static RegisteredMigration>> {
        let ledger = self.ledger().await?;
        self.verify(&ledger)?;
        self.pending(&ledger, target)
    }
}

/// The migrations not applied that are older than the newest applied one, which `up` would run
/// out of order.
#[derive(Debug, Default, PartialEq, Eq)]
struct OutOfOrder {
    /// Their versions, oldest first.
    versions: Vec<String>,
    /// The newest applied version; `None` when no migration is out of order.
    newest: Option<&'static str>,
}

/// The migrations of `migrations` (in version order) that `ledger` leaves out of order.
fn out_of_order(
    migrations: &[&'static RegisteredMigration],
    ledger: &BTreeMap<String, MigrationRecord>,
) -> OutOfOrder {
    let applied = |m: &RegisteredMigration| {
        ledger
            .get(m.version)
            .is_some_and(|r| r.status == MigrationStatus::Applied)
    };
    let Some(last) = migrations.iter().rposition(|m| applied(m)) else {
        return OutOfOrder::default();
    };
    let versions: Vec<String> = migrations[..last]
        .iter()
        .filter(|m| !applied(m))
        .map(|m| m.version.to_owned())
        .collect();
    match versions.is_empty() {
        true => OutOfOrder::default(),
        false => OutOfOrder {
            versions,
            newest: Some(migrations[last].version),
        },
    }
}
