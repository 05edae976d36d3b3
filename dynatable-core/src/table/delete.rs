//! A `DeleteItem`, built by `Table::delete` or `Table::delete_item`.

use std::marker::PhantomData;

use super::condition::Condition;
use super::error::Result;
use super::handle::Table;
use super::version;
use super::write::Write;
use super::write_op::WriteOp;
use crate::entity::{Entity, Versioned};
use crate::key::{PARTITION_KEY_ATTRIBUTE, PrimaryKey};

/// A `DeleteItem`, built by [`Table::delete`]; nothing happens until [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a Delete does nothing until it is sent"]
pub struct Delete<E> {
    table: Table,
    write: Write,
    marker: PhantomData<fn() -> E>,
}

impl<E> Delete<E> {
    pub(crate) fn new(table: Table, key: PrimaryKey) -> Self {
        Self {
            table,
            write: Write::new(key, WriteOp::Delete),
            marker: PhantomData,
        }
    }

    /// Deletes only if the item exists; otherwise the send fails with
    /// [`is_conditional_check_failed`](super::Error::is_conditional_check_failed).
    pub fn if_exists(self) -> Self {
        self.condition(Condition::attribute_exists(PARTITION_KEY_ATTRIBUTE))
    }

    /// Deletes only if `condition` holds (AND-ed with earlier ones).
    pub fn condition(mut self, condition: Condition<E>) -> Self {
        self.write.add_condition(condition);
        self
    }

    /// Deletes only if the stored version of the entity is `version` (an item stored without
    /// the attribute is version 0); otherwise the send fails with
    /// [`is_version_conflict`](super::Error::is_version_conflict).
    pub fn if_version(mut self, version: u64) -> Self
    where
        E: Versioned,
    {
        if let Some(check) = version::check::<E>(version) {
            self.write.check_version(check);
        }
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// An [`Error`](super::Error) naming the table and the key.
    pub async fn send(self) -> Result<()> {
        self.write.execute(&self.table).await
    }

    pub(crate) fn into_write(self) -> Write {
        self.write
    }
}

impl<E> From<Delete<E>> for Write {
    fn from(op: Delete<E>) -> Self {
        op.into_write()
    }
}

impl Table {
    /// Deletes the entity with `key` when sent.
    pub fn delete<E: Entity>(&self, key: PrimaryKey) -> Delete<E> {
        Delete::new(self.clone(), key)
    }

    /// Deletes the item with `key`, whatever its entity.
    pub fn delete_item(&self, key: PrimaryKey) -> Delete<()> {
        Delete::new(self.clone(), key)
    }
}
