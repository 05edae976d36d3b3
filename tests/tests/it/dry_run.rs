//! Dry runs cannot write: every write kind, through the typed API and the raw SDK client, is
//! intercepted below the SDK and recorded, reads go through, and the table is unchanged.

use dynatable_core::aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, TransactWriteItem, Update, WriteRequest,
};
use dynatable_core::{Entity, Item};
use dynatable_migrate::Context;
use dynatable_tests::TestTable;
use dynatable_tests::entities::User;
use futures::TryStreamExt;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn sorted(mut items: Vec<Item>) -> Vec<String> {
    let mut dump: Vec<String> = items
        .drain(..)
        .map(|i| {
            let mut pairs: Vec<_> = i.into_iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            pairs.sort();
            pairs.join(",")
        })
        .collect();
    dump.sort();
    dump
}

#[tokio::test]
async fn every_write_kind_is_intercepted_and_the_table_is_unchanged() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
    table
        .batch_put((0..20).map(|i| User {
            user_id: format!("u{i}"),
            username: format!("User{i}"),
            bio: None,
        }))
        .await
        .unwrap();
    let before = sorted(test.scan_all().await);

    let (ctx, log) = Context::dry_run(&table);
    assert!(ctx.is_dry_run());
    let t = ctx.table();
    let f = User::fields();

    // Reads go through.
    let users: Vec<User> = t.scan::<User>().stream().try_collect().await.unwrap();
    assert_eq!(users.len(), 20);

    // Typed writes of every kind.
    t.put(&User {
        user_id: "new".into(),
        username: "New".into(),
        bio: None,
    })
    .send()
    .await
    .unwrap();
    t.update::<User>(User::key("u1"))
        .set(f.bio, "hi")
        .send()
        .await
        .unwrap();
    t.delete::<User>(User::key("u2")).send().await.unwrap();
    t.batch_put(users.clone()).await.unwrap();
    t.batch_delete(users.iter().map(Entity::primary_key).take(3))
        .await
        .unwrap();
    t.transaction()
        .write(t.put(&users[0]))
        .write(t.delete::<User>(User::key("u3")))
        .send()
        .await
        .unwrap();
    let report = t
        .apply(t.scan::<User>().stream(), |u: User| {
            Some(t.update::<User>(u.primary_key()).set(f.bio, "x").into())
        })
        .await
        .unwrap();
    assert_eq!(report.written, 20, "the driver believes it wrote");

    // Raw client writes in a migration's own code are intercepted too.
    let c = ctx.client();
    let name = ctx.table_name();
    c.put_item()
        .table_name(name)
        .item("PK", s("RAW#1"))
        .item("SK", s("RAW"))
        .send()
        .await
        .unwrap();
    c.update_item()
        .table_name(name)
        .key("PK", s("USER#u4"))
        .key("SK", s("PROFILE"))
        .update_expression("SET bio = :b")
        .expression_attribute_values(":b", s("raw"))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name(name)
        .key("PK", s("USER#u5"))
        .key("SK", s("PROFILE"))
        .send()
        .await
        .unwrap();
    c.batch_write_item()
        .request_items(
            name,
            vec![
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("PK", s("RAW#2"))
                            .item("SK", s("RAW"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .send()
        .await
        .unwrap();
    c.transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(name)
                        .key("PK", s("USER#u6"))
                        .key("SK", s("PROFILE"))
                        .update_expression("REMOVE username")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.execute_statement()
        .statement(format!(
            "DELETE FROM \"{name}\" WHERE PK = 'USER#u7' AND SK = 'PROFILE'"
        ))
        .send()
        .await
        .unwrap();
    c.create_table()
        .table_name(format!("{name}-copy"))
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.delete_table().table_name(name).send().await.unwrap();
    // A PartiQL SELECT only reads, so it goes through.
    let selected = c
        .execute_statement()
        .statement(format!(
            "SELECT * FROM \"{name}\" WHERE PK = 'USER#u1' AND SK = 'PROFILE'"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(selected.items().len(), 1);

    assert_eq!(
        sorted(test.scan_all().await),
        before,
        "the table is exactly as before"
    );
    let writes = log.writes();
    let ops: Vec<&str> = writes.iter().map(|w| w.operation.as_str()).collect();
    for expected in [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem/PutItem",
        "BatchWriteItem/DeleteItem",
        "TransactWriteItems/Put",
        "TransactWriteItems/Delete",
        "TransactWriteItems/Update",
        "ExecuteStatement",
        "CreateTable",
        "DeleteTable",
    ] {
        assert!(ops.contains(&expected), "{expected} missing from {ops:?}");
    }
    let u4 = Some("PK=\"USER#u4\" SK=\"PROFILE\"");
    let expressions: Vec<_> = writes
        .iter()
        .filter(|w| w.key.as_deref() == u4)
        .map(|w| w.expression.as_deref())
        .collect();
    assert!(
        expressions.contains(&Some("SET bio = :b")),
        "{expressions:?}"
    );
    assert!(
        expressions.contains(&Some("SET bio = :v0 IF attribute_exists(PK)")),
        "{expressions:?}"
    );
    // 1 put, 1 update, 1 delete, 20 + 3 batch, 2 transaction, 20 driver updates, 8 raw.
    assert_eq!(writes.len(), 1 + 1 + 1 + 23 + 2 + 20 + 8, "{ops:?}");
}
