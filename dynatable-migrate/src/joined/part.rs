//! A joined process's part in the run now: leading a migration, or following the backfill the
//! leader announced.

use std::sync::Arc;
use std::time::Duration;

use dynatable_core::Table;
use tokio::sync::Notify;

use super::process::JoinedProcess;
use crate::direction::Direction;
use crate::lease::{LeaseItem, Leases};
use crate::ledger::SharedBackfillRecord;

/// How this process takes part in a joined run: who it is, and its part now.
#[derive(Debug)]
pub(crate) struct Joined {
    /// The process.
    pub(crate) process: Arc<JoinedProcess>,
    /// Leading or following.
    pub(crate) role: JoinedRole,
}

/// A joined process's part in the run.
#[derive(Debug)]
pub(crate) enum JoinedRole {
    /// Holds the lock: runs the migrations, announces each backfill and works on it.
    Leader {
        /// The running migration's version and checksum.
        version: String,
        /// Its checksum.
        checksum: String,
        /// The direction it runs in.
        direction: Direction,
    },
    /// Works on the announced backfill.
    Follower {
        /// The backfill.
        announced: SharedBackfillRecord,
        /// Told once every segment of it is done.
        done: Arc<Notify>,
    },
}

impl Joined {
    /// The part of `process` while it leads, running the migration `version` (whose code has
    /// `checksum`) one way.
    pub(crate) fn leading(
        process: &Arc<JoinedProcess>,
        version: &str,
        checksum: &str,
        direction: Direction,
    ) -> Arc<Self> {
        Self::of(
            process,
            JoinedRole::Leader {
                version: version.to_owned(),
                checksum: checksum.to_owned(),
                direction,
            },
        )
    }

    /// The part of `process` in `role`.
    pub(crate) fn of(process: &Arc<JoinedProcess>, role: JoinedRole) -> Arc<Self> {
        Arc::new(Self {
            process: process.clone(),
            role,
        })
    }

    /// Whether this process works on another's run.
    pub(crate) fn is_follower(&self) -> bool {
        matches!(self.role, JoinedRole::Follower { .. })
    }

    /// The table, able to write (a follower's context hands its migration one that cannot).
    pub(crate) fn table(&self) -> &Table {
        &self.process.table
    }

    /// This process's view of the leases of `work`: on its scan's segments or its catch-up's
    /// shards.
    pub(crate) fn leases<L: LeaseItem>(&self, work: String) -> Leases<L> {
        let process = &self.process;
        Leases::build(
            process.table.clone(),
            work,
            process.holder.clone(),
            process.failover,
        )
        .with_owner(process.owner.clone())
        .with_clock(process.clock.clone())
    }

    /// How often an idle process looks again: a tenth of the failover time, within 0.1 to 2 s.
    pub(crate) fn poll_every(failover: Duration) -> Duration {
        (failover / 10).clamp(Duration::from_millis(100), Duration::from_secs(2))
    }
}
