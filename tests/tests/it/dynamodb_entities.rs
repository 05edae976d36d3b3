//! Entities written to and read from a real DynamoDB (DynamoDB Local unless
//! `DYNATABLE_ENDPOINT` names another).

use crate::everything;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{DecodeError, Entity, Item, ValueError, entity};
use dynatable_tests::TestTable;
use everything::{Everything, sample};

#[entity(pk = "USER#{user_id}", sk = "NOTIFICATION#{notification_id}")]
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub user_id: String,
    #[entity(generate = "ulid")]
    pub notification_id: String,
    pub message: String,
    #[entity(default = false)]
    pub read: bool,
    #[entity(rename = "createdAt")]
    pub created_at: String,
    pub note: Option<String>,
    #[entity(default)]
    pub tags: std::collections::BTreeSet<String>,
}

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub username: String,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[tokio::test]
async fn every_type_round_trips_through_dynamodb() {
    let table = TestTable::create(&[Everything::SCHEMA]).await;
    let value = sample();
    table.put(&value).await;
    let key = value.primary_key();
    let item = table
        .get_item(&key.pk, &key.sk)
        .await
        .expect("item written");
    assert_eq!(Everything::from_item(item).unwrap(), value);

    let mut other = sample();
    other.account_id = "a-2".into();
    other.previous_plan = None;
    other.maybe = None;
    other.tags.clear();
    other.double = -0.000_123;
    table.put(&other).await;
    let key = other.primary_key();
    let item = table
        .get_item(&key.pk, &key.sk)
        .await
        .expect("item written");
    assert_eq!(Everything::from_item(item).unwrap(), other);
}

#[tokio::test]
async fn index_keys_are_queryable() {
    let table = TestTable::create(&[Everything::SCHEMA]).await;
    table.put(&sample()).await;
    let found = table
        .client
        .query()
        .table_name(&table.name)
        .index_name("GSI1")
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", "GSI1PK")
        .expression_attribute_values(":pk", s(&Everything::gsi1_partition_key("ada@example.com")))
        .send()
        .await
        .unwrap();
    let items = found.items.unwrap_or_default();
    assert_eq!(items.len(), 1);
    let value = Everything::from_item(items.into_iter().next().unwrap()).unwrap();
    assert_eq!(value, sample());
}

#[tokio::test]
async fn sort_key_prefix_selects_one_entity_of_a_partition() {
    let table = TestTable::create(&[Notification::SCHEMA, User::SCHEMA]).await;
    table.put(&User::new("u1", "ada")).await;
    for i in 0..3 {
        table
            .put(&Notification::new(
                "u1",
                format!("m{i}"),
                "2026-01-01T00:00:00Z",
            ))
            .await;
    }
    let page = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
        .expression_attribute_values(":pk", s(&Notification::partition_key("u1")))
        .expression_attribute_values(":prefix", s(Notification::SORT_KEY_PREFIX))
        .send()
        .await
        .unwrap();
    let notifications: Vec<Notification> = page
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| Notification::from_item(item).unwrap())
        .collect();
    // ULIDs sort in creation order, so the sort key order is the creation order.
    let messages: Vec<_> = notifications.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(messages, ["m0", "m1", "m2"]);
}

#[tokio::test]
async fn raw_items_without_optional_or_defaulted_attributes_read_with_defaults() {
    let table = TestTable::create(&[Notification::SCHEMA]).await;
    table
        .put_item(Item::from([
            ("PK".to_owned(), s("USER#u1")),
            ("SK".to_owned(), s("NOTIFICATION#n1")),
            ("user_id".to_owned(), s("u1")),
            ("notification_id".to_owned(), s("n1")),
            ("message".to_owned(), s("written by another tool")),
            ("createdAt".to_owned(), s("2026-01-01T00:00:00Z")),
        ]))
        .await;
    let item = table.get_item("USER#u1", "NOTIFICATION#n1").await.unwrap();
    let n = Notification::from_item(item).unwrap();
    assert_eq!(
        n,
        Notification {
            user_id: "u1".into(),
            notification_id: "n1".into(),
            message: "written by another tool".into(),
            read: false,
            created_at: "2026-01-01T00:00:00Z".into(),
            note: None,
            tags: Default::default(),
        }
    );
}

#[tokio::test]
async fn malformed_items_read_from_dynamodb_are_errors() {
    let table = TestTable::create(&[Notification::SCHEMA]).await;
    let base = || {
        Item::from([
            ("PK".to_owned(), s("USER#u1")),
            ("user_id".to_owned(), s("u1")),
            ("notification_id".to_owned(), s("n1")),
            ("message".to_owned(), s("hi")),
            ("createdAt".to_owned(), s("2026-01-01T00:00:00Z")),
        ])
    };
    let mut missing = base();
    missing.insert("SK".into(), s("NOTIFICATION#missing"));
    missing.remove("message");
    table.put_item(missing).await;

    let mut wrong = base();
    wrong.insert("SK".into(), s("NOTIFICATION#wrong"));
    wrong.insert("read".into(), AttributeValue::N("1".into()));
    table.put_item(wrong).await;

    let mut bad_set = base();
    bad_set.insert("SK".into(), s("NOTIFICATION#set"));
    bad_set.insert("tags".into(), AttributeValue::L(vec![s("a")]));
    table.put_item(bad_set).await;

    let item = table
        .get_item("USER#u1", "NOTIFICATION#missing")
        .await
        .unwrap();
    assert_eq!(
        Notification::from_item(item).unwrap_err(),
        DecodeError::MissingAttribute {
            entity: "Notification",
            key: r#"PK="USER#u1" SK="NOTIFICATION#missing""#.into(),
            attribute: "message",
            expected: "S",
        }
    );
    let item = table
        .get_item("USER#u1", "NOTIFICATION#wrong")
        .await
        .unwrap();
    assert_eq!(
        Notification::from_item(item).unwrap_err(),
        DecodeError::InvalidAttribute {
            entity: "Notification",
            key: r#"PK="USER#u1" SK="NOTIFICATION#wrong""#.into(),
            attribute: "read",
            source: ValueError::TypeMismatch {
                expected: "BOOL",
                found: "N"
            },
        }
    );
    let item = table.get_item("USER#u1", "NOTIFICATION#set").await.unwrap();
    let err = Notification::from_item(item).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"item PK="USER#u1" SK="NOTIFICATION#set" of entity `Notification`: attribute `tags`: expected SS, found L"#
    );
}
