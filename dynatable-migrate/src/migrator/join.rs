//! Joined runs (`migrate up --join`): every process runs the same command. The one that takes
//! the lock leads: it runs the migrations as `up` does, and shares each backfill's scan with the
//! others through segment leases (see [`lease`](crate::lease)). The others join the announced
//! backfill, and watch the lock: when the leader dies, its lock's counter stops, and once one of
//! them saw it stand still for the lock's time to live (by its own clock) it takes the lock over
//! and leads, resuming where the run stands. Each process returns once nothing
//! it was started for is left to do.

use std::sync::Arc;

use dynatable_core::Table;
use serde::Serialize;
use tokio::sync::Notify;

use super::down::DownTarget;
use super::run_report::RunReport;
use super::runner::Migrator;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::joined::JoinedProcess;
use crate::joined::{Joined, JoinedRole};
use crate::ledger::MigrationStatus;
use crate::ledger::announced;
use crate::lock::{Lock, LockWatch};
use crate::registry::RegisteredMigration;
use crate::run_state::RunState;

/// What one process of a joined run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct JoinedRunReport {
    /// Whether this process led the run, or what was left of it when it took the lead over.
    pub led: bool,
    /// What the run this process led did (empty when it only followed).
    pub run: RunReport,
    /// Rounds in which this process converted items of another process's backfills (one per
    /// backfill, unless a change of leader interrupted its work on one).
    pub joined_backfills: usize,
    /// Items this process read while working on other processes' backfills.
    pub read: u64,
    /// Items this process wrote while working on other processes' backfills.
    pub written: u64,
}

/// What the processes of a joined run were started for.
#[derive(Debug, Clone)]
enum Goal {
    /// Apply the pending migrations up to a version (all when `None`).
    Up(Option<String>),
    /// Roll back these migrations, newest first (fixed when the process starts, so that a
    /// process that leads late does not roll back more).
    Down(Vec<&'static RegisteredMigration>),
}

impl Migrator {
    /// [`up`](Self::up), shared by every process that runs it at the same time: the first to take
    /// the lock leads the run, the others work on its backfills (each claiming scan segments
    /// through leases, resuming the segments of a process that died), and take the lock over
    /// when the leader dies. Returns once the migrations up to `target` are applied (at once
    /// when nothing is pending). The failover time is the [lock's time to live](Self::lock_ttl).
    ///
    /// A migration's code runs on every process, but only the leader's writes: the others run
    /// it against a table that cannot write, to reach the backfill they share, and stop there
    /// (see [`Context::leads`]). The catch-up with the table's stream is shared too: each
    /// process reads the stream shards it leases (a process made with
    /// [`catch_up(false)`](Self::catch_up) leaves them to the others).
    ///
    /// # Errors
    /// As [`up`](Self::up); [`Error::CodeDiffers`] when the leader runs other code for a
    /// migration than this process's.
    pub async fn up_joined(&self, target: Option<&str>) -> Result<JoinedRunReport> {
        self.verify(&self.ledger().await?)?;
        self.join(Goal::Up(target.map(str::to_owned))).await
    }

    /// [`down`](Self::down) shared by the processes that run it at the same time, as
    /// [`up_joined`](Self::up_joined) shares `up`. The migrations to roll back are the ones
    /// `target` names when the process starts.
    ///
    /// # Errors
    /// As [`down`](Self::down) and [`up_joined`](Self::up_joined).
    pub async fn down_joined(&self, target: &DownTarget) -> Result<JoinedRunReport> {
        let to_undo = self.down_plan(target).await?;
        self.join(Goal::Down(to_undo)).await
    }

    async fn join(&self, goal: Goal) -> Result<JoinedRunReport> {
        let process = Arc::new(JoinedProcess {
            table: self.table.clone(),
            owner: ulid::Ulid::new().to_string(),
            holder: format!("{} pid {}", self.who, std::process::id()),
            failover: self.lock_ttl,
            segments: self.shared_segments,
            clock: self.clock.clone(),
        });
        let mut report = JoinedRunReport::default();
        let mut finished_work: Option<String> = None;
        let mut lock_watch = LockWatch::new(process.clock.clone());
        loop {
            if self.reached(&goal).await? {
                return Ok(report);
            }
            if let Some(lock) = lock_watch
                .take(&self.table, &process.holder, self.lock_ttl)
                .await?
            {
                let mut leader = self.clone();
                leader.joined = Some(process.clone());
                let led = match &goal {
                    Goal::Up(target) => leader.up_holding(lock, target.as_deref()).await,
                    Goal::Down(to_undo) => leader.undo_holding(lock, to_undo).await,
                };
                match led {
                    Ok(run) => {
                        report.led = true;
                        report.run = run;
                        return Ok(report);
                    }
                    // Another process took the lock over (this one stalled past the failover
                    // time): it leads from where the run stands, and this one follows.
                    Err(e) if e.is_lock_lost() => self
                        .reporter
                        .message("join", "another process took the lead over; following it"),
                    Err(e) => return Err(e),
                }
            }
            self.follow(&process, &mut finished_work, &mut report, &mut lock_watch)
                .await?;
        }
    }

