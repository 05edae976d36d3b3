//! The example's re-key (0.3.0) and backfill (0.5.0) migrations through a proxy that throttles
//! 20% of requests and loses 5% of responses end with the same table as a fault-free run.

use crate::support;

use std::collections::BTreeMap;

use dynatable_core::Table;
use dynatable_example::DEFAULT_TABLE;
use dynatable_migrate::{DownTarget, MigrationStatus, Migrator};
use dynatable_tests::{Endpoint, Faults, Proxy};
use support::{App, Row, comparable};

const USERS: usize = 60;
const PHOTOS: usize = 5;

/// Photos per user partition, and whether each has exactly one key of the expected form.
fn photo_keys(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut per_user = BTreeMap::new();
    for row in rows.iter().filter(|r| r["SK"].starts_with("PHOTO#")) {
        *per_user.entry(row["PK"].clone()).or_insert(0) += 1;
    }
    per_user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_lost_responses_change_nothing() {
    let clean = App::new("faults-clean");
    // The table migrated through faults follows its stream (the stream's requests go through the
    // proxy too), on a DynamoDB Local of its own: one instance copes with one such table.
    let faulty = App::with_streams("faults", dynatable_tests::dedicated_endpoint());
    clean.create_and_seed(USERS, PHOTOS);
    faulty.create_and_seed(USERS, PHOTOS);
    assert_eq!(clean.data().await, faulty.data().await, "the same seed");
    assert_ne!(clean.table, DEFAULT_TABLE);

    let proxy = Proxy::start(
        faulty.endpoint.url(),
        Faults {
            throttles: 0.2,
            lost_responses: 0.05,
            seed: 7,
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let through_proxy = Endpoint::Local(proxy.url().to_owned()).client().await;
    let faulty_table = Table::new(through_proxy, &faulty.table);
    let reference = Migrator::new(clean.table().await).unwrap().catch_up(false);
    let under_faults = Migrator::new(faulty_table).unwrap().stream_client(
        Endpoint::Local(proxy.url().to_owned())
            .stream_client()
            .await,
    );

    reference.up(None).await.unwrap();
    under_faults.up(None).await.unwrap();
    let expected = comparable(clean.data().await);
    assert_eq!(comparable(faulty.data().await), expected);
    let keys = photo_keys(&faulty.data().await);
    assert_eq!(keys.len(), USERS);
    assert!(
        keys.values().all(|&n| n == PHOTOS),
        "no photo lost or doubled"
    );

    // And back: the re-key's down and the backfill's down under the same faults.
    reference
        .down(DownTarget::Version("0.2.0".to_owned()))
        .await
        .unwrap();
    under_faults
        .down(DownTarget::Version("0.2.0".to_owned()))
        .await
        .unwrap();
    assert_eq!(
        comparable(faulty.data().await),
        comparable(clean.data().await)
    );

    // One record per version, as in the fault-free run; no lock left behind.
    let history = under_faults.history().await.unwrap();
    let statuses: Vec<(String, MigrationStatus)> = history
        .iter()
        .map(|r| (r.version.clone(), r.status))
        .collect();
    let reference_statuses: Vec<(String, MigrationStatus)> = reference
        .history()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.version.clone(), r.status))
        .collect();
    assert_eq!(statuses, reference_statuses);
    assert!(under_faults.status().await.unwrap().lock.is_none());

    let stats = proxy.stats();
    assert!(
        stats.throttled > stats.requests / 10 && stats.lost > stats.requests / 50,
        "faults were injected: {stats:?}"
    );
    eprintln!("proxy: {stats:?}");
}
