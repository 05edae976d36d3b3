//! The primary key of an item, and the attribute names every item shares (`PK`, `SK`, `_type`).

use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::codec::{Item, WireItem};

pub use crate::reserved_names::{
    ENTITY_TYPE_ATTRIBUTE, LEDGER_PARTITION_PREFIX, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE,
};

/// The primary key of an item: the rendered partition and sort key templates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrimaryKey {
    /// The partition key (`PK`).
    pub pk: String,
    /// The sort key (`SK`).
    pub sk: String,
}

impl PrimaryKey {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key as the `Key` map of a `GetItem`, `UpdateItem` or `DeleteItem` request.
    ///
    /// ```
    /// use dynatable_core::PrimaryKey;
    /// let key = PrimaryKey::new("USER#1", "PROFILE").to_key_item();
    /// assert_eq!(key.len(), 2);
    /// ```
    pub fn to_key_item(&self) -> Item {
        let mut item = Item::with_capacity(2);
        item.insert(
            PARTITION_KEY_ATTRIBUTE.to_owned(),
            AttributeValue::S(self.pk.clone()),
        );
        item.insert(
            SORT_KEY_ATTRIBUTE.to_owned(),
            AttributeValue::S(self.sk.clone()),
        );
        item
    }

    /// Reads the key of an item (`PK` and `SK` as strings), if it has one.
    pub fn of_item(item: &Item) -> Option<Self> {
        match (
            item.get(PARTITION_KEY_ATTRIBUTE),
            item.get(SORT_KEY_ATTRIBUTE),
        ) {
            (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => {
                Some(Self::new(pk.clone(), sk.clone()))
            }
            _ => None,
        }
    }

    /// The key of an item of an answer's body: its `PK` and `SK` strings, as
    /// [`of_item`](Self::of_item) reads them.
    pub(crate) fn of_wire_item(item: &WireItem<'_>) -> Option<Self> {
        Some(Self::new(
            item.string(PARTITION_KEY_ATTRIBUTE)?,
            item.string(SORT_KEY_ATTRIBUTE)?,
        ))
    }
}

impl fmt::Display for PrimaryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PK={:?} SK={:?}", self.pk, self.sk)
    }
}
