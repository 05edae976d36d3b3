//! Two runners sharing one run (`Migrator::up_joined`), in one process: one leads, the other
//! works on its backfill; a migration's own code writes once (on the leader), unless it opts in
//! with `Context::shared_table`; the run's ledger record counts every process's items, and the
//! malformed ones each skipped.

use std::time::Duration;

use dynatable_core::{Entity, Table, entity};
use dynatable_migrate::{Context, Migration, Migrator, Result, migration};
use dynatable_tests::TestTable;
use dynatable_tests::entities::{MalformedUser, MarkedUser};
use futures::TryStreamExt as _;

/// How often each kind of write of the migration's own code took effect.
#[entity(pk = "COUNTER", sk = "COUNTER", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    #[entity(default)]
    pub plain: u64,
    #[entity(default)]
    pub led: u64,
    #[entity(default)]
    pub shared: u64,
}

pub struct MarkUsers;

#[migration(version = "0.1.0")]
impl Migration for MarkUsers {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let f = Counter::fields();
        let count = |table: &Table, field| {
            table
                .update::<Counter>(Counter::key())
                .add(field, 1u64)
                .upsert()
                .send()
        };
        // Through the context's table: takes effect on the leader only.
        count(ctx.table(), f.plain).await?;
        if ctx.leads() {
            count(ctx.table(), f.led).await?;
        }
        // Opted in: takes effect on every process that runs the code.
        count(ctx.shared_table(), f.shared).await?;
        let t = ctx.table();
        let uf = MarkedUser::fields();
        ctx.backfill(
            "users",
            t.scan::<MarkedUser>().page_size(25),
            |user: MarkedUser| {
                // Slow enough for the second runner to join before the leader is done.
                std::thread::sleep(Duration::from_millis(3));
                Some(
                    t.update::<MarkedUser>(user.primary_key())
                        .set(uf.marked, true)
                        .into(),
                )
            },
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_share_a_backfill_and_the_code_writes_once() {
    let test =
        TestTable::create(&[MarkedUser::SCHEMA, Counter::SCHEMA, MalformedUser::SCHEMA]).await;
    let table = test.table().await;
    table
        .batch_put((0..600).map(|i| MarkedUser {
            user_id: format!("u{i:04}"),
            marked: None,
        }))
        .await
        .unwrap();
    table
        .batch_put((0..30).map(|i| MalformedUser {
            user_id: format!("bad{i:02}"),
            marked: "yes".into(),
        }))
        .await
        .unwrap();
    let runner = || {
        Migrator::for_migrations(table.clone(), here!())
            .unwrap()
            .catch_up(false)
            .skip_malformed(true)
            .with_entities(vec![MarkedUser::SCHEMA])
            .lock_ttl(Duration::from_secs(2))
            .segments(12)
    };
    let (first, second) = (runner(), runner());
    let (a, b) = tokio::join!(first.up_joined(None), second.up_joined(None));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (leader, follower) = if a.led { (a, b) } else { (b, a) };
    assert!(leader.led && !follower.led, "{leader:?} {follower:?}");
    assert_eq!(leader.run.versions, ["0.1.0"]);
    assert_eq!(follower.joined_backfills, 1, "{follower:?}");
    assert!(
        follower.written > 0,
        "the follower did no part: {follower:?}"
    );

    let users: Vec<MarkedUser> = table
        .scan::<MarkedUser>()
        .skip_malformed()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 600);
    assert!(users.iter().all(|u| u.marked == Some(true)));
    let counter = table
        .get::<Counter>(Counter::key())
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((counter.plain, counter.led), (1, 1), "{counter:?}");
    assert!(counter.shared >= 2, "{counter:?}");
    // The ledger record counts every process's items, and the malformed ones each skipped.
    let record = ledger_record(&table).await;
    assert_eq!((record.items_read, record.items_written), (600, 600));
    assert_eq!(record.skipped_malformed, 30, "{record:?}");
    let mut listed: Vec<_> = record
        .skipped_items
        .iter()
        .filter_map(|i| i.pk.clone())
        .collect();
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 30, "{record:?}");
}

/// The ledger's record of 0.1.0.
async fn ledger_record(table: &Table) -> dynatable_migrate::MigrationRecord {
    Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .history()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.version == "0.1.0")
        .unwrap()
}
