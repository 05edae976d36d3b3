//! A migration aborted mid-run resumes from its checkpoint instead of starting over.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Table, entity};
use dynatable_migrate::{
    CheckpointRecord, Context, Error, Migration, MigrationRecord, MigrationStatus, Migrator,
    Result, migration,
};
use dynatable_tests::TestTable;
use futures::TryStreamExt;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub bio: Option<String>,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub struct FillBios;

#[migration(version = "0.1.0")]
impl Migration for FillBios {
    async fn up(&self, ctx: &Context) -> Result<()> {
        // The test names a user whose write fails, to abort the run midway.
        let fail_at = ctx
            .client()
            .get_item()
            .table_name(ctx.table_name())
            .key("PK", s("CONTROL"))
            .key("SK", s("fail_at"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Error::msg(format!("{e:?}")))?
            .item
            .and_then(|i| i.get("value").and_then(|v| v.as_s().ok()).cloned());
        let t = ctx.table();
        let f = User::fields();
        ctx.backfill("bios", t.scan::<User>().page_size(100), |u: User| {
            let update = t.update::<User>(u.primary_key());
            Some(if Some(&u.user_id) == fail_at.as_ref() {
                update.set_attribute("", AttributeValue::Bool(true)).into() // DynamoDB rejects an empty name
            } else {
                update
                    .set(f.bio, "filled")
                    .condition(f.bio.not_exists())
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

#[tokio::test]
async fn an_aborted_migration_resumes_from_its_checkpoint() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = Table::new(test.client.clone(), &test.name);
    table
        .batch_put((0..2_000).map(|i| User {
            user_id: format!("u{i:04}"),
            bio: None,
        }))
        .await
        .unwrap();
    // The 1,500th user in scan order: 14 pages of 100 are done before the failure.
    let order: Vec<User> = table
        .scan::<User>()
        .page_size(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let victim = order[1_500].user_id.clone();
    table
        .client()
        .put_item()
        .table_name(table.name())
        .item("PK", s("CONTROL"))
        .item("SK", s("fail_at"))
        .item("value", s(&victim))
        .send()
        .await
        .unwrap();

    let m = Migrator::new(table.clone())
        .unwrap()
        .with_entities(vec![User::SCHEMA]);
    let err = m.up(None).await.unwrap_err();
    assert!(matches!(err, Error::MigrationFailed { .. }), "{err}");
    let failed = table
        .get::<MigrationRecord>(MigrationRecord::key("0.1.0"))
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, MigrationStatus::Failed);
    assert!(failed.items_read >= 1_500, "{}", failed.items_read);
    let checkpoint = table
        .get::<CheckpointRecord>(CheckpointRecord::key("0.1.0", "bios"))
        .consistent()
        .send()
        .await
        .unwrap();
    assert!(
        checkpoint.is_some(),
        "the pages done before the failure are checkpointed"
    );

    // Fixed: the rerun resumes at the failed page instead of reading all 2,000 users again.
    table
        .client()
        .delete_item()
        .table_name(table.name())
        .key("PK", s("CONTROL"))
        .key("SK", s("fail_at"))
        .send()
        .await
        .unwrap();
    assert_eq!(m.up(None).await.unwrap().versions, ["0.1.0"]);
    let applied = table
        .get::<MigrationRecord>(MigrationRecord::key("0.1.0"))
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.status, MigrationStatus::Applied);
    // Pages hold at most 100 items read, the run's ledger and lock items among them, so the
    // resumed run reads the failed page and the rest: about 500 users, not 2,000.
    assert!(
        (500..600).contains(&applied.items_read),
        "read again: {}",
        applied.items_read
    );
    let users: Vec<User> = table.scan::<User>().stream().try_collect().await.unwrap();
    assert_eq!(users.len(), 2_000);
    assert!(users.iter().all(|u| u.bio.as_deref() == Some("filled")));
    let left = table
        .get::<CheckpointRecord>(CheckpointRecord::key("0.1.0", "bios"))
        .consistent()
        .send()
        .await
        .unwrap();
    assert!(
        left.is_none(),
        "checkpoints are removed once the migration is applied"
    );
}
