//! `#[entity(version)]` on DynamoDB Local: every typed write checks the version it was given and
//! increments it; stale writes fail with a version conflict naming what was expected and found.

use std::collections::BTreeSet;
use std::sync::Arc;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, ErrorKind, Table, entity};
use dynatable_tests::TestTable;

#[entity(pk = "ACCOUNT#{account_id}", sk = "ACCOUNT", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub account_id: String,
    pub owner: String,
    #[entity(default)]
    pub balance: i64,
    #[entity(version)]
    pub version: u64,
}

async fn table() -> (TestTable, Table) {
    let test = TestTable::create(&[Account::SCHEMA]).await;
    let table = test.table().await;
    (test, table)
}

async fn stored(table: &Table, id: &str) -> Account {
    table
        .get::<Account>(Account::key(id))
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap()
}

#[test]
fn the_schema_names_the_version_attribute_and_new_values_start_at_zero() {
    assert_eq!(Account::SCHEMA.version, Some("version"));
    assert_eq!(Account::new("a1", "ada").version, 0);
    let f = Account::fields();
    assert_eq!(f.version.name(), "version");
}

#[tokio::test]
async fn a_put_stores_the_next_version_and_a_stale_put_is_a_version_conflict() {
    let (_t, table) = table().await;
    let mut account = Account::new("a1", "ada");
    table.put(&account).send().await.unwrap();
    assert_eq!(
        stored(&table, "a1").await.version,
        1,
        "a new item starts at 1"
    );

    account.version = 1;
    account.balance = 10;
    table.put(&account).send().await.unwrap();
    assert_eq!(stored(&table, "a1").await.version, 2);

    // A writer still holding version 1 loses, and is told why.
    account.balance = 99;
    let error = table.put(&account).send().await.unwrap_err();
    assert!(error.is_version_conflict(), "{error}");
    assert!(error.is_conditional_check_failed());
    match error.kind() {
        ErrorKind::VersionConflict {
            entity,
            expected,
            found,
        } => {
            assert_eq!((*entity, *expected, *found), ("Account", 1, Some(2)));
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = error.to_string();
    for part in ["Account", "ACCOUNT#a1", "expected version 1", "version 2"] {
        assert!(text.contains(part), "{text:?} should name {part:?}");
    }
    assert_eq!(
        stored(&table, "a1").await.balance,
        10,
        "the stale put wrote nothing"
    );

    // Version 0 means "new": refused over an existing versioned item.
    let error = table
        .put(&Account::new("a1", "eve"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_version_conflict(), "{error}");
}

#[tokio::test]
async fn an_item_stored_without_the_attribute_is_version_zero() {
    let (test, table) = table().await;
    let mut item = Account::new("a1", "ada").to_item().unwrap();
    item.remove("version");
    test.put_item(item).await;
    assert_eq!(stored(&table, "a1").await.version, 0);

    let mut account = stored(&table, "a1").await;
    account.owner = "ada lovelace".into();
    table.put(&account).send().await.unwrap();
    assert_eq!(stored(&table, "a1").await.version, 1);

    // Updates count from 0 too.
    let mut item = Account::new("a2", "bob").to_item().unwrap();
    item.remove("version");
    test.put_item(item).await;
    let f = Account::fields();
    table
        .update::<Account>(Account::key("a2"))
        .add(f.balance, 5)
        .if_version(0)
        .send()
        .await
        .unwrap();
    assert_eq!(stored(&table, "a2").await.version, 1);
}

#[tokio::test]
async fn updates_increment_the_version_and_check_it_when_given() {
    let (_t, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    let f = Account::fields();
    // Unchecked: still incremented, so that readers holding an older version notice.
    table
        .update::<Account>(Account::key("a1"))
        .add(f.balance, 1)
        .send()
        .await
        .unwrap();
    assert_eq!(stored(&table, "a1").await.version, 2);

    let after = table
        .update::<Account>(Account::key("a1"))
        .add(f.balance, 1)
        .if_version(2)
        .send_returning()
        .await
        .unwrap();
    assert_eq!((after.version, after.balance), (3, 2));

    let error = table
        .update::<Account>(Account::key("a1"))
        .add(f.balance, 100)
        .if_version(2)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_version_conflict(), "{error}");
    assert!(matches!(
        error.kind(),
        ErrorKind::VersionConflict {
            expected: 2,
            found: Some(3),
            ..
        }
    ));

    // The update's own condition failing is not a version conflict.
    let error = table
        .update::<Account>(Account::key("a1"))
        .add(f.balance, 100)
        .condition(f.owner.eq("someone else"))
        .if_version(3)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_conditional_check_failed());
    assert!(!error.is_version_conflict(), "{error}");
    assert_eq!(stored(&table, "a1").await.balance, 2);
}

#[tokio::test]
async fn deletes_check_the_version_given() {
    let (_t, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    let error = table
        .delete::<Account>(Account::key("a1"))
        .if_version(7)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::VersionConflict {
            expected: 7,
            found: Some(1),
            ..
        }
    ));
    table
        .delete::<Account>(Account::key("a1"))
        .if_version(1)
        .send()
        .await
        .unwrap();
    assert!(
        table
            .get::<Account>(Account::key("a1"))
            .consistent()
            .send()
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn writes_inside_transactions_check_and_increment_the_version() {
    let (_t, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    table.put(&Account::new("a2", "bob")).send().await.unwrap();
    let f = Account::fields();
    let mut a1 = stored(&table, "a1").await;
    a1.balance = -5;
    // Both writes in one transaction: `a1` as read, a deposit on `a2` expecting `version`.
    let transfer = |version: u64| {
        table.transaction().write(table.put(&a1)).write(
            table
                .update::<Account>(Account::key("a2"))
                .add(f.balance, 5)
                .if_version(version),
        )
    };
    transfer(1).send().await.unwrap();
    assert_eq!(stored(&table, "a1").await.version, 2);
    assert_eq!(stored(&table, "a2").await.version, 2);

    // `a1` is stale now: the whole transaction is refused.
    let error = transfer(2).send().await.unwrap_err();
    assert!(
        error.is_transaction_canceled() && error.is_conditional_check_failed(),
        "{error}"
    );
    assert_eq!(stored(&table, "a2").await.balance, 5);
}

#[tokio::test]
async fn concurrent_writers_of_one_item_exactly_one_wins_per_version() {
    let (_t, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    const WRITERS: usize = 8;
    const DEPOSITS: usize = 15;
    let won: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (table, won) = (table.clone(), won.clone());
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for _ in 0..DEPOSITS {
                loop {
                    let mut account = stored(&table, "a1").await;
                    let read = account.version;
                    account.balance += 1;
                    match table.put(&account).send().await {
                        Ok(()) => {
                            won.lock().unwrap().push(read);
                            break;
                        }
                        Err(e) if e.is_version_conflict() => conflicts += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let won = won.lock().unwrap().clone();
    let distinct: BTreeSet<u64> = won.iter().copied().collect();
    let total = (WRITERS * DEPOSITS) as u64;
    assert_eq!(
        distinct.len(),
        won.len(),
        "two writers won the same version: {won:?}"
    );
    assert_eq!(
        distinct,
        (1..=total).collect(),
        "every version from 1 won once"
    );
    let account = stored(&table, "a1").await;
    assert_eq!(account.version, total + 1);
    assert_eq!(account.balance, total as i64, "no deposit lost");
    println!("{total} deposits by {WRITERS} writers, {conflicts} version conflicts retried");
    assert!(
        conflicts > 0,
        "the writers should have collided at least once"
    );
}

#[tokio::test]
async fn raw_writes_leave_the_version_alone() {
    let (test, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    table
        .update_item(Account::key("a1"))
        .set_attribute("note", AttributeValue::S("raw".into()))
        .send()
        .await
        .unwrap();
    let item = test.get_item("ACCOUNT#a1", "ACCOUNT").await.unwrap();
    assert_eq!(item["version"], AttributeValue::N("1".into()));
}

#[tokio::test]
async fn a_versioned_put_to_a_key_with_no_item_says_how_to_write_a_new_one() {
    let (_test, table) = table().await;
    table.put(&Account::new("a1", "ada")).send().await.unwrap();
    // As a re-key would: the item read back (version 1), put under a new key.
    let mut moved = stored(&table, "a1").await;
    moved.account_id = "a2".to_owned();
    let err = table.put(&moved).send().await.unwrap_err();
    assert!(err.is_version_conflict(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("holds no item with this key") && text.contains("set its version to 0"),
        "{text}"
    );
    moved.version = 0;
    table.put(&moved).send().await.unwrap();
    assert_eq!(stored(&table, "a2").await.version, 1);
}
