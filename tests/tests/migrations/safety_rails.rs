//! The checks before a run writes a table it could not give back, through the test proxy (which
//! answers what DynamoDB Local lacks): a table without point-in-time recovery is refused when the
//! run requires it, and with it the earliest restorable time goes into the ledger record; a table
//! with replicas in other regions is refused unless the run says it is the only writer.

use dynatable_core::{Table, entity};
use dynatable_migrate::{Context, Error, Migration, Migrator, Result, migration};
use dynatable_tests::{Endpoint, Faults, Proxy, TestTable, endpoint, ledger_record};

#[entity(pk = "BADGE#{badge_id}", sk = "BADGE", rename_all = "camelCase")]
pub struct Badge {
    pub badge_id: String,
}

pub struct Nothing;

#[migration(version = "3.0.0")]
impl Migration for Nothing {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// A migrator of this module's migration on `t`, through a proxy with `faults`.
async fn through(t: &TestTable, faults: Faults) -> (Proxy, Migrator) {
    let proxy = Proxy::start(endpoint().url(), faults).await.unwrap();
    let client = Endpoint::Local(proxy.url().to_owned()).client().await;
    let migrator = Migrator::for_migrations(Table::new(client, &t.name), here!())
        .unwrap()
        .catch_up(false);
    (proxy, migrator)
}

#[tokio::test]
async fn a_table_without_point_in_time_recovery_is_refused_when_the_run_requires_it() {
    let t = TestTable::create(&[<Badge as dynatable_core::Entity>::SCHEMA]).await;
    let off = Faults {
        backups: Some(None),
        ..Faults::default()
    };
    let (_proxy, migrator) = through(&t, off).await;
    let error = migrator
        .clone()
        .require_backup(true)
        .up(None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NoPointInTimeRecovery { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("--no-backup-check"), "{error}");
    // Not required (the command line's default on a loopback endpoint): it runs.
    migrator.up(None).await.unwrap();
}

#[tokio::test]
async fn with_point_in_time_recovery_the_earliest_restorable_time_is_recorded() {
    let t = TestTable::create(&[<Badge as dynatable_core::Entity>::SCHEMA]).await;
    let on = Faults {
        backups: Some(Some(1_700_000_000)),
        ..Faults::default()
    };
    let (_proxy, migrator) = through(&t, on).await;
    migrator.require_backup(true).up(None).await.unwrap();
    let table = t.table().await;
    let record = ledger_record(&table, "3.0.0").await;
    assert_eq!(
        record.restorable_from.as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
}

#[tokio::test]
async fn a_global_table_is_refused_unless_the_run_is_its_only_writer() {
    let t = TestTable::create(&[<Badge as dynatable_core::Entity>::SCHEMA]).await;
    let global = Faults {
        replicas: &["us-west-2", "eu-west-1"],
        ..Faults::default()
    };
    let (_proxy, migrator) = through(&t, global).await;
    let error = migrator.clone().up(None).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::GlobalTable { .. }), "{text}");
    assert!(text.contains("us-west-2, eu-west-1"), "{text}");
    assert!(text.contains("--global-table-writer"), "{text}");
    migrator.global_table_writer(true).up(None).await.unwrap();
}
