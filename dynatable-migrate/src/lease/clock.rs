//! How a process measures the failover time of leases and of the lock.

use std::fmt;
use std::time::Instant;

/// A source of monotonic time: how a process measures the failover time. Tests give processes
/// clocks of their own.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The process's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}
