//! Replays: the backfills of a run's migrations passed again over the changes made since each
//! finished, and the replays a killed run left for the next `up`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::checkpoint::{Checkpointer, Saving};
use crate::context::{Context, Replay};
use crate::error::Result;
use crate::ledger::MigrationRecord;
use crate::lock::Lock;
use crate::migration::Direction;
use crate::registry::RegisteredMigration;
use crate::replay_positions::{self, ReplayState};
use crate::stream::ChangeStream;

use super::{Migrator, Replays};

impl Migrator {
    /// The versions whose replay a killed run left unfinished, which the next [`up`](Self::up)
    /// finishes first (none without [catch-up](Self::catch_up)).
    ///
    /// # Errors
    /// A table error.
    pub async fn unfinished_replays(&self) -> Result<Vec<String>> {
        if !self.catch_up {
            return Ok(Vec::new());
        }
        let ledger = self.ledger().await?;
        Ok(self
            .saved_replays(&ledger, false)
            .await?
            .into_iter()
            .map(|(m, _)| m.version.to_owned())
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

    /// Runs the backfills of migrations applied in this run again over the changes made since
    /// their catch-up ended, in version order, each from where it stands: an item an old
    /// application instance wrote after an earlier migration finished passes through every plan
    /// of the run, in order, and ends in the run's target shape.
    ///
    /// With `lock`, the replays' positions are saved in the ledger as they move (their start was
    /// saved when each migration finished), so that a run killed during a replay leaves it for
    /// the next `up` to finish.
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
                saving: Saving::Replay,
                lock_owner: lock.owner().to_owned(),
            });
            let ctx = Context::for_replay(
                self.table.clone(),
                migration.version,
                self.reporter.clone(),
                stream.clone(),
                replay.clone(),
                checkpoints,
            )
            .skipping_malformed(self.skip_malformed);
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
