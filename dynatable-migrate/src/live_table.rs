//! What DynamoDB says of the live table (`DescribeTable`, `DescribeTimeToLive`), read the same way
//! by the drift check, the safety rails and a migration's index and time-to-live changes.

use dynatable_core::aws_sdk_dynamodb::types::{
    GlobalSecondaryIndexDescription, KeyType, TableDescription, TimeToLiveStatus,
};
use dynatable_core::{Table, sdk_error_text};

use crate::error::{Error, Result};

/// The table's description.
///
/// # Errors
/// `DescribeTable` failed, or its answer holds no table.
pub(crate) async fn describe(table: &Table) -> Result<TableDescription> {
    let output = table
        .client()
        .describe_table()
        .table_name(table.name())
        .send()
        .await
        .map_err(|e| failed("DescribeTable", table, &sdk_error_text(&e)))?;
    output
        .table
        .ok_or_else(|| failed("DescribeTable", table, "the answer has no table"))
}

/// The attribute the table expires items by: `None` when time to live is off (or being turned
/// off).
///
/// # Errors
/// `DescribeTimeToLive` failed.
pub(crate) async fn ttl_attribute(table: &Table) -> Result<Option<String>> {
    let output = table
        .client()
        .describe_time_to_live()
        .table_name(table.name())
        .send()
        .await
        .map_err(|e| failed("DescribeTimeToLive", table, &sdk_error_text(&e)))?;
    Ok(output
        .time_to_live_description()
        .filter(|d| {
            matches!(
                d.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            )
        })
        .and_then(|d| d.attribute_name())
        .map(str::to_owned))
}

/// The key attributes of an index on the table: the hash key and the range key.
pub(crate) fn index_keys(index: &GlobalSecondaryIndexDescription) -> (String, Option<String>) {
    let of = |kind: KeyType| {
        index
            .key_schema()
            .iter()
            .find(|k| *k.key_type() == kind)
            .map(|k| k.attribute_name().to_owned())
    };
    (of(KeyType::Hash).unwrap_or_default(), of(KeyType::Range))
}

/// An index's key attributes as `PK/SK`, or `PK` without a sort key.
pub(crate) fn describe_keys(pk: &str, sk: Option<&str>) -> String {
    match sk {
        Some(sk) => format!("{pk}/{sk}"),
        None => pk.to_owned(),
    }
}

fn failed(operation: &str, table: &Table, message: &str) -> Error {
    Error::msg(format!("{operation} on {} failed: {message}", table.name()))
}
