//! A `GetItem`, built by `Table::get`.

use std::marker::PhantomData;

use super::direct_read;
use super::direct_requests::{self, GetAnswer};
use super::error::{Error, ErrorKind, Operation, Result};
use super::handle::Table;
use super::managed;
use crate::codec::{Item, WireItem};
use crate::entity::Entity;
use crate::key::PrimaryKey;

/// A `GetItem`, built by [`Table::get`]; nothing happens until [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a Get does nothing until it is sent"]
pub struct Get<E> {
    table: Table,
    key: PrimaryKey,
    consistent: bool,
    skip_expired: bool,
    marker: PhantomData<fn() -> E>,
}

impl<E: Entity> Get<E> {
    pub(crate) fn new(table: Table, key: PrimaryKey) -> Self {
        Self {
            table,
            key,
            consistent: false,
            skip_expired: false,
            marker: PhantomData,
        }
    }

    /// A strongly consistent read (it sees every write acknowledged before it).
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// `None` for an item whose time to live (`#[entity(ttl)]`) has passed: DynamoDB deletes
    /// expired items within a few days and returns them until then.
    pub fn skip_expired(mut self) -> Self {
        self.skip_expired = true;
        self
    }

    /// Sends the request: the entity, or `None` when no item has the key.
    ///
    /// # Errors
    /// An [`Error`] naming the table and the key; [`ErrorKind::Decode`] when the item is not a
    /// valid `E`.
    pub async fn send(self) -> Result<Option<E>> {
        let table = &self.table;
        // With `skip_expired`, the time-to-live attributes an item is left out by.
        let ttl = match self.skip_expired {
            true => E::SCHEMA.ttl.as_slice(),
            false => &[],
        };
        let decoded = table
            .read_item_with(
                &self.key,
                self.consistent,
                |item| (!managed::wire_expired(ttl, &item)).then(|| E::from_wire(item)),
                |item| (!managed::expired(ttl, &item)).then(|| E::from_item(item)),
            )
            .await?;
        match decoded.flatten() {
            Some(value) => value.map(Some).map_err(|e| {
                table.error(Operation::Get, Some(self.key.clone()), ErrorKind::Decode(e))
            }),
            None => Ok(None),
        }
    }
}

impl Table {
    /// The raw item with `key`, or `None`: one `GetItem`, retried with the table's backoff.
    pub(crate) async fn read_item(
        &self,
        key: &PrimaryKey,
        consistent: bool,
    ) -> Result<Option<Item>> {
        self.read_item_with(key, consistent, |item| item.into_item(), |item| item)
            .await
    }

    /// The item with `key`, if any, turned into `T` by `wire` when it was read straight from
    /// the answer's body (direct requests), by `sdk` when the SDK read it.
    async fn read_item_with<T>(
        &self,
        key: &PrimaryKey,
        consistent: bool,
        wire: impl FnOnce(WireItem<'_>) -> T,
        sdk: impl FnOnce(Item) -> T,
    ) -> Result<Option<T>> {
        if let Some(body) = direct_read::send(
            self,
            Operation::Get,
            Some(key),
            "DynamoDB_20120810.GetItem",
            || direct_requests::get_item(self.name(), &key.to_key_item(), consistent),
            |_| {},
        )
        .await?
            && let Some(answer) = direct_read::parse::<GetAnswer<'_>>(self, Operation::Get, &body)?
        {
            return Ok(answer.item.map(wire));
        }
        let output = self
            .backoff()
            .retry(|| async {
                self.client()
                    .get_item()
                    .table_name(self.name())
                    .set_key(Some(key.to_key_item()))
                    .consistent_read(consistent)
                    .send()
                    .await
                    .map_err(|e| Error::from_sdk(Operation::Get, self.name(), Some(key.clone()), e))
            })
            .await?;
        Ok(output.item.map(sdk))
    }
}

impl Table {
    /// Reads the entity with `key` when sent.
    pub fn get<E: Entity>(&self, key: PrimaryKey) -> Get<E> {
        Get::new(self.clone(), key)
    }
}
