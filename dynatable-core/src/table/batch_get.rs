//! `BatchGetItem`: many items by key, in chunks of 100, unprocessed keys asked for again; typed
//! ([`BatchGet`]) or raw ([`Table::batch_get_items`]).

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use futures::{StreamExt as _, TryStreamExt as _};

use super::direct_read;
use super::direct_requests::{self, BatchGetAnswer};
use super::error::{Error, ErrorKind, Operation, Result};
use super::handle::Table;
use super::query_target::QueryTarget;
use crate::codec::{Item, WireItem};
use crate::error::DecodeError;
use crate::key::PrimaryKey;

/// The most keys DynamoDB accepts in one `BatchGetItem`.
pub const MAX_BATCH_GET_KEYS: usize = 100;

/// A typed `BatchGetItem` of any number of keys, built by [`Table::batch_get`], of one entity
/// type or of the members of a [`#[collection]`](macro@crate::collection); nothing happens until
/// [`send`](Self::send).
///
/// ```no_run
/// # use dynatable_core::{entity, Table};
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
///     pub name: String,
/// }
///
/// # async fn demo(table: Table) -> Result<(), dynatable_core::Error> {
/// let users: Vec<Option<User>> = table
///     .batch_get::<User>(["u1", "u2", "u3"].map(User::key))
///     .consistent()
///     .send()
///     .await?;
/// assert_eq!(users.len(), 3); // in the keys' order, `None` where no item has the key
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a BatchGet does nothing until it is sent"]
pub struct BatchGet<E> {
    table: Table,
    keys: Vec<PrimaryKey>,
    consistent: bool,
    marker: PhantomData<fn() -> E>,
}

impl<E: QueryTarget> BatchGet<E> {
    /// Strongly consistent reads (they see every write acknowledged before them; they cost
    /// twice the read capacity).
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Sends the requests: one entry per key, in the keys' order, `None` for a key no item has
    /// (a key given twice is read once and answered twice; for a collection, also `None` for an
    /// item of no member, unless the collection has a variant for others). Keys are read in chunks of
    /// [`MAX_BATCH_GET_KEYS`], as many at once as the table's
    /// [`concurrency`](Table::concurrency); the keys DynamoDB leaves unprocessed are asked for
    /// again with the table's backoff.
    ///
    /// # Errors
    /// A request error; [`ErrorKind::Unprocessed`] when keys are still unprocessed after every
    /// attempt; [`ErrorKind::Decode`], naming the key, when an item is not a valid `E`.
    pub async fn send(self) -> Result<Vec<Option<E>>> {
        // An item is decoded as its answer is read, straight from the body when it came as a
        // direct request; one whose key is asked for more than once is kept whole instead, to
        // be decoded once per time (`E` need not be `Clone`).
        let mut seen = HashSet::new();
        let asked_twice: Arc<HashSet<PrimaryKey>> = Arc::new(
            self.keys
                .iter()
                .filter(|k| !seen.insert(*k))
                .cloned()
                .collect(),
        );
        let found = self
            .table
            .batch_get_with(
                &self.keys,
                self.consistent,
                Found::<E>::of_wire(asked_twice.clone()),
                Found::<E>::of_sdk(asked_twice),
            )
            .await?;
        self.in_keys_order(found)
    }

    /// One entry per key, in the keys' order, from the items `found`; the error is the first
    /// malformed key's.
    fn in_keys_order(&self, found: HashMap<PrimaryKey, Found<E>>) -> Result<Vec<Option<E>>> {
        let (mut decoded, mut kept) = (HashMap::new(), HashMap::new());
        for (key, found) in found {
            match found {
                Found::Decoded(result) => {
                    decoded.insert(key, result);
                }
                Found::Kept(item) => {
                    kept.insert(key, item);
                }
            }
        }
        self.keys
            .iter()
            .map(|key| {
                let result = match (decoded.remove(key), kept.get(key)) {
                    (Some(result), _) => result,
                    (None, Some(item)) => E::decode(item.clone()),
                    (None, None) => return Ok(None),
                };
                result.map_err(|e| {
                    self.table
                        .error(Operation::BatchGet, Some(key.clone()), ErrorKind::Decode(e))
                })
            })
            .collect()
    }
}

