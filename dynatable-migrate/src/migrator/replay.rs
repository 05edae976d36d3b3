//! Replays: the backfills of a run's migrations passed again over the changes made since each
//! finished, and the replays a killed run left for the next `up` (or `down`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::checkpoint::{Checkpointer, Saving};
use crate::context::Context;
use crate::direction::Direction;
use crate::error::Result;
use crate::ledger::{MigrationRecord, MigrationStatus};
use crate::lock::Lock;
use crate::registry::RegisteredMigration;
use crate::replay_positions::{self, ReplayState};
use crate::run_state::{Replay, RunState};
use crate::stream::ChangeStream;

use super::runner::Migrator;
use super::runner::Replays;

impl Migrator {
    /// The versions whose replay a killed run left unfinished, which the next [`up`](Self::up)
    /// finishes first (none without [catch-up](Self::catch_up)).
    ///
    /// # Errors
    /// A table error.
    pub async fn unfinished_replays(&self) -> Result<Vec<String>> {
        self.unfinished_in(&self.ledger().await?, Direction::Up)
            .await
    }

    /// The versions whose rollback's replay a killed `down` left unfinished, which the next
    /// [`down`](Self::down) finishes first (none without [catch-up](Self::catch_up)).
    ///
    /// # Errors
    /// A table error.
    pub async fn unfinished_rollback_replays(&self) -> Result<Vec<String>> {
        self.unfinished_in(&self.ledger().await?, Direction::Down)
            .await
    }

    /// The versions whose replay in `direction` the positions beside `ledger` leave unfinished,
    /// in the order the replay runs them (none without catch-up).
    pub(crate) async fn unfinished_in(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        direction: Direction,
    ) -> Result<Vec<String>> {
        if !self.catch_up {
            return Ok(Vec::new());
        }
        let replays = match direction {
            Direction::Up => self.saved_replays(ledger, false).await?,
            Direction::Down => self.saved_rollback_replays(ledger).await?,
        };
        Ok(replays
            .into_iter()
            .map(|(m, _)| m.version.to_owned())
            .collect())
    }

    /// The replays of rollbacks whose positions the ledger keeps, for the migrations still rolled
    /// back, newest first (the order `down` rolled them back in).
    pub(super) async fn saved_rollback_replays(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
    ) -> Result<Replays> {
        let mut saved =
            replay_positions::saved(&self.table, &[ReplayState::UnfinishedRollback]).await?;
        Ok(self
            .migrations
            .iter()
            .rev()
            .filter(|m| {
                ledger
                    .get(m.version)
                    .is_some_and(|r| r.status == MigrationStatus::RolledBack)
            })
            .filter_map(|m| {
                let positions = saved.remove(m.version)?;
                Some((*m, Arc::new(Replay::from(positions))))
            })
            .collect())
    }

    /// The replays whose positions the ledger keeps (the unfinished ones, and with `stopped`
    /// those of the last follow period), for the migrations still applied, in version order.
    pub(super) async fn saved_replays(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        stopped: bool,
    ) -> Result<Replays> {
        // An unfinished replay of a version is never older than its stopped follow (it moved
        // on from there, or was saved with the same positions just before the stop): it wins.
        let states: &[ReplayState] = match stopped {
            true => &[ReplayState::Stopped, ReplayState::Unfinished],
            false => &[ReplayState::Unfinished],
        };
        let mut saved = replay_positions::saved(&self.table, states).await?;
        Ok(self
            .applied(ledger)
            .filter_map(|m| {
                let positions = saved.remove(m.version)?;
                Some((m, Arc::new(Replay::from(positions))))
            })
            .collect())
    }

    /// Finishes `replays`, which a killed run left unfinished (`up`'s, or with
    /// [`Direction::Down`] the rollbacks'), saying so; returns the items they converted.
    pub(super) async fn take_up(
        &self,
        stream: Option<&ChangeStream>,
        direction: Direction,
        replays: &Replays,
        lock: &Lock,
    ) -> Result<u64> {
        let Some(stream) = stream.filter(|_| !replays.is_empty()) else {
            return Ok(0);
        };
        let of = match direction {
            Direction::Up => "",
            Direction::Down => "the rollbacks of ",
        };
        self.reporter.message(
            "replay",
            &format!(
                "taking up the replay of {of}{} where it stopped",
                versions(replays)
            ),
        );
        self.replay(stream, direction, replays, Some(lock)).await
    }

    /// Replays the run's migrations (`replays`, of which the first `taken_up` were finished
    /// already) when it ran more than one, saying so; returns the items they converted.
    pub(super) async fn replay_run(
        &self,
        stream: Option<&ChangeStream>,
        direction: Direction,
        replays: &Replays,
        taken_up: usize,
        lock: &Lock,
    ) -> Result<u64> {
        let Some(stream) = stream.filter(|_| replays.len() > 1 && replays.len() > taken_up) else {
            return Ok(0);
        };
        let (of, target) = match direction {
            Direction::Up => ("", "written in an older shape meanwhile end in the latest"),
            Direction::Down => (
                "the rollbacks of ",
                "written in a newer shape meanwhile end in the oldest",
            ),
        };
        self.reporter.message(
            "replay",
            &format!(
                "{of}{} again over the items changed since each finished, so that items {target}",
                versions(replays)
            ),
        );
        self.replay(stream, direction, replays, Some(lock)).await
    }

    /// Runs the backfills of migrations applied in this run again over the changes made since
    /// their catch-up ended, in version order, each from where it stands: an item an old
    /// application instance wrote after an earlier migration finished passes through every plan
    /// of the run, in order, and ends in the run's target shape.
    ///
    /// With `lock`, the replays' positions are saved in the ledger as they move (their start was
    /// saved when each migration finished), so that a run killed during a replay leaves it for
    /// the next `up` (for rollbacks, the next `down`) to finish.
    pub(crate) async fn replay(
        &self,
        stream: &ChangeStream,
        direction: Direction,
        replays: &[(&'static RegisteredMigration, Arc<Replay>)],
        lock: Option<&Lock>,
    ) -> Result<u64> {
        let mut converted = 0;
        for (migration, replay) in replays {
            let checkpoints = lock.map(|lock| Checkpointer {
                table: self.table.clone(),
                version: migration.version.to_owned(),
                saving: Saving::Replay(direction),
                lock_owner: lock.owner().to_owned(),
            });
            let run = RunState::for_replay(
                migration.version,
                self.reporter.clone(),
                stream.clone(),
                replay.clone(),
                checkpoints,
            )
            .over(&self.entities);
            let ctx =
                Context::running(self.table.clone(), run).skipping_malformed(self.skip_malformed);
            migration
                .run(direction, &ctx)
                .await
                .map_err(|error| migration.failed(error))?;
            let (_, written) = ctx.counts();
            converted += written;
            if written > 0 {
                self.reporter.message(
                    migration.version,
                    &format!(
                        "{} converted {written} items changed since it was applied",
                        migration.name
                    ),
                );
            }
        }
        Ok(converted)
    }
}

/// The versions of `replays`, for messages.
fn versions(replays: &Replays) -> String {
    let versions: Vec<&str> = replays.iter().map(|(m, _)| m.version).collect();
    versions.join(", ")
}