    /// Whether nothing this process was started for is left to do.
    async fn reached(&self, goal: &Goal) -> Result<bool> {
        match goal {
            Goal::Up(target) => Ok(self.up_plan(target.as_deref()).await?.is_empty()
                && self.unfinished_replays().await?.is_empty()),
            Goal::Down(to_undo) => Ok(self.still_applied(to_undo).await?.is_empty()
                && self.unfinished_rollback_replays().await?.is_empty()),
        }
    }

    /// Rolls back those of `to_undo` still applied, under `lock`; releases it.
    async fn undo_holding(
        &self,
        lock: Lock,
        to_undo: &[&'static RegisteredMigration],
    ) -> Result<RunReport> {
        let result = async {
            let still_applied = self.still_applied(to_undo).await?;
            self.undo(&lock, still_applied).await
        }
        .await;
        lock.release_after(result).await
    }

    /// Those of `migrations` the ledger records as applied.
    async fn still_applied(
        &self,
        migrations: &[&'static RegisteredMigration],
    ) -> Result<Vec<&'static RegisteredMigration>> {
        let ledger = self.ledger().await?;
        Ok(migrations
            .iter()
            .copied()
            .filter(|m| {
                ledger
                    .get(m.version)
                    .is_some_and(|r| r.status == MigrationStatus::Applied)
            })
            .collect())
    }

    /// One round of a process that did not get the lock: works on the backfill the leader
    /// announced, until every segment of it is done or the leader moves on; or waits a moment
    /// when there is none (or it is done).
    async fn follow(
        &self,
        process: &Arc<JoinedProcess>,
        finished_work: &mut Option<String>,
        report: &mut JoinedRunReport,
        lock_watch: &mut LockWatch,
    ) -> Result<()> {
        let poll = Joined::poll_every(self.lock_ttl);
        let Some(announced) = announced(&self.table)
            .await?
            .filter(|a| finished_work.as_deref() != Some(a.work.as_str()))
        else {
            tokio::time::sleep(poll).await;
            return Ok(());
        };
        let migration = self
            .migrations
            .iter()
            .copied()
            .find(|m| m.version == announced.version)
            .ok_or_else(|| Error::UnknownVersions {
                versions: vec![announced.version.clone()],
            })?;
        if migration.checksum != announced.checksum {
            return Err(Error::CodeDiffers {
                version: announced.version,
                leader: announced.leader,
            });
        }
        let direction = announced.direction().ok_or_else(|| {
            Error::msg(format!(
                "the shared backfill announced in the ledger has direction {:?}",
                announced.direction
            ))
        })?;
        self.reporter.message(
            migration.version,
            &format!(
                "{} {direction}: joining backfill {} of {} led by {}",
                migration.name, announced.name, announced.version, announced.leader
            ),
        );
        let done = Arc::new(Notify::new());
        let part = Joined::of(
            process,
            JoinedRole::Follower {
                announced: announced.clone(),
                done: done.clone(),
            },
        );
        // The leader's catch-up is shared too, unless this process was told not to catch up.
        let stream = match announced.catch_up_version {
            Some(_) => self.change_stream().await?,
            None => None,
        };
        let (ctx, _) = Context::dry_run(&self.table);
        let run = RunState::default()
            .reporting(migration.version, self.reporter.clone())
            .over(&self.entities)
            .with_stream(stream)
            .joining(Some(part));
        let ctx = ctx.in_run(run).skipping_malformed(self.skip_malformed);
        // The leader moved on to another backfill, or the run is over (the lock is free: then the
        // announcement may be one a plain `up` finishing an interrupted joined run left behind),
        // or the leader died (its lock stood still for the failover time): this process stops
        // to take the lead; its leases are its own to claim again.
        let moved_on = async {
            loop {
                tokio::time::sleep(poll).await;
                let now = announced_work(&self.table).await?;
                if now.as_deref() != Some(announced.work.as_str())
                    || lock_watch.may_take(&self.table).await?
                {
                    return Ok::<(), Error>(());
                }
            }
        };
        tokio::select! {
            ran = migration.run(direction, &ctx) => {
                // Its code ended without reaching the backfill: nothing for this process.
                ran.map_err(|e| migration.failed(e))?;
                *finished_work = Some(announced.work);
            }
            () = done.notified() => *finished_work = Some(announced.work),
            moved = moved_on => moved?,
        }
        // Counted by the items converted, not by how the round ended: the leader may finish the
        // last segment and move on while this process waits for one to free up.
        let (read, written) = ctx.counts();
        if read > 0 {
            report.joined_backfills += 1;
        }
        report.read = report.read.saturating_add(read);
        report.written = report.written.saturating_add(written);
        Ok(())
    }
}

/// The key of the announced backfill's leases, if any.
async fn announced_work(table: &Table) -> Result<Option<String>> {
    Ok(announced(table).await?.map(|a| a.work))
}
