//! A backfill whose scan carries a filter, on a table with a stream: refused while the run
//! follows the stream (its catch-up could not apply the condition to the items changed behind
//! the scan), run when the catch-up is off. A DynamoDB Local of its own (one instance copes with
//! one stream-enabled table).

use dynatable_core::{Table, TableDefinition, entity};
use dynatable_migrate::{Context, Migration, Migrator, Result, migration};
use dynatable_tests::dedicated_endpoint;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    pub logins: u64,
}

pub struct ResetIdle;

#[migration(version = "1.0.0")]
impl Migration for ResetIdle {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        let f = User::fields();
        ctx.backfill(
            "idle",
            t.scan::<User>().filter(f.logins.eq(0u64)),
            |_: User| None,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_backfill_refuses_a_filtered_scan_while_it_follows_the_stream() {
    let endpoint = dedicated_endpoint();
    let client = endpoint.client().await;
    TableDefinition::for_entities("filtered", &[<User as dynatable_core::Entity>::SCHEMA])
        .unwrap()
        .with_stream()
        .create(&client)
        .await
        .unwrap();
    let table = Table::new(client, "filtered");
    table.put(&User::new("u1", 0)).send().await.unwrap();
    let following = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .stream_client(endpoint.stream_client().await);
    let error = following.up(None).await.unwrap_err();
    assert!(
        error.to_string().contains("its scan has a filter"),
        "{error}"
    );
    let without_catch_up = Migrator::for_migrations(table, here!())
        .unwrap()
        .catch_up(false);
    without_catch_up.up(None).await.unwrap();
}
