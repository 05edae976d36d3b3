//! A limit on how fast the bulk helpers write, in items or write capacity units per second.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::token_bucket::TokenBucket;

/// A limit on how fast the bulk helpers write, shared by all their concurrent tasks.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RateLimit {
    /// Items written per second.
    ItemsPerSecond(f64),
    /// Write capacity units consumed per second, as DynamoDB reports them (`ConsumedCapacity`).
    WriteCapacityPerSecond(f64),
}

impl RateLimit {
    fn per_second(self) -> f64 {
        match self {
            Self::ItemsPerSecond(rate) | Self::WriteCapacityPerSecond(rate) => rate.max(0.001),
        }
    }

    /// Whether requests must ask DynamoDB for the capacity they consumed.
    pub(crate) fn needs_consumed_capacity(self) -> bool {
        matches!(self, Self::WriteCapacityPerSecond(_))
    }
}

/// A [`TokenBucket`] of the limit's rate, full at first (a tenth of a second of it). Tasks take
/// what a request will cost before sending it and wait when the bucket is in debt; the cost is
/// corrected afterwards when DynamoDB reports the capacity consumed.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    bucket: Arc<Mutex<TokenBucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            bucket: Arc::new(Mutex::new(TokenBucket::full(
                limit.per_second(),
                Instant::now(),
            ))),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes `cost` from the budget, waiting while it is in debt.
    pub(crate) async fn acquire(&self, cost: f64) {
        let wait = {
            let rate = self.limit.per_second();
            let mut bucket = self.bucket();
            bucket.refill(Instant::now(), rate);
            bucket.take(cost);
            bucket.wait(rate)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Corrects the budget once the real cost of a request is known.
    pub(crate) fn adjust(&self, extra: f64) {
        self.bucket().take(extra);
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, TokenBucket> {
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn holds_the_rate_across_tasks() {
        let limiter = RateLimiter::new(RateLimit::ItemsPerSecond(200.0));
        let started = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    for _ in 0..25 {
                        limiter.acquire(1.0).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // 20 fit the initial budget (a tenth of a second); the other 380 need 1.9 s at 200/s.
        for _ in 0..300 {
            limiter.acquire(1.0).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(1_800), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_pause_is_not_made_up_by_a_burst() {
        let limiter = RateLimiter::new(RateLimit::ItemsPerSecond(200.0));
        // Half a second without a request: the bucket keeps a tenth of a second of it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let mut taken = 0;
        while started.elapsed() < Duration::from_millis(500) {
            limiter.acquire(1.0).await;
            taken += 1;
        }
        // 20 kept, 100 over the half second, one into debt; a bucket of a whole second would
        // have let 200 through.
        assert!(
            taken <= 130,
            "{taken} items in half a second at 200 items/s"
        );
    }
}
