//! The segment leases of joined runs, on DynamoDB Local: takeover after the failover time, no
//! takeover of a live lease, fencing of a stale holder, and clock skew between processes (the
//! failover time is measured by the taker's own clock; no clock is compared with another's).
//! The shard leases of a shared catch-up: each process takes its share, and the same takeover
//! and fencing rules.
//! The leader's lock follows the same rule: the last tests run `Migrator::up_joined` against a
//! lock whose holder's clock is an hour off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynatable_core::{SegmentPosition, Table};
use dynatable_migrate::lease::{Claim, Clock, Leases, SegmentLease, ShardLease};
use dynatable_migrate::{Context, Error, LockRecord, Migration, Migrator, Result, migration};
use dynatable_tests::TestTable;

const FAILOVER: Duration = Duration::from_secs(30);

/// A process's clock, moved by the test: `offset` past the moment it was made. It counts how
/// often it was read, so that a test can wait for a process to have looked at it.
#[derive(Debug)]
struct TestClock {
    start: Instant,
    offset: Mutex<Duration>,
    reads: AtomicUsize,
}

impl TestClock {
    /// A clock `skew` ahead of the others.
    fn skewed(skew: Duration) -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(skew),
            reads: AtomicUsize::new(0),
        })
    }

    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }

    /// Waits until `run`, reading this clock, has made `looks` whole decisions by the time it
    /// shows now, or has ended: a run reads it once per look at the lock, so `looks + 1` reads
    /// from now on mean that `looks` of them read this time and acted on it before the next
    /// began.
    async fn looked<T>(&self, looks: usize, run: &tokio::task::JoinHandle<T>) {
        let from = self.reads.load(Ordering::SeqCst);
        let waited = Instant::now();
        while self.reads.load(Ordering::SeqCst) < from + looks + 1 && !run.is_finished() {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "the process did not look at the lock"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.reads.fetch_add(1, Ordering::SeqCst);
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
    let table = test.table().await;
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
        a.renew(&lease.segment).await.unwrap();
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
    let lost = |r: Result<(), Error>| matches!(r, Err(Error::LeaseLost { lease, .. }) if lease == "segment 0");
    assert!(lost(a.renew(&lease.segment).await));
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
    b.renew(&held_by_b.segment).await.unwrap();
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

/// The migration the lock tests' joined runs apply.
pub struct Nothing;

#[migration(version = "0.1.0")]
impl Migration for Nothing {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// The failover time of the lock tests: short, since their joined runs look at the lock every
/// tenth of it (100 ms at least) in real time, whatever their clock says.
const LOCK_FAILOVER: Duration = Duration::from_secs(1);

/// Puts a lock as another process holding it would have: its expiry by its own clock, `skew`
/// off this machine's (ahead when positive).
async fn put_lock(table: &Table, skew_ms: i64) {
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let ttl_ms = u64::try_from(LOCK_FAILOVER.as_millis()).unwrap();
    let expires_at_ms = u64::try_from(now_ms + skew_ms).unwrap() + ttl_ms;
    table
        .put(&LockRecord {
            owner: "the other process".into(),
            holder: "other@host pid 1".into(),
            acquired_at: "2026-11-27T00:00:00Z".into(),
            expires_at_ms,
            counter: 7,
            ttl_ms,
        })
        .send()
        .await
        .unwrap();
}

/// The lock's owner token, if anyone holds it.
async fn lock_owner(table: &Table) -> Option<String> {
    table
        .get::<LockRecord>(LockRecord::key())
        .consistent()
        .send()
        .await
        .unwrap()
        .map(|lock| lock.owner)
}

/// `migrate up --join` of this test's migration, measuring time with `clock`.
fn join_run(
    table: &Table,
    clock: &Arc<TestClock>,
) -> tokio::task::JoinHandle<Result<dynatable_migrate::JoinedRunReport>> {
    let migrator = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .lock_ttl(LOCK_FAILOVER)
        .with_clock(clock.clone());
    tokio::spawn(async move { migrator.up_joined(None).await })
}

/// Waits for the joined run to end, and checks that it led and applied the migration.
async fn led_and_applied(run: tokio::task::JoinHandle<Result<dynatable_migrate::JoinedRunReport>>) {
    let report = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the joined run took the lock over and finished")
        .unwrap()
        .unwrap();
    assert!(report.led, "{report:?}");
    assert_eq!(report.run.versions, ["0.1.0"], "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_run_takes_a_dead_leaders_lock_by_its_own_clock_though_the_lock_has_not_expired() {
    let (_test, table) = table().await;
    // The dead leader's clock is an hour ahead: by the expiry it wrote, its lock is live for an
    // hour more.
    put_lock(&table, 3_600_000).await;
    let clock = TestClock::skewed(Duration::ZERO);
    let run = join_run(&table, &clock);
    clock.looked(2, &run).await;
    clock.advance(LOCK_FAILOVER - Duration::from_millis(100));
    clock.looked(2, &run).await;
    assert_eq!(
        lock_owner(&table).await.as_deref(),
        Some("the other process"),
        "taken before its counter stood still for the failover time"
    );
    assert!(!run.is_finished());
    clock.advance(Duration::from_millis(100));
    led_and_applied(run).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_run_leaves_a_live_leaders_lock_though_it_looks_expired() {
    let (_test, table) = table().await;
    // The live leader's clock is an hour behind: by the expiry it wrote, its lock expired long
    // ago. It renews the lock (raises its counter) within every failover time of the other's
    // clock, so the other never takes it.
    put_lock(&table, -3_600_000).await;
    let clock = TestClock::skewed(Duration::ZERO);
    let run = join_run(&table, &clock);
    for _ in 0..6 {
        clock.looked(2, &run).await;
        clock.advance(LOCK_FAILOVER - Duration::from_millis(100));
        table
            .update::<LockRecord>(LockRecord::key())
            .add(LockRecord::fields().counter, 1u64)
            .send()
            .await
            .unwrap();
    }
    clock.looked(2, &run).await;
    assert_eq!(
        lock_owner(&table).await.as_deref(),
        Some("the other process"),
        "a live lock taken over after five failover times of renewals"
    );
    assert!(!run.is_finished());
    // The leader dies: its counter stands still, and the failover time later the lock is taken.
    clock.advance(LOCK_FAILOVER);
    led_and_applied(run).await;
}

/// A process's view of the shard leases of the catch-up of `0.1.0#users`.
fn shard_process(table: &Table, holder: &str, clock: &Arc<TestClock>) -> Leases<ShardLease> {
    Leases::of_shards(table.clone(), "0.1.0#users", holder, FAILOVER).with_clock(clock.clone())
}

fn taken_shard(claim: Claim<ShardLease>) -> String {
    match claim {
        Claim::Taken(lease) => lease.shard,
        other => panic!("expected a shard lease, got {other:?}"),
    }
}

#[tokio::test]
async fn each_process_takes_its_share_of_the_shards_and_a_stale_holder_is_fenced() {
    let (_test, table) = table().await;
    let (clock_a, clock_b) = (
        TestClock::skewed(Duration::ZERO),
        TestClock::skewed(Duration::ZERO),
    );
    let a = shard_process(&table, "a", &clock_a);
    let b = shard_process(&table, "b", &clock_b);
    let shards = ["s1", "s2", "s3", "s4"];
    for shard in shards {
        a.offer(shard, None).await.unwrap();
    }
    // A shard not yet readable (its parent is not read to its end) is no one's.
    a.offer("s5-child", None).await.unwrap();

    // Two processes, four shards: two each.
    let mut held_by_a = vec![
        taken_shard(a.claim(&shards, 2).await.unwrap()),
        taken_shard(a.claim(&shards, 2).await.unwrap()),
    ];
    assert_eq!(
        a.claim(&shards, 2).await.unwrap(),
        Claim::Busy,
        "a has its share"
    );
    let held_by_b = [
        taken_shard(b.claim(&shards, 2).await.unwrap()),
        taken_shard(b.claim(&shards, 2).await.unwrap()),
    ];
    assert_eq!(b.claim(&shards, 2).await.unwrap(), Claim::Busy);
    held_by_a.sort();
    let mut all: Vec<&String> = held_by_a.iter().chain(&held_by_b).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "a: {held_by_a:?}, b: {held_by_b:?}");

    // `a` stalls past the failover time by `b`'s clock: `b` takes its shards over, beyond its
    // share (a lease whose holder is gone is read by whoever can).
    clock_b.advance(FAILOVER);
    for held in &held_by_b {
        b.renew(held).await.unwrap();
    }
    let mut taken_over = vec![
        taken_shard(b.claim(&shards, 2).await.unwrap()),
        taken_shard(b.claim(&shards, 2).await.unwrap()),
    ];
    taken_over.sort();
    assert_eq!(taken_over, held_by_a);
    // `a` wakes up: its renewals fail, the shard now `b`'s.
    for shard in &held_by_a {
        let lost = a.renew(shard).await;
        assert!(
            matches!(&lost, Err(Error::LeaseLost { lease, .. }) if *lease == format!("shard {shard}")),
            "{lost:?}"
        );
    }
    let leases = b.all().await.unwrap();
    assert!(
        leases
            .iter()
            .filter(|l| shards.contains(&l.shard.as_str()))
            .all(|l| l.holder.as_deref() == Some("b")),
        "{leases:?}"
    );
    let child = leases.iter().find(|l| l.shard == "s5-child").unwrap();
    assert_eq!(child.owner, None, "a shard not readable was taken");
}
