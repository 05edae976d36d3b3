//! `TableDefinition`'s table as code: the `CreateTable` input, given to DynamoDB Local, makes
//! the table `create` makes; the CloudFormation and Terraform forms, read back by a parser of
//! their syntax, say the same table, with point-in-time recovery and time to live on.

use std::collections::BTreeMap;

use dynatable_core::aws_sdk_dynamodb::types::TableDescription;
use dynatable_core::{Entity, TableDefinition, Timestamp, entity};
use dynatable_tests::{Endpoint, dynamodb_local_request, endpoint};
use serde_json::{Value, json};

#[entity(
    pk = "CART#{cart_id}",
    sk = "CART",
    index(name = "GSI1", pk = "OWNER#{owner}", sk = "CART#{cart_id}"),
    index(name = "ByStatus", pk = "STATUS#{status}"),
    rename_all = "camelCase"
)]
pub struct Cart {
    pub cart_id: String,
    pub owner: String,
    pub status: String,
    #[entity(ttl)]
    pub expires_at: Option<Timestamp>,
}

fn definition(name: &str) -> TableDefinition {
    TableDefinition::for_entities(name, &[Cart::SCHEMA])
        .unwrap()
        .with_stream()
}

/// What two tables must share: keys, attribute definitions, indexes, billing, stream.
fn shape(table: &TableDescription) -> Value {
    let mut attributes: Vec<(String, String)> = table
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_owned(),
                a.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    attributes.sort();
    let keys = |schema: &[dynatable_core::aws_sdk_dynamodb::types::KeySchemaElement]| {
        schema
            .iter()
            .map(|k| format!("{}:{}", k.attribute_name(), k.key_type().as_str()))
            .collect::<Vec<_>>()
    };
    let indexes: BTreeMap<String, Value> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            (
                i.index_name().unwrap_or_default().to_owned(),
                json!({
                    "keys": keys(i.key_schema()),
                    "projection": i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_owned()),
                }),
            )
        })
        .collect();
    json!({
        "keys": keys(table.key_schema()),
        "attributes": attributes,
        "indexes": indexes,
        "billing": table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str().to_owned()),
        "stream": table.stream_specification().and_then(|s| s.stream_view_type()).map(|s| s.as_str().to_owned()),
    })
}

