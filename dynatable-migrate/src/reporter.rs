//! How a run tells what it is doing: messages and progress, to logs by default, to progress bars
//! in a command line.

use std::fmt;

/// Receives a run's messages and progress. The default, [`LogReporter`], writes them to
/// `tracing`; a command line can draw progress bars instead.
pub trait Reporter: Send + Sync + fmt::Debug {
    /// A message from migration `version`.
    fn message(&self, version: &str, text: &str);

    /// Items done so far by migration `version`'s bulk work, out of `total` when known.
    fn progress(&self, version: &str, done: u64, total: Option<u64>);

    /// Items done so far, out of an `estimate`: the table's item count as `DescribeTable`
    /// reports it, which DynamoDB refreshes about every six hours and which counts every item of
    /// the table, so show it as approximate. By default, [`progress`](Self::progress) without a
    /// total.
    fn progress_estimated(&self, version: &str, done: u64, estimate: u64) {
        let _ = estimate;
        self.progress(version, done, None);
    }
}

/// Writes messages and progress to `tracing` (`RUST_LOG=info` shows them).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogReporter;

impl Reporter for LogReporter {
    fn message(&self, version: &str, text: &str) {
        tracing::info!(version, "{text}");
    }

    fn progress(&self, version: &str, done: u64, total: Option<u64>) {
        match total {
            Some(total) => tracing::info!(version, done, total, "progress"),
            None => tracing::info!(version, done, "progress"),
        }
    }

    fn progress_estimated(&self, version: &str, done: u64, estimate: u64) {
        tracing::info!(version, done, estimate, "progress (of an estimated total)");
    }
}
