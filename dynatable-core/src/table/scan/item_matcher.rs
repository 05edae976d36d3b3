//! Recognising a scan's items among items read by key: what a catch-up needs for the items that
//! changed behind a scan, which it reads one by one instead of scanning.

use aws_sdk_dynamodb::types::AttributeValue;

use super::filter::ScanFilter;
use crate::codec::{Item, string_attribute};
use crate::error::DecodeError;
use crate::key::{
    ENTITY_TYPE_ATTRIBUTE, LEDGER_PARTITION_PREFIX, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE,
};
use crate::schema::EntitySchema;
use crate::table::snapshot::{Snapshot, SnapshotReader};

/// Tells whether an item is one a [`Scan`](super::Scan) would return, by the same rules as the
/// scan's filter expression, and decodes it into a [`Snapshot`] if so. Built by
/// [`Scan::item_matcher`](super::Scan::item_matcher).
#[derive(Debug)]
pub struct ItemMatcher<T> {
    entity: Option<&'static EntitySchema>,
    filter: ScanFilter,
    reader: SnapshotReader<T>,
}

// Copy whatever `T` is: the matcher holds references and a function pointer, not a `T`.
impl<T> Clone for ItemMatcher<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ItemMatcher<T> {}

impl<T> ItemMatcher<T> {
    pub(crate) fn new(
        entity: Option<&'static EntitySchema>,
        filter: ScanFilter,
        reader: SnapshotReader<T>,
    ) -> Self {
        Self {
            entity,
            filter,
            reader,
        }
    }

    /// Whether the scan would return `item`: never a migration ledger item; for a scan of an
    /// entity, an item of its type (by `_type`, or by the key prefixes for items written
    /// without it, as the scan's [`ScanFilter`] says).
    pub fn matches(&self, item: &Item) -> bool {
        let text = |name: &str| string_attribute(item, name);
        let Some(pk) = text(PARTITION_KEY_ATTRIBUTE) else {
            return false;
        };
        if pk.starts_with(LEDGER_PARTITION_PREFIX) {
            return false;
        }
        let Some(schema) = self.entity else {
            return true;
        };
        let entity_type = item.get(ENTITY_TYPE_ATTRIBUTE);
        let is_type = matches!(entity_type, Some(AttributeValue::S(t)) if t == schema.name);
        let sk = text(SORT_KEY_ATTRIBUTE).unwrap_or_default();
        let by_prefix = schema
            .key_shapes()
            .any(|shape| shape.key.has_prefixes_of(pk, sk));
        match self.filter {
            ScanFilter::EntityType => is_type,
            ScanFilter::KeyPrefix => by_prefix,
            ScanFilter::EntityTypeOrKeyPrefix => is_type || (entity_type.is_none() && by_prefix),
        }
    }

    /// The snapshot of `item` when the scan would return it, `None` otherwise.
    ///
    /// # Errors
    /// The item is one of the scan's but does not decode.
    pub fn snapshot(&self, item: Item) -> Option<Result<Snapshot<T>, DecodeError>> {
        self.matches(&item).then(|| self.reader.read(item))
    }
}
