//! The coordinator of one process's capacity share: every heartbeat it reads `migrate
//! throttle`'s record and the other processes' shares, sets its own budget to its part of the
//! run's, and writes its own share record.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dynatable_core::{CapacityShare, Table};
use tokio::task::JoinHandle;

use super::error::check_percent;
use super::share_record::{CapacityShareRecord, all_shares};
use super::table_capacity::TableCapacity;
use super::throttle_record::current_throttle;
use crate::error::Result;
use crate::ledger::now_ms;

/// How often each process reads the throttle and the other shares, and writes its own: a
/// `migrate throttle` reaches every process within about this long.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a process's share record may stand still before the others take it for dead and
/// split the budget without it.
pub const LIVE_FOR: Duration = Duration::from_secs(4);

/// What a run draws on: a share of the table's capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacitySettings {
    /// The share, in percent (above 0, at most 100), of all the run's processes together.
    pub percent: f64,
    /// The table's capacity.
    pub capacity: TableCapacity,
}

/// One process's capacity shares (writes, and reads when the table says its read capacity),
/// kept in step with the run's budget and throttle until [stopped](Self::stop).
#[derive(Debug)]
pub struct CapacityCoordinator {
    writes: CapacityShare,
    reads: Option<CapacityShare>,
    table: Table,
    process: String,
    task: JoinHandle<()>,
}

impl CapacityCoordinator {
    /// Starts drawing on `settings` for the process `holder` (`user@host pid N`): the shares
    /// begin with the whole budget and are split with the other processes from the first
    /// heartbeat on. `table` is the handle the coordinator reads and writes its records with.
    ///
    /// # Errors
    /// [`CapacityError::Percent`](super::CapacityError::Percent) for a share outside (0, 100]; the first heartbeat's write
    /// failed.
    pub async fn start(table: &Table, settings: CapacitySettings, holder: &str) -> Result<Self> {
        check_percent(settings.percent)?;
        let fraction = settings.percent / 100.0;
        let writes = CapacityShare::new(settings.capacity.write_units * fraction);
        let reads = settings
            .capacity
            .read_units
            .map(|units| CapacityShare::new(units * fraction));
        let mut heart = Heart {
            table: table.clone(),
            settings,
            writes: writes.clone(),
            reads: reads.clone(),
            own: CapacityShareRecord {
                process: ulid::Ulid::new().to_string(),
                holder: holder.to_owned(),
                beat: 0,
                started_ms: now_ms(),
                heartbeat_ms: now_ms(),
                percent: settings.percent,
                paused: false,
                processes: 1,
                table_write_units: settings.capacity.write_units,
                write_budget: writes.reading().budget,
                write_rate: writes.reading().rate,
                write_consumed_per_second: 0.0,
                write_throttled: 0,
                read_budget: reads.as_ref().map(|r| r.reading().budget),
                read_consumed_per_second: 0.0,
            },
            seen: HashMap::new(),
        };
        heart.beat().await?;
        let process = heart.own.process.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(error) = heart.beat().await {
                    tracing::warn!(%error, "the capacity heartbeat failed; retrying");
                }
            }
        });
        Ok(Self {
            writes,
            reads,
            table: table.clone(),
            process,
            task,
        })
    }

    /// The write share.
    pub fn writes(&self) -> &CapacityShare {
        &self.writes
    }

    /// The read share, when the table says its read capacity.
    pub fn reads(&self) -> Option<&CapacityShare> {
        self.reads.as_ref()
    }

    /// `table` drawing on the shares.
    #[must_use]
    pub fn apply(&self, table: &Table) -> Table {
        let table = table.with_write_capacity(self.writes.clone());
        match &self.reads {
            Some(reads) => table.with_read_capacity(reads.clone()),
            None => table,
        }
    }

    /// Stops the heartbeat and deletes this process's share record, so the others take its
    /// part at once.
    ///
    /// # Errors
    /// The delete failed (the record then ages out within [`LIVE_FOR`]).
    pub async fn stop(self) -> Result<()> {
        self.task.abort();
        self.table
            .delete::<CapacityShareRecord>(CapacityShareRecord::key(&self.process))
            .send()
            .await?;
        Ok(())
    }
}

impl Drop for CapacityCoordinator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The state of a coordinator's heartbeat.
struct Heart {
    table: Table,
    settings: CapacitySettings,
    writes: CapacityShare,
    reads: Option<CapacityShare>,
    own: CapacityShareRecord,
    /// Per other process: its beat counter and when this process saw it change.
    seen: HashMap<String, (u64, Instant)>,
}

impl Heart {
    /// One heartbeat: read, split, write.
    async fn beat(&mut self) -> Result<()> {
        let others = self.live_others().await?;
        let run_started = others
            .iter()
            .map(|s| s.started_ms)
            .chain([self.own.started_ms])
            .min()
            .unwrap_or(self.own.started_ms);
        let throttle = current_throttle(&self.table, run_started).await?;
        let percent = throttle
            .as_ref()
            .and_then(|t| t.capacity_percent)
            .unwrap_or(self.settings.percent);
        let paused = throttle.is_some_and(|t| t.paused);
        let processes = u32::try_from(others.len() + 1).unwrap_or(u32::MAX);
        let part = percent / 100.0 / f64::from(processes);
        self.writes
            .set_budget(self.settings.capacity.write_units * part);
        self.writes.set_paused(paused);
        if let (Some(reads), Some(units)) = (&self.reads, self.settings.capacity.read_units) {
            reads.set_budget(units * part);
            reads.set_paused(paused);
        }
        let writes = self.writes.reading();
        let own = &mut self.own;
        own.beat += 1;
        own.heartbeat_ms = now_ms();
        own.percent = percent;
        own.paused = paused;
        own.processes = processes;
        own.write_budget = writes.budget;
        own.write_rate = writes.rate;
        own.write_consumed_per_second = writes.consumed_per_second;
        own.write_throttled = writes.throttled;
        own.read_budget = self.reads.as_ref().map(|r| r.reading().budget);
        own.read_consumed_per_second = self
            .reads
            .as_ref()
            .map_or(0.0, |r| r.reading().consumed_per_second);
        self.table.put(&self.own).send().await?;
        Ok(())
    }

    /// The other processes whose records moved within [`LIVE_FOR`] by this process's clock (a
    /// record seen for the first time counts as moving).
    async fn live_others(&mut self) -> Result<Vec<CapacityShareRecord>> {
        let now = Instant::now();
        let shares = all_shares(&self.table).await?;
        let mut live = Vec::new();
        for share in shares {
            if share.process == self.own.process {
                continue;
            }
            if share.is_abandoned() {
                // Left by a process that died long ago: nobody else removes it.
                let key = CapacityShareRecord::key(&share.process);
                if let Err(error) = self.table.delete::<CapacityShareRecord>(key).send().await {
                    tracing::warn!(%error, "could not delete an abandoned capacity share record");
                }
                continue;
            }
            let changed = match self.seen.get(&share.process) {
                Some((beat, at)) if *beat == share.beat => *at,
                Some(_) => now,
                // First seen: alive if its heartbeat is recent by the wall clock (a record a
                // crashed process left is not).
                None if share.is_recent() => now,
                None => now.checked_sub(LIVE_FOR).unwrap_or(now),
            };
            self.seen
                .insert(share.process.clone(), (share.beat, changed));
            if now.duration_since(changed) < LIVE_FOR {
                live.push(share);
            }
        }
        Ok(live)
    }
}
