//! One migration run one way, recorded in the ledger: as running, then as applied (or rolled
//! back) or failed, each write fenced by the lock.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use dynatable_core::{MAX_TRANSACTION_ACTIONS, PrimaryKey, Write};

use crate::checkpoint::{Checkpointer, Saving};
use crate::context::Context;
use crate::direction::Direction;
use crate::error::{Error, Result};
use crate::joined::Joined;
use crate::ledger::{MigrationRecord, MigrationStatus, now};
use crate::lock::{self, Lock, LockRecord};
use crate::registry::RegisteredMigration;
use crate::run_state::RunState;
use crate::safety_rails;
use crate::schema_snapshot::{SchemaChange, SchemaSnapshot};
use crate::stream::{ChangeStream, StreamPosition};

use super::runner::Migrator;

impl Migrator {
    /// Writes `record`, only while this run holds the lock.
    pub(super) async fn record(&self, lock: &Lock, record: &MigrationRecord) -> Result<()> {
        self.record_deleting(lock, record, Vec::new(), Vec::new())
            .await
    }

    /// Puts `record` and `puts`, and deletes `keys`, in one transaction, while the run holds
    /// the lock.
    async fn record_deleting(
        &self,
        lock: &Lock,
        record: &MigrationRecord,
        puts: Vec<Write>,
        keys: Vec<PrimaryKey>,
    ) -> Result<()> {
        if lock.is_lost() {
            return Err(Error::LockLost);
        }
        let transaction = self
            .table
            .transaction()
            .condition_check(LockRecord::key(), lock::held_by(lock.owner()))
            .write(self.table.put(record));
        let transaction = puts
            .into_iter()
            .fold(transaction, |transaction, put| transaction.write(put));
        let transaction = keys.into_iter().fold(transaction, |transaction, key| {
            transaction.write(self.table.delete_item(key))
        });
        match transaction.send().await {
            Err(e) if e.is_conditional_check_failed() => Err(Error::LockLost),
            other => Ok(other?),
        }
    }

    /// Records a finished run, deletes the version's checkpoints and saves where its catch-ups
    /// ended as the start of its replay, in one transaction: a run killed at any moment leaves
    /// either an unfinished version with its checkpoints, or a finished one whose replay the
    /// next `up` (after a rollback, the next `down`) takes up (see [`replay_positions`]).
    /// Checkpoints beyond one transaction's room go first: losing those only makes a rerun start
    /// over, which plans allow.
    async fn record_finished(
        &self,
        lock: &Lock,
        record: &MigrationRecord,
        checkpoints: &Checkpointer,
        caught_up: &HashMap<String, StreamPosition>,
    ) -> Result<()> {
        let direction = match checkpoints.saving {
            Saving::Run(direction) | Saving::Replay(direction) => direction,
        };
        let replay = Checkpointer {
            saving: Saving::Replay(direction),
            ..checkpoints.clone()
        };
        let puts: Vec<Write> = caught_up
            .iter()
            .map(|(name, position)| replay.stream_write(name, position))
            .collect();
        let put_keys: HashSet<&PrimaryKey> = puts.iter().map(|put| put.key()).collect();
        let mut keys: Vec<PrimaryKey> = checkpoints
            .saved_keys()
            .await?
            .into_iter()
            .filter(|key| !put_keys.contains(key))
            .collect();
        // The lock check and the record take two actions.
        let room = MAX_TRANSACTION_ACTIONS.saturating_sub(2 + puts.len());
        while keys.len() > room {
            if let Some(key) = keys.pop() {
                self.table.delete_item(key).send().await?;
            }
        }
        self.record_deleting(lock, record, puts, keys).await
    }

