//! How a scan turns one page's items into its values: from the SDK's items, or straight from
//! the items of a direct answer's body; an item that does not decode fails the page, or with
//! `skip_malformed` is listed in the page's `malformed`.

use crate::codec::{Item, WireItem};
use crate::error::DecodeError;
use crate::key::{PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE};
use crate::table::error::{ErrorKind, Operation, Result};
use crate::table::handle::Table;
use crate::table::malformed_item::MalformedItem;

/// A decoder of the SDK's items.
pub(super) type ItemDecode<U> =
    Box<dyn Fn(Item) -> std::result::Result<U, DecodeError> + Send + Sync>;

/// A decoder of an answer's items.
pub(super) type WireDecode<U> = fn(WireItem<'_>) -> std::result::Result<U, DecodeError>;

/// Decodes a scan's pages into `U`.
pub(super) struct PageDecoder<U> {
    /// From the SDK's items.
    pub(super) item: ItemDecode<U>,
    /// From an answer's items; `None` to build the SDK's items from them first (what a
    /// snapshot keeps).
    pub(super) wire: Option<WireDecode<U>>,
    pub(super) skip_malformed: bool,
}

/// A page's values and the items that did not decode.
pub(super) type Decoded<U> = (Vec<U>, Vec<MalformedItem>);

impl<U> PageDecoder<U> {
    /// The values of the SDK's `items`.
    pub(super) fn items(&self, table: &Table, items: Vec<Item>) -> Result<Decoded<U>> {
        let mut values = Vec::with_capacity(items.len());
        let mut malformed = Vec::new();
        for item in items {
            let key = self
                .skip_malformed
                .then(|| PrimaryKey::of_item(&item))
                .flatten();
            self.keep((self.item)(item), key, table, &mut values, &mut malformed)?;
        }
        Ok((values, malformed))
    }

    /// The values of an answer's `items`.
    pub(super) fn wire_items(&self, table: &Table, items: Vec<WireItem<'_>>) -> Result<Decoded<U>> {
        let Some(wire) = self.wire else {
            return self.items(table, items.into_iter().map(WireItem::into_item).collect());
        };
        let mut values = Vec::with_capacity(items.len());
        let mut malformed = Vec::new();
        for item in items {
            let key = self.skip_malformed.then(|| key_of(&item)).flatten();
            self.keep(wire(item), key, table, &mut values, &mut malformed)?;
        }
        Ok((values, malformed))
    }

    /// Keeps a decoded value, or the item that did not decode when malformed items are skipped.
    fn keep(
        &self,
        decoded: std::result::Result<U, DecodeError>,
        key: Option<PrimaryKey>,
        table: &Table,
        values: &mut Vec<U>,
        malformed: &mut Vec<MalformedItem>,
    ) -> Result<()> {
        match decoded {
            Ok(value) => values.push(value),
            Err(error) if self.skip_malformed => malformed.push(MalformedItem { key, error }),
            Err(e) => return Err(table.error(Operation::Scan, None, ErrorKind::Decode(e))),
        }
        Ok(())
    }
}

/// The primary key of an answer's item, when both key attributes are strings.
fn key_of(item: &WireItem<'_>) -> Option<PrimaryKey> {
    Some(PrimaryKey::new(
        item.string(PARTITION_KEY_ATTRIBUTE)?,
        item.string(SORT_KEY_ATTRIBUTE)?,
    ))
}