/// An item a typed batch get found.
enum Found<E> {
    /// Decoded as it was read (`None`: an item of no member of a collection).
    Decoded(std::result::Result<Option<E>, DecodeError>),
    /// Kept whole: its key was asked for more than once.
    Kept(Item),
}

impl<E: QueryTarget> Found<E> {
    /// What an item of a direct request's body is found as, with its key (`None` without one).
    fn of_wire(
        asked_twice: Arc<HashSet<PrimaryKey>>,
    ) -> impl Fn(WireItem<'_>) -> Option<(PrimaryKey, Self)> + Clone + Send + Sync {
        move |item| {
            let key = PrimaryKey::of_wire_item(&item)?;
            Some(match asked_twice.contains(&key) {
                true => (key, Self::Kept(item.into_item())),
                false => (key, Self::Decoded(E::decode_wire(item))),
            })
        }
    }

    /// What an item of the SDK's answer is found as, with its key (`None` without one).
    fn of_sdk(
        asked_twice: Arc<HashSet<PrimaryKey>>,
    ) -> impl Fn(Item) -> Option<(PrimaryKey, Self)> + Clone + Send + Sync {
        move |item| {
            let key = PrimaryKey::of_item(&item)?;
            Some(match asked_twice.contains(&key) {
                true => (key, Self::Kept(item)),
                false => (key, Self::Decoded(E::decode(item))),
            })
        }
    }
}

impl Table {
    /// A typed [`BatchGet`] of the items with `keys`, of entity `E` or of the members of a
    /// collection `E`.
    pub fn batch_get<E: QueryTarget>(
        &self,
        keys: impl IntoIterator<Item = PrimaryKey>,
    ) -> BatchGet<E> {
        BatchGet {
            table: self.clone(),
            keys: keys.into_iter().collect(),
            consistent: false,
            marker: PhantomData,
        }
    }

