//! The re-key of the example's 0.3.0 (every photo from `PHOTO#{photoId}` to
//! `PHOTO#{timestampMs}#{photoId}`) two ways, side by side in one run: `ctx.rekey::<Photo>()` by
//! `Photo`'s key history, and the migration as it was written by hand before key history existed
//! (a `backfill_units` of delete + put transactions). Each has a table of its own, seeded the
//! same; each pass moves every photo up (timed) and back down (timed), alternating which goes
//! first.
//!
//! `cargo bench -p dynatable-example --bench rekey [-- ITEMS]` (default 5,000 items, 90% photos).
//! Starts its own DynamoDB Local unless `DYNATABLE_ENDPOINT` is set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/rekey_pass.rs"]
mod rekey_pass;
#[path = "support/seeded_table.rs"]
mod seeded_table;

use dynatable_core::Table;
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

#[tokio::main]
async fn main() {
    let [items] = bench_figures::numeric_args([5_000]);
    let endpoint = endpoint();
    let client = endpoint.client().await;
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let tables = ["rekey", "hand"].map(|who| format!("bench-{who}-{suffix}"));
    for name in &tables {
        create_seeded(&client, name, items).await;
    }
    let photos = items / (PHOTOS_PER_USER + 1) * PHOTOS_PER_USER;
    println!(
        "Re-key of {photos} photos, ctx.rekey vs the hand-written 0.3.0, {}",
        bench_figures::machine()
    );
    let contenders = [
        (
            "ctx.rekey",
            Table::new(client.clone(), &tables[0]),
            example_0_3_0(),
        ),
        (
            "hand-written",
            Table::new(client.clone(), &tables[1]),
            hand_written_0_3_0(),
        ),
    ];
    // Warms DynamoDB Local's JVM and the connections; not counted.
    for (_, table, migration) in &contenders {
        pass(table, migration).await;
    }
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..3 {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let (label, table, migration) = &contenders[i];
            let (up, down) = pass(table, migration).await;
            let rate = bench_figures::rate(photos as u64, up);
            println!(
                "  round {round} {label:>12}: up {:6.2} s = {rate:6.0} photos/s, down {:6.2} s = {:6.0} photos/s",
                up.as_secs_f64(),
                down.as_secs_f64(),
                bench_figures::rate(photos as u64, down)
            );
            rates[i].push(rate);
        }
    }
    let [mut rekey, mut hand] = rates;
    let (rekey, hand) = (
        bench_figures::median(&mut rekey),
        bench_figures::median(&mut hand),
    );
    println!(
        "median up: ctx.rekey {rekey:.0} photos/s, hand-written {hand:.0} photos/s: {:.2}x",
        rekey / hand
    );
}
