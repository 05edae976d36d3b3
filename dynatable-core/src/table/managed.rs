//! Managed attributes: the `updated_at`, `created_at` and `ttl` attributes an entity declares,
//! which the typed writes set themselves and reads can use to leave out expired items.

use aws_sdk_dynamodb::types::AttributeValue;

use super::expression::Placeholders;
use crate::codec::{Item, WireItem, WireValue};
use crate::schema::EntitySchema;
use crate::timestamp::Timestamp;

/// A timestamp as its attribute value (ISO-8601 text).
pub(crate) fn now_value(now: Timestamp) -> AttributeValue {
    AttributeValue::S(now.to_string())
}

/// Sets the entity's `updated_at` attribute of an item about to be put.
pub(crate) fn stamp_put(schema: &EntitySchema, item: &mut Item) {
    if let Some(attribute) = schema.updated_at {
        item.insert(attribute.to_owned(), now_value(Timestamp::now()));
    }
}

/// The filter that leaves out items whose time to live (epoch seconds in one of `attributes`)
/// has passed: DynamoDB deletes expired items within a few days, and returns them until then.
/// One parenthesised term per attribute, AND-ed: to be AND-ed as it is (DynamoDB refuses
/// redundant parentheses).
pub(crate) fn not_expired<'a>(attributes: &[&'a str], p: &mut Placeholders<'a>) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    let now = p.value(AttributeValue::N(
        Timestamp::now().as_epoch_seconds().to_string(),
    ));
    Some(
        attributes
            .iter()
            .map(|attribute| {
                let name = p.name(attribute);
                format!("(attribute_not_exists({name}) OR {name} > {now})")
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// Whether `item` has expired: one of `attributes` holds epoch seconds at or before now.
pub(crate) fn expired(attributes: &[&str], item: &Item) -> bool {
    passed(attributes, |attribute| match item.get(attribute) {
        Some(AttributeValue::N(seconds)) => seconds.parse().ok(),
        _ => None,
    })
}

/// [`expired`] of an item read straight from an answer's body.
pub(crate) fn wire_expired(attributes: &[&str], item: &WireItem<'_>) -> bool {
    passed(attributes, |attribute| match item.get(attribute) {
        Some(WireValue::N(seconds)) => seconds.parse().ok(),
        _ => None,
    })
}

/// Whether one of `attributes` holds (by `seconds`) epoch seconds at or before now.
fn passed(attributes: &[&str], seconds: impl Fn(&str) -> Option<u64>) -> bool {
    // A read that does not skip expired items asks with none: no clock read.
    if attributes.is_empty() {
        return false;
    }
    let now = Timestamp::now().as_epoch_seconds();
    attributes
        .iter()
        .any(|attribute| seconds(attribute).is_some_and(|s| s <= now))
}
