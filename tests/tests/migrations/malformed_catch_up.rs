//! Items that do not decode, met by a backfill's catch-up (read from the table's stream, not by
//! the scan): the run fails by default, and with `skip_malformed` it goes on. A DynamoDB Local of
//! its own (one instance copes with one stream-enabled table).

use std::time::Duration;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Table, TableDefinition, entity};
use dynatable_migrate::{Context, Migration, Migrator, Result, migration};
use dynatable_tests::{Endpoint, dedicated_endpoint};

#[entity(pk = "ACCOUNT#{account_id}", sk = "ACCOUNT", rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    #[entity(default)]
    pub seats: u64,
}

/// Gives every account at least one seat.
pub struct OneSeat;

#[migration(version = "1.0.0")]
impl Migration for OneSeat {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.backfill("seats", t.scan::<Account>(), |a: Account| {
            (a.seats == 0).then(|| {
                let f = Account::fields();
                t.update::<Account>(a.primary_key())
                    .set(f.seats, 1u64)
                    .condition(f.seats.eq(0u64))
                    .into()
            })
        })
        .await?;
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

/// A stream-enabled table holding one account, and a migrator that follows the stream.
async fn setup(endpoint: &Endpoint, name: &str) -> (Table, Migrator) {
    let client = endpoint.client().await;
    TableDefinition::for_entities(name, &[Account::SCHEMA])
        .unwrap()
        .with_stream()
        .create(&client)
        .await
        .unwrap();
    let table = Table::new(client, name);
    table.put(&Account::new("a1")).send().await.unwrap();
    let migrator = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .stream_client(endpoint.stream_client().await);
    (table, migrator)
}

/// Writes an account whose `seats` is a string, one second from now: during the follow period.
fn write_malformed_soon(table: &Table) {
    let table = table.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut item = Account::key("broken").to_key_item();
        item.insert("_type".into(), AttributeValue::S("Account".into()));
        item.insert("accountId".into(), AttributeValue::S("broken".into()));
        item.insert("seats".into(), AttributeValue::S("many".into()));
        table.put_item(item).send().await.unwrap();
    });
}

#[tokio::test]
async fn the_catch_up_fails_on_a_malformed_item_unless_told_to_skip_it() {
    let endpoint = dedicated_endpoint();

    let (table, migrator) = setup(&endpoint, "malformed-fail").await;
    write_malformed_soon(&table);
    let error = migrator
        .up_follow(None, Duration::from_secs(4), std::future::pending())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("seats"), "{error}");

    let (table, migrator) = setup(&endpoint, "malformed-skip").await;
    write_malformed_soon(&table);
    let report = migrator
        .skip_malformed(true)
        .up_follow(None, Duration::from_secs(4), std::future::pending())
        .await
        .unwrap();
    assert_eq!(report.run.versions, ["1.0.0"]);
    let a1 = table
        .get::<Account>(Account::key("a1"))
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a1.seats, 1);
}
