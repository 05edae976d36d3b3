//! DynamoDB's JSON protocol for the reads (`Query`, `Scan`, `GetItem`, `BatchGetItem`): the
//! request bodies, rendered from a read's parts, and the answers, parsed with their items
//! borrowing the body ([`WireItem`]).

use std::collections::HashMap;

use serde::Deserialize;

use super::write_wire::{Body, ConsumedCapacity};
use crate::codec::{Item, WireItem};
use crate::table::expression::{Names, Placeholders, Values};

/// The parts of a `Query` or `Scan` request.
#[derive(Debug, Default)]
pub(crate) struct PageRequest<'r> {
    pub(crate) table: &'r str,
    pub(crate) index: Option<&'r str>,
    /// A query's key condition; `None` for a scan.
    pub(crate) key_condition: Option<&'r str>,
    pub(crate) filter: Option<&'r str>,
    pub(crate) projection: Option<&'r str>,
    /// The placeholders of the key condition, filter and projection.
    pub(crate) placeholders: Option<&'r Placeholders<'r>>,
    /// A query's order: `false` for descending.
    pub(crate) forward: bool,
    pub(crate) limit: Option<i32>,
    pub(crate) start: Option<&'r Item>,
    pub(crate) consistent: bool,
    /// Ask for the capacity consumed (`TOTAL`).
    pub(crate) capacity: bool,
    /// A scan's segment and its segments in all, when more than one.
    pub(crate) segment: Option<(i32, i32)>,
}

impl PageRequest<'_> {
    /// The filter expression to send: none when empty.
    pub(crate) fn sent_filter(&self) -> Option<&str> {
        self.filter.filter(|f| !f.is_empty())
    }

    /// The `ExpressionAttributeNames` to send through the SDK: none when empty.
    pub(crate) fn sent_names(&self) -> Option<Names> {
        self.placeholders.and_then(Placeholders::names)
    }

    /// The `ExpressionAttributeValues` to send through the SDK: none when empty.
    pub(crate) fn sent_values(&self) -> Option<Values> {
        self.placeholders.and_then(Placeholders::values)
    }

    /// The `x-amz-target` and the body; `None` when a value is of a type this client does not
    /// know (the read is then left to the SDK).
    pub(crate) fn render(&self) -> Option<(&'static str, String)> {
        let mut body = Body::new(self.table);
        if let Some(index) = self.index {
            body.text("IndexName", index);
        }
        if let Some(condition) = self.key_condition {
            body.text("KeyConditionExpression", condition);
            if !self.forward {
                body.boolean("ScanIndexForward", false);
            }
        }
        if let Some(filter) = self.sent_filter() {
            body.text("FilterExpression", filter);
        }
        if let Some(projection) = self.projection {
            body.text("ProjectionExpression", projection);
        }
        if let Some(placeholders) = self.placeholders {
            body.placeholders(placeholders).ok()?;
        }
        if let Some(limit) = self.limit {
            body.number("Limit", i64::from(limit));
        }
        if let Some(start) = self.start {
            body.item("ExclusiveStartKey", start).ok()?;
        }
        if self.consistent {
            body.boolean("ConsistentRead", true);
        }
        if self.capacity {
            body.text("ReturnConsumedCapacity", "TOTAL");
        }
        if let Some((segment, segments)) = self.segment {
            body.number("Segment", i64::from(segment));
            body.number("TotalSegments", i64::from(segments));
        }
        let target = match self.key_condition {
            Some(_) => "DynamoDB_20120810.Query",
            None => "DynamoDB_20120810.Scan",
        };
        Some((target, body.finish()))
    }
}

/// A `GetItem` request's body; `None` for a key of a type this client does not know.
pub(crate) fn get_item(table: &str, key: &Item, consistent: bool) -> Option<String> {
    let mut body = Body::new(table);
    body.item("Key", key).ok()?;
    if consistent {
        body.boolean("ConsistentRead", true);
    }
    Some(body.finish())
}

/// A `BatchGetItem` request's body for `keys` of `table`; `None` for a key of a type this
/// client does not know.
pub(crate) fn batch_get_item(table: &str, keys: &[Item], consistent: bool) -> Option<String> {
    let mut body = Body::empty();
    body.open("RequestItems", table);
    let mut wanted = Body::empty();
    wanted.items("Keys", keys).ok()?;
    if consistent {
        wanted.boolean("ConsistentRead", true);
    }
    body.raw(&wanted.finish());
    body.close();
    Some(body.finish())
}

/// A `Query` or `Scan` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct PageAnswer<'a> {
    #[serde(rename = "Items", borrow, default)]
    pub(crate) items: Vec<WireItem<'a>>,
    #[serde(rename = "LastEvaluatedKey", borrow)]
    pub(crate) last_evaluated_key: Option<WireItem<'a>>,
    #[serde(rename = "ScannedCount", default)]
    pub(crate) scanned_count: i64,
    #[serde(rename = "ConsumedCapacity")]
    consumed_capacity: Option<ConsumedCapacity>,
}

