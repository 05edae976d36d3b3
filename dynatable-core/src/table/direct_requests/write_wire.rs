//! DynamoDB's JSON protocol (`application/x-amz-json-1.0`) for the single-item writes and
//! transactions: the request body, rendered straight from the writes' parts, and the fields of
//! the answer a write reads (the item it wrote, the capacity it consumed, an error's code,
//! message and a canceled transaction's reasons). The body writer is shared with the reads'
//! requests.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::codec::{Item, WireItem};
use crate::key::{PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE};
use crate::table::error::CancellationReason;
use crate::table::expression::{Placeholder, Placeholders};

/// The request body of one write, built field by field.
pub(crate) struct Body(String);

impl Body {
    /// `{"TableName":"table"`; the fields that follow are added by the other methods.
    pub(crate) fn new(table: &str) -> Self {
        Self::with_capacity(table, 256)
    }

    /// [`new`](Self::new), with room for a body of about `capacity` bytes.
    pub(crate) fn with_capacity(table: &str, capacity: usize) -> Self {
        let mut body = String::with_capacity(capacity.max(table.len() + 16));
        body.push_str("{\"TableName\":");
        string(&mut body, table);
        Self(body)
    }

    /// `{`, for an object whose first field is added with [`open`](Self::open).
    pub(crate) fn empty() -> Self {
        Self(String::from("{"))
    }

    /// A finished object's text, as the value of the field [`open`](Self::open) named.
    pub(crate) fn raw(&mut self, json: &str) {
        self.0.push_str(json);
    }

    /// `"field":"text"`.
    pub(crate) fn text(&mut self, field: &str, text: &str) {
        self.field(field);
        string(&mut self.0, text);
    }

    /// `"field":{name: value, ...}` with the values in DynamoDB's typed form.
    ///
    /// # Errors
    /// A value of a type this client does not know (the SDK's `Unknown`).
    pub(crate) fn item(&mut self, field: &str, item: &Item) -> Result<(), UnknownType> {
        self.field(field);
        map(&mut self.0, item)
    }

    /// `"field":number`.
    pub(crate) fn number(&mut self, field: &str, number: i64) {
        self.field(field);
        self.0.push_str(itoa::Buffer::new().format(number));
    }

    /// `"field":true` or `"field":false`.
    pub(crate) fn boolean(&mut self, field: &str, value: bool) {
        self.field(field);
        self.0.push_str(if value { "true" } else { "false" });
    }

    /// `"field":[{name: value, ...}, ...]`: items in DynamoDB's typed form.
    ///
    /// # Errors
    /// A value of a type this client does not know (the SDK's `Unknown`).
    pub(crate) fn items(&mut self, field: &str, items: &[Item]) -> Result<(), UnknownType> {
        self.field(field);
        self.0.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            map(&mut self.0, item)?;
        }
        self.0.push(']');
        Ok(())
    }

    /// `"field":{` to open a nested object whose fields the next calls add; closed by
    /// [`close`](Self::close). Its first field must not be preceded by a comma, so the object
    /// opens with a field given here: `"field":{"first":`.
    pub(crate) fn open(&mut self, field: &str, first: &str) {
        self.field(field);
        self.0.push('{');
        string(&mut self.0, first);
        self.0.push(':');
    }

    /// Closes what [`open`](Self::open) opened.
    pub(crate) fn close(&mut self) {
        self.0.push('}');
    }

    /// `"field":[{"Kind":{...}}, ...]`: a transaction's actions, each its kind (`Put`,
    /// `Update`, `Delete`, `ConditionCheck`) and its finished object.
    pub(crate) fn actions(&mut self, field: &str, actions: &[(&str, String)]) {
        self.field(field);
        self.0.push('[');
        for (i, (kind, action)) in actions.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            self.0.push('{');
            string(&mut self.0, kind);
            self.0.push(':');
            self.0.push_str(action);
            self.0.push('}');
        }
        self.0.push(']');
    }

    /// `"field":{"PK":{"S":pk},"SK":{"S":sk}}`: an item's key.
    pub(crate) fn key(&mut self, field: &str, key: &PrimaryKey) {
        self.field(field);
        for (i, (name, value)) in [
            (PARTITION_KEY_ATTRIBUTE, &key.pk),
            (SORT_KEY_ATTRIBUTE, &key.sk),
        ]
        .into_iter()
        .enumerate()
        {
            self.0.push(if i == 0 { '{' } else { ',' });
            string(&mut self.0, name);
            self.0.push_str(":{\"S\":");
            string(&mut self.0, value);
            self.0.push('}');
        }
        self.0.push('}');
    }

    /// `"ExpressionAttributeNames":{placeholder: name, ...}` and
    /// `"ExpressionAttributeValues":{placeholder: value, ...}`, each when not empty (DynamoDB
    /// refuses empty maps).
    ///
    /// # Errors
    /// A value of a type this client does not know (the SDK's `Unknown`).
    pub(crate) fn placeholders(&mut self, p: &Placeholders<'_>) -> Result<(), UnknownType> {
        if p.has_names() {
            self.field("ExpressionAttributeNames");
            for (i, (placeholder, name)) in p.each_name().enumerate() {
                self.0.push(if i == 0 { '{' } else { ',' });
                self.placeholder(placeholder);
                string(&mut self.0, name);
            }
            self.0.push('}');
        }
        if p.has_values() {
            self.field("ExpressionAttributeValues");
            for (i, (placeholder, value)) in p.each_value().enumerate() {
                self.0.push(if i == 0 { '{' } else { ',' });
                self.placeholder(placeholder);
                attribute_value(&mut self.0, value)?;
            }
            self.0.push('}');
        }
        Ok(())
    }

    /// `"placeholder":`; only a raw expression's own placeholder can need escapes.
    fn placeholder(&mut self, placeholder: Placeholder<'_>) {
        match placeholder {
            Placeholder::Raw(text) => string(&mut self.0, text),
            generated => {
                self.0.push('"');
                generated.push_to(&mut self.0);
                self.0.push('"');
            }
        }
        self.0.push(':');
    }

    /// The finished body.
    pub(crate) fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }

    fn field(&mut self, field: &str) {
        // The first field of an object started by `empty` takes no comma.
        if !self.0.ends_with('{') {
            self.0.push(',');
        }
        string(&mut self.0, field);
        self.0.push(':');
    }
}

