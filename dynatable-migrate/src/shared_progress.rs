//! Where the backfills a joined run shares stand: per backfill, its segments done, and which
//! process holds which of the others (`migrate status` during a `up --join` run).

use std::collections::BTreeMap;

use dynatable_core::Table;
use serde::Serialize;

use crate::error::Result;
use crate::lease::every_lease;

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
    /// The processes holding leases on the others, with the segments each holds.
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
}

/// Every shared backfill the ledger holds leases of.
pub(crate) async fn shared_backfills(table: &Table) -> Result<Vec<SharedBackfillProgress>> {
    let mut by_work: BTreeMap<String, SharedBackfillProgress> = BTreeMap::new();
    let mut holders: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    for lease in every_lease(table).await? {
        let progress =
            by_work
                .entry(lease.work.clone())
                .or_insert_with(|| SharedBackfillProgress {
                    work: lease.work.clone(),
                    segments: lease.segments,
                    done: 0,
                    processes: Vec::new(),
                });
        if lease.is_done() {
            progress.done += 1;
        } else if lease.owner.is_some() {
            let holder = lease.holder.clone().unwrap_or_default();
            holders
                .entry((lease.work.clone(), holder))
                .or_default()
                .push(lease.segment);
        }
    }
    for ((work, holder), segments) in holders {
        if let Some(progress) = by_work.get_mut(&work) {
            progress
                .processes
                .push(ProcessSegments { holder, segments });
        }
    }
    Ok(by_work.into_values().collect())
}
