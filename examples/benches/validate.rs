//! `migrate validate` vs a raw parallel scan of the same table, printed side by side from one
//! run (issue 12):
//!
//! 1. Item rate over a table of 100,000 items of the example's current shape (users, photos with
//!    80-character URLs, every fifth item a notification): `Validator` (8 segments, every item
//!    classified, decoded and its keys rendered again) through the SDK and with direct requests,
//!    vs a raw-SDK loop of 8 segments that only counts the items; 3 rotating passes each,
//!    medians.
//! 2. Peak RSS of the `migrate validate` binary over 100,000, 250,000 and 500,000 items.
//!
//! `cargo bench -p dynatable-example --bench validate [-- ITEMS RSS_LARGE]`. Starts its own
//! DynamoDB Local unless `DYNATABLE_ENDPOINT` is set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::Instant;

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{DirectRequests, Item, Table, TableDefinition, registry};
use dynatable_example::{Notification, Photo, Timestamp, User};
use dynatable_migrate::Validator;
use dynatable_tests::bench_figures::{machine, median, numeric_args, peak_rss_kib, rate};
use dynatable_tests::{Endpoint, endpoint};
use futures::future::try_join_all;

const SEGMENTS: u32 = 8;

/// A table of `items` items in the example's current shape.
async fn create_filled(client: &Client, items: usize) -> String {
    let name = format!(
        "bench-validate-{items}-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    TableDefinition::for_entities(&name, &registry::entities())
        .unwrap()
        .create(client)
        .await
        .unwrap();
    let table = Table::new(client.clone(), &name).with_concurrency(32);
    let created = Timestamp::from_millis(1_764_000_000_000);
    let mut batch: Vec<Item> = Vec::new();
    let mut user_id = String::new();
    for n in 0..items {
        let item = if n % 100 == 0 {
            let user = User::new(format!("user{n}"), format!("u{n}@example.com"), created);
            user_id = user.user_id.clone();
            dynatable_core::Entity::to_item(&user).unwrap()
        } else if n % 5 == 0 {
            let notification = Notification::new(&user_id, format!("Someone liked photo {n}"));
            dynatable_core::Entity::to_item(&notification).unwrap()
        } else {
            let at = Timestamp::from_millis(created.as_millis() + n as u64);
            let url = format!("https://photos.example.com/{user_id}/{n:0>22}.jpg");
            dynatable_core::Entity::to_item(&Photo::new(&user_id, url, at)).unwrap()
        };
        batch.push(item);
        if batch.len() == 5_000 {
            table
                .batch_put_items(std::mem::take(&mut batch))
                .await
                .unwrap();
        }
    }
    table.batch_put_items(batch).await.unwrap();
    name
}

/// Scans every segment with the SDK, counting items: the floor a validation cannot beat.
async fn raw_scan(client: &Client, table: &str) -> u64 {
    let segments = (0..SEGMENTS).map(|segment| async move {
        let mut count = 0u64;
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(table)
                .segment(segment as i32)
                .total_segments(SEGMENTS as i32)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            count += page.items.map_or(0, |items| items.len() as u64);
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok::<_, dynatable_core::aws_sdk_dynamodb::Error>(count);
            }
        }
    });
    try_join_all(segments).await.unwrap().into_iter().sum()
}

/// `Validator` over `table`: through the SDK, or with `direct` requests (the scan's pages
/// decoded straight from their bodies).
async fn validate(client: &Client, table: &str, direct: Option<&DirectRequests>) -> u64 {
    let mut handle = Table::new(client.clone(), table);
    if let Some(direct) = direct {
        handle = handle.with_direct_requests(direct.clone());
    }
    let report = Validator::new(handle)
        .segments(SEGMENTS)
        .run()
        .await
        .unwrap();
    assert!(report.conforms(), "{report:?}");
    report.items
}

/// Peak RSS of `migrate validate` over a table of `items` items, in KiB.
async fn peak_rss(endpoint: &Endpoint, items: usize) -> u64 {
    let client = endpoint.client().await;
    let name = create_filled(&client, items).await;
    let child = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["validate", "--concurrency", &SEGMENTS.to_string()])
        .env("DYNATABLE_TABLE", &name)
        .env("DYNATABLE_ENDPOINT", endpoint.url())
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env_remove("DYNATABLE_JSON")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let peak = peak_rss_kib(child).await;
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    peak
}

#[tokio::main]
async fn main() {
    let [items, large] = numeric_args([100_000, 250_000]);
    let endpoint = endpoint();
    println!(
        "dynatable validate benchmark, {}, {}, release build, DynamoDB Local at {}",
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        machine(),
        endpoint.url()
    );
    let client = endpoint.client().await;
    let table = create_filled(&client, items).await;
    raw_scan(&client, &table).await; // warms DynamoDB Local's JVM and the connections
    let direct = DirectRequests::new(&endpoint.sdk_config().await)
        .await
        .unwrap();
    println!("\n1. Item rate over {items} items, {SEGMENTS} segments (3 rotating passes)");
    let mut rates: [Vec<f64>; 3] = Default::default();
    const LABELS: [&str; 3] = ["raw scan", "validate (SDK)", "validate (direct)"];
    for pass in 0..3 {
        for turn in 0..3 {
            let contender = (pass + turn) % 3;
            let started = Instant::now();
            let read = match contender {
                0 => raw_scan(&client, &table).await,
                1 => validate(&client, &table, None).await,
                _ => validate(&client, &table, Some(&direct)).await,
            };
            let label = LABELS[contender];
            assert_eq!(read, items as u64, "{label} read every item");
            let items_per_second = rate(read, started.elapsed());
            println!("   pass {pass}: {label:>17} {items_per_second:>9.0} items/s");
            rates[contender].push(items_per_second);
        }
    }
    let [raw, sdk, direct] = rates.map(|mut r| median(&mut r));
    println!(
        "   medians: raw scan {raw:.0} items/s, validate through the SDK {sdk:.0} ({:.2}x), \
         with direct requests {direct:.0} ({:.2}x); direct / SDK: {:.2}x",
        sdk / raw,
        direct / raw,
        direct / sdk
    );

    println!("\n2. Peak RSS of `migrate validate`, sampled every 20 ms");
    // Three sizes: at the smallest, the validation's segments are too small to fill 1 MB pages;
    // from the second on, every page is full, and the peak should stay where it is.
    let mut peaks = Vec::new();
    for size in [items, large, 2 * large] {
        let peak = peak_rss(&endpoint, size).await;
        println!("   {size:>7} items: {:>7.1} MiB", peak as f64 / 1024.0);
        peaks.push(peak);
    }
    println!(
        "   ratio {} / {large}: {:.2}",
        2 * large,
        peaks[2] as f64 / peaks[1] as f64
    );
}