/// An attribute value of a type DynamoDB added after this client was written.
#[derive(Debug)]
pub(crate) struct UnknownType;

fn map(out: &mut String, item: &HashMap<String, AttributeValue>) -> Result<(), UnknownType> {
    out.push('{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, name);
        out.push(':');
        attribute_value(out, value)?;
    }
    out.push('}');
    Ok(())
}

fn attribute_value(out: &mut String, value: &AttributeValue) -> Result<(), UnknownType> {
    let strings = |out: &mut String, tag: &str, values: &mut dyn Iterator<Item = String>| {
        out.push_str(tag);
        out.push('[');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, &value);
        }
        out.push_str("]}");
    };
    match value {
        AttributeValue::S(s) => {
            out.push_str("{\"S\":");
            string(out, s);
            out.push('}');
        }
        AttributeValue::N(n) => {
            out.push_str("{\"N\":");
            string(out, n);
            out.push('}');
        }
        AttributeValue::B(b) => {
            out.push_str("{\"B\":\"");
            STANDARD.encode_string(b.as_ref(), out);
            out.push_str("\"}");
        }
        AttributeValue::Bool(b) => out.push_str(if *b {
            "{\"BOOL\":true}"
        } else {
            "{\"BOOL\":false}"
        }),
        AttributeValue::Null(_) => out.push_str("{\"NULL\":true}"),
        AttributeValue::Ss(values) => strings(out, "{\"SS\":", &mut values.iter().cloned()),
        AttributeValue::Ns(values) => strings(out, "{\"NS\":", &mut values.iter().cloned()),
        AttributeValue::Bs(values) => strings(
            out,
            "{\"BS\":",
            &mut values.iter().map(|b| STANDARD.encode(b.as_ref())),
        ),
        AttributeValue::M(item) => {
            out.push_str("{\"M\":");
            map(out, item)?;
            out.push('}');
        }
        AttributeValue::L(values) => {
            out.push_str("{\"L\":[");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                attribute_value(out, value)?;
            }
            out.push_str("]}");
        }
        _ => return Err(UnknownType),
    }
    Ok(())
}

/// `text` as a JSON string, quoted and escaped.
fn string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The fields of a write's answer that a write reads.
#[derive(Deserialize)]
pub(crate) struct Output<'a> {
    #[serde(rename = "Attributes", borrow)]
    attributes: Option<WireItem<'a>>,
    #[serde(rename = "ConsumedCapacity")]
    consumed_capacity: Option<ConsumedCapacity>,
}

/// The capacity one request consumed (`ReturnConsumedCapacity`).
#[derive(Debug, Deserialize)]
pub(crate) struct ConsumedCapacity {
    #[serde(rename = "CapacityUnits")]
    pub(crate) capacity_units: Option<f64>,
}

