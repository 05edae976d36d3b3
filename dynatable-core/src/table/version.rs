//! Optimistic locking: the version attribute of an entity declared with `#[entity(version)]`.
//!
//! Every typed write of such an entity checks the version it was given and increments it: a put
//! checks the version of the value it writes and stores that version plus one; updates and
//! deletes check the version given with `if_version`, and updates always increment it. An item
//! stored without the attribute counts as version 0, and so does a new value.

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::Condition;
use super::error::{Error, ErrorKind};
use super::handle::Table;
use crate::codec::Item;
use crate::entity::Entity;
use crate::key::PrimaryKey;

/// The version a write expects to find, kept with the write so that a failed condition can be
/// told apart: another writer's version, or the write's own condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionCheck {
    pub(crate) entity: &'static str,
    pub(crate) attribute: &'static str,
    pub(crate) expected: u64,
}

impl VersionCheck {
    /// The condition that the stored version is `expected`: an absent attribute is version 0,
    /// and so is an absent item (a new item starts from 0).
    pub(crate) fn condition(&self) -> Condition<()> {
        let equal = Condition::attribute_equals(self.attribute, number(self.expected));
        if self.expected == 0 {
            Condition::attribute_not_exists(self.attribute).or(equal)
        } else {
            equal
        }
    }

    /// `error` (a failed condition of this write) as a version conflict when the stored version
    /// is not the expected one; the version found is read again, consistently.
    pub(crate) async fn explain(&self, table: &Table, key: &PrimaryKey, error: Error) -> Error {
        if !error.is_conditional_check_failed() {
            return error;
        }
        let found = match table.read_item(key, true).await {
            Ok(item) => item.map(|item| stored_version(&item, self.attribute)),
            Err(_) => return error,
        };
        if found == Some(self.expected) || (found.is_none() && self.expected == 0) {
            // The version matched: the write's own condition failed.
            return error;
        }
        table.error(
            error.operation(),
            Some(key.clone()),
            ErrorKind::VersionConflict {
                entity: self.entity,
                expected: self.expected,
                found,
            },
        )
    }
}

/// The version stored in `item`: 0 when the attribute is absent (or not a whole number).
pub(crate) fn stored_version(item: &Item, attribute: &str) -> u64 {
    match item.get(attribute) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    }
}

/// A version as a number attribute.
pub(crate) fn number(version: u64) -> AttributeValue {
    AttributeValue::N(version.to_string())
}

/// For a put of a versioned entity: the check of the version the value carries, and the item
/// to write with that version plus one.
pub(crate) fn versioned_put(
    entity: &'static str,
    attribute: &'static str,
    mut item: Item,
) -> (VersionCheck, Item) {
    let expected = stored_version(&item, attribute);
    item.insert(attribute.to_owned(), number(expected.saturating_add(1)));
    (
        VersionCheck {
            entity,
            attribute,
            expected,
        },
        item,
    )
}

/// The version attribute of entity `E`, with the entity's name, or `None` when it has none.
pub(crate) fn of<E: Entity>() -> Option<(&'static str, &'static str)> {
    E::SCHEMA
        .version
        .map(|attribute| (E::SCHEMA.name, attribute))
}

/// The check that entity `E`'s stored version is `expected` (`None` for an entity whose schema
/// names no version attribute).
pub(crate) fn check<E: Entity>(expected: u64) -> Option<VersionCheck> {
    of::<E>().map(|(entity, attribute)| VersionCheck {
        entity,
        attribute,
        expected,
    })
}
