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
}
