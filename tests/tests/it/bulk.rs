//! The bulk engine on DynamoDB Local: batch writes, the apply driver, transactions and the unit
//! packer, the shared rate limit.

use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{
    Condition, Entity, ErrorKind, MAX_TRANSACTION_ACTIONS, PrimaryKey, RateLimit, Table, Write,
    entity,
};
use dynatable_tests::TestTable;
use futures::{StreamExt, TryStreamExt};

#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{photo_id}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub user_id: String,
    pub photo_id: String,
    pub created_at: u64,
    pub caption: Option<String>,
}

/// The same photos keyed by time, as the seed's pattern 3 re-keys them.
#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{created_at}#{photo_id}",
    rename_all = "camelCase",
    name = "PhotoByTime"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoByTime {
    pub user_id: String,
    pub photo_id: String,
    pub created_at: u64,
    pub caption: Option<String>,
}

fn photos(n: usize) -> Vec<Photo> {
    (0..n)
        .map(|i| Photo {
            user_id: format!("u{}", i % 50),
            photo_id: format!("p{i:05}"),
            created_at: 1_700_000_000_000 + i as u64,
            caption: None,
        })
        .collect()
}

async fn table() -> (TestTable, Table) {
    let test = TestTable::create(&[Photo::SCHEMA]).await;
    let table = test.table().await;
    (test, table)
}

#[tokio::test]
async fn batch_put_and_delete_a_thousand_items() {
    let (t, table) = table().await;
    let mut input = photos(1_000);
    input.push(input[0].clone()); // a duplicate key goes to another request
    let report = table.batch_put(input).await.unwrap();
    assert_eq!(
        (report.read, report.written, report.failed),
        (1_001, 1_001, 0)
    );
    assert!(report.requests >= 41, "{report:?}");
    assert_eq!(t.scan_all().await.len(), 1_000);

    let keys: Vec<PrimaryKey> = photos(1_000).iter().map(Entity::primary_key).collect();
    let report = table.batch_delete(keys).await.unwrap();
    assert_eq!(report.written, 1_000);
    assert!(t.scan_all().await.is_empty());
}

#[tokio::test]
async fn apply_updates_every_item_and_skips_what_is_done() {
    let (_t, table) = table().await;
    table.batch_put(photos(2_000)).await.unwrap();
    let f = Photo::fields();
    let plan = |photo: Photo| -> Option<Write> {
        if photo.photo_id.ends_with('7') {
            return None; // leave these alone
        }
        Some(
            table
                .update::<Photo>(photo.primary_key())
                .set(f.caption, "backfilled")
                .condition(f.caption.not_exists())
                .into(),
        )
    };
    let report = table
        .apply(table.scan::<Photo>().parallel().stream(), plan)
        .await
        .unwrap();
    assert_eq!(
        (report.read, report.written, report.skipped, report.failed),
        (2_000, 1_800, 200, 0)
    );

    // Run again: every condition fails, so everything is skipped and nothing is written twice.
    let report = table
        .apply(table.scan::<Photo>().parallel().stream(), plan)
        .await
        .unwrap();
    assert_eq!((report.written, report.skipped), (0, 2_000));
    let captions: Vec<Photo> = table.scan::<Photo>().stream().try_collect().await.unwrap();
    assert_eq!(
        captions.iter().filter(|p| p.caption.is_some()).count(),
        1_800
    );
}

#[tokio::test]
async fn apply_stops_on_an_error_with_the_report() {
    let (_t, table) = table().await;
    table.batch_put(photos(10)).await.unwrap();
    let items = table.scan::<Photo>().stream();
    let err = table
        .apply(items, |photo: Photo| {
            Some(
                table
                    .update::<Photo>(photo.primary_key())
                    .set_attribute("", AttributeValue::Bool(true))
                    .into(),
            )
        })
        .await
        .unwrap_err();
    assert_eq!(err.report.written, 0);
    assert!(err.report.failed >= 1);
    assert!(err.to_string().starts_with("UpdateItem on table"), "{err}");
}

#[tokio::test]
async fn a_transaction_over_100_actions_is_refused_before_sending() {
    let (t, table) = table().await;
    let mut tx = table.transaction();
    for photo in photos(MAX_TRANSACTION_ACTIONS + 1) {
        tx = tx.write(table.put(&photo));
    }
    assert_eq!(tx.len(), 101);
    let err = tx.send().await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::TooManyActions {
                actions: 101,
                max: 100
            }
        ),
        "{err}"
    );
    assert!(t.scan_all().await.is_empty(), "nothing was written");

    let mut tx = table.transaction();
    for photo in photos(MAX_TRANSACTION_ACTIONS) {
        tx = tx.write(table.put(&photo));
    }
    tx.send().await.unwrap();
    assert_eq!(t.scan_all().await.len(), 100);
}

