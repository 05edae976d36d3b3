//! The migration benchmarks of issue 6, printed side by side from one run:
//!
//! 1. Backfill (the example's 0.5.0 `add_timestamps`: `createdAt = if_not_exists(createdAt, now)`,
//!    `updatedAt = now` on every item) of 20,000 items at 0 ms and 5 ms of injected latency per
//!    request: the migration through the runner (`Migrator`, with its lock, ledger and
//!    checkpoints) vs a hand-tuned raw-SDK loop (8-segment parallel scan, 64 requests in flight)
//!    vs the seed's naive loop (scan a page, await each `UpdateItem`).
//! 2. Peak RSS of the `migrate` binary backfilling 100,000 items vs a larger table.
//!
//! `cargo bench -p dynatable-example --bench migration [-- ITEMS RSS_SMALL RSS_LARGE]`
//! (`scripts/bench` runs it with the codec bench). Starts its own DynamoDB Local unless
//! `DYNATABLE_ENDPOINT` is set. The naive loop is stopped after 60 s at 5 ms (it would take
//! minutes); its rate is over the items it did.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/seeded_table.rs"]
mod seeded_table;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dynatable_core::Table;
use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_migrate::{MigrationStatus, Migrator, RegisteredMigration};
use dynatable_tests::{Endpoint, Faults, Proxy, bench_figures, endpoint, sdk_loops};
use seeded_table::{PHOTOS_PER_USER, create_seeded};

const NAIVE_TIME_BOX: Duration = Duration::from_secs(60);

fn now() -> AttributeValue {
    AttributeValue::S(dynatable_example::Timestamp::now().to_string())
}

fn add_timestamps() -> &'static RegisteredMigration {
    dynatable_migrate::migrations()
        .unwrap()
        .into_iter()
        .find(|m| m.version == "0.5.0")
        .unwrap()
}

/// The example's 0.5.0 through the runner, from pending to applied.
async fn runner(table: &Table) -> usize {
    let migrator = Migrator::new(table.clone())
        .unwrap()
        .catch_up(false)
        .with_migrations(vec![add_timestamps()])
        .unwrap()
        .run_by("bench");
    migrator
        .mark("0.5.0", MigrationStatus::Pending)
        .await
        .unwrap();
    migrator.up(None).await.unwrap();
    let record = migrator.history().await.unwrap().pop().unwrap();
    usize::try_from(record.items_written).unwrap()
}

/// Runs the three contenders on `client`'s endpoint: medians of 3 alternating passes for the
/// runner and the raw loop, one naive pass.
async fn backfill(client: &Client, table: &str, items: usize, label: &str) -> (f64, f64, f64) {
    let typed = Table::new(client.clone(), table);
    sdk_loops::hand_tuned(client, table, &now()).await; // warms DynamoDB Local's JVM and the connections; not counted
    let (mut runner_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for pass in 0..3 {
        for contender in if pass % 2 == 0 {
            ["runner", "raw"]
        } else {
            ["raw", "runner"]
        } {
            let started = Instant::now();
            let done = if contender == "runner" {
                runner(&typed).await
            } else {
                sdk_loops::hand_tuned(client, table, &now()).await
            };
            let took = started.elapsed();
            assert_eq!(done, items, "{contender} updated every item");
            println!(
                "  {label} {contender:>6} pass {pass}: {done} items in {:6.2} s = {:6.0} items/s",
                took.as_secs_f64(),
                bench_figures::rate(done as u64, took)
            );
            if contender == "runner" {
                runner_rates.push(bench_figures::rate(done as u64, took));
            } else {
                raw_rates.push(bench_figures::rate(done as u64, took));
            }
        }
    }
    let started = Instant::now();
    let done = sdk_loops::naive(client, table, &now(), None, Some(NAIVE_TIME_BOX)).await;
    let took = started.elapsed();
    println!(
        "  {label}  naive: {done} items in {:6.2} s = {:6.0} items/s",
        took.as_secs_f64(),
        bench_figures::rate(done as u64, took)
    );
    (
        bench_figures::median(&mut runner_rates),
        bench_figures::median(&mut raw_rates),
        bench_figures::rate(done as u64, took),
    )
}

/// Peak RSS of `migrate up` running only 0.5.0 over a table of `items` items, in KiB, sampled
/// from /proc every 20 ms.
async fn peak_rss(endpoint: &Endpoint, items: usize) -> (u64, Duration) {
    let client = endpoint.client().await;
    let name = format!(
        "bench-rss-{items}-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    create_seeded(&client, &name, items).await;
    let migrate = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
        command
            .args(args)
            .env("DYNATABLE_TABLE", &name)
            .env("DYNATABLE_ENDPOINT", endpoint.url())
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        command
    };
    for version in ["0.1.0", "0.2.0", "0.3.0", "0.4.0"] {
        assert!(
            migrate(&["mark", version, "applied"])
                .status()
                .unwrap()
                .success()
        );
    }
    let started = Instant::now();
    let peak = bench_figures::peak_rss_kib(migrate(&["up"]).spawn().unwrap()).await;
    (peak, started.elapsed())
}

#[tokio::main]
async fn main() {
    let [items, rss_small, rss_large] = bench_figures::numeric_args([20_000, 100_000, 250_000]);
    let items = items / (PHOTOS_PER_USER + 1) * (PHOTOS_PER_USER + 1);
    let endpoint = endpoint();
    println!(
        "dynatable migration benchmarks, {}, {}, release build, DynamoDB Local at {}",
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        bench_figures::machine(),
        endpoint.url()
    );

    println!("\n1. Backfill (0.5.0 add_timestamps) of {items} items");
    let mut results = Vec::new();
    for latency_ms in [0, 5] {
        let proxy = Proxy::start(
            endpoint.url(),
            Faults::latency(Duration::from_millis(latency_ms)),
        )
        .await
        .unwrap();
        let url = if latency_ms == 0 {
            endpoint.url().to_owned()
        } else {
            proxy.url().to_owned()
        };
        let client = Endpoint::Local(url).client().await;
        let name = format!(
            "bench-backfill-{latency_ms}ms-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        create_seeded(&endpoint.client().await, &name, items).await;
        let label = format!("{latency_ms} ms");
        results.push((latency_ms, backfill(&client, &name, items, &label).await));
    }
    println!(
        "\n   latency | runner items/s | raw-SDK items/s | naive items/s | runner/raw | runner/naive"
    );
    for (latency_ms, (runner, raw, naive)) in &results {
        println!(
            "   {latency_ms:>4} ms | {runner:>14.0} | {raw:>15.0} | {naive:>13.0} | {:>9.2}x | {:>11.1}x",
            runner / raw,
            runner / naive
        );
    }

    println!("\n2. Peak RSS of `migrate up` (0.5.0 only), sampled every 20 ms");
    let (small, small_took) = peak_rss(&endpoint, rss_small).await;
    println!(
        "   {rss_small:>7} items: {:>7.1} MiB ({:.0} s)",
        small as f64 / 1024.0,
        small_took.as_secs_f64()
    );
    let (large, large_took) = peak_rss(&endpoint, rss_large).await;
    println!(
        "   {rss_large:>7} items: {:>7.1} MiB ({:.0} s)",
        large as f64 / 1024.0,
        large_took.as_secs_f64()
    );
    println!(
        "   ratio {rss_large} / {rss_small}: {:.2}",
        large as f64 / small as f64
    );
}
