//! How a scan recognises its items: an entity's by `_type` or key prefixes, and never the
//! migration ledger's.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::key::{
    ENTITY_TYPE_ATTRIBUTE, LEDGER_PARTITION_PREFIX, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE,
};
use crate::schema::{EntitySchema, KeySchema};
use crate::table::expression::Placeholders;

/// How a scan of one entity type recognises its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ScanFilter {
    /// `_type` is the entity's name.
    EntityType,
    /// The keys start with the templates' literal prefixes.
    KeyPrefix,
    /// `_type` is the entity's name, or (for items written without `_type`) the keys have the
    /// templates' prefixes. The default.
    #[default]
    EntityTypeOrKeyPrefix,
}

/// Adds `NOT begins_with(PK, "_SCHEMA#")` (and `extra`, when given) as the scan's filter.
pub(super) fn with_ledger_excluded(
    extra: Option<(String, Placeholders<'static>)>,
) -> (String, Placeholders<'static>) {
    let (extra, mut p) = match extra {
        Some((text, p)) => (Some(text), p),
        None => (None, Placeholders::default()),
    };
    let pk = p.name(PARTITION_KEY_ATTRIBUTE);
    let ledger = p.value(AttributeValue::S(LEDGER_PARTITION_PREFIX.to_owned()));
    let not_ledger = format!("NOT begins_with({pk}, {ledger})");
    match extra {
        Some(text) => (format!("({text}) AND {not_ledger}"), p),
        None => (not_ledger, p),
    }
}

/// The filter that recognises an entity's items.
pub(super) fn entity_filter(
    schema: &'static EntitySchema,
    filter: ScanFilter,
) -> (String, Placeholders<'static>) {
    let mut p = Placeholders::default();
    let type_name = p.name(ENTITY_TYPE_ATTRIBUTE);
    let is_type = format!(
        "{type_name} = {}",
        p.value(AttributeValue::S(schema.name.to_owned()))
    );
    // Items in every key shape the entity has had: a re-key's scan reads the old ones.
    let mut shapes: Vec<String> = Vec::new();
    for shape in schema.key_shapes() {
        let condition = prefix_condition(&shape.key, &mut p);
        if !shapes.contains(&condition) {
            shapes.push(condition);
        }
    }
    let by_prefix = match shapes.as_slice() {
        [one] => one.clone(),
        _ => shapes
            .iter()
            .map(|c| format!("({c})"))
            .collect::<Vec<_>>()
            .join(" OR "),
    };
    let text = match filter {
        ScanFilter::EntityType => is_type,
        ScanFilter::KeyPrefix => by_prefix,
        ScanFilter::EntityTypeOrKeyPrefix => {
            format!("{is_type} OR (attribute_not_exists({type_name}) AND {by_prefix})")
        }
    };
    (text, p)
}

/// The condition that the keys start with `key`'s literal prefixes (a constant sort key matched
/// whole); `attribute_exists(PK)` when neither template has one.
fn prefix_condition(key: &KeySchema, p: &mut Placeholders<'static>) -> String {
    let mut prefixes = Vec::new();
    let pk_prefix = key.pk.prefix();
    if !pk_prefix.is_empty() {
        let name = p.name(PARTITION_KEY_ATTRIBUTE);
        prefixes.push(format!(
            "begins_with({name}, {})",
            p.value(AttributeValue::S(pk_prefix.to_owned()))
        ));
    }
    let sk = key.sk;
    if !sk.prefix().is_empty() {
        let name = p.name(SORT_KEY_ATTRIBUTE);
        let value = p.value(AttributeValue::S(sk.prefix().to_owned()));
        // A constant sort key ("PROFILE") is matched exactly, a template by its prefix.
        prefixes.push(if sk.is_constant() {
            format!("{name} = {value}")
        } else {
            format!("begins_with({name}, {value})")
        });
    }
    if prefixes.is_empty() {
        format!("attribute_exists({})", p.name(PARTITION_KEY_ATTRIBUTE))
    } else {
        prefixes.join(" AND ")
    }
}
