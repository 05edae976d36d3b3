//! The catch-up of a backfill shared by a joined run (`Migrator::up_joined` on a table with a
//! stream): the stream's shards are leased like the scan's segments. Three runners share a run;
//! the runner holding the shard's lease is killed (its task aborted) as soon as it took it, and
//! an application undoes the conversion of items the scan already converted (writes behind the
//! scan, which only the catch-up sees). Another runner takes the lease over, and the run ends
//! with every item converted. A DynamoDB Local of its own (one instance copes with one
//! stream-enabled table).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use dynatable_core::{Entity, SortKey, Table, TableDefinition};
use dynatable_migrate::lease::{SegmentLease, ShardLease};
use dynatable_migrate::{
    Context, Migration, MigrationRecord, MigrationStatus, Migrator, Result, migration,
};
use dynatable_tests::dedicated_endpoint;
use dynatable_tests::entities::{MalformedUser, MarkedUser};
use futures::TryStreamExt as _;

/// Marks every user; convergent (a marked user is left as it is).
pub struct MarkUsers;

#[migration(version = "0.1.0")]
impl Migration for MarkUsers {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.backfill(
            "users",
            t.scan::<MarkedUser>().page_size(20),
            |user: MarkedUser| {
                (user.marked != Some(true)).then(|| {
                    t.update::<MarkedUser>(user.primary_key())
                        .set(MarkedUser::fields().marked, true)
                        .into()
                })
            },
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// Users in the table: enough for the scan to last while the test kills and writes.
const USERS: usize = 2_000;

/// The ledger's records of kind `E` whose sort key begins with `prefix`, now.
async fn ledger_records<E: Entity>(table: &Table, prefix: &str) -> Vec<E> {
    table
        .query::<E>(MigrationRecord::partition_key())
        .sort_key(SortKey::BeginsWith(prefix.into()))
        .consistent()
        .all()
        .await
        .unwrap()
}

/// The segment leases in the ledger now.
async fn segment_leases(table: &Table) -> Vec<SegmentLease> {
    ledger_records(table, "LEASE#").await
}

/// The shard leases in the ledger now.
async fn shard_leases(table: &Table) -> Vec<ShardLease> {
    ledger_records(table, "SHARDLEASE#").await
}

/// Fails the test, with the runner's outcome, when a runner ended `when`.
async fn ended_early(runners: &mut HashMap<String, Runner>, when: &str) {
    let ended = runners
        .iter()
        .find(|(_, runner)| runner.is_finished())
        .map(|(name, _)| name.clone());
    if let Some(name) = ended
        && let Some(runner) = runners.remove(&name)
    {
        panic!("runner {name} ended {when}: {:?}", runner.await);
    }
}

/// A runner's task.
type Runner = tokio::task::JoinHandle<Result<dynatable_migrate::JoinedRunReport>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_shard_holder_loses_its_lease_and_the_run_converts_every_write() {
    let endpoint = dedicated_endpoint();
    let client = endpoint.client().await;
    TableDefinition::for_entities("joined-catch-up", &[MarkedUser::SCHEMA])
        .unwrap()
        .with_stream()
        .create(&client)
        .await
        .unwrap();
    let table = Table::new(client, "joined-catch-up");
    table
        .batch_put((0..USERS).map(|i| MarkedUser {
            user_id: format!("u{i:04}"),
            marked: None,
        }))
        .await
        .unwrap();
    let streams = endpoint.stream_client().await;
    let mut runners = HashMap::new();
    for name in ["a", "b", "c"] {
        let migrator = Migrator::for_migrations(table.clone(), here!())
            .unwrap()
            .stream_client(streams.clone())
            .with_entities(vec![MarkedUser::SCHEMA])
            .skip_malformed(true)
            .lock_ttl(Duration::from_secs(5))
            .segments(8)
            .run_by(name);
        runners.insert(
            name.to_owned(),
            tokio::spawn(async move { migrator.up_joined(None).await }),
        );
    }

    // Kills the process reading the shard as soon as it leased it.
    let started = Instant::now();
    let holder = loop {
        let seen = shard_leases(&table).await;
        let held = seen
            .into_iter()
            .find_map(|lease| lease.holder.filter(|_| lease.owner.is_some()));
        if let Some(holder) = held {
            break holder;
        }
        ended_early(&mut runners, "before any shard was leased").await;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no shard leased"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let victim = holder.split(' ').next().unwrap().to_owned();
    runners.remove(&victim).unwrap().abort();
    let killed_at = started.elapsed();

    // The application undoes the conversion of 60 users the scan converted: only the catch-up
    // sees these writes, made before the scan ended (checked below), so before the moment the
    // catch-up must reach.
    let undone: Vec<MarkedUser> = loop {
        let users: Vec<MarkedUser> = table
            .scan::<MarkedUser>()
            .skip_malformed()
            .stream()
            .try_collect()
            .await
            .unwrap();
        let marked: Vec<MarkedUser> = users
            .into_iter()
            .filter(|u| u.marked == Some(true))
            .take(60)
            .collect();
        if marked.len() == 60 {
            break marked;
        }
        ended_early(&mut runners, "before 60 users were converted").await;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the scan is stuck"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    table
        .batch_put(undone.iter().map(|u| MarkedUser {
            marked: None,
            ..u.clone()
        }))
        .await
        .unwrap();
    // And writes users that do not decode: the catch-up skips them, its shard's lease keeps
    // them, and the run's record lists them.
    table
        .batch_put((0..5).map(|i| MalformedUser {
            user_id: format!("bad{i}"),
            marked: "yes".into(),
        }))
        .await
        .unwrap();
    assert!(
        segment_leases(&table).await.iter().any(|l| !l.is_done()),
        "the scan ended before the application's writes: the test needs a bigger table"
    );
    println!(
        "killed {holder} at {killed_at:?}; 60 conversions undone by {:?}",
        started.elapsed()
    );

    // Every holder the shard's lease has until the run deletes it.
    let mut holders = BTreeSet::from([holder.clone()]);
    while !runners.values().all(tokio::task::JoinHandle::is_finished) {
        let leases = shard_leases(&table).await;
        for lease in leases {
            holders.extend(lease.holder);
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the run took over three minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut led = Vec::new();
    for (name, runner) in runners {
        let report = runner.await.unwrap().unwrap();
        if report.led {
            led.push((name, report.run.versions));
        }
    }
    assert_eq!(
        led.len(),
        1,
        "one of the survivors leads the run to its end: {led:?}"
    );
    assert!(
        holders.len() >= 2,
        "the killed holder's lease was not taken over: {holders:?}"
    );

    let users: Vec<MarkedUser> = table
        .scan::<MarkedUser>()
        .skip_malformed()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), USERS);
    let unmarked: Vec<&str> = users
        .iter()
        .filter(|u| u.marked != Some(true))
        .map(|u| u.user_id.as_str())
        .collect();
    assert!(unmarked.is_empty(), "not converted: {unmarked:?}");
    let record = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .history()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.version == "0.1.0")
        .collect::<Vec<_>>();
    assert_eq!(record.len(), 1, "{record:?}");
    assert_eq!(record[0].status, MigrationStatus::Applied, "{record:?}");
    let mut skipped: Vec<String> = record[0]
        .skipped_items
        .iter()
        .filter_map(|i| i.pk.clone())
        .collect();
    skipped.sort();
    skipped.dedup();
    assert_eq!(
        skipped,
        (0..5).map(|i| format!("USER#bad{i}")).collect::<Vec<_>>(),
        "{record:?}"
    );
    assert!(
        shard_leases(&table).await.is_empty(),
        "the finished run left its shard leases"
    );
}
