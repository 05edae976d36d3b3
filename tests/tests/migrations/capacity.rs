//! A run's share of the table's capacity (`--capacity`), against the test proxy in capacity
//! mode, which enforces a table's write units as DynamoDB does and accounts for what each client
//! (told apart by its access key) consumed, second by second: the run takes its share beside the
//! application, yields when the application needs more, splits the budget across the processes
//! of a joined run, stops and goes on at `migrate throttle`'s word, and does not slow down for a
//! hot key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dynatable_core::{DirectRequests, Entity, Table, entity};
use dynatable_migrate::capacity::{
    CapacityCoordinator, CapacitySettings, CapacityShareRecord, RunCapacity, TableCapacity,
    throttle,
};
use dynatable_migrate::{Context, Migration, Migrator, Result, migration};
use dynatable_tests::{
    Capacity, CapacityStats, ClientSecond, Endpoint, Faults, Proxy, TestTable, client_as,
    sdk_config_as,
};
use futures::TryStreamExt as _;

/// An item the run weighs: about 1.5 KB, two write units (fewer requests for the same units: the
/// rates measured here must not depend on the machine's speed).
#[entity(pk = "PARCEL#{parcel_id}", sk = "PARCEL", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    pub parcel_id: String,
    pub label: String,
    #[entity(default)]
    pub weighed: bool,
}

/// What the application writes: about 1.5 KB, two write units each.
#[entity(pk = "ORDER#{order_id}", sk = "ORDER", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub order_id: String,
    pub note: String,
}

pub struct WeighParcels;

