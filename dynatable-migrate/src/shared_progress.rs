//! Where the backfills a joined run shares stand: per backfill, its segments done, its stream
//! shards read, and which process holds which of the others (`migrate status` during a `up
//! --join` run).

use std::collections::BTreeMap;

use dynatable_core::Table;
use serde::Serialize;

use crate::error::Result;
use crate::lease::{every_lease, every_shard_lease};

/// One shared backfill of a run in progress (or interrupted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SharedBackfillProgress {
    /// The backfill: its migration's version (with `#down` for a rollback) and name.
    pub work: String,
    /// How many segments its scan has.
    pub segments: u32,
    /// How many of them are done.
    pub done: u32,
    /// How many stream shards its catch-up has leases on (none without a catch-up).
    pub shards: u32,
    /// How many of them were read to their end or past the end of the scan.
    pub shards_done: u32,
    /// The processes holding leases on the others, with the segments and shards each holds.
    pub processes: Vec<ProcessSegments>,
}

/// The segments one process of a joined run holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ProcessSegments {
    /// Who it is (`user@host pid N`).
    pub holder: String,
    /// The segments whose leases it holds.
    pub segments: Vec<u32>,
    /// The stream shards whose leases it holds.
    pub shards: Vec<String>,
}

/// Every shared backfill the ledger holds leases of.
pub(crate) async fn shared_backfills(table: &Table) -> Result<Vec<SharedBackfillProgress>> {
    let mut by_work: BTreeMap<String, SharedBackfillProgress> = BTreeMap::new();
    let mut holders: BTreeMap<(String, String), ProcessSegments> = BTreeMap::new();
    for lease in every_lease(table).await? {
        let progress = progress_of(&mut by_work, &lease.work);
        progress.segments = lease.segments;
        if lease.is_done() {
            progress.done += 1;
        } else if lease.owner.is_some() {
            held(&mut holders, &lease.work, lease.holder.as_ref())
                .segments
                .push(lease.segment);
        }
    }
    for lease in every_shard_lease(table).await? {
        let progress = progress_of(&mut by_work, &lease.work);
        progress.shards += 1;
        if lease.is_done() {
            progress.shards_done += 1;
        } else if lease.owner.is_some() {
            held(&mut holders, &lease.work, lease.holder.as_ref())
                .shards
                .push(lease.shard);
        }
    }
    for ((work, _), process) in holders {
        if let Some(progress) = by_work.get_mut(&work) {
            progress.processes.push(process);
        }
    }
    Ok(by_work.into_values().collect())
}

/// What `holder` holds of `work`, made empty when it is not there yet.
fn held<'a>(
    holders: &'a mut BTreeMap<(String, String), ProcessSegments>,
    work: &str,
    holder: Option<&String>,
) -> &'a mut ProcessSegments {
    let holder = holder.cloned().unwrap_or_default();
    holders
        .entry((work.to_owned(), holder.clone()))
        .or_insert_with(|| ProcessSegments {
            holder,
            segments: Vec::new(),
            shards: Vec::new(),
        })
}

/// The progress of `work` in `by_work`, made empty when it is not there yet.
fn progress_of<'a>(
    by_work: &'a mut BTreeMap<String, SharedBackfillProgress>,
    work: &str,
) -> &'a mut SharedBackfillProgress {
    by_work
        .entry(work.to_owned())
        .or_insert_with(|| SharedBackfillProgress {
            work: work.to_owned(),
            segments: 0,
            done: 0,
            shards: 0,
            shards_done: 0,
            processes: Vec::new(),
        })
}
