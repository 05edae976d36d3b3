//! Where a catch-up stands in the table's stream, and how that is saved in the ledger so an
//! interrupted catch-up resumes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dynatable_core::entity;

use super::shard::Shard;

/// Where a catch-up stands: the moment it follows the table from, the shards there were then,
/// and how far each shard has been read since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamPosition {
    /// When the catch-up started following (milliseconds since the epoch): the changes it
    /// converts are the ones made after this.
    pub(crate) since_ms: i64,
    /// The shards listed then, open or closed.
    pub(crate) known: BTreeSet<String>,
    /// The shards still written to then.
    pub(crate) open: BTreeSet<String>,
    /// The shards read since: after which record, or to their end.
    pub(crate) shards: BTreeMap<String, ShardPosition>,
}

/// How far one shard has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShardPosition {
    /// Up to and including the record with this sequence number.
    After(String),
    /// To its end (the shard is closed).
    Done,
}

impl StreamPosition {
    /// A position at `since`, with the stream's shards as listed then.
    pub(crate) fn starting(since: SystemTime, shards: &[Shard]) -> Self {
        Self {
            since_ms: epoch_ms(since),
            known: shards.iter().map(|s| s.id.clone()).collect(),
            open: shards
                .iter()
                .filter(|s| s.open)
                .map(|s| s.id.clone())
                .collect(),
            shards: BTreeMap::new(),
        }
    }

    /// The shards whose records may include changes made after `since`: those open then, and
    /// every shard created since (their parents' successors).
    pub(crate) fn selected(&self, shards: &[Shard]) -> Vec<Shard> {
        shards
            .iter()
            .filter(|s| self.open.contains(&s.id) || !self.known.contains(&s.id))
            .cloned()
            .collect()
    }

    /// Whether `shard` was read to its end.
    pub(crate) fn finished(&self, shard: &str) -> bool {
        matches!(self.shards.get(shard), Some(ShardPosition::Done))
    }

    /// When the catch-up started following.
    pub(crate) fn since(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.since_ms).unwrap_or_default())
    }
}

/// Milliseconds since the epoch.
pub(crate) fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A saved catch-up position, beside the scan checkpoints of the same backfill.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "STREAM#{version}#{name}",
    name = "_MigrationStreamPosition",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct StreamPositionRecord {
    /// The migration's version (with `#down` when rolling back, `#replay` while a replay of it
    /// runs, `#followed` where a follow period stopped).
    pub version: String,
    /// The backfill's name within the migration.
    pub name: String,
    /// When the catch-up started following, in milliseconds since the epoch.
    pub since_ms: i64,
    /// The shards listed then.
    pub known_shards: BTreeSet<String>,
    /// The shards open then.
    pub open_shards: BTreeSet<String>,
    /// Per shard read: the last sequence number read, or `"done"`.
    pub shards: BTreeMap<String, String>,
    /// When it was saved.
    pub saved_at: String,
}

/// What marks a shard read to its end in [`StreamPositionRecord::shards`].
const DONE: &str = "done";

impl StreamPositionRecord {
    pub(crate) fn of_position(version: String, name: String, position: &StreamPosition) -> Self {
        Self {
            version,
            name,
            since_ms: position.since_ms,
            known_shards: position.known.clone(),
            open_shards: position.open.clone(),
            shards: position
                .shards
                .iter()
                .map(|(shard, at)| {
                    let at = match at {
                        ShardPosition::After(sequence) => sequence.clone(),
                        ShardPosition::Done => DONE.to_owned(),
                    };
                    (shard.clone(), at)
                })
                .collect(),
            saved_at: crate::ledger::now(),
        }
    }

    pub(crate) fn position(self) -> StreamPosition {
        StreamPosition {
            since_ms: self.since_ms,
            known: self.known_shards,
            open: self.open_shards,
            shards: self
                .shards
                .into_iter()
                .map(|(shard, at)| {
                    let at = if at == DONE {
                        ShardPosition::Done
                    } else {
                        ShardPosition::After(at)
                    };
                    (shard, at)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::shard::tests::shard;

    #[test]
    fn the_shards_open_at_the_start_and_every_later_one_are_read() {
        let then = [shard("old", None, false), shard("a", Some("old"), true)];
        let position = StreamPosition::starting(SystemTime::now(), &then);
        let now = [
            shard("old", None, false),
            shard("a", Some("old"), false),
            shard("b", Some("a"), true),
        ];
        let ids: Vec<String> = position.selected(&now).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn a_saved_position_reads_back_the_same() {
        let mut position = StreamPosition::starting(
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            &[shard("a", None, true), shard("b", None, false)],
        );
        position
            .shards
            .insert("a".into(), ShardPosition::After("000123".into()));
        position.shards.insert("c".into(), ShardPosition::Done);
        let record = StreamPositionRecord::of_position("0.1.0".into(), "users".into(), &position);
        assert_eq!(record.position(), position);
        assert_eq!(position.since_ms, 1_700_000_000_123);
    }
}
