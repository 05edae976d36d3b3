//! A limit on how fast the bulk helpers write, in items or write capacity units per second.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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

/// A token bucket holding at most one second of budget. Tasks take what a request will cost before
/// sending it and wait when the bucket is in debt; the cost is corrected afterwards when DynamoDB
/// reports the capacity consumed.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    available: f64,
    refilled: Instant,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            state: Arc::new(Mutex::new(State {
                available: limit.per_second(),
                refilled: Instant::now(),
            })),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes `cost` from the budget, waiting while it is in debt.
    pub(crate) async fn acquire(&self, cost: f64) {
        let wait = {
            let rate = self.limit.per_second();
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let refill = now.duration_since(state.refilled).as_secs_f64() * rate;
            state.available = (state.available + refill).min(rate);
            state.refilled = now;
            state.available -= cost;
            if state.available < 0.0 {
                Duration::from_secs_f64(-state.available / rate)
            } else {
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Corrects the budget once the real cost of a request is known.
    pub(crate) fn adjust(&self, extra: f64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.available -= extra;
    }
}

#[cfg(test)]
mod tests {
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
        // The first 100 fit the initial budget of 200; the next 300 need 200 more at 200/s: >= 1 s.
        for _ in 0..300 {
            limiter.acquire(1.0).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    }
}
