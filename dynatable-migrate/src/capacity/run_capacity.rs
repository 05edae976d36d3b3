//! What `status` shows of the run in progress's capacity: its processes' shares and its
//! throttle.

use dynatable_core::Table;

use super::share_record::{CapacityShareRecord, live_shares};
use super::throttle_record::{ThrottleRecord, current_throttle};
use crate::error::Result;

/// The capacity a run in progress draws on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunCapacity {
    /// Its processes' shares (those with a recent heartbeat).
    pub shares: Vec<CapacityShareRecord>,
    /// `migrate throttle`'s record for the run, if one was set while it ran.
    pub throttle: Option<ThrottleRecord>,
}

impl RunCapacity {
    /// The run in progress's capacity on `table`: `None` when no process of a run started with
    /// `--capacity` is alive.
    ///
    /// # Errors
    /// A read failed.
    pub async fn of(table: &Table) -> Result<Option<Self>> {
        let shares = live_shares(table).await?;
        let Some(started) = shares.iter().map(|s| s.started_ms).min() else {
            return Ok(None);
        };
        let throttle = current_throttle(table, started).await?;
        Ok(Some(Self { shares, throttle }))
    }

    /// Write units consumed per second by every process together, lately.
    pub fn write_consumed_per_second(&self) -> f64 {
        self.shares
            .iter()
            .map(|s| s.write_consumed_per_second)
            .sum()
    }

    /// The run's write budget: every process's part together.
    pub fn write_budget(&self) -> f64 {
        self.shares.iter().map(|s| s.write_budget).sum()
    }
}
