//! `up --follow` and `down --follow`: after the last migration is applied (or rolled back), keep
//! converting the items that change (application instances of the other version still writing
//! their shape during a rolling deploy) into the run's target shape, until a duration has passed
//! or the run is told to stop.

use std::future::Future;
use std::time::{Duration, Instant};

use dynatable_core::entity;

use super::down::DownTarget;
use super::run_report::RunReport;
use super::runner::{Migrator, Replays};
use crate::direction::Direction;
use crate::error::Result;
use crate::ledger::now;
use crate::lock::Lock;
use crate::replay_positions::{self, ReplayState};
use crate::stream::ChangeStream;

/// The pause between two passes over the stream while following.
const PASS_INTERVAL: Duration = Duration::from_secs(1);

/// The ledger's record of one follow period.
#[entity(
    pk = "_SCHEMA#MIGRATIONS",
    sk = "FOLLOW#{started_at}",
    name = "_MigrationFollow",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct FollowRecord {
    /// When following started (RFC 3339).
    pub started_at: String,
    /// When it stopped.
    pub finished_at: String,
    /// The versions whose backfills were followed, in order.
    pub versions: Vec<String>,
    /// `down` when the period followed rollbacks; `up` (or absent, in records written before
    /// rollbacks could be followed) when it followed migrations applied.
    pub direction: Option<String>,
    /// Items converted while following.
    pub items_converted: u64,
    /// Who ran it.
    pub run_by: String,
}

/// What `up` or `down` with a follow period did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FollowReport {
    /// The migrations applied (or rolled back) before following.
    pub run: RunReport,
    /// Items converted while following.
    pub converted: u64,
    /// Passes over the stream.
    pub passes: u64,
}

impl Migrator {
    /// [`up`](Self::up), then follows the table's stream for `duration` (or until `stop`
    /// completes, e.g. on Ctrl-C), passing every item that changes through the backfill plans of
    /// the migrations this run applied, in version order. It stops cleanly: the last pass starts
    /// after the period ends, so every item written before then is converted. The period is
    /// recorded in the ledger, and where it stopped is kept there: a later `up_follow` that
    /// applies nothing new continues from it, so a rolling deploy that outlasts one period loses
    /// nothing between two (one that applies new migrations follows those instead). Nothing is
    /// followed without catch-up, or when neither this run nor an earlier period has anything to
    /// follow. Positions older than the stream's 24-hour retention fail with
    /// [`StreamError::Trimmed`](crate::stream::StreamError::Trimmed).
    ///
    /// # Errors
    /// As [`up`](Self::up); a stream or write error while following.
    pub async fn up_follow(
        &self,
        target: Option<&str>,
        duration: Duration,
        stop: impl Future<Output = ()> + Send,
    ) -> Result<FollowReport> {
        self.verify(&self.ledger().await?)?;
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = self.follow_locked(&lock, target, duration, stop).await;
        lock.release_after(result).await
    }

    async fn follow_locked(
        &self,
        lock: &Lock,
        target: Option<&str>,
        duration: Duration,
        stop: impl Future<Output = ()> + Send,
    ) -> Result<FollowReport> {
        let (run, followed) = self.up_locked(lock, target, true).await?;
        let mut report = FollowReport {
            run,
            ..FollowReport::default()
        };
        let Some((stream, replays)) = followed.filter(|(_, r)| !r.is_empty()) else {
            self.reporter.message(
                "follow",
                "nothing to follow: this run applied no migration, and no follow period stopped earlier",
            );
            return Ok(report);
        };
        let started_at = now();
        self.follow_stream(
            (lock, &stream),
            Direction::Up,
            &replays,
            duration,
            stop,
            &mut report,
        )
        .await?;
        // Where the next follow period continues.
        let positions = replays
            .iter()
            .map(|(m, replay)| (m.version.to_owned(), replay.positions()))
            .collect();
        replay_positions::keep_stopped(&self.table, &positions).await?;
        self.record_follow(started_at, Direction::Up, &replays, &report)
            .await?;
        Ok(report)
    }

    /// [`down`](Self::down), then follows the table's stream for `duration` (or until `stop`
    /// completes), passing every item that changes through the rollbacks this run made (and
    /// those of a replay it took up), newest first, as [`up_follow`](Self::up_follow) does with
    /// migrations: for the rollout of the older application code, while instances of the newer
    /// one still write the newer shape. The period is recorded in the ledger; it is not continued
    /// by a later `down` (run `down --follow` before the rollout starts, for its length). A
    /// follow period killed before it stopped leaves its positions for the next `down`, which
    /// finishes its replay first.
    ///
    /// # Errors
    /// As [`down`](Self::down); a stream or write error while following.
    pub async fn down_follow(
        &self,
        target: DownTarget,
        duration: Duration,
        stop: impl Future<Output = ()> + Send,
    ) -> Result<FollowReport> {
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = async {
            let to_undo = self.rollbacks(&self.ledger().await?, &target)?;
            let (run, followed) = self.undo_locked(&lock, to_undo).await?;
            let mut report = FollowReport {
                run,
                ..FollowReport::default()
            };
            let Some((stream, replays)) = followed else {
                self.reporter.message(
                    "follow",
                    "nothing to follow: this run rolled back no migration",
                );
                return Ok(report);
            };
            let started_at = now();
            self.follow_stream(
                (&lock, &stream),
                Direction::Down,
                &replays,
                duration,
                stop,
                &mut report,
            )
            .await?;
            // The replays are over: none is left to finish.
            replay_positions::forget(&self.table, ReplayState::UnfinishedRollback).await?;
            self.record_follow(started_at, Direction::Down, &replays, &report)
                .await?;
            Ok(report)
        }
        .await;
        lock.release_after(result).await
    }

    /// Passes over `stream` every second, running `replays` in `direction` over the changes,
    /// until `duration` has passed or `stop` completes; the pass after that is the last. Counts
    /// the passes and the items converted into `report`.
    async fn follow_stream(
        &self,
        (lock, stream): (&Lock, &ChangeStream),
        direction: Direction,
        replays: &Replays,
        duration: Duration,
        stop: impl Future<Output = ()> + Send,
        report: &mut FollowReport,
    ) -> Result<()> {
        let deadline = Instant::now() + duration;
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        loop {
            // A pass catches up with the moment it starts: the one after the period ends is
            // the last.
            let last = stopping || Instant::now() >= deadline;
            let pass_started = Instant::now();
            report.converted += self.replay(stream, direction, replays, Some(lock)).await?;
            report.passes += 1;
            self.reporter.message(
                "follow",
                &format!(
                    "pass {}: {} items converted so far, caught up to {:.1?} ago",
                    report.passes,
                    report.converted,
                    pass_started.elapsed()
                ),
            );
            if last {
                break;
            }
            let pause = PASS_INTERVAL.min(deadline.saturating_duration_since(Instant::now()));
            tokio::select! {
                () = &mut stop => stopping = true,
                () = tokio::time::sleep(pause) => {}
            }
        }
        Ok(())
    }

    /// Records a follow period that started at `started_at` and is over.
    async fn record_follow(
        &self,
        started_at: String,
        direction: Direction,
        replays: &Replays,
        report: &FollowReport,
    ) -> Result<()> {
        let record = FollowRecord {
            started_at,
            finished_at: now(),
            versions: replays.iter().map(|(m, _)| m.version.to_owned()).collect(),
            direction: Some(direction.to_string()),
            items_converted: report.converted,
            run_by: self.who.clone(),
        };
        self.table.put(&record).send().await?;
        Ok(())
    }
}
