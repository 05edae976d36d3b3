//! `ctx.rekey` by key history: a versioned entity whose sort key and index key change at 2.0.0,
//! moved both ways with its version and an attribute it does not declare kept; `validate`
//! before (pending), after (conforming) and with an item left behind; the schema history
//! filing the key change under 2.0.0.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Item, entity};
use dynatable_migrate::{
    Context, DownTarget, FindingClass, Migration, Migrator, Result, SchemaSnapshot, Validator,
    migration,
};
use dynatable_tests::TestTable;

#[entity(
    pk = "MEMBERSHIP#{membership_id}",
    sk = "MEMBERSHIP#{region}#{membership_id}",
    index(name = "GSI1", pk = "EMAIL#{email}", sk = "MEMBERSHIP"),
    previous_key(
        until = "2.0.0",
        sk = "MEMBERSHIP",
        index(name = "GSI1", pk = "MAIL#{email}")
    ),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub membership_id: String,
    pub region: String,
    pub email: String,
    #[entity(version)]
    pub version: u64,
}

pub struct MoveMemberships;

#[migration(version = "2.0.0")]
impl Migration for MoveMemberships {
    async fn up(&self, ctx: &Context) -> Result<()> {
        ctx.rekey::<Membership>().await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        ctx.rekey::<Membership>().await?;
        Ok(())
    }
}

const MEMBERS: usize = 30;

fn membership(i: usize) -> Membership {
    Membership {
        membership_id: format!("a{i:02}"),
        region: if i.is_multiple_of(2) { "eu" } else { "us" }.to_owned(),
        email: format!("a{i}@example.com"),
        version: 3,
    }
}

/// The item of `membership` as stored in key shape `shape` (0: before 2.0.0), with an attribute
/// no entity declares.
fn stored(membership: &Membership, shape: usize) -> Item {
    let mut item = membership.to_item().unwrap();
    item.extend(membership.key_attributes(shape).unwrap());
    item.insert("legacyFlag".into(), AttributeValue::S("kept".into()));
    item
}

fn text<'i>(item: &'i Item, name: &str) -> &'i str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

#[tokio::test]
async fn rekey_moves_a_versioned_entity_both_ways_keeping_every_attribute() {
    let t = TestTable::create(&[Membership::SCHEMA]).await;
    for i in 0..MEMBERS {
        t.put_item(stored(&membership(i), 0)).await;
    }
    // Without `_type`, in the old shape, missing its email: malformed.
    let mut broken = stored(&membership(99), 0);
    broken.remove("_type");
    broken.remove("email");
    t.put_item(broken).await;
    let table = t.table().await;

    let before = Validator::new(table.clone()).run().await.unwrap();
    let counts = before.entities["Membership"];
    assert_eq!(counts.pending_rekey, MEMBERS as u64, "{before:?}");
    assert_eq!(counts.malformed, 1, "{before:?}");
    assert_eq!(before.unknown_entity, 0, "{before:?}");
    assert!(
        before
            .examples
            .iter()
            .any(|f| f.class == FindingClass::PendingRekey
                && f.reason == "Membership key shape before 2.0.0: 2.0.0 pending"),
        "{:?}",
        before.examples
    );

    let migrator = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .skip_malformed(true);
    migrator.up(None).await.unwrap();
    for i in 0..MEMBERS {
        let a = membership(i);
        let key = a.primary_key();
        let item = t.get_item(&key.pk, &key.sk).await.expect("moved");
        assert_eq!(text(&item, "legacyFlag"), "kept");
        assert_eq!(text(&item, "GSI1PK"), format!("EMAIL#a{i}@example.com"));
        assert_eq!(item["version"], AttributeValue::N("3".into()));
        assert!(
            t.get_item(&key.pk, "MEMBERSHIP").await.is_none(),
            "old key left"
        );
    }
    let after = Validator::new(table.clone()).run().await.unwrap();
    let counts = after.entities["Membership"];
    assert_eq!(
        (counts.conforming, counts.pending_rekey, counts.left_behind),
        (MEMBERS as u64, 0, 0),
        "{after:?}"
    );

    // An old-shape item written after the re-key was applied is left behind.
    t.put_item(stored(&membership(50), 0)).await;
    let late = Validator::new(table.clone()).run().await.unwrap();
    assert_eq!(late.entities["Membership"].left_behind, 1, "{late:?}");
    assert!(!late.conforms());
    assert!(
        late.examples
            .iter()
            .any(|f| f.class == FindingClass::LeftBehind
                && f.reason.contains("left behind: 2.0.0 is applied")),
        "{:?}",
        late.examples
    );
    t.client
        .delete_item()
        .table_name(&t.name)
        .set_key(Some(
            stored(&membership(50), 0)
                .into_iter()
                .filter(|(k, _)| k == "PK" || k == "SK")
                .collect(),
        ))
        .send()
        .await
        .unwrap();

    migrator.down(DownTarget::Steps(1)).await.unwrap();
    for i in 0..MEMBERS {
        let a = membership(i);
        let item = t
            .get_item(&a.primary_key().pk, "MEMBERSHIP")
            .await
            .expect("moved back");
        assert_eq!(text(&item, "legacyFlag"), "kept");
        assert_eq!(text(&item, "GSI1PK"), format!("MAIL#a{i}@example.com"));
        assert_eq!(item["version"], AttributeValue::N("3".into()));
    }
}

#[tokio::test]
async fn schema_history_files_the_key_change_under_its_version() {
    let entities = [Membership::SCHEMA];
    let old = SchemaSnapshot::at(&entities, &"1.9.0".parse().unwrap());
    let new = SchemaSnapshot::at(&entities, &"2.0.0".parse().unwrap());
    assert_eq!(old.entities["Membership"].sk, "MEMBERSHIP");
    let changes: Vec<String> = old.diff(&new).iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            "Membership sk: \"MEMBERSHIP\" -> \"MEMBERSHIP#{region}#{membership_id}\"",
            "Membership index GSI1: \"GSI1PK=MAIL#{email} GSI1SK=MEMBERSHIP\" -> \"GSI1PK=EMAIL#{email} GSI1SK=MEMBERSHIP\"",
        ]
    );
}

#[tokio::test]
async fn rekey_outside_its_version_says_why() {
    let t = TestTable::create(&[Membership::SCHEMA]).await;
    let ctx = Context::new(t.table().await);
    let error = ctx.rekey::<Membership>().await.unwrap_err().to_string();
    assert!(
        error.contains("call it from a migration's up or down"),
        "{error}"
    );
}
