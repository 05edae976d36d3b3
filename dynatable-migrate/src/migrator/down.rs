//! `down`: applied migrations rolled back, newest first.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::direction::Direction;
use crate::error::{Error, Result};
use crate::ledger::MigrationRecord;
use crate::lock::Lock;
use crate::registry::RegisteredMigration;
use crate::replay_positions::{self, ReplayState};
use crate::run_state::Replay;

use crate::stream::ChangeStream;

use super::run_report::RunReport;
use super::runner::Migrator;
use super::runner::Replays;

/// Where `down` stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownTarget {
    /// Roll back the newest applied migrations, this many.
    Steps(usize),
    /// Roll back every applied migration above this version (it stays applied).
    Version(String),
}

impl Migrator {
    /// Rolls back applied migrations, newest first: `target` steps, or everything above a version.
    /// Refuses before running anything when one of them is irreversible. A replay of rollbacks
    /// an earlier `down` left unfinished (killed after its rollbacks were recorded) is finished
    /// before anything else.
    ///
    /// # Errors
    /// [`Error::Irreversible`], [`Error::LockHeld`], [`Error::NoSuchVersion`],
    /// [`Error::ChecksumChanged`] (a rollback's code changed since it was applied, unless
    /// [`allow_changed_checksums`](Self::allow_changed_checksums)), [`Error::MigrationFailed`].
    pub async fn down(&self, target: DownTarget) -> Result<RunReport> {
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = async {
            let to_undo = self.rollbacks(&self.ledger().await?, &target)?;
            self.undo(&lock, to_undo).await
        }
        .await;
        lock.release_after(result).await
    }

    /// Rolls back `to_undo`, in that order, under `lock`, after finishing the replay of
    /// rollbacks a killed `down` left unfinished. As `up` does, the replay's positions are saved
    /// in the ledger from the moment each rollback is recorded until the run ends, so a `down`
    /// killed in between leaves its replay for the next `down`.
    pub(crate) async fn undo(
        &self,
        lock: &Lock,
        to_undo: Vec<&'static RegisteredMigration>,
    ) -> Result<RunReport> {
        let (report, followed) = self.undo_locked(lock, to_undo).await?;
        if followed.is_some() {
            // The run's replays are over: none is left to finish.
            replay_positions::forget(&self.table, ReplayState::UnfinishedRollback).await?;
        }
        Ok(report)
    }

    /// [`undo`](Self::undo) without forgetting the replays' positions. Returns what a follow
    /// period replays: the table's stream and, per rollback run or taken up, where its
    /// catch-ups stand; `None` without a stream, or when there was nothing to do.
    pub(crate) async fn undo_locked(
        &self,
        lock: &Lock,
        to_undo: Vec<&'static RegisteredMigration>,
    ) -> Result<(RunReport, Option<(ChangeStream, Replays)>)> {
        let resumed = match self.catch_up {
            true => self.saved_rollback_replays(&self.ledger().await?).await?,
            false => Vec::new(),
        };
        let stream = match to_undo.is_empty() && resumed.is_empty() {
            true => None,
            false => self.change_stream().await?,
        };
        let mut report = RunReport::default();
        let mut replays = resumed;
        report.replayed += self
            .take_up(stream.as_ref(), Direction::Down, &replays, lock)
            .await?;
        let taken_up = replays.len();
        for migration in to_undo {
            let (caught_up, skipped) = self
                .run(lock, migration, Direction::Down, None, stream.as_ref())
                .await?;
            replays.push((migration, Arc::new(Replay::from(caught_up))));
            report.ran(migration.version, skipped);
        }
        report.replayed += self
            .replay_run(stream.as_ref(), Direction::Down, &replays, taken_up, lock)
            .await?;
        Ok((report, stream.map(|stream| (stream, replays))))
    }

    /// The applied migrations `down` to `target` rolls back, newest first; refused as a whole when
    /// one of them is irreversible.
    pub(crate) fn rollbacks(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        target: &DownTarget,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        let mut applied: Vec<&'static RegisteredMigration> = self.applied(ledger).collect();
        applied.reverse();
        let to_undo: Vec<&'static RegisteredMigration> = match target {
            DownTarget::Steps(n) => applied.into_iter().take(*n).collect(),
            DownTarget::Version(version) => {
                let floor = self.floor(version)?;
                applied
                    .into_iter()
                    .filter(|m| m.semver().is_ok_and(|v| v > floor))
                    .collect()
            }
        };
        // As `up` refuses to run over changed code, `down` refuses to run changed rollbacks.
        self.refuse_changed(ledger, &to_undo)?;
        if let Some(m) = to_undo.iter().find(|m| m.irreversible.is_some()) {
            return Err(Error::Irreversible {
                reason: format!(
                    "{} ({}) is irreversible: {}",
                    m.version,
                    m.name,
                    m.irreversible.unwrap_or_default()
                ),
            });
        }
        Ok(to_undo)
    }

    /// The version `down --to version` keeps: a migration's, or one before every migration
    /// (`0.0.0`: everything is rolled back). Any other version is refused, as a typo between two
    /// migrations would roll back less or more than meant.
    fn floor(&self, version: &str) -> Result<semver::Version> {
        let found = match self.find(version) {
            Ok(migration) => return migration.semver(),
            Err(not_found) => not_found,
        };
        let first = self.migrations.first().map(|m| m.semver()).transpose()?;
        match semver::Version::parse(version) {
            Ok(before) if first.is_none_or(|first| before < first) => Ok(before),
            _ => Err(found),
        }
    }

    /// The migrations [`down`](Self::down) to `target` would roll back now, newest first
    /// (nothing is run).
    ///
    /// # Errors
    /// [`Error::Irreversible`], [`Error::NoSuchVersion`], [`Error::ChecksumChanged`], a table
    /// error.
    pub async fn down_plan(
        &self,
        target: &DownTarget,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        self.rollbacks(&self.ledger().await?, target)
    }
}