impl Output<'_> {
    /// The capacity units the write consumed, when it was asked for.
    pub(crate) fn capacity_units(&self) -> Option<f64> {
        self.consumed_capacity
            .as_ref()
            .and_then(|c| c.capacity_units)
    }

    /// The item the write returned (`ReturnValues`), when it was asked for.
    pub(crate) fn into_attributes(self) -> Option<Item> {
        self.attributes.map(WireItem::into_item)
    }
}

/// The fields of a transaction's answer that it reads.
#[derive(Deserialize)]
pub(crate) struct TransactionOutput {
    #[serde(rename = "ConsumedCapacity")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

impl TransactionOutput {
    /// The capacity units the transaction consumed, when they were asked for: the sum over
    /// every table and index it wrote.
    pub(crate) fn capacity_units(&self) -> Option<f64> {
        self.consumed_capacity
            .as_ref()
            .map(|all| all.iter().filter_map(|c| c.capacity_units).sum())
    }
}

/// An error's answer: `{"__type":"com.amazonaws.dynamodb.v20120810#Code","message":"..."}`
/// (some errors spell it `Message`); a canceled transaction's has `CancellationReasons` too,
/// one per action, in the request's order.
#[derive(Deserialize)]
pub(crate) struct ErrorOutput {
    #[serde(rename = "__type")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(rename = "CancellationReasons")]
    cancellation_reasons: Option<Vec<WireReason>>,
}

/// One action's entry of `CancellationReasons`.
#[derive(Deserialize)]
struct WireReason {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

impl ErrorOutput {
    /// The error's code (the part of `__type` after `#`), or `None` when the answer has none.
    pub(crate) fn code(&self) -> Option<&str> {
        self.kind
            .as_deref()
            .map(|k| k.rsplit('#').next().unwrap_or(k))
    }

    /// The error's message, or an empty one.
    pub(crate) fn message(&self) -> &str {
        self.message.as_deref().unwrap_or_default()
    }

    /// A canceled transaction's reasons: the actions that failed (code other than `None`), by
    /// their index in the request.
    pub(crate) fn cancellation_reasons(&self) -> Vec<CancellationReason> {
        let Some(reasons) = &self.cancellation_reasons else {
            return Vec::new();
        };
        reasons
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                CancellationReason::of_action(index, r.code.as_deref(), r.message.as_deref())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::AttributeValue as V;

    use super::*;

    fn every_type() -> Item {
        let mut nested = Item::new();
        nested.insert(
            "deep".into(),
            V::L(vec![V::N("-1.5e3".into()), V::Null(true)]),
        );
        Item::from([
            (
                "s".to_owned(),
                V::S("quote \" backslash \\ newline \n tab \t bell \u{7} é ✓".into()),
            ),
            ("n".to_owned(), V::N("42".into())),
            ("b".to_owned(), V::B(Blob::new(vec![0, 255, 7, 128]))),
            ("t".to_owned(), V::Bool(true)),
            ("f".to_owned(), V::Bool(false)),
            ("null".to_owned(), V::Null(true)),
            ("ss".to_owned(), V::Ss(vec!["a".into(), "b\"".into()])),
            ("ns".to_owned(), V::Ns(vec!["1".into(), "2.5".into()])),
            (
                "bs".to_owned(),
                V::Bs(vec![Blob::new(vec![1]), Blob::new(Vec::new())]),
            ),
            ("m".to_owned(), V::M(nested)),
            (
                "l".to_owned(),
                V::L(vec![V::S(String::new()), V::M(Item::new())]),
            ),
            ("key with \u{1f} control".to_owned(), V::S("x".into())),
        ])
    }

    #[test]
    fn an_item_of_every_type_renders_as_json_and_reads_back_unchanged() {
        let item = every_type();
        let mut body = Body::new("ta\"ble");
        body.item("Attributes", &item).unwrap();
        let json = body.finish();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["TableName"], "ta\"ble");
        assert_eq!(parsed["Attributes"]["b"]["B"], "AP8HgA==");
        assert_eq!(parsed["Attributes"]["null"]["NULL"], true);
        let output: Output<'_> = serde_json::from_str(&json).unwrap();
        assert_eq!(output.into_attributes(), Some(item));
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\u{0}\u{1f}\u{7f}é");
        assert_eq!(out, "\"a\\\"b\\\\c\\u0000\\u001f\u{7f}é\"");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\u{0}\u{1f}\u{7f}é");
    }

