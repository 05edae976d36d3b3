//! The seed's pattern 5 backfill (`createdAt = if_not_exists(createdAt, now)`, `updatedAt = now`
//! on every item) over 20,000 items on DynamoDB Local, three ways, side by side in one run:
//!
//! 1. `driver`: `Table::apply` over `Table::scan_items().parallel()` (8 segments, 64 in flight);
//! 2. `raw-sdk`: the same parallel scan and concurrency written by hand with the SDK;
//! 3. `one-at-a-time`: the seed's loop: scan a page, await each `UpdateItem` in turn.
//!
//! `cargo bench -p dynatable-tests --bench backfill [-- ITEMS]`. Starts its own DynamoDB Local
//! unless `DYNATABLE_ENDPOINT` is set. A first untimed pass warms DynamoDB Local's JVM; then the
//! driver and the raw loop run three times each in alternating order and keep their median.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Item, PrimaryKey, Table, entity};
use dynatable_tests::{TestTable, sdk_loops};

#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{photo_id}",
    rename_all = "camelCase"
)]
pub struct Photo {
    pub user_id: String,
    pub photo_id: String,
    pub url: String,
}

fn now() -> AttributeValue {
    AttributeValue::S(format!("{:?}", std::time::SystemTime::now()))
}

async fn driver(table: &Table) -> usize {
    let now = now();
    let report = table
        .apply(table.scan_items().parallel().stream(), |item: Item| {
            let key = PrimaryKey::of_item(&item)?;
            Some(
                table
                    .update_item(key)
                    .set_attribute_if_not_exists("createdAt", now.clone())
                    .set_attribute("updatedAt", now.clone())
                    .into(),
            )
        })
        .await
        .unwrap();
    report.written
}

#[tokio::main]
async fn main() {
    let [items] = dynatable_tests::bench_figures::numeric_args([20_000]);
    let test = TestTable::create(&[Photo::SCHEMA]).await;
    let table = Table::new(test.client.clone(), &test.name);
    let photos = (0..items).map(|i| Photo {
        user_id: format!("u{}", i % 1_000),
        photo_id: format!("p{i:06}"),
        url: format!("https://photos.example.com/{i}.jpg"),
    });
    table.batch_put(photos.collect::<Vec<_>>()).await.unwrap();

    println!(
        "backfill of {items} items on {} (release build)",
        dynatable_tests::endpoint().url()
    );
    // DynamoDB Local is a JVM: the first pass over the table warms it up and is not counted.
    sdk_loops::hand_tuned(&test.client, &test.name, &now()).await;
    // The two fast contenders run three times each, in alternating order (the server is shared
    // and noisy); each keeps its median pass.
    let mut passes: [Vec<f64>; 3] = Default::default();
    let order = [
        ("raw-sdk", 1),
        ("driver", 0),
        ("driver", 0),
        ("raw-sdk", 1),
        ("raw-sdk", 1),
        ("driver", 0),
        ("one-at-a-time", 2),
    ];
    for (name, run) in order {
        let started = Instant::now();
        let done = match run {
            0 => driver(&table).await,
            1 => sdk_loops::hand_tuned(&test.client, &test.name, &now()).await,
            _ => sdk_loops::naive(&test.client, &test.name, &now(), Some(100), None).await,
        };
        let took = started.elapsed();
        assert_eq!(done, items, "{name} updated every item");
        println!(
            "{name:>14}: {done} items in {:>7.2} s = {:>8.0} items/s",
            took.as_secs_f64(),
            dynatable_tests::bench_figures::rate(done as u64, took)
        );
        passes[run].push(dynatable_tests::bench_figures::rate(done as u64, took));
    }
    let results = passes.map(|mut rates| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    });
    println!(
        "medians: driver {:.0}/s, raw-sdk {:.0}/s, one-at-a-time {:.0}/s",
        results[0], results[1], results[2]
    );
    println!("driver / raw-sdk       = {:.2}x", results[0] / results[1]);
    println!("driver / one-at-a-time = {:.2}x", results[0] / results[2]);
}
