//! A migration aborted mid-run resumes from its checkpoint instead of starting over.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, SegmentPosition, entity};
use dynatable_migrate::{
    CheckpointRecord, Context, Error, Migration, MigrationStatus, Migrator, Result, migration,
};
use dynatable_tests::{TestTable, control, ledger_record, set_control};
use futures::TryStreamExt;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub bio: Option<String>,
}

pub struct FillBios;

#[migration(version = "0.1.0")]
impl Migration for FillBios {
    async fn up(&self, ctx: &Context) -> Result<()> {
        // The test names a user whose write fails, to abort the run midway.
        let fail_at = control(ctx.table(), "fail_at").await;
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

/// Marks every user, over two scan segments, failing at a user the test names.
pub struct MarkUsers;

#[migration(version = "0.2.0")]
impl Migration for MarkUsers {
    async fn up(&self, ctx: &Context) -> Result<()> {
        if control(ctx.table(), "preset").await.is_some() {
            // As if an earlier run had finished segment 0 and then stopped.
            ctx.save_checkpoint("users", &[SegmentPosition::Done, SegmentPosition::Start])
                .await?;
            return Err(Error::msg("stopped after segment 0"));
        }
        let fail_at = control(ctx.table(), "fail_at").await;
        let t = ctx.table();
        ctx.backfill(
            "users",
            t.scan::<User>().segments(2).page_size(100),
            |u: User| {
                let update = t.update::<User>(u.primary_key());
                Some(if Some(&u.user_id) == fail_at.as_ref() {
                    update.set_attribute("", AttributeValue::Bool(true)).into()
                } else {
                    update
                        .set_attribute("marked", AttributeValue::Bool(true))
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

#[tokio::test]
async fn segments_finished_before_an_interruption_stay_finished() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
    table
        .batch_put((0..2_000).map(|i| User {
            user_id: format!("u{i:04}"),
            bio: None,
        }))
        .await
        .unwrap();
    let m = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(vec![User::SCHEMA]);
    m.up(Some("0.1.0")).await.unwrap();

    // Run 1 stops with segment 0 done.
    set_control(&table, "preset", Some("yes")).await;
    assert!(m.up(None).await.is_err());
    set_control(&table, "preset", None).await;

    // Run 2 resumes: a page of segment 1 completes, then a write fails on its second page.
    let pages: Vec<_> = table
        .scan::<User>()
        .segments(2)
        .page_size(100)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let segment_1: Vec<&User> = pages
        .iter()
        .filter(|p| p.segment == 1)
        .flat_map(|p| &p.items)
        .collect();
    set_control(&table, "fail_at", Some(&segment_1[150].user_id)).await;
    assert!(m.up(None).await.is_err());
    let saved = table
        .get::<CheckpointRecord>(CheckpointRecord::key("0.2.0", "users"))
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap();
    let positions: Vec<SegmentPosition> = saved.positions.into_iter().map(|p| p.0).collect();
    assert_eq!(
        positions[0],
        SegmentPosition::Done,
        "segment 0 is still done"
    );
    assert!(
        matches!(positions[1], SegmentPosition::After(_)),
        "segment 1 moved on: {positions:?}"
    );

    // Run 3 finishes segment 1 without reading segment 0 again.
    set_control(&table, "fail_at", None).await;
    assert_eq!(m.up(None).await.unwrap().versions, ["0.2.0"]);
    let applied = ledger_record(&table, "0.2.0").await;
    assert!(
        applied.items_read < segment_1.len() as u64,
        "read again: {}",
        applied.items_read
    );
    let marked = test
        .scan_all()
        .await
        .iter()
        .filter(|i| i.contains_key("marked"))
        .count();
    assert_eq!(
        marked,
        segment_1.len(),
        "segment 0 was never read after run 1 (it was preset as done)"
    );
}

#[tokio::test]
async fn an_aborted_migration_resumes_from_its_checkpoint() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
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
    set_control(&table, "fail_at", Some(&victim)).await;

    let m = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(vec![User::SCHEMA]);
    let err = m.up(None).await.unwrap_err();
    assert!(matches!(err, Error::MigrationFailed { .. }), "{err}");
    let failed = ledger_record(&table, "0.1.0").await;
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
    set_control(&table, "fail_at", None).await;
    assert_eq!(m.up(Some("0.1.0")).await.unwrap().versions, ["0.1.0"]);
    let applied = ledger_record(&table, "0.1.0").await;
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