#[tokio::test]
async fn a_canceled_transaction_reports_each_failed_action() {
    let (_t, table) = table().await;
    let existing = photos(2);
    table.put(&existing[1]).send().await.unwrap();
    let fresh = Photo {
        photo_id: "new".into(),
        ..existing[0].clone()
    };
    let err = table
        .transaction()
        .write(table.put(&fresh))
        .write(table.put(&existing[1]).if_absent())
        .condition_check(
            existing[0].primary_key(),
            Condition::<Photo>::attribute_exists("PK"),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_transaction_canceled() && err.is_conditional_check_failed(),
        "{err}"
    );
    let ErrorKind::TransactionCanceled { reasons } = err.kind() else {
        panic!("{err}")
    };
    let failed: Vec<(usize, &str)> = reasons.iter().map(|r| (r.index, r.code.as_str())).collect();
    assert_eq!(
        failed,
        [(1, "ConditionalCheckFailed"), (2, "ConditionalCheckFailed")]
    );
    assert!(
        err.to_string().contains("action 1: ConditionalCheckFailed"),
        "{err}"
    );
    assert_eq!(
        table
            .get::<Photo>(fresh.primary_key())
            .consistent()
            .send()
            .await
            .unwrap(),
        None,
        "all or nothing"
    );
}

/// The delete of the old key and the put of the new one, as one unit.
fn rekey(table: &Table, photo: Photo) -> Vec<Write> {
    let moved = PhotoByTime {
        user_id: photo.user_id.clone(),
        photo_id: photo.photo_id.clone(),
        created_at: photo.created_at,
        caption: photo.caption.clone(),
    };
    vec![
        table
            .delete::<Photo>(photo.primary_key())
            .if_exists()
            .into(),
        table.put(&moved).if_absent().into(),
    ]
}

#[tokio::test]
async fn rekeying_500_items_with_packed_units_leaves_exactly_the_new_keys() {
    let (t, table) = table().await;
    let old = photos(500);
    table.batch_put(old.clone()).await.unwrap();

    let units = futures::stream::iter(old.clone()).map(|p| Ok(rekey(&table, p)));
    let report = table.transact_units(units).await.unwrap();
    assert_eq!((report.read, report.written, report.skipped), (500, 500, 0));
    assert!(
        report.requests >= 10,
        "500 units of 2 actions need at least 10 transactions: {report:?}"
    );

    let items = t.scan_all().await;
    assert_eq!(items.len(), 500);
    let expected: std::collections::HashSet<PrimaryKey> = old
        .iter()
        .map(|p| PhotoByTime::key(&p.user_id, p.created_at, &p.photo_id))
        .collect();
    let found: std::collections::HashSet<PrimaryKey> =
        items.iter().filter_map(PrimaryKey::of_item).collect();
    assert_eq!(found, expected);

    // Re-running (a resumed migration) skips every unit: the old items are gone.
    let units = futures::stream::iter(old).map(|p| Ok(rekey(&table, p)));
    let report = table.transact_units(units).await.unwrap();
    assert_eq!((report.written, report.skipped), (0, 500));
    assert_eq!(t.scan_all().await.len(), 500);
}

#[tokio::test]
async fn packed_units_of_large_items_stay_under_a_transactions_4_mb() {
    let (t, table) = table().await;
    // 20 puts of 300 KB: 6 MB, which DynamoDB refuses in one transaction ("Transaction payload
    // size cannot exceed 4MB") though it is 20 actions of the 100 allowed.
    let blob = "x".repeat(300_000);
    let units = futures::stream::iter(0..20).map(|i| {
        let item = dynatable_core::Item::from([
            ("PK".to_owned(), AttributeValue::S(format!("LARGE#{i}"))),
            ("SK".to_owned(), AttributeValue::S("BLOB".into())),
            ("blob".to_owned(), AttributeValue::S(blob.clone())),
        ]);
        Ok(vec![table.put_item(item).if_absent().into()])
    });
    let report = table.transact_units(units).await.unwrap();
    assert_eq!((report.read, report.written), (20, 20), "{report:?}");
    assert!(report.requests >= 2, "{report:?}");
    assert_eq!(t.scan_all().await.len(), 20);
}

#[tokio::test]
async fn a_unit_larger_than_a_transaction_is_an_error() {
    let (_t, table) = table().await;
    let unit: Vec<Write> = photos(101).iter().map(|p| table.put(p).into()).collect();
    let err = table
        .transact_units(futures::stream::iter([Ok(unit)]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.error.kind(),
            ErrorKind::UnitTooLarge { actions: 101, .. }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_every_task() {
    let (_t, table) = table().await;
    let limited = table
        .with_rate_limit(RateLimit::ItemsPerSecond(300.0))
        .with_concurrency(16);
    let started = Instant::now();
    let writes = futures::stream::iter(photos(600).into_iter().map(Ok));
    let report = limited
        .apply(writes, |p: Photo| Some(limited.put(&p).into()))
        .await
        .unwrap();
    assert_eq!(report.written, 600);
    // A tenth of a second of budget up front, then 300 items/s: 600 items take at least 1.9 s.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1_850), "{elapsed:?}");
}
