//! The segment leases of joined runs, on DynamoDB Local: takeover after the failover time, no
//! takeover of a live lease, fencing of a stale holder, and clock skew between processes (the
//! failover time is measured by the taker's own clock; no clock is compared with another's).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynatable_core::{SegmentPosition, Table};
use dynatable_migrate::Error;
use dynatable_migrate::lease::{Claim, Clock, Leases, SegmentLease};
use dynatable_tests::TestTable;

const FAILOVER: Duration = Duration::from_secs(30);

/// A process's clock, moved by the test: `offset` past the moment it was made.
#[derive(Debug)]
struct TestClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl TestClock {
    /// A clock `skew` ahead of the others.
    fn skewed(skew: Duration) -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(skew),
        })
    }

    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

/// A process on `table`, named `holder`, with its own clock.
fn process(table: &Table, holder: &str, clock: &Arc<TestClock>) -> Leases {
    Leases::new(table.clone(), "0.1.0#users", holder, FAILOVER).with_clock(clock.clone())
}

/// Processes `a` and `b`, each with a clock of its own, the clocks agreeing.
fn two_processes(table: &Table) -> ((Leases, Arc<TestClock>), (Leases, Arc<TestClock>)) {
    let (clock_a, clock_b) = (
        TestClock::skewed(Duration::ZERO),
        TestClock::skewed(Duration::ZERO),
    );
    (
        (process(table, "a", &clock_a), clock_a),
        (process(table, "b", &clock_b), clock_b),
    )
}

async fn table() -> (TestTable, Table) {
    let test = TestTable::create(&[]).await;
    let table = Table::new(test.client.clone(), test.name.clone());
    (test, table)
}

