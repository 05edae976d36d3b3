//! What a bulk operation did (read, written, skipped, retried, failed), and its error holding that
//! report.

use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;

use super::error::Error;

/// What a bulk operation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkReport {
    /// Items (or units) taken from the input.
    pub read: usize,
    /// Items (or units) written.
    pub written: usize,
    /// Items for which there was nothing to write, or whose write condition failed (already
    /// done, for an idempotent migration).
    pub skipped: usize,
    /// Items sent again: unprocessed batch items, throttled or conflicting transactions.
    pub retried: usize,
    /// Items that could not be written.
    pub failed: usize,
    /// Requests sent.
    pub requests: usize,
    /// Items read again because another writer changed them between the read and the write
    /// (the compare-and-swap drivers; each re-read item was planned anew).
    pub reread: usize,
}

impl BulkReport {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &BulkReport) {
        self.read += other.read;
        self.written += other.written;
        self.skipped += other.skipped;
        self.retried += other.retried;
        self.failed += other.failed;
        self.requests += other.requests;
        self.reread += other.reread;
    }
}

/// A bulk operation that stopped on an error, with what it had done by then.
#[derive(Debug, Error)]
#[error("{error} (after {} written, {} skipped, {} failed)", report.written, report.skipped, report.failed)]
pub struct BulkError {
    /// What was done before the error.
    pub report: BulkReport,
    /// The error.
    #[source]
    pub error: Error,
}

/// Counters shared by the concurrent tasks of a bulk operation.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) read: AtomicUsize,
    pub(crate) written: AtomicUsize,
    pub(crate) skipped: AtomicUsize,
    pub(crate) retried: AtomicUsize,
    pub(crate) failed: AtomicUsize,
    pub(crate) requests: AtomicUsize,
    pub(crate) reread: AtomicUsize,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicUsize, n: usize) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn report(&self) -> BulkReport {
        let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        BulkReport {
            read: get(&self.read),
            written: get(&self.written),
            skipped: get(&self.skipped),
            retried: get(&self.retried),
            failed: get(&self.failed),
            requests: get(&self.requests),
            reread: get(&self.reread),
        }
    }

    pub(crate) fn finish(&self, result: Result<(), Error>) -> Result<BulkReport, BulkError> {
        match result {
            Ok(()) => Ok(self.report()),
            Err(error) => Err(BulkError {
                report: self.report(),
                error,
            }),
        }
    }
}
