//! Whether a stored item is what its entity writes: it decodes, and its stored keys are the ones
//! the entity's templates render from its attributes. What `migrate validate` asks of every item.

use crate::codec::{Item, string_attribute};
use crate::entity::Entity;
use crate::error::{DecodeError, EncodeError};

/// How a stored item compares with what its entity writes; see [`check_item`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Conformance {
    /// It decodes, and its stored keys are the ones its attributes render.
    Conforms,
    /// It does not decode as its entity.
    Malformed(DecodeError),
    /// It decodes, but some stored key attributes differ from what the entity's templates render
    /// from its attributes (what a re-key that went wrong leaves behind).
    StaleKeys(Vec<StaleKey>),
    /// It decodes, but cannot be encoded again (a value with no DynamoDB representation).
    Unencodable(EncodeError),
    /// It decodes, and its stored keys are the ones an earlier key shape of its entity renders
    /// (`#[entity(previous_key(until = ...))]`): the keys it had before migration `until`
    /// changed them.
    PreviousKey {
        /// The version that changed the keys (the shape's `until`).
        until: &'static str,
    },
}

/// A key attribute whose stored value differs from the one the entity renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleKey {
    /// The key attribute (`PK`, `SK`, or an index's key attribute).
    pub attribute: String,
    /// Its stored value; `None` when absent (or not a string).
    pub stored: Option<String>,
    /// The value the entity renders; `None` when it writes none (a sparse index key).
    pub expected: Option<String>,
}

impl std::fmt::Display for StaleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |value: &Option<String>| match value {
            Some(text) => format!("{text:?}"),
            None => "absent".to_owned(),
        };
        write!(
            f,
            "{} is {}, the entity renders {}",
            self.attribute,
            show(&self.stored),
            show(&self.expected)
        )
    }
}

/// Checks `item` against entity `E`: decodes it, encodes the value again, and compares the key
/// attributes (`PK`, `SK` and every index key attribute `E` declares) stored in the item with the
/// rendered ones. Attributes other than keys are not compared: an item may carry attributes its
/// entity does not declare.
///
/// ```
/// use dynatable_core::{Conformance, Entity, check_item, entity};
/// use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
///
/// #[entity(pk = "TEAM#{team_id}", sk = "TEAM")]
/// pub struct Team {
///     pub team_id: String,
/// }
///
/// let mut item = Team { team_id: "t1".into() }.to_item().unwrap();
/// assert_eq!(check_item::<Team>(item.clone()), Conformance::Conforms);
/// item.insert("PK".into(), AttributeValue::S("TEAM#t2".into()));
/// assert!(matches!(check_item::<Team>(item), Conformance::StaleKeys(_)));
/// ```
pub fn check_item<E: Entity>(item: Item) -> Conformance {
    let schema = E::SCHEMA;
    let mut attributes: Vec<&'static str> = Vec::new();
    for shape in schema.key_shapes() {
        for name in shape.key_attributes() {
            if !attributes.contains(&name) {
                attributes.push(name);
            }
        }
    }
    let stored: Vec<(&'static str, Option<String>)> = attributes
        .into_iter()
        .map(|name| (name, string_attribute(&item, name).map(str::to_owned)))
        .collect();
    let stored_value = |name: &str| {
        stored
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    };
    let value = match E::from_item(item) {
        Ok(value) => value,
        Err(e) => return Conformance::Malformed(e),
    };
    let rendered = match value.to_item() {
        Ok(rendered) => rendered,
        Err(e) => return Conformance::Unencodable(e),
    };
    let current = schema.key_shapes().last();
    let stale: Vec<StaleKey> = current
        .iter()
        .flat_map(|shape| shape.key_attributes())
        .filter_map(|attribute| {
            let stored = stored_value(attribute);
            let expected = string_attribute(&rendered, attribute);
            (stored != expected).then(|| StaleKey {
                attribute: attribute.to_owned(),
                stored: stored.map(str::to_owned),
                expected: expected.map(str::to_owned),
            })
        })
        .collect();
    if stale.is_empty() {
        return Conformance::Conforms;
    }
    // Newest first: a shape that renders the stored keys names the version that moved them.
    let shapes: Vec<_> = schema.key_shapes().collect();
    for (position, shape) in shapes.iter().enumerate().rev().skip(1) {
        let Some(keys) = value.key_attributes(position) else {
            continue;
        };
        let same = shape
            .key_attributes()
            .all(|attribute| stored_value(attribute) == string_attribute(&keys, attribute));
        if let (true, Some(until)) = (same, shape.until) {
            return Conformance::PreviousKey { until };
        }
    }
    Conformance::StaleKeys(stale)
}
