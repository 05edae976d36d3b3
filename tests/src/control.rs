//! Control items: values a test puts in its own table (`PK = CONTROL`, `SK = name`) to steer the
//! migrations it runs, say to make one fail at a chosen item.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::Table;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// Sets control `name` to `value`, or removes it for `None`.
///
/// # Panics
/// When DynamoDB refuses the write.
pub async fn set_control(table: &Table, name: &str, value: Option<&str>) {
    let client = table.client();
    let result = match value {
        Some(value) => client
            .put_item()
            .table_name(table.name())
            .item("PK", s("CONTROL"))
            .item("SK", s(name))
            .item("value", s(value))
            .send()
            .await
            .map(drop)
            .map_err(|e| DisplayErrorContext(e).to_string()),
        None => client
            .delete_item()
            .table_name(table.name())
            .key("PK", s("CONTROL"))
            .key("SK", s(name))
            .send()
            .await
            .map(drop)
            .map_err(|e| DisplayErrorContext(e).to_string()),
    };
    if let Err(e) = result {
        panic!("setting control {name}: {e}");
    }
}

/// The value of control `name`, if set (read consistently).
///
/// # Panics
/// When DynamoDB refuses the read.
pub async fn control(table: &Table, name: &str) -> Option<String> {
    let item = table
        .client()
        .get_item()
        .table_name(table.name())
        .key("PK", s("CONTROL"))
        .key("SK", s(name))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("reading control {name}: {}", DisplayErrorContext(e)))
        .item?;
    match item.get("value") {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}
