//! A share of the table's capacity for bulk work: a budget in capacity units per second that can
//! change while the work runs, a rate that yields to the application when DynamoDB throttles
//! (additive increase, multiplicative decrease), and a pause.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::token_bucket::TokenBucket;

/// The lowest rate a share falls to, in units per second: however hard DynamoDB throttles, the
/// work keeps moving.
pub const MIN_CAPACITY_RATE: f64 = 1.0;

/// What a throttle cuts the rate to: under a third. A migration is the load that can wait: it
/// gives the application room at once, and grows back in seconds.
const DECREASE: f64 = 0.3;
/// How fast the rate grows back after a cut: this fraction of the budget per second (from one
/// cut back to the whole budget in fourteen seconds): each step past what the application
/// leaves costs it a few throttled writes.
const INCREASE_PER_SECOND: f64 = 0.05;
/// Two throttles of different partitions this close together are the table's capacity running
/// out; throttles of one partition alone are a hot key, retried without slowing the rest.
const THROTTLE_WINDOW: Duration = Duration::from_secs(1);
/// How long, in seconds of the new rate, a cut holds the share back at once.
const SILENCE_AFTER_CUT: f64 = 0.25;
/// The window over which the consumed rate is measured.
const METER_WINDOW: Duration = Duration::from_secs(1);
/// The longest a request waiting for units sleeps before it looks at the bucket again.
const LOOK_AGAIN: Duration = Duration::from_millis(50);
/// How long a paused task sleeps between looks at the pause, should a wake-up be missed.
const PAUSE_POLL: Duration = Duration::from_millis(200);

/// A share of the table's read or write capacity, in capacity units per second, shared by every
/// task (and every clone) that writes or reads through it. Give it to a table with
/// [`Table::with_write_capacity`](super::Table::with_write_capacity) or
/// [`Table::with_read_capacity`](super::Table::with_read_capacity).
///
/// Requests take their estimated cost from a token bucket holding at most a tenth of a second of
/// the current rate (so a second of the work takes little more than 1.1 times the rate, however
/// long the work stood still before it), and correct it by what DynamoDB reports it consumed
/// (`ConsumedCapacity`, GSI writes included). The rate is the budget, except after throttling:
/// when requests to two different partitions are throttled within a second, the rate falls to
/// 30% at once and then grows back by 5% of the budget per second, never above it (additive
/// increase, multiplicative decrease). Requests sent before a cut do not cut again when they
/// come back throttled. Throttles of one partition alone (a hot key) do not cut it: that key is
/// retried while the rest goes on.
///
/// ```
/// use dynatable_core::CapacityShare;
///
/// let share = CapacityShare::new(200.0);
/// share.set_budget(100.0); // retuned while the work runs
/// share.set_paused(true);
/// assert!(share.reading().paused);
/// assert_eq!(share.reading().budget, 100.0);
/// ```
#[derive(Debug, Clone)]
pub struct CapacityShare {
    state: Arc<Mutex<State>>,
    resumed: Arc<Notify>,
}

#[derive(Debug)]
struct State {
    budget: f64,
    /// The AIMD ceiling after a cut; `None` when the rate is the budget.
    ceiling: Option<f64>,
    paused: bool,
    bucket: TokenBucket,
    /// Cuts so far: a request's [`Ticket`] says how many there had been when it took its units.
    cuts: u64,
    last_throttle: Option<(u64, Instant)>,
    throttled: u64,
    consumed: f64,
    window_started: Instant,
    window_units: f64,
    measured: f64,
}

/// What a request took its units under: how many cuts the share had made by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ticket(u64);

/// What a [`CapacityShare`] is doing, for progress lines and `status`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct CapacityReading {
    /// Units per second the share may use.
    pub budget: f64,
    /// Units per second it allows now: the budget, or less while it yields to throttling.
    pub rate: f64,
    /// Units per second consumed over the last second or so.
    pub consumed_per_second: f64,
    /// Units consumed in all.
    pub consumed: f64,
    /// Requests DynamoDB throttled.
    pub throttled: u64,
    /// Whether it is paused.
    pub paused: bool,
}