    /// The raw items with `keys`, in the order of `keys`, `None` for a key no item has. Keys are
    /// read in chunks of [`MAX_BATCH_GET_KEYS`], as many at once as the table's
    /// [`concurrency`](Table::concurrency), the unprocessed ones asked for again with the
    /// table's backoff; `consistent` makes the reads strongly consistent.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
    /// use dynatable_core::PrimaryKey;
    /// let keys = [PrimaryKey::new("USER#1", "PROFILE"), PrimaryKey::new("USER#2", "PROFILE")];
    /// let items = table.batch_get_items(&keys, true).await?;
    /// assert_eq!(items.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A request error, or keys still unprocessed after every attempt
    /// ([`ErrorKind::Unprocessed`]).
    pub async fn batch_get_items(
        &self,
        keys: &[PrimaryKey],
        consistent: bool,
    ) -> Result<Vec<Option<Item>>> {
        let wire = |item: WireItem<'_>| Some((PrimaryKey::of_wire_item(&item)?, item.into_item()));
        let sdk = |item: Item| Some((PrimaryKey::of_item(&item)?, item));
        let found = self.batch_get_with(keys, consistent, wire, sdk).await?;
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    /// The items with `keys` (each read once), by key, each made a `T` as its answer is read:
    /// by `wire` from a direct request's body, by `sdk` from the SDK's answer (`None` for an
    /// item without a string `PK` and `SK`, which no key asked for).
    async fn batch_get_with<T: Send>(
        &self,
        keys: &[PrimaryKey],
        consistent: bool,
        wire: impl Fn(WireItem<'_>) -> Option<(PrimaryKey, T)> + Clone + Send + Sync,
        sdk: impl Fn(Item) -> Option<(PrimaryKey, T)> + Clone + Send + Sync,
    ) -> Result<HashMap<PrimaryKey, T>> {
        let mut seen = HashSet::new();
        let distinct: Vec<&PrimaryKey> = keys.iter().filter(|k| seen.insert(*k)).collect();
        // Owned chunks: a future borrowing its chunk would not be `Send` for every lifetime a
        // caller's future may be checked at.
        let chunks: Vec<Vec<Item>> = distinct
            .chunks(MAX_BATCH_GET_KEYS)
            .map(|chunk| chunk.iter().map(|k| k.to_key_item()).collect())
            .collect();
        let mut chunks = futures::stream::iter(chunks)
            .map(|wanted| self.batch_get_chunk(wanted, consistent, wire.clone(), sdk.clone()))
            .buffer_unordered(self.concurrency());
        let mut found = HashMap::with_capacity(distinct.len());
        while let Some(items) = chunks.try_next().await? {
            found.extend(items);
        }
        Ok(found)
    }

    /// The items of `wanted` (at most [`MAX_BATCH_GET_KEYS`] key items), made `T`s by `wire` or
    /// `sdk`, unprocessed keys asked for again.
    async fn batch_get_chunk<T>(
        &self,
        mut wanted: Vec<Item>,
        consistent: bool,
        wire: impl Fn(WireItem<'_>) -> Option<(PrimaryKey, T)>,
        sdk: impl Fn(Item) -> Option<(PrimaryKey, T)>,
    ) -> Result<Vec<(PrimaryKey, T)>> {
        let mut items = Vec::with_capacity(wanted.len());
        let mut attempt = 0;
        while !wanted.is_empty() {
            if attempt >= self.backoff().attempts {
                return Err(self.error(
                    Operation::BatchGet,
                    None,
                    ErrorKind::Unprocessed {
                        count: wanted.len(),
                        attempts: attempt,
                    },
                ));
            }
            if attempt > 0 {
                tokio::time::sleep(self.backoff().delay(attempt - 1)).await;
            }
            attempt += 1;
            if let Some((found, rest)) = self.batch_get_direct(&wanted, consistent, &wire).await? {
                items.extend(found);
                wanted = rest;
                continue;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut wanted)))
                .consistent_read(consistent)
                .build()
                .map_err(|e| {
                    self.error(
                        Operation::BatchGet,
                        None,
                        ErrorKind::Expression(e.to_string()),
                    )
                })?;
            let output = self
                .backoff()
                .retry(|| async {
                    self.client()
                        .batch_get_item()
                        .request_items(self.name(), request.clone())
                        .send()
                        .await
                        .map_err(|e| Error::from_sdk(Operation::BatchGet, self.name(), None, e))
                })
                .await?;
            items.extend(
                output
                    .responses
                    .and_then(|mut r| r.remove(self.name()))
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(&sdk),
            );
            if let Some(rest) = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.name()))
            {
                wanted = rest.keys;
            }
        }
        Ok(items)
    }

    /// One `BatchGetItem` of `wanted` through the direct requests: the items found (made `T`s
    /// by `wire`) and the keys left unprocessed, or `None` to send it through the SDK.
    async fn batch_get_direct<T>(
        &self,
        wanted: &[Item],
        consistent: bool,
        wire: impl Fn(WireItem<'_>) -> Option<(PrimaryKey, T)>,
    ) -> Result<Option<(Vec<(PrimaryKey, T)>, Vec<Item>)>> {
        let Some(body) = direct_read::send(
            self,
            Operation::BatchGet,
            None,
            "DynamoDB_20120810.BatchGetItem",
            || direct_requests::batch_get_item(self.name(), wanted, consistent),
            |_| {},
        )
        .await?
        else {
            return Ok(None);
        };
        let Some(mut answer) =
            direct_read::parse::<BatchGetAnswer<'_>>(self, Operation::BatchGet, &body)?
        else {
            return Ok(None);
        };
        let found = answer
            .responses
            .remove(self.name())
            .unwrap_or_default()
            .into_iter()
            .filter_map(wire)
            .collect();
        let rest = answer
            .unprocessed_keys
            .remove(self.name())
            .map(|u| u.keys.into_iter().map(WireItem::into_item).collect())
            .unwrap_or_default();
        Ok(Some((found, rest)))
    }
}
