//! Live-table migration costs, printed side by side from one run (issue 10):
//!
//! 1. A backfill of every item (`updatedAt = now` where missing, as the example's 0.5.0) of
//!    20,000 items through the runner at 5 ms of injected latency per request, three ways, each
//!    on a DynamoDB Local of its own: `blind` (writes carry no compare-and-swap guard, no stream
//!    catch-up: what the runner did before), `blind+catch-up`, and `guarded+catch-up` (the
//!    default now), in turn for several rounds (`DYNATABLE_BENCH_ROUNDS`, 3 by default); the
//!    ratios are those of the sides' median rates.
//! 2. The same default backfill while an application writes 200 items/s: how long `up` takes
//!    after the backfill's scan ends (the catch-up's tail).
//!
//! `cargo bench -p dynatable-example --bench live_table [-- ITEMS]`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Item, PrimaryKey, Table, TableDefinition, Write, registry};
use dynatable_example::Timestamp;
use dynatable_example::seed::{SeedOptions, seed};
use dynatable_migrate::{Context, Migration, Migrator, Reporter, Result, migration};
use dynatable_tests::bench_figures::{median, numeric_args, rate};
use dynatable_tests::{Endpoint, Faults, Proxy, dedicated_endpoint};

const LATENCY: Duration = Duration::from_millis(5);
const PHOTOS_PER_USER: usize = 9;
const APP_WRITES_PER_SECOND: u64 = 200;

/// `updatedAt = now` on every item without one, each write declared blind.
pub struct TouchBlind;

