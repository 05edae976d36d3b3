//! `up --follow`: after the last migration is applied, keep converting the items that change
//! (old application instances still writing the old shape during a rolling deploy) into the
//! run's target shape, until a duration has passed or the run is told to stop.

use std::future::Future;
use std::time::{Duration, Instant};

use dynatable_core::entity;

use crate::error::Result;
use crate::ledger::now;
use crate::lock::Lock;
use crate::migration::Direction;
use crate::migrator::{Migrator, RunReport};
use crate::replay_positions;

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
    /// Items converted while following.
    pub items_converted: u64,
    /// Who ran it.
    pub run_by: String,
}

/// What `up` with a follow period did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FollowReport {
    /// The migrations applied before following.
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
        let deadline = Instant::now() + duration;
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        loop {
            // A pass catches up with the moment it starts: the one after the period ends is
            // the last.
            let last = stopping || Instant::now() >= deadline;
            let pass_started = Instant::now();
            report.converted += self
                .replay(&stream, Direction::Up, &replays, Some(lock))
                .await?;
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
        // Where the next follow period continues.
        let positions = replays
            .iter()
            .map(|(m, replay)| (m.version.to_owned(), replay.positions()))
            .collect();
        replay_positions::keep_stopped(&self.table, &positions).await?;
        let record = FollowRecord {
            started_at,
            finished_at: now(),
            versions: replays.iter().map(|(m, _)| m.version.to_owned()).collect(),
            items_converted: report.converted,
            run_by: self.who.clone(),
        };
        self.table.put(&record).send().await?;
        Ok(report)
    }
}
