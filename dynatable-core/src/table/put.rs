//! A `PutItem`, built by `Table::put` or `Table::put_item`.

use std::marker::PhantomData;

use super::condition::Condition;
use super::error::Result;
use super::handle::Table;
use super::version;
use super::write::Write;
use super::write_op::WriteOp;
use crate::codec::Item;
use crate::entity::Entity;
use crate::error::{EncodeError, ValueError};
use crate::key::{PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE};

/// A `PutItem` of one entity, built by [`Table::put`]; nothing happens until [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a Put does nothing until it is sent"]
pub struct Put<E> {
    table: Table,
    write: Write,
    marker: PhantomData<fn() -> E>,
}

impl<E: Entity> Put<E> {
    pub(crate) fn new(table: Table, entity: &E) -> Self {
        let item = entity.to_item().map(|mut item| {
            super::managed::stamp_put(E::SCHEMA, &mut item);
            item
        });
        let mut write = Write::new(entity.primary_key(), WriteOp::Put(item));
        if let (Some((name, attribute)), WriteOp::Put(Ok(item))) =
            (version::of::<E>(), &mut write.op)
        {
            let (check, versioned) = version::versioned_put(name, attribute, std::mem::take(item));
            *item = versioned;
            write.check_version(check);
        }
        Self {
            table,
            write,
            marker: PhantomData,
        }
    }
}

impl Put<()> {
    /// A put of a raw item, whose `PK` and `SK` are strings; without them the send fails with
    /// an encoding error and nothing is written.
    pub(crate) fn item(table: Table, item: Item) -> Self {
        let (key, op) = match PrimaryKey::of_item(&item) {
            Some(key) => (key, WriteOp::Put(Ok(item))),
            None => (
                PrimaryKey::new("", ""),
                WriteOp::Put(Err(missing_key(&item))),
            ),
        };
        Self {
            table,
            write: Write::new(key, op),
            marker: PhantomData,
        }
    }
}

/// Why a raw item cannot be written: its `PK` or `SK` is missing or not a string.
pub(crate) fn missing_key(item: &Item) -> EncodeError {
    EncodeError {
        entity: "item",
        attribute: if matches!(item.get(PARTITION_KEY_ATTRIBUTE), Some(v) if v.is_s()) {
            SORT_KEY_ATTRIBUTE
        } else {
            PARTITION_KEY_ATTRIBUTE
        },
        source: ValueError::NotRepresentable {
            reason: "a raw item needs string PK and SK attributes".to_owned(),
        },
    }
}

impl<E> Put<E> {
    /// Writes only if no item has this key (`attribute_not_exists(PK)`); otherwise the send fails
    /// with [`is_conditional_check_failed`](super::Error::is_conditional_check_failed).
    pub fn if_absent(self) -> Self {
        self.condition(Condition::attribute_not_exists(PARTITION_KEY_ATTRIBUTE))
    }

    /// Writes only if `condition` holds for the item being replaced (AND-ed with earlier ones).
    pub fn condition(mut self, condition: Condition<E>) -> Self {
        self.write.add_condition(condition);
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// An [`Error`](super::Error) naming the table and the key: a failed condition, an encoding
    /// error, throttling after retries, or the SDK's error.
    pub async fn send(self) -> Result<()> {
        self.write.execute(&self.table).await
    }

    pub(crate) fn into_write(self) -> Write {
        self.write
    }
}

impl<E> From<Put<E>> for Write {
    fn from(op: Put<E>) -> Self {
        op.into_write()
    }
}

impl Table {
    /// Writes `entity` (replacing any item with its key) when sent.
    pub fn put<E: Entity>(&self, entity: &E) -> Put<E> {
        Put::new(self.clone(), entity)
    }

    /// Puts a raw item, whatever its entity (`PK` and `SK` must be strings): for migrations that
    /// rewrite items of an older shape the current entity types no longer describe.
    pub fn put_item(&self, item: Item) -> Put<()> {
        Put::item(self.clone(), item)
    }
}
