//! One process of a joined run (`migrate up --join`): who it is, and the settings by which it
//! shares backfills with the others.

use std::sync::Arc;
use std::time::Duration;

use dynatable_core::Table;

use crate::lease::Clock;

/// One process of a joined run: who it is and how it shares backfills.
#[derive(Debug)]
pub(crate) struct JoinedProcess {
    /// The table, able to write.
    pub(crate) table: Table,
    /// This process's lease owner token, the same through the whole run.
    pub(crate) owner: String,
    /// Who this process is, for the lock, the leases and `status`.
    pub(crate) holder: String,
    /// How long a lock's or lease's counter stands still before another process takes it over.
    pub(crate) failover: Duration,
    /// The segment count of the shared scans this process leads (`--segments`).
    pub(crate) segments: u32,
    /// The clock this process measures failover times by.
    pub(crate) clock: Arc<dyn Clock>,
}
