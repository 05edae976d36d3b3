//! Numbers that sort on DynamoDB Local: integer placeholders are zero-padded by type (signed ones
//! offset), or to a width of the template's own (`{seq:06}`), so a query returns items in numeric
//! order; `parse_key` reads the values back.

use dynatable_core::{Entity, Timestamp, entity};
use dynatable_tests::TestTable;

#[entity(
    pk = "SENSOR#{sensor}",
    sk = "READING#{offset}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub sensor: String,
    pub offset: i32,
}

#[entity(pk = "LOG#{log}", sk = "LINE#{seq:06}#{at}", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub log: String,
    pub seq: u32,
    pub at: Timestamp,
}

#[tokio::test]
async fn signed_placeholders_sort_numerically_across_signs() {
    let test = TestTable::create(&[Reading::SCHEMA, Line::SCHEMA]).await;
    let table = test.table().await;
    let offsets = [100, -1, 0, i32::MIN, 5, -100, 1, i32::MAX, 20];
    for offset in offsets {
        table.put(&Reading::new("s1", offset)).send().await.unwrap();
    }
    let read: Vec<i32> = table
        .query::<Reading>(Reading::partition_key("s1"))
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.offset)
        .collect();
    let mut sorted = offsets.to_vec();
    sorted.sort_unstable();
    assert_eq!(read, sorted);
    let key = Reading::key("s1", -5);
    assert_eq!(key.sk, "READING#2147483643");
    assert_eq!(Reading::parse_key(&key).unwrap(), ("s1".to_owned(), -5));
}

#[tokio::test]
async fn a_placeholder_width_pads_to_it() {
    let test = TestTable::create(&[Line::SCHEMA]).await;
    let table = test.table().await;
    let at = Timestamp::from_millis(1_795_501_247_000);
    for seq in [10, 9, 1000, 0, 99] {
        table.put(&Line::new("l1", seq, at)).send().await.unwrap();
    }
    let read: Vec<u32> = table
        .query::<Line>(Line::partition_key("l1"))
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.seq)
        .collect();
    assert_eq!(read, [0, 9, 10, 99, 1000]);
    let key = Line::key("l1", 42, &at);
    assert_eq!(key.sk, "LINE#000042#1795501247000");
    assert_eq!(Line::parse_key(&key).unwrap(), ("l1".to_owned(), 42, at));
}