    /// Runs one migration one way, recording it as running, then as applied (or rolled back) or
    /// failed. Returns where its backfills' catch-ups ended, and how many malformed items it
    /// skipped.
    pub(super) async fn run(
        &self,
        lock: &Lock,
        migration: &'static RegisteredMigration,
        direction: Direction,
        schema: Option<(&SchemaSnapshot, &[SchemaChange])>,
        stream: Option<&ChangeStream>,
    ) -> Result<(HashMap<String, StreamPosition>, u64)> {
        let restorable_from =
            safety_rails::check(&self.table, self.require_backup, self.global_table_writer).await?;
        if let Some(time) = &restorable_from {
            self.reporter.message(
                migration.version,
                &format!("point-in-time recovery is on: the table can be restored to any time since {time}"),
            );
        }
        let mut record = self.running_record(migration, direction).await?;
        record.restorable_from = restorable_from;
        self.record(lock, &record).await?;
        let checkpoints = Checkpointer {
            table: self.table.clone(),
            version: migration.version.to_owned(),
            saving: Saving::Run(direction),
            lock_owner: lock.owner().to_owned(),
        };
        let run = RunState::for_run(checkpoints.clone(), self.reporter.clone(), stream.cloned())
            .over(&self.entities)
            .joining(self.joined.as_ref().map(|process| {
                Joined::leading(process, migration.version, migration.checksum, direction)
            }));
        let ctx = Context::running(self.table.clone(), run).skipping_malformed(self.skip_malformed);
        self.reporter.message(
            migration.version,
            &format!("{} {direction} started", migration.name),
        );
        let started = Instant::now();
        let outcome = migration.run(direction, &ctx).await;
        self.record_outcome(&mut record, migration, &ctx, started);
        match outcome {
            Ok(()) => {
                self.reporter.message(
                    migration.version,
                    &format!(
                        "{} {direction} done in {:.1?}: read {}, wrote {}",
                        migration.name,
                        started.elapsed(),
                        record.items_read,
                        record.items_written
                    ),
                );
                record.status = match direction {
                    Direction::Up => MigrationStatus::Applied,
                    Direction::Down => MigrationStatus::RolledBack,
                };
                if let Some((snapshot, changes)) = schema {
                    record.schema_snapshot = Some(serde_json::to_string(snapshot)?);
                    record.schema_changes = changes.iter().map(ToString::to_string).collect();
                }
                record.schema_changes.extend(ctx.run.noted_changes());
                let caught_up = ctx.run.caught_up();
                self.record_finished(lock, &record, &checkpoints, &caught_up)
                    .await?;
                Ok((caught_up, record.skipped_malformed))
            }
            Err(error) => {
                record.status = MigrationStatus::Failed;
                record.error = Some(error.to_string());
                self.record(lock, &record).await?;
                Err(migration.failed(error))
            }
        }
    }

    /// The ledger record of `migration` starting to run `direction`. A rollback's keeps the
    /// schema changes its `up` recorded, for the history.
    async fn running_record(
        &self,
        migration: &'static RegisteredMigration,
        direction: Direction,
    ) -> Result<MigrationRecord> {
        let previous = match direction {
            Direction::Down => self.ledger().await?.remove(migration.version),
            Direction::Up => None,
        };
        let (schema_snapshot, schema_changes) = previous.map_or((None, Vec::new()), |p| {
            (p.schema_snapshot, p.schema_changes)
        });
        Ok(MigrationRecord {
            version: migration.version.to_owned(),
            name: migration.name.to_owned(),
            status: MigrationStatus::Running,
            checksum: migration.checksum.to_owned(),
            run_by: self.who.clone(),
            started_at: now(),
            finished_at: None,
            duration_ms: None,
            items_read: 0,
            items_written: 0,
            error: None,
            note: None,
            schema_snapshot,
            schema_changes,
            skipped_malformed: 0,
            skipped_items: Vec::new(),
            restorable_from: None,
        })
    }

    /// Puts in `record` what the run of `migration` in `ctx` did since `started`: its counts,
    /// the malformed items it skipped (and says how many), when it finished and how long it took.
    fn record_outcome(
        &self,
        record: &mut MigrationRecord,
        migration: &RegisteredMigration,
        ctx: &Context,
        started: Instant,
    ) {
        (record.items_read, record.items_written) = ctx.counts();
        let skipped = ctx.run.skipped_summary();
        if skipped.total > 0 {
            self.reporter.message(
                migration.version,
                &format!(
                    "{} skipped {} malformed items (`migrate status` lists them)",
                    migration.name, skipped.total
                ),
            );
        }
        record.skipped_malformed = skipped.total;
        record.skipped_items = skipped.listed;
        record.finished_at = Some(now());
        record.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    }
}
