//! Managed attributes on DynamoDB Local: `created_at` and `updated_at` set by the writes
//! themselves, and a `ttl` stored as epoch seconds whose expired items reads can leave out.

use std::time::Duration;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Table, Timestamp, entity};
use dynatable_tests::TestTable;
use futures::TryStreamExt;

#[entity(
    pk = "USER#{user}",
    sk = "SESSION#{session_id}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: String,
    pub session_id: String,
    pub device: String,
    #[entity(created_at)]
    pub created_at: Timestamp,
    #[entity(updated_at)]
    pub updated_at: Option<Timestamp>,
    #[entity(ttl)]
    pub expires_at: Option<Timestamp>,
}

async fn table() -> (TestTable, Table) {
    let test = TestTable::create(&[Session::SCHEMA]).await;
    let table = test.table().await;
    (test, table)
}

fn session(id: &str, expires_at: Option<Timestamp>) -> Session {
    let mut session = Session::new("u1", id, "phone");
    session.expires_at = expires_at;
    session
}

/// The session stored under `key` now (consistent read).
async fn stored(table: &Table, key: dynatable_core::PrimaryKey) -> Session {
    table.get(key).consistent().send().await.unwrap().unwrap()
}

/// The application's update of a session's device.
async fn set_device(table: &Table, key: dynatable_core::PrimaryKey, device: &str) {
    table
        .update::<Session>(key)
        .set(Session::fields().device, device.to_owned())
        .send()
        .await
        .unwrap();
}

#[test]
fn the_schema_names_the_managed_attributes_and_the_constructor_sets_the_times() {
    let before = Timestamp::now();
    let s = Session::new("u1", "s1", "phone");
    assert!(s.created_at >= before && s.updated_at >= Some(before));
    assert_eq!(Session::SCHEMA.created_at, Some("createdAt"));
    assert_eq!(Session::SCHEMA.updated_at, Some("updatedAt"));
    assert_eq!(Session::SCHEMA.ttl, Some("expiresAt"));
    let expires = Timestamp::from_millis(1_795_501_247_999);
    let item = session("s1", Some(expires)).to_item().unwrap();
    assert_eq!(item["expiresAt"], AttributeValue::N("1795501247".into()));
    let decoded = Session::from_item(item).unwrap();
    assert_eq!(
        decoded.expires_at,
        Some(Timestamp::from_epoch_seconds(1_795_501_247))
    );
}

#[tokio::test]
async fn puts_and_updates_set_updated_at_and_keep_created_at() {
    let (test, table) = table().await;
    let mut s = session("s1", None);
    s.created_at = Timestamp::from_millis(1_000_000_000_000);
    s.updated_at = Some(Timestamp::from_millis(1_000_000_000_000));
    let before_put = Timestamp::now();
    table.put(&s).send().await.unwrap();
    let written = stored(&table, s.primary_key()).await;
    assert_eq!(
        written.created_at, s.created_at,
        "a put writes created_at as given"
    );
    let put_at = written.updated_at.unwrap();
    assert!(put_at >= before_put, "a put sets updated_at to now");

    tokio::time::sleep(Duration::from_millis(5)).await;
    set_device(&table, s.primary_key(), "laptop").await;
    let updated = stored(&table, s.primary_key()).await;
    assert_eq!(updated.device, "laptop");
    assert_eq!(
        updated.created_at, s.created_at,
        "an update keeps created_at"
    );
    assert!(
        updated.updated_at.unwrap() > put_at,
        "an update sets updated_at"
    );

    // An item stored before the entity had `createdAt` gets it from its first update.
    let mut legacy = session("s2", None).to_item().unwrap();
    legacy.remove("createdAt");
    test.put_item(legacy).await;
    let before_update = Timestamp::now();
    set_device(&table, Session::key("u1", "s2"), "tablet").await;
    let stored = test.get_item("USER#u1", "SESSION#s2").await.unwrap();
    let created: Timestamp = stored["createdAt"].as_s().unwrap().parse().unwrap();
    assert!(created >= before_update);
}

#[tokio::test]
async fn reads_can_leave_out_items_whose_ttl_has_passed() {
    let (_test, table) = table().await;
    let now = Timestamp::now();
    let past = Timestamp::from_millis(now.as_millis() - 3_600_000);
    let future = now.after(Duration::from_secs(3_600));
    for s in [
        session("expired", Some(past)),
        session("live", Some(future)),
        session("forever", None),
    ] {
        table.put(&s).send().await.unwrap();
    }
    let ids = |sessions: Vec<Session>| {
        let mut ids: Vec<String> = sessions.into_iter().map(|s| s.session_id).collect();
        ids.sort();
        ids
    };
    let query = || table.query::<Session>(Session::partition_key("u1"));
    assert_eq!(
        ids(query().all().await.unwrap()).len(),
        3,
        "DynamoDB still returns it"
    );
    assert_eq!(
        ids(query().skip_expired().all().await.unwrap()),
        ["forever", "live"]
    );
    let scanned = table
        .scan::<Session>()
        .skip_expired()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(scanned), ["forever", "live"]);
    let key = Session::key("u1", "expired");
    assert!(
        table
            .get::<Session>(key.clone())
            .send()
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        table
            .get::<Session>(key)
            .skip_expired()
            .send()
            .await
            .unwrap()
            .is_none()
    );
}

#[entity(pk = "USER#{user}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub user: String,
}

#[dynatable_core::collection]
#[derive(Debug, PartialEq)]
pub enum UserItems {
    Profile(Profile),
    Session(Session),
}

#[tokio::test]
async fn a_collection_query_leaves_out_its_members_expired_items() {
    let test = TestTable::create(&[Session::SCHEMA, Profile::SCHEMA]).await;
    let table = test.table().await;
    let past = Timestamp::from_millis(Timestamp::now().as_millis() - 3_600_000);
    table.put(&Profile::new("u1")).send().await.unwrap();
    table.put(&session("old", Some(past))).send().await.unwrap();
    table.put(&session("current", None)).send().await.unwrap();
    let items = table
        .query_collection::<UserItems>(Profile::partition_key("u1"))
        .skip_expired()
        .all()
        .await
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(|item| match item {
        UserItems::Session(s) => s.session_id == "current",
        UserItems::Profile(_) => true,
    }));
}

/// A cache entry that expires by another attribute than `Session`.
#[entity(pk = "CACHE#{key}", sk = "ENTRY", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    pub key: String,
    #[entity(ttl)]
    pub valid_until: Option<Timestamp>,
}

#[test]
fn the_table_definition_turns_ttl_on_for_the_one_attribute_the_entities_name() {
    let table = dynatable_core::TableDefinition::for_entities("app", &[Session::SCHEMA]).unwrap();
    assert_eq!(table.ttl.as_deref(), Some("expiresAt"));
    let err = dynatable_core::TableDefinition::for_entities(
        "app",
        &[Session::SCHEMA, CacheEntry::SCHEMA],
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`Session`")
            && text.contains("\"expiresAt\"")
            && text.contains("`CacheEntry`")
            && text.contains("\"validUntil\""),
        "{text}"
    );
}

#[tokio::test]
async fn a_created_table_expires_items_by_the_ttl_attribute() {
    let (test, _) = table().await;
    let described = test
        .client
        .describe_time_to_live()
        .table_name(&test.name)
        .send()
        .await
        .unwrap();
    let ttl = described.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expiresAt"));
}
