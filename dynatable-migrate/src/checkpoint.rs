//! Checkpoints of resumable bulk work: where each scan segment of a migration's backfill stands,
//! saved in the ledger after every page, so a run that was interrupted (or failed) resumes where
//! it stopped instead of starting over.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{
    AttributeCodec, AttributeKind, Cursor, Entity, SegmentPosition, Table, ValueError, Write,
    entity,
};

use crate::direction::Direction;
use crate::error::Result;
use crate::lease::{SegmentLease, ShardLease};
use crate::ledger::SharedBackfillRecord;
use crate::ledger::records_of;
use crate::lock::{LockRecord, held_by};
use crate::replay_positions::ReplayState;
use crate::skipped_items::{Skipped, SkippedItem};
use crate::stream::{StreamPosition, StreamPositionRecord};

/// Where one segment stands, as stored: `"start"`, `"done"`, or the cursor map.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPosition(pub SegmentPosition);

impl AttributeCodec for StoredPosition {
    const KIND: AttributeKind = AttributeKind::Map;

    fn encode(&self) -> std::result::Result<Option<AttributeValue>, ValueError> {
        Ok(Some(match &self.0 {
            SegmentPosition::Start => AttributeValue::S("start".to_owned()),
            SegmentPosition::Done => AttributeValue::S("done".to_owned()),
            SegmentPosition::After(cursor) => cursor.to_attribute_value(),
        }))
    }

    fn decode(value: AttributeValue) -> std::result::Result<Self, ValueError> {
        match &value {
            AttributeValue::S(s) if s == "start" => Ok(Self(SegmentPosition::Start)),
            AttributeValue::S(s) if s == "done" => Ok(Self(SegmentPosition::Done)),
            AttributeValue::M(_) => Cursor::from_attribute_value(&value)
                .map(|c| Self(SegmentPosition::After(c)))
                .ok_or(ValueError::TypeMismatch {
                    expected: "M",
                    found: "M",
                }),
            other => Err(ValueError::TypeMismatch {
                expected: "M or S",
                found: dynatable_core::codec::type_name(other),
            }),
        }
    }
}

/// The catch-up position saved for backfill `name` of `key_version` (`0.4.0`, `0.4.0#down`).
pub(crate) async fn load_stream_position(
    table: &Table,
    key_version: &str,
    name: &str,
) -> Result<Option<StreamPosition>> {
    let record = table
        .get::<StreamPositionRecord>(StreamPositionRecord::key(key_version, name))
        .consistent()
        .send()
        .await?;
    Ok(record.map(StreamPositionRecord::position))
}

/// A saved checkpoint.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "CHECKPOINT#{version}#{name}",
    name = "_MigrationCheckpoint",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRecord {
    /// The migration's version.
    pub version: String,
    /// The backfill's name within the migration.
    pub name: String,
    /// One position per scan segment.
    pub positions: Vec<StoredPosition>,
    /// When it was saved.
    pub saved_at: String,
    /// Malformed items the backfill skipped so far (`--skip-malformed`).
    #[entity(default)]
    pub skipped_malformed: u64,
    /// The first of them (up to [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED)).
    #[entity(serde, default)]
    pub skipped_items: Vec<SkippedItem>,
}

/// Saves and loads the checkpoints of one migration run, fenced by the run's lock.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    pub(crate) table: Table,
    pub(crate) version: String,
    pub(crate) saving: Saving,
    pub(crate) lock_owner: String,
}

/// What a [`Checkpointer`] saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saving {
    /// A run of the migration, one way.
    Run(Direction),
    /// A replay of the migration applied (or rolled back) in a run: catch-up positions only.
    Replay(Direction),
}

impl Checkpointer {
    /// The version part of the key: rolling back and replaying keep their positions apart from
    /// applying.
    pub(crate) fn key_version(&self) -> String {
        match self.saving {
            Saving::Run(Direction::Up) => self.version.clone(),
            Saving::Run(Direction::Down) => format!("{}#down", self.version),
            Saving::Replay(direction) => format!(
                "{}{}",
                self.version,
                ReplayState::unfinished(direction).suffix()
            ),
        }
    }