    #[test]
    fn placeholders_and_texts_render_as_fields() {
        let (a, one) = ("a".to_owned(), AttributeValue::N("1".into()));
        let mut p = Placeholders::default();
        let mut text = String::from("SET ");
        p.push_name(&mut text, &a);
        text.push_str(" = ");
        p.push_value(&mut text, &one);
        let names = HashMap::from([("#r\"aw".to_owned(), "b\\".to_owned())]);
        let no_values = HashMap::new();
        p.add_raw(&names, &no_values).unwrap();
        let mut body = Body::new("t");
        body.text("UpdateExpression", &text);
        body.placeholders(&p).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&body.finish()).unwrap();
        assert_eq!(parsed["UpdateExpression"], "SET #n0 = :v0");
        assert_eq!(parsed["ExpressionAttributeNames"]["#n0"], "a");
        assert_eq!(parsed["ExpressionAttributeNames"]["#r\"aw"], "b\\");
        assert_eq!(parsed["ExpressionAttributeValues"][":v0"]["N"], "1");
    }

    #[test]
    fn no_placeholders_render_no_fields() {
        let mut body = Body::new("t");
        body.placeholders(&Placeholders::default()).unwrap();
        assert_eq!(body.finish(), r#"{"TableName":"t"}"#);
    }

    #[test]
    fn a_key_renders_as_its_two_strings() {
        let mut body = Body::new("t");
        body.key("Key", &PrimaryKey::new("USER#\"1", "PROFILE"));
        let parsed: serde_json::Value = serde_json::from_str(&body.finish()).unwrap();
        assert_eq!(
            parsed["Key"],
            serde_json::json!({"PK": {"S": "USER#\"1"}, "SK": {"S": "PROFILE"}})
        );
    }

    #[test]
    fn error_answers_give_their_code_and_message() {
        let error: ErrorOutput = serde_json::from_str(
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
        )
        .unwrap();
        assert_eq!(error.code(), Some("ConditionalCheckFailedException"));
        assert_eq!(error.message(), "The conditional request failed");
        let error: ErrorOutput =
            serde_json::from_str(r#"{"__type":"ThrottlingException","Message":"slow down"}"#)
                .unwrap();
        assert_eq!(error.code(), Some("ThrottlingException"));
        assert_eq!(error.message(), "slow down");
    }

    #[test]
    fn consumed_capacity_is_read() {
        let output: Output<'_> =
            serde_json::from_str(r#"{"ConsumedCapacity":{"TableName":"t","CapacityUnits":2.0}}"#)
                .unwrap();
        assert_eq!(output.capacity_units(), Some(2.0));
        assert_eq!(output.into_attributes(), None);
    }

    #[test]
    fn a_canceled_transaction_gives_the_reasons_of_the_actions_that_failed() {
        let error: ErrorOutput = serde_json::from_str(
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, TransactionConflict]","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#,
        )
        .unwrap();
        assert_eq!(error.code(), Some("TransactionCanceledException"));
        let reasons = error.cancellation_reasons();
        assert_eq!(
            reasons
                .iter()
                .map(|r| (r.index, r.code.as_str(), r.message.as_deref()))
                .collect::<Vec<_>>(),
            [
                (
                    1,
                    "ConditionalCheckFailed",
                    Some("The conditional request failed")
                ),
                (
                    2,
                    "TransactionConflict",
                    Some("Transaction is ongoing for the item")
                ),
            ]
        );
        let plain: ErrorOutput =
            serde_json::from_str(r#"{"__type":"ThrottlingException","Message":"slow down"}"#)
                .unwrap();
        assert!(plain.cancellation_reasons().is_empty());
    }

    #[test]
    fn a_transactions_capacity_is_the_sum_over_its_tables() {
        let output: TransactionOutput = serde_json::from_str(
            r#"{"ConsumedCapacity":[{"TableName":"t","CapacityUnits":4.0},{"TableName":"u","CapacityUnits":2.5}]}"#,
        )
        .unwrap();
        assert_eq!(output.capacity_units(), Some(6.5));
        let output: TransactionOutput = serde_json::from_str("{}").unwrap();
        assert_eq!(output.capacity_units(), None);
    }

    #[test]
    fn actions_render_as_a_list_of_kinds_and_objects() {
        let mut body = Body::empty();
        body.actions(
            "TransactItems",
            &[
                ("Put", r#"{"TableName":"t"}"#.to_owned()),
                ("ConditionCheck", r#"{"TableName":"t"}"#.to_owned()),
            ],
        );
        body.text("ClientRequestToken", "tok");
        assert_eq!(
            body.finish(),
            r#"{"TransactItems":[{"Put":{"TableName":"t"}},{"ConditionCheck":{"TableName":"t"}}],"ClientRequestToken":"tok"}"#
        );
    }

    #[test]
    fn a_binary_value_that_is_not_base64_is_an_error() {
        assert!(serde_json::from_str::<Output<'_>>(r#"{"Attributes":{"b":{"B":"*"}}}"#).is_err());
    }
}
