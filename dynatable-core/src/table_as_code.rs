//! The table a [`TableDefinition`] describes, in the languages teams keep their tables in: the
//! `CreateTable` input (JSON), a CloudFormation `AWS::DynamoDB::Table` (YAML), a Terraform
//! `aws_dynamodb_table` block. What `migrate table-definition` prints.

use serde_json::{Value, json};

use crate::key::{PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::table_definition::TableDefinition;

impl TableDefinition {
    /// The `CreateTable` input of the table: key schema, attribute definitions, every index
    /// (projecting all attributes), on-demand billing, and a `KEYS_ONLY` stream. Time to live
    /// and point-in-time recovery are not part of `CreateTable`: they take `UpdateTimeToLive`
    /// and `UpdateContinuousBackups` once the table is active.
    ///
    /// ```
    /// use dynatable_core::{Entity, TableDefinition, entity};
    ///
    /// #[entity(pk = "USER#{id}", sk = "PROFILE", index(name = "GSI1", pk = "EMAIL#{email}"))]
    /// pub struct User {
    ///     pub id: String,
    ///     pub email: String,
    /// }
    ///
    /// let input = TableDefinition::for_entities("app", &[User::SCHEMA]).unwrap().create_table_input();
    /// assert_eq!(input["TableName"], "app");
    /// assert_eq!(input["GlobalSecondaryIndexes"][0]["KeySchema"][0]["AttributeName"], "GSI1PK");
    /// ```
    pub fn create_table_input(&self) -> Value {
        let indexes: Vec<Value> = self
            .indexes
            .iter()
            .map(|(name, (pk, sk))| {
                json!({
                    "IndexName": name,
                    "KeySchema": key_schema(pk, sk.as_deref()),
                    "Projection": {"ProjectionType": "ALL"},
                })
            })
            .collect();
        let attributes: Vec<Value> = self
            .key_attributes()
            .into_iter()
            .map(|name| json!({"AttributeName": name, "AttributeType": "S"}))
            .collect();
        let mut input = json!({
            "TableName": self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": attributes,
            "KeySchema": key_schema(PARTITION_KEY_ATTRIBUTE, Some(SORT_KEY_ATTRIBUTE)),
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
        });
        if !indexes.is_empty() {
            input["GlobalSecondaryIndexes"] = Value::Array(indexes);
        }
        input
    }

    /// A CloudFormation template (YAML) holding the table as an `AWS::DynamoDB::Table`: the
    /// [`create_table_input`](Self::create_table_input)'s table, point-in-time recovery on, and
    /// the entities' time to live.
    pub fn cloudformation(&self) -> String {
        let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\n");
        out.push_str("Description: \"The table of a dynatable application's entities.\"\n");
        out.push_str("Resources:\n");
        out.push_str(&format!("  {}:\n", logical_id(&self.name)));
        out.push_str("    Type: \"AWS::DynamoDB::Table\"\n");
        out.push_str("    Properties:\n");
        out.push_str(&format!("      TableName: {}\n", quoted(&self.name)));
        out.push_str("      BillingMode: \"PAY_PER_REQUEST\"\n");
        out.push_str("      AttributeDefinitions:\n");
        for name in self.key_attributes() {
            out.push_str(&format!(
                "        - AttributeName: {}\n          AttributeType: \"S\"\n",
                quoted(name)
            ));
        }
        out.push_str("      KeySchema:\n");
        out.push_str(&yaml_key_schema(
            PARTITION_KEY_ATTRIBUTE,
            Some(SORT_KEY_ATTRIBUTE),
            8,
        ));
        if !self.indexes.is_empty() {
            out.push_str("      GlobalSecondaryIndexes:\n");
            for (name, (pk, sk)) in &self.indexes {
                out.push_str(&format!("        - IndexName: {}\n", quoted(name)));
                out.push_str("          KeySchema:\n");
                out.push_str(&yaml_key_schema(pk, sk.as_deref(), 12));
                out.push_str("          Projection:\n            ProjectionType: \"ALL\"\n");
            }
        }
        out.push_str("      StreamSpecification:\n        StreamViewType: \"KEYS_ONLY\"\n");
        out.push_str(
            "      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n",
        );
        if let Some(ttl) = &self.ttl {
            out.push_str(&format!(
                "      TimeToLiveSpecification:\n        AttributeName: {}\n        Enabled: true\n",
                quoted(ttl)
            ));
        }
        out
    }

    /// A Terraform `aws_dynamodb_table` resource block: the
    /// [`create_table_input`](Self::create_table_input)'s table, point-in-time recovery on, and
    /// the entities' time to live.
    pub fn terraform(&self) -> String {
        let label: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut out = format!("resource \"aws_dynamodb_table\" {} {{\n", quoted(&label));
        out.push_str(&format!("  name             = {}\n", quoted(&self.name)));
        out.push_str("  billing_mode     = \"PAY_PER_REQUEST\"\n");
        out.push_str(&format!(
            "  hash_key         = {}\n",
            quoted(PARTITION_KEY_ATTRIBUTE)
        ));
        out.push_str(&format!(
            "  range_key        = {}\n",
            quoted(SORT_KEY_ATTRIBUTE)
        ));
        out.push_str("  stream_enabled   = true\n");
        out.push_str("  stream_view_type = \"KEYS_ONLY\"\n");
        for name in self.key_attributes() {
            out.push_str(&format!(
                "\n  attribute {{\n    name = {}\n    type = \"S\"\n  }}\n",
                quoted(name)
            ));
        }
        for (name, (pk, sk)) in &self.indexes {
            out.push_str("\n  global_secondary_index {\n");
            out.push_str(&format!("    name            = {}\n", quoted(name)));
            out.push_str(&format!("    hash_key        = {}\n", quoted(pk)));
            if let Some(sk) = sk {
                out.push_str(&format!("    range_key       = {}\n", quoted(sk)));
            }
            out.push_str("    projection_type = \"ALL\"\n  }\n");
        }
        if let Some(ttl) = &self.ttl {
            out.push_str(&format!(
                "\n  ttl {{\n    attribute_name = {}\n    enabled        = true\n  }}\n",
                quoted(ttl)
            ));
        }
        out.push_str("\n  point_in_time_recovery {\n    enabled = true\n  }\n}\n");
        out
    }
}

/// A `KeySchema` list: the hash key, then the range key when there is one.
fn key_schema(pk: &str, sk: Option<&str>) -> Vec<Value> {
    let mut schema = vec![json!({"AttributeName": pk, "KeyType": "HASH"})];
    schema.extend(sk.map(|sk| json!({"AttributeName": sk, "KeyType": "RANGE"})));
    schema
}

/// A YAML `KeySchema` list at `indent` spaces.
fn yaml_key_schema(pk: &str, sk: Option<&str>, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = format!(
        "{pad}- AttributeName: {}\n{pad}  KeyType: \"HASH\"\n",
        quoted(pk)
    );
    if let Some(sk) = sk {
        out.push_str(&format!(
            "{pad}- AttributeName: {}\n{pad}  KeyType: \"RANGE\"\n",
            quoted(sk)
        ));
    }
    out
}

/// A string as YAML and HCL both read it: double-quoted with JSON's escapes, and HCL's template
/// sequences (`${`, `%{`) escaped.
fn quoted(text: &str) -> String {
    Value::String(text.to_owned())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// The CloudFormation logical id of table `name`: its letters and digits, capitalised, then
/// `Table`.
fn logical_id(name: &str) -> String {
    let letters: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut chars = letters.chars();
    let capitalised = match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    format!("{capitalised}Table")
}
