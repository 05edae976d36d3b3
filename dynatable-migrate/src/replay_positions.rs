//! Where the replays stand, kept in the ledger beside the catch-up positions: those of a replay
//! of `up` that was interrupted (the next `up` finishes it before anything else), those of a
//! follow period that stopped (the next `up --follow` continues from them), and those of a
//! replay of `down` that was interrupted (the next `down` finishes it first).
//!
//! A replay runs the backfills of migrations already applied (or rolled back) over the changes
//! made since; were its positions only in memory, a run killed during it would leave the items an
//! application instance wrote meanwhile in a shape the run converted away from, with no pending
//! migration (or rollback) to convert them.

use std::collections::{BTreeMap, HashMap};

use dynatable_core::{Entity, Table};

use crate::direction::Direction;
use crate::error::Result;
use crate::ledger::records_of;
use crate::stream::{StreamPosition, StreamPositionRecord};

/// Which replays' positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayState {
    /// Saved while a replay runs: left behind only by a run that did not finish.
    Unfinished,
    /// Saved when a follow period stopped cleanly: where the next one continues.
    Stopped,
    /// Saved while a replay of rollbacks runs: left behind only by a `down` that did not finish.
    UnfinishedRollback,
}

impl ReplayState {
    /// What follows the version in the records' keys.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Self::Unfinished => "#replay",
            Self::Stopped => "#followed",
            Self::UnfinishedRollback => "#down-replay",
        }
    }

    /// The state of a replay running in `direction` (its positions before it finished).
    pub(crate) fn unfinished(direction: Direction) -> Self {
        match direction {
            Direction::Up => Self::Unfinished,
            Direction::Down => Self::UnfinishedRollback,
        }
    }
}

/// Per version, per backfill name, the saved positions of the replays in `states`, read at
/// once; where two states hold a position of one backfill, the later state's wins.
pub(crate) async fn saved(
    table: &Table,
    states: &[ReplayState],
) -> Result<BTreeMap<String, HashMap<String, StreamPosition>>> {
    let records = records(table).await?;
    let mut saved: BTreeMap<String, HashMap<String, StreamPosition>> = BTreeMap::new();
    for state in states {
        for record in &records {
            if let Some(version) = record.version.strip_suffix(state.suffix()) {
                saved
                    .entry(version.to_owned())
                    .or_default()
                    .insert(record.name.clone(), record.clone().position());
            }
        }
    }
    Ok(saved)
}

/// Deletes the saved positions of the replays in `state`.
pub(crate) async fn forget(table: &Table, state: ReplayState) -> Result<()> {
    for record in records(table).await? {
        if record.version.ends_with(state.suffix()) {
            table
                .delete::<StreamPositionRecord>(record.primary_key())
                .send()
                .await?;
        }
    }
    Ok(())
}

/// Keeps `positions` as where the next follow period continues, in place of every replay
/// position saved before. The stopped ones are written before the unfinished ones go, so a run
/// killed in between leaves positions to continue from.
pub(crate) async fn keep_stopped(
    table: &Table,
    positions: &BTreeMap<String, HashMap<String, StreamPosition>>,
) -> Result<()> {
    forget(table, ReplayState::Stopped).await?;
    for (version, names) in positions {
        for (name, position) in names {
            let record = StreamPositionRecord::of_position(
                format!("{version}{}", ReplayState::Stopped.suffix()),
                name.clone(),
                position,
            );
            table.put(&record).send().await?;
        }
    }
    forget(table, ReplayState::Unfinished).await
}

/// Every saved catch-up or replay position.
async fn records(table: &Table) -> Result<Vec<StreamPositionRecord>> {
    records_of(table, "").await
}
