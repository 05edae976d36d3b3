//! Indexes and time to live as migrations: `ctx.create_index` on a table of three entities, one
//! without the index (its items untouched), killed during the fill and resumed; a dry run that
//! records the `UpdateTable` instead of sending it; `ctx.enable_ttl`; `ctx.drop_index` with its
//! attributes removed.

use std::time::Duration;

use dynatable_core::aws_sdk_dynamodb::types::IndexStatus;
use dynatable_core::{Entity, Item, Table, Timestamp, entity};
use dynatable_migrate::{Context, DownTarget, Migration, Migrator, Result, migration};
use dynatable_tests::{Endpoint, Faults, Proxy, TestTable};

#[entity(
    pk = "CURATOR#{curator}",
    sk = "PLAYLIST#{playlist_id}",
    index(
        name = "ByCurator",
        pk = "BY#{curator}",
        sk = "PLAYLIST#{playlist_id}",
        since = "1.1.0"
    ),
    rename_all = "camelCase"
)]
pub struct Playlist {
    pub curator: String,
    pub playlist_id: String,
}

#[entity(
    pk = "TRACK#{track_id}",
    sk = "TRACK",
    index(
        name = "ByCurator",
        pk = "BY#{curator}",
        sk = "TRACK#{track_id}",
        since = "1.1.0"
    ),
    rename_all = "camelCase"
)]
pub struct Track {
    pub track_id: String,
    pub curator: String,
    #[entity(ttl)]
    pub expires_at: Option<Timestamp>,
}

#[entity(pk = "VENUE#{venue_id}", sk = "VENUE", rename_all = "camelCase")]
pub struct Venue {
    pub venue_id: String,
    pub curator: String,
}

pub struct AddCuratorIndex;

#[migration(version = "1.1.0")]
impl Migration for AddCuratorIndex {
    async fn up(&self, ctx: &Context) -> Result<()> {
        ctx.create_index("ByCurator").await?;
        ctx.enable_ttl().await
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        ctx.drop_index("ByCurator").remove_attributes().await?;
        Ok(())
    }
}

const EACH: usize = 40;
const INDEX_KEYS: [&str; 2] = ["ByCuratorPK", "ByCuratorSK"];

/// An item as stored before the index existed: without its key attributes.
fn before_the_index(mut item: Item) -> Item {
    for attribute in INDEX_KEYS {
        item.remove(attribute);
    }
    item
}

fn migrator(table: Table) -> Migrator {
    Migrator::for_migrations(table, here!())
        .unwrap()
        .with_entities(vec![Playlist::SCHEMA, Track::SCHEMA, Venue::SCHEMA])
        .catch_up(false)
        .lock_ttl(Duration::from_secs(2))
        .lock_wait(Duration::from_secs(10))
}

/// How many items carry the index's partition key.
async fn filled(t: &TestTable) -> usize {
    t.scan_all()
        .await
        .iter()
        .filter(|i| i.contains_key(INDEX_KEYS[0]))
        .count()
}

#[tokio::test]
async fn create_index_fills_its_entities_resumes_when_killed_and_drop_index_undoes_it() {
    let t = TestTable::create(&[Venue::SCHEMA]).await;
    for i in 0..EACH {
        let curator = format!("c{}", i % 4);
        let playlist = Playlist {
            curator: curator.clone(),
            playlist_id: format!("p{i:02}"),
        };
        t.put_item(before_the_index(playlist.to_item().unwrap()))
            .await;
        let track = Track {
            track_id: format!("t{i:02}"),
            curator: curator.clone(),
            expires_at: None,
        };
        t.put_item(before_the_index(track.to_item().unwrap())).await;
        t.put(&Venue {
            venue_id: format!("v{i:02}"),
            curator,
        })
        .await;
    }
    let table = t.table().await;

    // A dry run records the UpdateTable and the fill's writes, and sends none of them.
    let planned = migrator(table.clone()).up_dry_run(None).await.unwrap();
    let operations: Vec<&str> = planned.writes[0]
        .1
        .iter()
        .map(|w| w.operation.as_str())
        .collect();
    assert!(operations.contains(&"UpdateTable"), "{operations:?}");
    assert_eq!(
        planned.write_counts[0].1,
        2 + 2 * EACH as u64,
        "{planned:?}"
    );
    let described = t
        .client
        .describe_table()
        .table_name(&t.name)
        .send()
        .await
        .unwrap();
    assert!(
        described
            .table()
            .unwrap()
            .global_secondary_indexes()
            .is_empty()
    );
    assert_eq!(filled(&t).await, 0);

    // Through a slow proxy, one write at a time: killed once 20 items are filled.
    let proxy = Proxy::start(
        dynatable_tests::endpoint().url(),
        Faults::latency(Duration::from_millis(20)),
    )
    .await
    .unwrap();
    let slow = Table::new(
        Endpoint::Local(proxy.url().to_owned()).client().await,
        &t.name,
    )
    .with_concurrency(1);
    let run = tokio::spawn(async move { migrator(slow).up(None).await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while filled(&t).await < 20 {
        if run.is_finished() {
            panic!("the run ended before it was killed: {:?}", run.await);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fill never reached 20 items"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    run.abort();
    let _ = run.await;
    let partial = filled(&t).await;
    assert!(partial < 2 * EACH, "killed after the fill: {partial}");

    migrator(table.clone()).up(None).await.unwrap();
    let items = t.scan_all().await;
    for item in items
        .iter()
        .filter(|i| !i["PK"].as_s().unwrap().starts_with("_SCHEMA#"))
    {
        let entity = item["_type"].as_s().unwrap();
        let has_keys = INDEX_KEYS.iter().all(|k| item.contains_key(*k));
        assert_eq!(has_keys, entity != "Venue", "{item:?}");
    }
    let described = t
        .client
        .describe_table()
        .table_name(&t.name)
        .send()
        .await
        .unwrap();
    let index = &described.table().unwrap().global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some("ByCurator"));
    assert_eq!(index.index_status(), Some(&IndexStatus::Active));
    let ttl = t
        .client
        .describe_time_to_live()
        .table_name(&t.name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description().unwrap().attribute_name(),
        Some("expiresAt")
    );
    let by_curator = t
        .client
        .query()
        .table_name(&t.name)
        .index_name("ByCurator")
        .key_condition_expression("ByCuratorPK = :c")
        .expression_attribute_values(
            ":c",
            dynatable_core::aws_sdk_dynamodb::types::AttributeValue::S("BY#c1".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_curator.count(), 2 * EACH as i32 / 4);

    migrator(table).down(DownTarget::Steps(1)).await.unwrap();
    let described = t
        .client
        .describe_table()
        .table_name(&t.name)
        .send()
        .await
        .unwrap();
    assert!(
        described
            .table()
            .unwrap()
            .global_secondary_indexes()
            .is_empty()
    );
    assert_eq!(filled(&t).await, 0);
}