#[migration(version = "90.0.0")]
impl Migration for TouchBlind {
    async fn up(&self, ctx: &Context) -> Result<()> {
        touch(ctx, true).await
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// `updatedAt = now` on every item without one, with the compare-and-swap guard.
pub struct TouchGuarded;

#[migration(version = "90.1.0")]
impl Migration for TouchGuarded {
    async fn up(&self, ctx: &Context) -> Result<()> {
        touch(ctx, false).await
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

async fn touch(ctx: &Context, blind: bool) -> Result<()> {
    let t = ctx.table();
    let now = AttributeValue::S(Timestamp::now().to_string());
    ctx.backfill("items", t.scan_items().parallel(), |item: Item| {
        if item.contains_key("updatedAt") {
            return None;
        }
        let write = Write::from(
            t.update_item(PrimaryKey::of_item(&item)?)
                .set_attribute("updatedAt", now.clone()),
        );
        Some(if blind { write.blind() } else { write })
    })
    .await?;
    Ok(())
}

/// Remembers when a backfill's catch-up started, and the runner's word on its end (how many
/// changes were its own writes, passed over).
#[derive(Debug, Default)]
struct CatchUpClock(Mutex<Option<Instant>>, Mutex<String>);

impl Reporter for CatchUpClock {
    fn message(&self, _version: &str, text: &str) {
        if text.contains("catching up") {
            *self.0.lock().unwrap() = Some(Instant::now());
        }
        if text.contains("caught up") {
            *self.1.lock().unwrap() = text.to_owned();
        }
    }

    fn progress(&self, _version: &str, _done: u64, _total: Option<u64>) {}
}

/// A fresh DynamoDB Local with the seeded table, reached through the latency proxy.
async fn seeded(items: usize, stream: bool) -> (Proxy, Endpoint, Table) {
    let endpoint = dedicated_endpoint();
    let client = endpoint.client().await;
    let mut definition = TableDefinition::for_entities("bench", &registry::entities()).unwrap();
    if stream {
        definition = definition.with_stream();
    }
    definition.create(&client).await.unwrap();
    let options = SeedOptions {
        users: items / (PHOTOS_PER_USER + 1),
        photos_per_user: PHOTOS_PER_USER,
        seed: 1,
    };
    seed(&Table::new(client, "bench"), &options).await.unwrap();
    let proxy = Proxy::start(endpoint.url(), Faults::latency(LATENCY))
        .await
        .unwrap();
    let through = Endpoint::Local(proxy.url().to_owned());
    let table = Table::new(through.client().await, "bench");
    (proxy, through, table)
}

fn migration(version: &str) -> &'static dynatable_migrate::RegisteredMigration {
    dynatable_migrate::migrations()
        .unwrap()
        .into_iter()
        .find(|m| m.version == version)
        .unwrap()
}

/// Runs `version` on a fresh table; returns items written, seconds, and the catch-up's tail.
async fn run(
    items: usize,
    version: &str,
    catch_up: bool,
    app: bool,
) -> (u64, Duration, Option<Duration>) {
    let (_proxy, through, table) = seeded(items, catch_up).await;
    let clock = Arc::new(CatchUpClock::default());
    let migrator = Migrator::new(table.clone())
        .unwrap()
        .with_migrations(vec![migration(version)])
        .unwrap()
        .catch_up(catch_up)
        .stream_client(through.stream_client().await)
        .with_reporter(clock.clone())
        .run_by("bench");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = app.then(|| tokio::spawn(application(table.clone(), stop.clone())));
    let started = Instant::now();
    migrator.up(None).await.unwrap();
    let took = started.elapsed();
    let ended = Instant::now();
    stop.store(true, Ordering::SeqCst);
    if let Some(writer) = writer {
        let writes = writer.await.unwrap();
        println!(
            "    application: {writes} writes, {:.0}/s",
            writes as f64 / took.as_secs_f64()
        );
    }
    let written = migrator
        .history()
        .await
        .unwrap()
        .pop()
        .unwrap()
        .items_written;
    let tail = clock.0.lock().unwrap().map(|at| ended - at);
    let caught_up = clock.1.lock().unwrap().clone();
    if !caught_up.is_empty() {
        println!("    {caught_up}");
    }
    (written, took, tail)
}

/// Creates users in the old shape at [`APP_WRITES_PER_SECOND`] until `stop`.
async fn application(table: Table, stop: Arc<AtomicBool>) -> u64 {
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / APP_WRITES_PER_SECOND));
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let (table, id) = (table.clone(), format!("app-{n}"));
        tokio::spawn(async move {
            let item: Item = [
                ("PK", format!("USER#{id}")),
                ("SK", "PROFILE".to_owned()),
                ("userId", id.clone()),
                ("username", format!("App{id}")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
            .collect();
            let _ = table.put_item(item).send().await;
        });
        n += 1;
    }
    n
}

#[tokio::main]
async fn main() {
    let [items] = numeric_args([20_000]);
    let rounds: usize = std::env::var("DYNATABLE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    println!(
        "1. Backfill of {items} items through the runner at {LATENCY:?} per request, each on a DynamoDB Local of its own; {rounds} rounds of the three sides in turn"
    );
    let sides = [
        ("blind", "90.0.0", false),
        ("blind+catch-up", "90.0.0", true),
        ("guarded+catch-up", "90.1.0", true),
    ];
    let mut rates = vec![Vec::new(); sides.len()];
    for round in 1..=rounds {
        for (side, (label, version, catch_up)) in sides.iter().enumerate() {
            let (written, took, tail) = run(items, version, *catch_up, false).await;
            let r = rate(written, took);
            println!(
                "  round {round} {label:>16}: {written} items in {:6.2} s = {r:6.0} items/s{}",
                took.as_secs_f64(),
                tail.map(|t| format!(" (catch-up {:.2} s)", t.as_secs_f64()))
                    .unwrap_or_default()
            );
            rates[side].push(r);
        }
    }
    let medians: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    println!(
        "  medians: blind {:.0}, blind+catch-up {:.0}, guarded+catch-up {:.0} items/s",
        medians[0], medians[1], medians[2]
    );
    println!(
        "  guarded+catch-up / blind = {:.2}x; blind+catch-up / blind = {:.2}x; guarded / blind, both with catch-up = {:.2}x",
        medians[2] / medians[0],
        medians[1] / medians[0],
        medians[2] / medians[1]
    );
    println!(
        "2. The default backfill of {items} items while an application writes {APP_WRITES_PER_SECOND} items/s"
    );
    let (written, took, tail) = run(items, "90.1.0", true, true).await;
    println!(
        "  {written} items in {:.2} s; up returned {:.2} s after the scan ended",
        took.as_secs_f64(),
        tail.unwrap_or_default().as_secs_f64()
    );
}