#[migration(version = "0.1.0")]
impl Migration for WeighParcels {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.backfill(
            "parcels",
            t.scan::<Parcel>().page_size(50),
            |parcel: Parcel| {
                let weighed = Parcel {
                    weighed: true,
                    ..parcel
                };
                Some(t.put(&weighed).into())
            },
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// The table's provisioned write units in these tests.
const TABLE_UNITS: f64 = 400.0;

/// A table of `write_units` (and reads to spare), with a hot partition if given.
fn table_of(write_units: f64, hot_partition: Option<(&'static str, u32)>) -> Capacity {
    Capacity {
        write_units,
        read_units: 10_000.0,
        hot_partition,
    }
}

/// The processes of one joined run, each drawing on its part of the budget.
struct JoinedRun {
    runs: Vec<tokio::task::JoinHandle<Result<dynatable_migrate::JoinedRunReport>>>,
    coordinators: Vec<CapacityCoordinator>,
}

impl JoinedRun {
    /// Starts `processes` processes (`run0`, `run1`...) at `percent` of the capacity.
    async fn start(setup: &Setup, processes: usize, percent: f64) -> Self {
        let mut run = Self {
            runs: Vec::new(),
            coordinators: Vec::new(),
        };
        for i in 0..processes {
            let (migrator, coordinator) = setup.process(&format!("run{i}"), percent).await;
            run.runs
                .push(tokio::spawn(async move { migrator.up_joined(None).await }));
            run.coordinators.push(coordinator);
        }
        run
    }

    /// Waits for every process to finish, then stops their coordinators.
    async fn finish(self) {
        for run in self.runs {
            run.await.unwrap().unwrap();
        }
        for coordinator in self.coordinators {
            coordinator.stop().await.unwrap();
        }
    }
}

/// A table of `parcels` parcels behind a proxy enforcing `capacity`.
struct Setup {
    test: TestTable,
    proxy: Proxy,
    through: Endpoint,
}

impl Setup {
    async fn new(parcels: usize, capacity: Capacity) -> Self {
        let test = TestTable::create(&[Parcel::SCHEMA, Order::SCHEMA]).await;
        let seeding = Table::new(test.client.clone(), &test.name).with_concurrency(32);
        seeding
            .batch_put((0..parcels).map(|i| Parcel {
                parcel_id: format!("{i:05}"),
                label: "x".repeat(1_500),
                weighed: false,
            }))
            .await
            .unwrap();
        let endpoint = dynatable_tests::endpoint();
        let proxy = Proxy::start(
            endpoint.url(),
            Faults {
                capacity: Some(capacity),
                ..Faults::default()
            },
        )
        .await
        .unwrap();
        let through = Endpoint::Local(proxy.url().to_owned());
        Self {
            test,
            proxy,
            through,
        }
    }

    /// The table as the client signing with `key` reaches it through the proxy, with direct
    /// writes as the command line has them.
    async fn table(&self, key: &str) -> Table {
        let sdk = sdk_config_as(&self.through, key).await;
        Table::new(client_as(&self.through, key).await, &self.test.name)
            .with_direct_requests(DirectRequests::new(&sdk).await.unwrap())
    }

    /// One process of a run at `percent` of the table's capacity, named `key`.
    async fn process(&self, key: &str, percent: f64) -> (Migrator, CapacityCoordinator) {
        let table = self.table(key).await;
        let capacity = TableCapacity::of(&table, Some(TABLE_UNITS as u64), percent)
            .await
            .unwrap();
        let coordinator =
            CapacityCoordinator::start(&table, CapacitySettings { percent, capacity }, key)
                .await
                .unwrap();
        let migrator = Migrator::for_migrations(coordinator.apply(&table), here!())
            .unwrap()
            .catch_up(false)
            .with_entities(vec![Parcel::SCHEMA, Order::SCHEMA])
            .lock_ttl(Duration::from_secs(3))
            .segments(12);
        (migrator, coordinator)
    }

    fn stats(&self) -> CapacityStats {
        self.proxy.capacity_stats()
    }

    /// The second of the proxy's accounting now. The proxy counts from its own start, before
    /// the table was seeded, so a clock started by the test after seeding would place every
    /// window as many seconds too early as the seeding took.
    fn second(&self) -> u64 {
        self.proxy.capacity_second()
    }

    async fn every_parcel_weighed(&self, parcels: usize) {
        let table = Table::new(self.test.client.clone(), &self.test.name);
        let all: Vec<Parcel> = table.scan::<Parcel>().stream().try_collect().await.unwrap();
        assert_eq!(all.len(), parcels);
        let light = all.iter().filter(|p| !p.weighed).count();
        assert_eq!(light, 0, "{light} parcels not weighed");
    }
}

/// Per second over `[from, to)`: what the clients whose key starts with `prefix` did.
fn per_second(stats: &CapacityStats, prefix: &str, from: u64, to: u64) -> ClientSecond {
    let total = stats.total(|key| key.starts_with(prefix), from, to);
    #[allow(clippy::cast_precision_loss)]
    let seconds = (to - from) as f64;
    ClientSecond {
        write_units: total.write_units / seconds,
        ledger_write_units: total.ledger_write_units / seconds,
        ..total
    }
}

/// An application writing `rate` units per second (an order of two units every two) until `stop`, as an
/// application does: each write on its own, whatever became of the others, with the SDK's
/// standard retries.
fn application(table: Table, rate: Arc<std::sync::atomic::AtomicU64>, stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut n = 0u64;
        let mut next = tokio::time::Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let per_second = (rate.load(Ordering::SeqCst) / 2).max(1);
            next += Duration::from_secs_f64(1.0 / per_second as f64);
            tokio::time::sleep_until(next).await;
            n += 1;
            let table = table.clone();
            tokio::spawn(async move {
                let order = Order {
                    order_id: format!("o{n:07}"),
                    note: "y".repeat(1_500),
                };
                let _ = table.put(&order).send().await;
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_joined_processes_take_half_the_table_and_yield_to_the_application() {
    const PARCELS: usize = 1_500;
    let setup = Setup::new(PARCELS, table_of(TABLE_UNITS, None)).await;

    // The application: 120 units/s (30% of the table), with retries as an SDK client has them.
    let app_table = Table::new(
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk_config_as(&setup.through, "app").await)
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::standard())
                .build(),
        ),
        &setup.test.name,
    );
    let app_rate = Arc::new(std::sync::atomic::AtomicU64::new(120));
    let stop = Arc::new(AtomicBool::new(false));
    application(app_table, app_rate.clone(), stop.clone());

    // Three processes sharing one run at 50% of the table's capacity.
    let joined = JoinedRun::start(&setup, 3, 50.0).await;
    let run_started = setup.second();

    // Beside the application's 30%, the run takes its 50%: 200 units/s.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let stats = setup.stats();
    let (from, to) = (run_started + 2, run_started + 7);
    let run = per_second(&stats, "run", from, to);
    let app = per_second(&stats, "app", from, to);
    let run_units = run.all_write_units();
    eprintln!(
        "beside 30%: run {run_units:.0} units/s, application {:.0}",
        app.write_units
    );
    assert!(
        (180.0..=220.0).contains(&run_units),
        "the run consumed {run_units:.0} units/s, not 200 ±10%: {run:?}"
    );
    assert!(app.write_units >= 110.0, "the application wrote {app:?}");
    let running = RunCapacity::of(&setup.test_table()).await.unwrap().unwrap();
    assert_eq!(running.shares.len(), 3, "{running:?}");
    assert!(
        (195.0..=205.0).contains(&running.write_budget()),
        "{running:?}"
    );

    // The application needs 75% of the table: the run yields. The table's bucket holds a
    // second of capacity, so the two together run over it for a few seconds before anything is
    // throttled; from the first throttle on, the run cuts its rate.
    app_rate.store(300, Ordering::SeqCst);
    let busy = setup.second();
    tokio::time::sleep(Duration::from_secs(9)).await;
    let stats = setup.stats();
    let end = busy + 9;
    for second in busy..end {
        let run = stats.total(|k| k.starts_with("run"), second, second + 1);
        let app = stats.total(|k| k == "app", second, second + 1);
        eprintln!(
            "{second}: run {:.0} (+{:.0} ledger; {} of {} throttled), application {:.0} ({} of \
             {} throttled)",
            run.write_units,
            run.ledger_write_units,
            run.writes_throttled,
            run.writes,
            app.write_units,
            app.writes_throttled,
            app.writes
        );
    }
    let app = per_second(&stats, "app", busy + 1, end);
    let throttled_share = app.writes_throttled as f64 / app.writes.max(1) as f64;
    assert!(
        app.write_units >= 270.0,
        "the application did not reach its 75%: {app:?}"
    );
    assert!(
        throttled_share <= 0.03,
        "{:.1}% of the application's writes were throttled: {app:?}",
        throttled_share * 100.0
    );
    let first_throttle = (busy..end)
        .find(|s| stats.total(|_| true, *s, s + 1).writes_throttled > 0)
        .unwrap_or(busy + 4);
    let (from, to) = (first_throttle + 1, end);
    assert!(
        to - from >= 3,
        "the run yielded too late to measure: {first_throttle}"
    );
    let run = per_second(&stats, "run", from, to);
    let app = per_second(&stats, "app", from, to);
    let together = run.all_write_units() + app.all_write_units();
    eprintln!(
        "beside 75%: the application's writes {:.1}% throttled; once the run yielded, run \
         {:.0} units/s, application {:.0}, {together:.0} in all",
        throttled_share * 100.0,
        run.all_write_units(),
        app.write_units
    );
    assert!(
        together <= TABLE_UNITS * 1.02,
        "the run and the application took {together:.0} units/s of {TABLE_UNITS}"
    );
    assert!(run.write_units > 10.0, "the run stopped: {run:?}");

    stop.store(true, Ordering::SeqCst);
    joined.finish().await;
    setup.every_parcel_weighed(PARCELS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttle_pauses_resumes_and_retunes_every_process_within_two_seconds() {
    const PARCELS: usize = 700;
    let setup = Setup::new(PARCELS, table_of(TABLE_UNITS, None)).await;
    // A share record a process that died long ago left: not counted, and deleted.
    let operator = setup.test_table();
    let abandoned = CapacityShareRecord {
        process: "died-long-ago".into(),
        holder: "gone".into(),
        beat: 7,
        started_ms: 1,
        heartbeat_ms: 1,
        percent: 50.0,
        paused: false,
        processes: 1,
        table_write_units: TABLE_UNITS,
        write_budget: 200.0,
        write_rate: 200.0,
        write_consumed_per_second: 0.0,
        write_throttled: 0,
        read_budget: None,
        read_consumed_per_second: 0.0,
    };
    operator.put(&abandoned).send().await.unwrap();
    let run = JoinedRun::start(&setup, 2, 50.0).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let paused = setup.second() + 1;
    throttle(&operator, None, Some(true)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during = per_second(&setup.stats(), "run", paused + 2, paused + 4);
    assert_eq!(
        during.write_units, 0.0,
        "writes went on while paused: {during:?}"
    );
    let capacity = RunCapacity::of(&operator).await.unwrap().unwrap();
    assert!(
        capacity.throttle.as_ref().is_some_and(|t| t.paused),
        "{capacity:?}"
    );
    assert_eq!(capacity.shares.len(), 2, "{capacity:?}");
    let left = operator
        .get::<CapacityShareRecord>(CapacityShareRecord::key("died-long-ago"))
        .consistent()
        .send()
        .await
        .unwrap();
    assert_eq!(left, None, "the abandoned record is still there");

    let resumed = setup.second() + 1;
    throttle(&operator, Some(10.0), Some(false)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = per_second(&setup.stats(), "run", resumed + 2, resumed + 4);
    eprintln!("paused: {during:?}; resumed at 10%: {after:?}");
    assert!(
        after.write_units > 0.0,
        "no write after the resume: {after:?}"
    );
    assert!(
        after.all_write_units() <= 40.0 * 1.25,
        "10% of {TABLE_UNITS} is 40 units/s, the run took {after:?}"
    );

    throttle(&operator, Some(100.0), None).await.unwrap();
    run.finish().await;
    assert_eq!(RunCapacity::of(&operator).await.unwrap(), None);
    let error = throttle(&operator, None, Some(true)).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no run drawing on a capacity budget"),
        "{error}"
    );
    setup.every_parcel_weighed(PARCELS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hot_key_does_not_slow_the_rest_of_the_run() {
    const PARCELS: usize = 600;
    let budget = TABLE_UNITS * 0.5;
    let mut rates = Vec::new();
    for hot_partition in [None, Some(("PARCEL#00007", 6))] {
        let setup = Setup::new(PARCELS, table_of(300.0, hot_partition)).await;
        let (migrator, coordinator) = setup.process("run", 50.0).await;
        let run_started = setup.second();
        let run = tokio::spawn(async move { migrator.up(None).await });
        // The run's steady rate: from its third second, past its start (the lock, the ledger,
        // the first page), which lands in its first or second second depending on when in a
        // second it started.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let measured = per_second(&setup.stats(), "run", run_started + 2, run_started + 5);
        run.await.unwrap().unwrap();
        coordinator.stop().await.unwrap();
        setup.every_parcel_weighed(PARCELS).await;
        let stats = setup.stats();
        for ((client, second), counts) in &stats.seconds {
            eprintln!("{client} {second}: {counts:?}");
        }
        let throttled = stats.total(|_| true, 0, u64::MAX).writes_throttled;
        eprintln!("hot partition {hot_partition:?}: {measured:?}, {throttled} throttled");
        if hot_partition.is_some() {
            assert!(throttled >= 6, "the hot key was not throttled");
        }
        // No second over the budget by more than the tenth of a second the share's bucket keeps
        // and a little jitter (a bucket of a whole second gave seconds of 266 and 284 units).
        let busiest = stats
            .seconds
            .iter()
            .filter(|((client, _), _)| client.starts_with("run"))
            .map(|(_, counts)| counts.write_units)
            .fold(0.0, f64::max);
        assert!(
            busiest <= budget * 1.2,
            "a second of the run took {busiest} units on a budget of {budget}"
        );
        rates.push(measured.all_write_units());
    }
    // Against the rate without a hot key, or the run's budget where that rate went over it.
    let reference = rates[0].min(budget);
    let ratio = rates[1] / reference;
    eprintln!("rate with a hot key / without (at most the budget): {ratio:.2} ({rates:?})");
    assert!(ratio >= 0.9, "a hot key cut the run's rate to {ratio:.2}x");
}

impl Setup {
    /// The table as an operator's client reaches it, directly.
    fn test_table(&self) -> Table {
        Table::new(self.test.client.clone(), &self.test.name)
    }
}
