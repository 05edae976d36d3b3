//! Whether a stored item is what its entity writes: it decodes, and its stored keys are the ones
//! the entity's templates render from its attributes. What `migrate validate` asks of every item.

use crate::codec::{Item, string_attribute};
use crate::entity::Entity;
use crate::error::{DecodeError, EncodeError};
use crate::key::{PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};

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
    let key_attributes = [PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE]
        .into_iter()
        .chain(
            schema
                .indexes
                .iter()
                .flat_map(|i| std::iter::once(i.pk_attribute).chain(i.sk_attribute)),
        );
    let stored: Vec<(&'static str, Option<String>)> = key_attributes
        .map(|name| (name, string_attribute(&item, name).map(str::to_owned)))
        .collect();
    let value = match E::from_item(item) {
        Ok(value) => value,
        Err(e) => return Conformance::Malformed(e),
    };
    let rendered = match value.to_item() {
        Ok(rendered) => rendered,
        Err(e) => return Conformance::Unencodable(e),
    };
    let stale: Vec<StaleKey> = stored
        .into_iter()
        .filter_map(|(attribute, stored)| {
            let expected = string_attribute(&rendered, attribute);
            (stored.as_deref() != expected).then(|| StaleKey {
                attribute: attribute.to_owned(),
                stored,
                expected: expected.map(str::to_owned),
            })
        })
        .collect();
    if stale.is_empty() {
        Conformance::Conforms
    } else {
        Conformance::StaleKeys(stale)
    }
}