    /// The positions saved under `name`, and what the backfill had skipped by then.
    pub(crate) async fn load(&self, name: &str) -> Result<Option<(Vec<SegmentPosition>, Skipped)>> {
        let record = self
            .table
            .get::<CheckpointRecord>(CheckpointRecord::key(&self.key_version(), name))
            .consistent()
            .send()
            .await?;
        Ok(record.map(|r| {
            let skipped = Skipped {
                total: r.skipped_malformed,
                listed: r.skipped_items,
            };
            (r.positions.into_iter().map(|p| p.0).collect(), skipped)
        }))
    }

    pub(crate) async fn save(
        &self,
        name: &str,
        positions: &[SegmentPosition],
        skipped: Skipped,
    ) -> Result<()> {
        let record = CheckpointRecord {
            version: self.key_version(),
            name: name.to_owned(),
            positions: positions.iter().cloned().map(StoredPosition).collect(),
            saved_at: crate::ledger::now(),
            skipped_malformed: skipped.total,
            skipped_items: skipped.listed,
        };
        self.fenced(self.table.put(&record)).await
    }

    /// The catch-up position saved under `name`, if any.
    pub(crate) async fn load_stream(&self, name: &str) -> Result<Option<StreamPosition>> {
        load_stream_position(&self.table, &self.key_version(), name).await
    }

    /// Saves the catch-up position of `name`, while the run holds the lock.
    pub(crate) async fn save_stream(&self, name: &str, position: &StreamPosition) -> Result<()> {
        self.fenced(self.stream_write(name, position)).await
    }

    /// The write that saves the catch-up position of `name`.
    pub(crate) fn stream_write(&self, name: &str, position: &StreamPosition) -> Write {
        let record =
            StreamPositionRecord::of_position(self.key_version(), name.to_owned(), position);
        self.table.put(&record).into()
    }

    /// Announces a shared backfill, while the run holds the lock.
    pub(crate) async fn announce(&self, record: &SharedBackfillRecord) -> Result<()> {
        self.fenced(self.table.put(record)).await
    }

    /// `write`, in a transaction that checks the run still holds the lock.
    async fn fenced(&self, write: impl Into<dynatable_core::Write>) -> Result<()> {
        self.table
            .transaction()
            .condition_check(LockRecord::key(), held_by(&self.lock_owner))
            .write(write)
            .send()
            .await
            .map_err(|e| {
                if e.is_conditional_check_failed() {
                    crate::Error::LockLost
                } else {
                    e.into()
                }
            })
    }

    /// The keys of every checkpoint, segment and shard lease, shared-backfill announcement and catch-up
    /// position of the version, both ways: what a finished run of it deletes, in the transaction
    /// that records the run's outcome.
    pub(crate) async fn saved_keys(&self) -> Result<Vec<dynatable_core::PrimaryKey>> {
        let of_version = format!("{}#", self.version);
        let checkpoints: Vec<CheckpointRecord> = records_of(&self.table, &of_version).await?;
        let positions: Vec<StreamPositionRecord> = records_of(&self.table, &of_version).await?;
        let leases: Vec<SegmentLease> = records_of(&self.table, &of_version).await?;
        let shard_leases: Vec<ShardLease> = records_of(&self.table, &of_version).await?;
        // The announcement of a joined run's backfill of this version (a plain run finishing an
        // interrupted joined one finds it left behind).
        let announced = crate::ledger::announced(&self.table)
            .await?
            .filter(|a| a.version == self.version);
        Ok(checkpoints
            .iter()
            .map(Entity::primary_key)
            .chain(positions.iter().map(Entity::primary_key))
            .chain(leases.iter().map(Entity::primary_key))
            .chain(shard_leases.iter().map(Entity::primary_key))
            .chain(announced.iter().map(Entity::primary_key))
            .collect())
    }
}
