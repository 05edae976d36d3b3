//! The token bucket under the bulk helpers' rate limit and a run's capacity share: units that
//! come back at a rate, of which the bucket keeps at most a tenth of a second.

use std::time::{Duration, Instant};

/// How much unused rate a token bucket keeps, in seconds of it: a tenth. Whatever second one
/// looks at, the work in it stays within 1.1 times its rate, however long it stood still before
/// (a bucket holding a whole second lets a pause be followed by a second at twice the rate).
pub(crate) const BUCKET_SECONDS: f64 = 0.1;

/// Units available now, refilled at a rate the owner gives each time (a share's rate changes as
/// it yields to throttling). Requests may take more than there is: the bucket is then in debt,
/// and the next request waits until the rate has paid it back.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    available: f64,
    refilled: Instant,
}

impl TokenBucket {
    /// A bucket holding `units` at `now`.
    pub(crate) fn holding(units: f64, now: Instant) -> Self {
        Self {
            available: units,
            refilled: now,
        }
    }

    /// A bucket holding all it may keep of `rate`.
    pub(crate) fn full(rate: f64, now: Instant) -> Self {
        Self::holding(rate * BUCKET_SECONDS, now)
    }

    /// Moves the bucket's clock to `now`: the seconds since it was last moved, which the caller
    /// then [`fill`](Self::fill)s at its rate.
    pub(crate) fn tick(&mut self, now: Instant) -> f64 {
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        elapsed
    }

    /// Adds `seconds` of `rate`, keeping at most [`BUCKET_SECONDS`] of it.
    pub(crate) fn fill(&mut self, seconds: f64, rate: f64) {
        self.available = (self.available + seconds * rate).min(rate * BUCKET_SECONDS);
    }

    /// [`tick`](Self::tick) to `now`, then [`fill`](Self::fill) at `rate`.
    pub(crate) fn refill(&mut self, now: Instant, rate: f64) {
        let seconds = self.tick(now);
        self.fill(seconds, rate);
    }

    /// Takes `units`, into debt if there are not as many.
    pub(crate) fn take(&mut self, units: f64) {
        self.available -= units;
    }

    /// Whether the bucket owes units.
    pub(crate) fn in_debt(&self) -> bool {
        self.available < 0.0
    }

    /// How long `rate` takes to pay back the debt; zero when there is none.
    pub(crate) fn wait(&self, rate: f64) -> Duration {
        match self.in_debt() {
            true => Duration::from_secs_f64(-self.available / rate),
            false => Duration::ZERO,
        }
    }

    /// Keeps at most what the bucket may keep of `rate` (after the rate fell).
    pub(crate) fn limit_to(&mut self, rate: f64) {
        self.available = self.available.min(rate * BUCKET_SECONDS);
    }

    /// Empties the bucket and owes `units` more: holds requests back for as long as the rate
    /// takes to pay them.
    pub(crate) fn hold_back(&mut self, units: f64) {
        self.available = self.available.min(0.0) - units;
    }

    /// As if `by` more had passed since the bucket was last refilled.
    #[cfg(test)]
    pub(crate) fn rewind(&mut self, by: Duration) {
        self.refilled -= by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_keeps_a_tenth_of_a_second_of_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::holding(0.0, start);
        bucket.refill(start + Duration::from_secs(10), 200.0);
        bucket.take(20.0);
        assert!(!bucket.in_debt(), "20 kept of ten seconds at 200/s");
        bucket.take(1.0);
        assert!(bucket.in_debt());
        assert_eq!(bucket.wait(200.0), Duration::from_millis(5));
    }

    #[test]
    fn debt_is_paid_back_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(100.0, start);
        bucket.take(30.0);
        assert_eq!(bucket.wait(100.0), Duration::from_millis(200));
        bucket.refill(start + Duration::from_millis(100), 100.0);
        assert_eq!(bucket.wait(100.0), Duration::from_millis(100));
        bucket.refill(start + Duration::from_millis(200), 100.0);
        assert!(!bucket.in_debt());
    }

    #[test]
    fn a_lower_rate_and_a_hold_back_take_what_was_kept() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(100.0, start);
        bucket.limit_to(50.0);
        bucket.take(5.0);
        assert!(!bucket.in_debt(), "5 of 50/s kept");
        bucket.take(0.1);
        assert!(bucket.in_debt());
        let mut bucket = TokenBucket::full(100.0, start);
        bucket.hold_back(25.0);
        assert_eq!(bucket.wait(100.0), Duration::from_millis(250));
    }
}