fn taken(claim: Claim) -> SegmentLease {
    match claim {
        Claim::Taken(lease) => lease,
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[tokio::test]
async fn processes_share_the_segments_then_everything_is_done() {
    let (_test, table) = table().await;
    let clock = TestClock::skewed(Duration::ZERO);
    let a = process(&table, "a", &clock);
    let b = process(&table, "b", &clock);
    assert_eq!(a.create(2).await.unwrap(), 2);
    // A second process finds the leases made, whatever count it asks for.
    assert_eq!(b.create(8).await.unwrap(), 2);
    let first = taken(a.claim().await.unwrap());
    let second = taken(b.claim().await.unwrap());
    assert_ne!(first.segment, second.segment);
    assert_eq!(
        a.claim().await.unwrap(),
        Claim::Busy,
        "both leases are held"
    );
    a.finish(first.segment, 10, 9).await.unwrap();
    b.finish(second.segment, 5, 5).await.unwrap();
    assert_eq!(a.claim().await.unwrap(), Claim::AllDone);
    let leases = a.all().await.unwrap();
    assert!(leases.iter().all(SegmentLease::is_done));
    assert_eq!(leases.iter().map(|l| l.written).sum::<u64>(), 14);
    assert!(leases.iter().all(|l| l.owner.is_none()));
}

#[tokio::test]
async fn a_lease_whose_counter_stood_still_for_the_failover_time_is_taken_over() {
    let (_test, table) = table().await;
    let ((a, _), (b, clock_b)) = two_processes(&table);
    a.create(1).await.unwrap();
    let lease = taken(a.claim().await.unwrap());
    a.save(
        lease.segment,
        SegmentPosition::After(cursor_after("USER#u42")),
    )
    .await
    .unwrap();
    // `a` dies here. `b` first sees the lease; it takes it only once it saw it stand still for
    // the failover time by its own clock.
    assert_eq!(b.claim().await.unwrap(), Claim::Busy);
    clock_b.advance(FAILOVER - Duration::from_secs(1));
    assert_eq!(b.claim().await.unwrap(), Claim::Busy, "not yet expired");
    clock_b.advance(Duration::from_secs(1));
    let taken_over = taken(b.claim().await.unwrap());
    assert_eq!(taken_over.segment, lease.segment);
    assert_eq!(taken_over.holder.as_deref(), Some("b"));
    assert!(taken_over.counter > lease.counter);
    // The taker resumes from where the dead holder's last save left the segment.
    assert_eq!(taken_over.position, lease_position(&b).await);
    assert!(matches!(taken_over.position.0, SegmentPosition::After(_)));
}

#[tokio::test]
async fn a_live_lease_is_never_taken_over() {
    let (_test, table) = table().await;
    let ((a, _), (b, clock_b)) = two_processes(&table);
    a.create(1).await.unwrap();
    let lease = taken(a.claim().await.unwrap());
    for _ in 0..5 {
        // Between two looks of `b`, more than the failover time passes by its clock, but `a`
        // renewed the lease meanwhile: its counter moved, so it is alive.
        assert_eq!(b.claim().await.unwrap(), Claim::Busy);
        clock_b.advance(FAILOVER * 2);
        a.renew(lease.segment).await.unwrap();
    }
    assert_eq!(b.claim().await.unwrap(), Claim::Busy);
    a.finish(lease.segment, 1, 1).await.unwrap();
    assert_eq!(b.claim().await.unwrap(), Claim::AllDone);
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_is_fenced() {
    let (_test, table) = table().await;
    let ((a, _), (b, clock_b)) = two_processes(&table);
    a.create(1).await.unwrap();
    let lease = taken(a.claim().await.unwrap());
    // `a` stalls (a long pause) past the failover time; `b` takes over.
    assert_eq!(b.claim().await.unwrap(), Claim::Busy);
    clock_b.advance(FAILOVER);
    let taken_over = taken(b.claim().await.unwrap());
    b.save(
        taken_over.segment,
        SegmentPosition::After(cursor_after("USER#u7")),
    )
    .await
    .unwrap();
    // `a` wakes up: none of its writes to the lease goes through.
    let lost = |r: Result<(), Error>| matches!(r, Err(Error::LeaseLost { segment: 0, .. }));
    assert!(lost(a.renew(lease.segment).await));
    assert!(lost(
        a.save(
            lease.segment,
            SegmentPosition::After(cursor_after("USER#u1"))
        )
        .await
    ));
    assert!(lost(a.finish(lease.segment, 1, 1).await));
    let now = lease_position(&b).await;
    assert_eq!(now.0, SegmentPosition::After(cursor_after("USER#u7")));
    let stored = &b.all().await.unwrap()[0];
    assert_eq!(stored.holder.as_deref(), Some("b"));
    assert!(!stored.is_done());
}

#[tokio::test]
async fn clock_skew_between_processes_changes_nothing() {
    let (_test, table) = table().await;
    // `a`'s clock runs an hour ahead of `b`'s: only how long each process saw a counter stand
    // still, by its own clock, counts.
    let clock_a = TestClock::skewed(Duration::from_secs(3600));
    let clock_b = TestClock::skewed(Duration::ZERO);
    let a = process(&table, "a", &clock_a);
    let b = process(&table, "b", &clock_b);
    a.create(2).await.unwrap();
    let held_by_b = taken(b.claim().await.unwrap());
    let held_by_a = taken(a.claim().await.unwrap());
    assert_ne!(held_by_a.segment, held_by_b.segment);
    // The process whose clock is ahead does not take the other's fresh lease for an old one.
    assert_eq!(a.claim().await.unwrap(), Claim::Busy);
    clock_a.advance(FAILOVER / 2);
    assert_eq!(a.claim().await.unwrap(), Claim::Busy);
    b.renew(held_by_b.segment).await.unwrap();
    clock_a.advance(FAILOVER / 2);
    assert_eq!(
        a.claim().await.unwrap(),
        Claim::Busy,
        "renewed within the failover time by a's clock"
    );
    // `a` dies. `b`, whose clock is an hour behind, takes its lease after the failover time of
    // its own clock, not an hour later.
    assert_eq!(b.claim().await.unwrap(), Claim::Busy);
    clock_b.advance(FAILOVER);
    let taken_over = taken(b.claim().await.unwrap());
    assert_eq!(taken_over.segment, held_by_a.segment);
    assert_eq!(taken_over.holder.as_deref(), Some("b"));
}

/// The position of the backfill's only lease, as stored.
async fn lease_position(leases: &Leases) -> dynatable_migrate::StoredPosition {
    leases.all().await.unwrap()[0].position.clone()
}

/// A scan cursor after the item with partition key `pk`.
fn cursor_after(pk: &str) -> dynatable_core::Cursor {
    use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    let value = AttributeValue::M(
        [
            ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
            ("SK".to_owned(), AttributeValue::S("PROFILE".to_owned())),
        ]
        .into(),
    );
    dynatable_core::Cursor::from_attribute_value(&value).expect("a key map is a cursor")
}

#[tokio::test]
async fn leases_a_killed_process_did_not_make_are_made_by_the_next() {
    let (_test, table) = table().await;
    let ((a, _), (b, _)) = two_processes(&table);
    // `a` made one lease of three, finished its segment, and died.
    a.create(1).await.unwrap();
    let mut first = a.all().await.unwrap().remove(0);
    first.segments = 3;
    table.put(&first).send().await.unwrap();
    a.finish(taken(a.claim().await.unwrap()).segment, 0, 0)
        .await
        .unwrap();
    assert_eq!(
        b.claim().await.unwrap(),
        Claim::Busy,
        "not done: two segments have no lease yet"
    );
    // The next process to create them makes the two missing, keeping the count in force.
    assert_eq!(b.create(64).await.unwrap(), 3);
    let leases = b.all().await.unwrap();
    assert_eq!(
        leases.iter().map(|l| l.segment).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(leases[0].is_done() && !leases[1].is_done() && !leases[2].is_done());
}