impl PageAnswer<'_> {
    /// The read units the page consumed, when they were asked for.
    pub(crate) fn capacity_units(&self) -> Option<f64> {
        self.consumed_capacity
            .as_ref()
            .and_then(|c| c.capacity_units)
    }
}

/// A `GetItem` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct GetAnswer<'a> {
    #[serde(rename = "Item", borrow)]
    pub(crate) item: Option<WireItem<'a>>,
}

/// A `BatchGetItem` answer: the items found and the keys left for another request, by table.
#[derive(Debug, Deserialize)]
pub(crate) struct BatchGetAnswer<'a> {
    #[serde(rename = "Responses", borrow, default)]
    pub(crate) responses: HashMap<String, Vec<WireItem<'a>>>,
    #[serde(rename = "UnprocessedKeys", borrow, default)]
    pub(crate) unprocessed_keys: HashMap<String, UnprocessedKeys<'a>>,
}

/// The keys of one table a `BatchGetItem` left unprocessed.
#[derive(Debug, Deserialize)]
pub(crate) struct UnprocessedKeys<'a> {
    #[serde(rename = "Keys", borrow, default)]
    pub(crate) keys: Vec<WireItem<'a>>,
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    #[test]
    fn a_query_renders_every_part_it_is_given() {
        let names = HashMap::from([("#k".to_owned(), "PK".to_owned())]);
        let values = Item::from([(":k".to_owned(), AttributeValue::S("USER#1".into()))]);
        let start = Item::from([("PK".to_owned(), AttributeValue::S("USER#1".into()))]);
        let mut placeholders = Placeholders::default();
        placeholders.add_raw(&names, &values).unwrap();
        let request = PageRequest {
            table: "t",
            index: Some("GSI1"),
            key_condition: Some("#k = :k"),
            filter: Some("attribute_exists(#k)"),
            projection: Some("#k"),
            placeholders: Some(&placeholders),
            forward: false,
            limit: Some(10),
            start: Some(&start),
            consistent: true,
            capacity: true,
            segment: None,
        };
        let (target, body) = request.render().unwrap();
        assert_eq!(target, "DynamoDB_20120810.Query");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "TableName": "t", "IndexName": "GSI1", "KeyConditionExpression": "#k = :k",
                "ScanIndexForward": false, "FilterExpression": "attribute_exists(#k)",
                "ProjectionExpression": "#k", "ExpressionAttributeNames": {"#k": "PK"},
                "ExpressionAttributeValues": {":k": {"S": "USER#1"}}, "Limit": 10,
                "ExclusiveStartKey": {"PK": {"S": "USER#1"}}, "ConsistentRead": true,
                "ReturnConsumedCapacity": "TOTAL"
            })
        );
    }

    #[test]
    fn a_scan_segment_and_a_batch_get_render_as_dynamodb_reads_them() {
        let request = PageRequest {
            table: "t",
            forward: true,
            segment: Some((2, 8)),
            ..PageRequest::default()
        };
        let (target, body) = request.render().unwrap();
        assert_eq!(target, "DynamoDB_20120810.Scan");
        assert_eq!(body, r#"{"TableName":"t","Segment":2,"TotalSegments":8}"#);
        let key = Item::from([("PK".to_owned(), AttributeValue::S("a".into()))]);
        let body = batch_get_item("t", &[key.clone(), key], true).unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"RequestItems": {"t": {
                "Keys": [{"PK": {"S": "a"}}, {"PK": {"S": "a"}}], "ConsistentRead": true
            }}})
        );
        let get: serde_json::Value =
            serde_json::from_str(&get_item("t", &Item::new(), false).unwrap()).unwrap();
        assert_eq!(get, serde_json::json!({"TableName": "t", "Key": {}}));
    }

    #[test]
    fn answers_give_their_items_cursor_counts_and_unprocessed_keys() {
        let page: PageAnswer<'_> = serde_json::from_str(
            r#"{"Count":1,"ScannedCount":3,"Items":[{"PK":{"S":"a"}}],
                "LastEvaluatedKey":{"PK":{"S":"a"}},
                "ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.scanned_count, 3);
        assert_eq!(page.capacity_units(), Some(0.5));
        assert_eq!(
            page.last_evaluated_key.map(WireItem::into_item),
            Some(Item::from([(
                "PK".to_owned(),
                AttributeValue::S("a".into())
            )]))
        );
        let empty: PageAnswer<'_> =
            serde_json::from_str(r#"{"Count":0,"ScannedCount":0}"#).unwrap();
        assert!(empty.items.is_empty() && empty.last_evaluated_key.is_none());
        let batch: BatchGetAnswer<'_> = serde_json::from_str(
            r#"{"Responses":{"t":[{"PK":{"S":"a"}}]},"UnprocessedKeys":{"t":{"Keys":[{"PK":{"S":"b"}}]}}}"#,
        )
        .unwrap();
        assert_eq!(batch.responses["t"].len(), 1);
        assert_eq!(batch.unprocessed_keys["t"].keys[0].string("PK"), Some("b"));
        let get: GetAnswer<'_> = serde_json::from_str("{}").unwrap();
        assert!(get.item.is_none());
    }
}