#[tokio::test]
async fn the_create_table_input_makes_the_table_create_makes() {
    let endpoint = endpoint();
    let Endpoint::Local(url) = &endpoint else {
        panic!("this test sends an unsigned CreateTable, which only DynamoDB Local accepts");
    };
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let (from_json, created) = (format!("as-json-{suffix}"), format!("created-{suffix}"));
    let input = definition(&from_json).create_table_input();
    let (status, answer) = dynamodb_local_request(url, "CreateTable", input.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let client = endpoint.client().await;
    definition(&created).create(&client).await.unwrap();
    let describe = |name: String| {
        let client = client.clone();
        async move {
            client
                .describe_table()
                .table_name(name)
                .send()
                .await
                .unwrap()
                .table
                .unwrap()
        }
    };
    let (a, b) = (describe(from_json).await, describe(created).await);
    assert_eq!(shape(&a), shape(&b));
    assert_eq!(shape(&a)["indexes"].as_object().unwrap().len(), 2);
}

/// The table's properties as the CloudFormation and Terraform forms must state them, from the
/// `CreateTable` input.
fn expected(name: &str) -> Value {
    let input = definition(name).create_table_input();
    json!({
        "TableName": input["TableName"],
        "BillingMode": input["BillingMode"],
        "AttributeDefinitions": input["AttributeDefinitions"],
        "KeySchema": input["KeySchema"],
        "GlobalSecondaryIndexes": input["GlobalSecondaryIndexes"],
        "StreamSpecification": {"StreamViewType": "KEYS_ONLY"},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": true},
    })
}

#[test]
fn the_cloudformation_form_states_the_same_table() {
    let template = yaml::parse(&definition("shop-prod").cloudformation());
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    let resource = &template["Resources"]["ShopprodTable"];
    assert_eq!(resource["Type"], "AWS::DynamoDB::Table", "{template:#}");
    assert_eq!(resource["Properties"], expected("shop-prod"));
}

#[test]
fn the_terraform_form_states_the_same_table() {
    let blocks = hcl::parse(&definition("shop-prod").terraform());
    let table = &blocks["resource"]["aws_dynamodb_table"]["shop-prod"];
    let expected = expected("shop-prod");
    assert_eq!(table["name"], expected["TableName"]);
    assert_eq!(table["billing_mode"], "PAY_PER_REQUEST");
    assert_eq!(
        (&table["hash_key"], &table["range_key"]),
        (&json!("PK"), &json!("SK"))
    );
    assert_eq!(
        (&table["stream_enabled"], &table["stream_view_type"]),
        (&json!(true), &json!("KEYS_ONLY"))
    );
    let attributes: Vec<Value> = table["attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({"AttributeName": a["name"], "AttributeType": a["type"]}))
        .collect();
    assert_eq!(Value::Array(attributes), expected["AttributeDefinitions"]);
    let indexes: Vec<Value> = table["global_secondary_index"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut keys = vec![json!({"AttributeName": i["hash_key"], "KeyType": "HASH"})];
            if !i["range_key"].is_null() {
                keys.push(json!({"AttributeName": i["range_key"], "KeyType": "RANGE"}));
            }
            json!({"IndexName": i["name"], "KeySchema": keys, "Projection": {"ProjectionType": i["projection_type"]}})
        })
        .collect();
    assert_eq!(Value::Array(indexes), expected["GlobalSecondaryIndexes"]);
    assert_eq!(
        table["ttl"],
        json!([{"attribute_name": "expiresAt", "enabled": true}])
    );
    assert_eq!(table["point_in_time_recovery"], json!([{"enabled": true}]));
}

/// A reader of the YAML the CloudFormation form is written in: block mappings and sequences by
/// indentation, double-quoted (JSON-escaped) strings, `true`/`false`. Anything else fails.
mod yaml {
    use serde_json::{Map, Value};

    pub fn parse(text: &str) -> Value {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| (l.len() - l.trim_start().len(), l.trim_start()))
            .collect();
        let (value, end) = block(&lines, 0, 0);
        assert_eq!(end, lines.len(), "unread YAML from line {end}");
        value
    }

    /// The block at `indent` starting at line `at`; the line after it.
    fn block(lines: &[(usize, &str)], at: usize, indent: usize) -> (Value, usize) {
        if lines[at].1.starts_with("- ") {
            let mut items = Vec::new();
            let mut i = at;
            while i < lines.len() && lines[i].0 == indent && lines[i].1.starts_with("- ") {
                // "- key: value" opens a mapping whose further keys sit at indent + 2.
                let mut rest = lines.to_vec();
                rest[i] = (indent + 2, &lines[i].1[2..]);
                let (item, next) = block(&rest, i, indent + 2);
                items.push(item);
                i = next;
            }
            return (Value::Array(items), i);
        }
        let mut map = Map::new();
        let mut i = at;
        while i < lines.len() && lines[i].0 == indent && !lines[i].1.starts_with("- ") {
            let (key, value) = lines[i]
                .1
                .split_once(':')
                .unwrap_or_else(|| panic!("not a mapping entry: {:?}", lines[i].1));
            let value = value.trim();
            if value.is_empty() {
                let (inner, next) = block(lines, i + 1, lines[i + 1].0);
                assert!(lines[i + 1].0 > indent || lines[i + 1].1.starts_with("- "));
                map.insert(key.to_owned(), inner);
                i = next;
            } else {
                map.insert(key.to_owned(), scalar(value));
                i += 1;
            }
        }
        (Value::Object(map), i)
    }

    fn scalar(text: &str) -> Value {
        match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("not a double-quoted string: {text} ({e})")),
        }
    }
}

/// A reader of the HCL the Terraform form is written in: `name "label"... {` blocks (labels nest
/// as keys; repeated blocks without labels collect in a list), `key = value` attributes with
/// quoted strings and booleans, `}`. Anything else fails.
mod hcl {
    use serde_json::{Map, Value};

    pub fn parse(text: &str) -> Value {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let body = body(&mut lines);
        assert!(lines.next().is_none(), "text after the last block");
        body
    }

    fn body<'t>(lines: &mut impl Iterator<Item = &'t str>) -> Value {
        let mut map = Map::new();
        while let Some(line) = lines.next() {
            if line == "}" {
                return Value::Object(map);
            }
            if let Some((key, value)) = line.split_once(" = ") {
                map.insert(key.trim().to_owned(), scalar(value.trim()));
                continue;
            }
            let header = line
                .strip_suffix('{')
                .unwrap_or_else(|| panic!("neither attribute nor block: {line:?}"));
            let mut words = header.split_whitespace();
            let name = words
                .next()
                .unwrap_or_else(|| panic!("a block without a name"));
            let labels: Vec<String> = words
                .map(|w| {
                    serde_json::from_str::<String>(w).unwrap_or_else(|e| panic!("label {w}: {e}"))
                })
                .collect();
            let inner = body(lines);
            if labels.is_empty() {
                let list = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                list.as_array_mut()
                    .unwrap_or_else(|| panic!("{name} is also an attribute"))
                    .push(inner);
            } else {
                let mut slot = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
                for label in &labels[..labels.len() - 1] {
                    slot = slot
                        .as_object_mut()
                        .unwrap()
                        .entry(label.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                slot.as_object_mut()
                    .unwrap()
                    .insert(labels[labels.len() - 1].clone(), inner);
            }
        }
        Value::Object(map)
    }

    fn scalar(text: &str) -> Value {
        match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("not a quoted string: {text} ({e})")),
        }
    }
}
