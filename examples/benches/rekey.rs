//! The re-key of the example's 0.3.0 (every photo from `PHOTO#{photoId}` to
//! `PHOTO#{timestampMs}#{photoId}`) three ways, side by side in one run: `ctx.rekey::<Photo>()` by
//! `Photo`'s key history, and the migration as it was written by hand before key history existed
//! (a `backfill_units` of delete + put transactions), both with direct requests; and
//! `ctx.rekey` with its transactions sent through the SDK. Each has a table of its own, seeded the
//! same; each pass moves every photo up (timed) and back down (timed), each round starting with
//! another contender. Prints the photos moved per second and this process's CPU per photo (the
//! client's: DynamoDB Local is another process).
//!
//! `cargo bench -p dynatable-example --bench rekey [-- ITEMS]` (default 5,000 items, 90% photos).
//! Starts its own DynamoDB Local unless `DYNATABLE_ENDPOINT` is set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/rekey_pass.rs"]
mod rekey_pass;
#[path = "support/seeded_table.rs"]
mod seeded_table;

use dynatable_core::{DirectRequests, Table};
use dynatable_migrate::RegisteredMigration;
use dynatable_tests::{bench_figures, endpoint};
use rekey_pass::{example_0_3_0, pass};
use seeded_table::{PHOTOS_PER_USER, create_seeded};

/// The example's 0.3.0 before key history: the hand-written re-key it replaced.
mod hand_written {
    use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    use dynatable_core::{Entity, Item, PrimaryKey, SORT_KEY_ATTRIBUTE, Table, Write};
    use dynatable_example::Photo;
    use dynatable_migrate::{Context, Migration, Result, migration};

    pub struct ChangePhotoSortKey;

    #[migration(version = "0.3.0")]
    impl Migration for ChangePhotoSortKey {
        async fn up(&self, ctx: &Context) -> Result<()> {
            rekey(ctx, |photo| photo.primary_key().sk).await
        }

        async fn down(&self, ctx: &Context) -> Result<()> {
            rekey(ctx, |photo| format!("PHOTO#{}", photo.photo_id)).await
        }
    }

    async fn rekey(ctx: &Context, sort_key: fn(&Photo) -> String) -> Result<()> {
        let t = ctx.table();
        ctx.backfill_units("photos", t.scan::<Photo>().with_items(), |(photo, item)| {
            move_unit(t, item, sort_key(&photo))
        })
        .await?;
        Ok(())
    }

    fn move_unit(t: &Table, item: Item, new_sk: String) -> Option<Vec<Write>> {
        let old = PrimaryKey::of_item(&item)?;
        if old.sk == new_sk {
            return None;
        }
        let mut moved = item;
        moved.insert(SORT_KEY_ATTRIBUTE.to_owned(), AttributeValue::S(new_sk));
        Some(vec![
            t.delete_item(old).if_exists().into(),
            t.put_item(moved).if_absent().into(),
        ])
    }
}

fn hand_written_0_3_0() -> &'static RegisteredMigration {
    dynatable_migrate::migrations_in(module_path!())
        .unwrap()
        .into_iter()
        .find(|m| m.version == "0.3.0")
        .unwrap()
}

/// The figures of one contender's passes.
#[derive(Default)]
struct Figures {
    /// Photos moved up per second.
    rates: Vec<f64>,
    /// This process's CPU per photo moved up, in µs.
    cpu: Vec<f64>,
}

#[tokio::main]
async fn main() {
    let [items] = bench_figures::numeric_args([5_000]);
    let endpoint = endpoint();
    let client = endpoint.client().await;
    let direct = DirectRequests::new(&endpoint.sdk_config().await)
        .await
        .unwrap();
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let tables = ["rekey", "hand", "sdk"].map(|who| format!("bench-{who}-{suffix}"));
    for name in &tables {
        create_seeded(&client, name, items).await;
    }
    let photos = items / (PHOTOS_PER_USER + 1) * PHOTOS_PER_USER;
    println!(
        "Re-key of {photos} photos: ctx.rekey vs the hand-written 0.3.0, direct transactions vs \
         the SDK's, {}",
        bench_figures::machine()
    );
    let contenders = [
        (
            "ctx.rekey",
            Table::new(client.clone(), &tables[0]).with_direct_requests(direct.clone()),
            example_0_3_0(),
        ),
        (
            "hand-written",
            Table::new(client.clone(), &tables[1]).with_direct_requests(direct.clone()),
            hand_written_0_3_0(),
        ),
        (
            "ctx.rekey, SDK",
            Table::new(client.clone(), &tables[2]),
            example_0_3_0(),
        ),
    ];
    // Warms DynamoDB Local's JVM and the connections; not counted.
    for (_, table, migration) in &contenders {
        pass(table, migration).await;
    }
    let mut figures: [Figures; 3] = Default::default();
    for round in 0..3 {
        // Each round starts with another contender.
        for i in (0..contenders.len()).map(|i| (i + round) % contenders.len()) {
            let (label, table, migration) = &contenders[i];
            let cpu_before = bench_figures::process_cpu();
            let (up, down) = pass(table, migration).await;
            let cpu = (bench_figures::process_cpu() - cpu_before).as_secs_f64();
            // Up and down move the same photos: the pass's CPU, halved, is the up's.
            let cpu_per_photo = cpu / 2.0 / photos as f64 * 1e6;
            let rate = bench_figures::rate(photos as u64, up);
            println!(
                "  round {round} {label:>14}: up {:6.2} s = {rate:6.0} photos/s, down {:6.2} s = \
                 {:6.0} photos/s, client CPU {cpu_per_photo:5.0} µs/photo",
                up.as_secs_f64(),
                down.as_secs_f64(),
                bench_figures::rate(photos as u64, down)
            );
            figures[i].rates.push(rate);
            figures[i].cpu.push(cpu_per_photo);
        }
    }
    let [rekey, hand, sdk] = figures.map(|mut f| {
        (
            bench_figures::median(&mut f.rates),
            bench_figures::median(&mut f.cpu),
        )
    });
    println!(
        "median up: ctx.rekey {:.0} photos/s, hand-written {:.0} photos/s: {:.2}x",
        rekey.0,
        hand.0,
        rekey.0 / hand.0
    );
    println!(
        "median client CPU per photo: direct {:.0} µs, SDK {:.0} µs: {:.2}x; photos/s {:.2}x",
        rekey.1,
        sdk.1,
        rekey.1 / sdk.1,
        rekey.0 / sdk.0
    );
}
