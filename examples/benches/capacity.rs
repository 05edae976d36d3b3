//! What drawing on a capacity budget costs when nothing throttles: the example's 0.3.0 (a
//! re-key of every photo, each a transaction) up and down on a table of its own, with the
//! table drawing on `--capacity 100%` of 1,000,000 write units (far above what DynamoDB Local
//! serves, so the budget never holds a write back) and without, alternating which goes first.
//! Every write then asks DynamoDB for its consumed capacity and passes the share's bucket.
//!
//! `cargo bench -p dynatable-example --bench capacity [-- ITEMS]` (default 5,000 items, 90%
//! photos). Starts its own DynamoDB Local unless `DYNATABLE_ENDPOINT` is set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/rekey_pass.rs"]
mod rekey_pass;
#[path = "support/seeded_table.rs"]
mod seeded_table;

use dynatable_core::Table;
use dynatable_migrate::capacity::{CapacityCoordinator, CapacitySettings, TableCapacity};
use dynatable_tests::{bench_figures, endpoint};
use rekey_pass::{example_0_3_0, pass};
use seeded_table::{PHOTOS_PER_USER, create_seeded};

/// Far above what DynamoDB Local serves.
const UNITS: u64 = 1_000_000;

#[tokio::main]
async fn main() {
    let [items] = bench_figures::numeric_args([5_000]);
    let endpoint = endpoint();
    let client = endpoint.client().await;
    let name = format!(
        "bench-capacity-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    create_seeded(&client, &name, items).await;
    let photos = items / (PHOTOS_PER_USER + 1) * PHOTOS_PER_USER;
    println!(
        "Re-key of {photos} photos with and without --capacity 100% of {UNITS} units/s, {}",
        bench_figures::machine()
    );
    let plain = Table::new(client.clone(), &name);
    let capacity = TableCapacity::of(&plain, Some(UNITS), 100.0).await.unwrap();
    let coordinator = CapacityCoordinator::start(
        &plain,
        CapacitySettings {
            percent: 100.0,
            capacity,
        },
        "bench",
    )
    .await
    .unwrap();
    let contenders = [
        ("with --capacity", coordinator.apply(&plain)),
        ("without", plain.clone()),
    ];
    // Warms DynamoDB Local's JVM and the connections; not counted.
    for (_, table) in &contenders {
        pass(table, example_0_3_0()).await;
    }
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..4 {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let (label, table) = &contenders[i];
            let (up, down) = pass(table, example_0_3_0()).await;
            let rate = bench_figures::rate(photos as u64, up);
            println!(
                "  round {round} {label:>15}: up {:6.2} s = {rate:6.0} photos/s, down {:6.2} s",
                up.as_secs_f64(),
                down.as_secs_f64(),
            );
            rates[i].push(rate);
        }
    }
    let reading = coordinator.writes().reading();
    coordinator.stop().await.unwrap();
    let [mut with, mut without] = rates;
    let (with, without) = (
        bench_figures::median(&mut with),
        bench_figures::median(&mut without),
    );
    println!(
        "the share counted {:.0} write units, {} throttled",
        reading.consumed, reading.throttled
    );
    println!(
        "median up: with --capacity {with:.0} photos/s, without {without:.0} photos/s: {:.2}x",
        with / without
    );
}
