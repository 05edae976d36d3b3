//! Sparse indexes on DynamoDB Local: an index key template with `Option` placeholders is written
//! only when each has a value, so the index holds only those items, and a put that clears one
//! takes the item out of it.

use dynatable_core::{Entity, Table, entity};
use dynatable_tests::TestTable;

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "INVITE#{invite_code}", sk = "USER#{user_id}"),
    index(name = "GSI2", pk = "ORG#{org}", sk = "SEAT#{seat}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub invite_code: Option<String>,
    pub org: String,
    pub seat: Option<u32>,
}

fn member(id: &str, invite: Option<&str>, seat: Option<u32>) -> Member {
    Member {
        user_id: id.to_owned(),
        name: format!("name of {id}"),
        invite_code: invite.map(str::to_owned),
        org: "o1".to_owned(),
        seat,
    }
}

#[test]
fn the_index_key_is_written_only_when_every_placeholder_has_a_value() {
    let with = member("a", Some("c1"), Some(7)).to_item().unwrap();
    assert_eq!(with["GSI1PK"].as_s().unwrap(), "INVITE#c1");
    assert_eq!(with["GSI1SK"].as_s().unwrap(), "USER#a");
    assert_eq!(with["GSI2SK"].as_s().unwrap(), "SEAT#0000000007");
    let without = member("b", None, None).into_item().unwrap();
    for attribute in ["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"] {
        assert!(!without.contains_key(attribute), "{attribute}");
    }
    // A key builder takes the value itself.
    assert_eq!(Member::gsi1_partition_key("c1"), "INVITE#c1");
    assert_eq!(Member::gsi2_sort_key(7), "SEAT#0000000007");
}

async fn invited(table: &Table, code: &str) -> Vec<Member> {
    table
        .query::<Member>(Member::gsi1_partition_key(code))
        .index("GSI1")
        .all()
        .await
        .unwrap()
}

#[tokio::test]
async fn items_appear_in_and_disappear_from_a_sparse_index() {
    let test = TestTable::create(&[Member::SCHEMA]).await;
    let table = test.table().await;
    table
        .put(&member("a", Some("c1"), Some(1)))
        .send()
        .await
        .unwrap();
    table.put(&member("b", None, None)).send().await.unwrap();
    table
        .put(&member("c", Some("c1"), None))
        .send()
        .await
        .unwrap();
    let ids = |members: Vec<Member>| members.into_iter().map(|m| m.user_id).collect::<Vec<_>>();
    assert_eq!(ids(invited(&table, "c1").await), ["a", "c"]);
    let seated = table
        .query::<Member>(Member::gsi2_partition_key("o1"))
        .index("GSI2")
        .all()
        .await
        .unwrap();
    assert_eq!(ids(seated), ["a"], "only the member with a seat");

    // A put that clears the code takes the item out of the index; one that sets it puts it in.
    table.put(&member("a", None, Some(1))).send().await.unwrap();
    table
        .put(&member("b", Some("c1"), None))
        .send()
        .await
        .unwrap();
    assert_eq!(ids(invited(&table, "c1").await), ["b", "c"]);
    let stored = test.get_item("USER#a", "PROFILE").await.unwrap();
    assert!(!stored.contains_key("GSI1PK") && !stored.contains_key("GSI1SK"));
    assert_eq!(stored["GSI2PK"].as_s().unwrap(), "ORG#o1");
}
