//! Exponential backoff with full jitter, for the retries of every operation.

use std::future::Future;
use std::time::Duration;

use super::error::Result;

/// Exponential backoff with full jitter, for throttling, unprocessed batch items and transaction
/// conflicts (on top of the SDK's own retries of each request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// The first delay's upper bound.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
    /// How many attempts in all, the first included.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(25),
            max: Duration::from_secs(5),
            attempts: 12,
        }
    }
}

impl Backoff {
    /// A policy: delays start below `initial`, double up to `max`, `attempts` tries in all.
    pub fn new(initial: Duration, max: Duration, attempts: u32) -> Self {
        Self {
            initial,
            max,
            attempts: attempts.max(1),
        }
    }

    /// The delay before retry number `retry` (0 for the first retry): uniform in
    /// `[0, min(max, initial * 2^retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        ceiling.mul_f64(fastrand::f64())
    }

    /// Calls `call` until it succeeds, fails with an error that is not
    /// [retryable](super::Error::is_retryable), or the attempts run out.
    pub(crate) async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut retry = 0;
        loop {
            match call().await {
                Err(e) if e.is_retryable() && retry + 1 < self.attempts => {
                    tokio::time::sleep(self.delay(retry)).await;
                    retry += 1;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_with_jitter() {
        let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100), 5);
        for retry in 0..30 {
            let ceiling =
                Duration::from_millis(10 * 2u64.pow(retry.min(10))).min(Duration::from_millis(100));
            assert!(b.delay(retry) <= ceiling);
        }
    }
}