impl CapacityShare {
    /// A share of `budget` units per second.
    pub fn new(budget: f64) -> Self {
        let now = Instant::now();
        let budget = budget.max(MIN_CAPACITY_RATE);
        Self {
            state: Arc::new(Mutex::new(State {
                budget,
                ceiling: None,
                paused: false,
                // Empty at first: a burst of the whole budget at once, on top of the first
                // second's, would be throttled by a table whose own bucket is just as full.
                bucket: TokenBucket::holding(0.0, now),
                cuts: 0,
                last_throttle: None,
                throttled: 0,
                consumed: 0.0,
                window_started: now,
                window_units: 0.0,
                measured: 0.0,
            })),
            resumed: Arc::new(Notify::new()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the budget, at once (a rate still recovering from throttling stays below it).
    pub fn set_budget(&self, budget: f64) {
        let mut state = self.state();
        state.budget = budget.max(MIN_CAPACITY_RATE);
        let rate = state.rate();
        state.bucket.limit_to(rate);
    }

    /// Pauses or resumes every request taking capacity from the share; requests in flight finish.
    pub fn set_paused(&self, paused: bool) {
        self.state().paused = paused;
        if !paused {
            self.resumed.notify_waiters();
        }
    }

    /// What the share is doing now.
    pub fn reading(&self) -> CapacityReading {
        let mut state = self.state();
        let now = Instant::now();
        state.advance(now);
        CapacityReading {
            budget: state.budget,
            rate: state.rate(),
            consumed_per_second: state.measured,
            consumed: state.consumed,
            throttled: state.throttled,
            paused: state.paused,
        }
    }

    /// Takes `units` from the bucket, waiting while the share is paused or in debt. The ticket
    /// goes with the request to [`throttled`](Self::throttled).
    ///
    /// A waiting request looks again at least every [`LOOK_AGAIN`]: a cut or a pause made while
    /// it waits holds it back too, instead of letting it go at the rate it first saw.
    pub(crate) async fn acquire(&self, units: f64) -> Ticket {
        loop {
            let wait = {
                let mut state = self.state();
                if state.paused {
                    None
                } else {
                    state.advance(Instant::now());
                    if !state.bucket.in_debt() {
                        state.bucket.take(units);
                        return Ticket(state.cuts);
                    }
                    Some(state.bucket.wait(state.rate()).min(LOOK_AGAIN))
                }
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => {
                    let _ = tokio::time::timeout(PAUSE_POLL, self.resumed.notified()).await;
                }
            }
        }
    }

    /// Corrects the bucket once DynamoDB reported what a request took `estimated` for consumed.
    pub(crate) fn settle(&self, estimated: f64, consumed: f64) {
        let mut state = self.state();
        state.bucket.take(consumed - estimated);
        state.consumed += consumed;
        state.window_units += consumed;
    }

    /// Records that DynamoDB throttled a request to the partition hashed as `partition`, sent
    /// with `ticket`; cuts the rate when another partition was throttled within the last second.
    /// A request that took its units before the last cut does not cut again: it was sent at
    /// the old rate, and the cut already answered it.
    pub(crate) fn throttled(&self, partition: u64, ticket: Ticket) {
        let mut state = self.state();
        let now = Instant::now();
        state.advance(now);
        state.throttled += 1;
        if ticket.0 < state.cuts {
            return;
        }
        let widespread = state.last_throttle.is_some_and(|(other, at)| {
            other != partition && now.duration_since(at) < THROTTLE_WINDOW
        });
        if widespread {
            let cut = (state.rate() * DECREASE).max(MIN_CAPACITY_RATE);
            state.ceiling = Some(cut);
            // A quarter of a second without a write at the new rate: the table's bucket, empty
            // when it throttles, fills again before the share sends more.
            state.bucket.hold_back(cut * SILENCE_AFTER_CUT);
            state.cuts += 1;
            state.last_throttle = None;
        } else {
            state.last_throttle = Some((partition, now));
        }
    }
}

impl State {
    /// The rate allowed now.
    fn rate(&self) -> f64 {
        self.ceiling.map_or(self.budget, |c| c.min(self.budget))
    }

    /// Moves the clock to `now`: refills the bucket, grows the ceiling back, closes the meter's
    /// window.
    fn advance(&mut self, now: Instant) {
        let elapsed = self.bucket.tick(now);
        if let Some(ceiling) = self.ceiling {
            let grown = ceiling + self.budget * INCREASE_PER_SECOND * elapsed;
            self.ceiling = (grown < self.budget).then_some(grown);
        }
        let rate = self.rate();
        self.bucket.fill(elapsed, rate);
        let window = now.duration_since(self.window_started);
        if window >= METER_WINDOW {
            self.measured = self.window_units / window.as_secs_f64();
            self.window_units = 0.0;
            self.window_started = now;
        }
    }
}

/// The partition hash [`CapacityShare::throttled`] takes: which partition key a request wrote.
pub(crate) fn partition_of(pk: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    pk.hash(&mut hasher);
    hasher.finish()
}

/// The write units a write of an item of `bytes` costs: one per KB started.
pub(crate) fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_of_two_partitions_cut_the_rate_and_it_grows_back() {
        let share = CapacityShare::new(200.0);
        let before = Ticket::default();
        share.throttled(1, before);
        assert_eq!(
            share.reading().rate,
            200.0,
            "one partition alone: a hot key"
        );
        share.throttled(1, before);
        assert_eq!(share.reading().rate, 200.0, "the same key again");
        share.throttled(2, before);
        let cut = share.reading().rate;
        assert!((59.0..=61.0).contains(&cut), "{cut}");
        share.throttled(3, before);
        share.throttled(4, before);
        assert!(
            share.reading().rate >= cut - 1.0,
            "sent before the cut: no second cut"
        );
        let after = Ticket(1);
        share.throttled(3, after);
        share.throttled(4, after);
        let again = share.reading().rate;
        assert!(
            (17.0..=19.0).contains(&again),
            "sent after the cut: {again}"
        );
        {
            share.state().bucket.rewind(Duration::from_secs(5));
        }
        let grown = share.reading().rate;
        assert!((67.0..=69.0).contains(&grown), "{grown}");
        {
            share.state().bucket.rewind(Duration::from_secs(60));
        }
        assert_eq!(share.reading().rate, 200.0, "never above the budget");
    }

    #[test]
    fn a_new_budget_applies_at_once() {
        let share = CapacityShare::new(200.0);
        share.set_budget(50.0);
        assert_eq!(share.reading().rate, 50.0);
        share.set_budget(400.0);
        assert_eq!(share.reading().rate, 400.0);
        share.set_budget(0.0);
        assert_eq!(share.reading().rate, MIN_CAPACITY_RATE);
    }

    #[tokio::test]
    async fn holds_the_rate_and_waits_while_paused() {
        let share = CapacityShare::new(100.0);
        let started = Instant::now();
        // The bucket starts empty: 100 units need one second at 100 units/s.
        for _ in 0..100 {
            share.acquire(1.0).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");

        share.set_paused(true);
        let waiting = tokio::spawn({
            let share = share.clone();
            async move { share.acquire(1.0).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "a paused share lets nothing through"
        );
        share.set_paused(false);
        tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("resumed")
            .expect("joined");
    }

    #[tokio::test]
    async fn a_pause_in_the_work_is_not_made_up_by_a_burst() {
        let share = CapacityShare::new(200.0);
        // The work stands still for half a second: the bucket keeps a tenth of a second of it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let mut taken = 0.0;
        while started.elapsed() < Duration::from_millis(500) {
            share.acquire(1.0).await;
            taken += 1.0;
        }
        // 20 units kept, 100 over the half second, one into debt; a bucket of a whole second
        // would have let 200 through.
        assert!(
            taken <= 130.0,
            "{taken} units in half a second at 200 units/s"
        );
    }

    #[test]
    fn units_are_counted_per_kilobyte_started() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }
}
