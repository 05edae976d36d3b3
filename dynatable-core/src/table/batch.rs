//! Batch writes: `batch_put` and `batch_delete` in chunks of 25, unprocessed items retried.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use futures::{Stream, StreamExt, TryStreamExt};

use super::bulk_report::{BulkError, BulkReport, Counters};
use super::capacity_share::{Ticket, partition_of, write_units};
use super::concurrent::run_concurrent;
use super::error::{Error, ErrorKind, Operation, Result};
use super::handle::Table;
use crate::codec::Item;
use crate::entity::{BatchWritable, Entity};
use crate::item_size::item_size;
use crate::key::PrimaryKey;

/// What [`Table::batch_put`] and [`Table::batch_put_stream`] return: the report of the writes.
pub type BatchFuture<'a> = futures::future::BoxFuture<'a, Result<BulkReport, BulkError>>;

/// The most requests one `BatchWriteItem` takes.
pub const MAX_BATCH_WRITE: usize = 25;

/// One request of a batch write, with the key it writes (requests in one batch need distinct keys).
struct Keyed {
    key: PrimaryKey,
    request: WriteRequest,
}

/// The batch request putting `item`.
fn put_request(table: &Table, key: PrimaryKey, item: Item) -> Result<Keyed> {
    Ok(Keyed {
        key,
        request: WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| build_error(table, e))?,
            )
            .build(),
    })
}

impl Table {
    /// Writes every entity with `BatchWriteItem`: chunks of 25, several chunks in flight (the
    /// table's [concurrency](Table::with_concurrency)), unprocessed items retried with
    /// exponential backoff and jitter. Entities with the same key go to different requests (the
    /// last one written wins).
    ///
    /// The answer is a boxed future rather than an `async fn` so that a versioned entity, which
    /// is not [`BatchWritable`], is reported once, at the call, not again at the `.await`.
    ///
    /// # Errors
    /// A [`BulkError`] with the report of what was written when an entity cannot be encoded, a
    /// request fails, or items stay unprocessed after every retry. No chunk is sent after the
    /// error; the ones in flight finish first, so the report counts every write made.
    pub fn batch_put<'a, E, I>(&'a self, entities: I) -> BatchFuture<'a>
    where
        E: Entity + BatchWritable,
        I: IntoIterator<Item = E>,
        I::IntoIter: Send + 'a,
    {
        Box::pin(self.put_entities(futures::stream::iter(entities)))
    }

    /// [`batch_put`](Self::batch_put) over a stream.
    ///
    /// # Errors
    /// As [`batch_put`](Self::batch_put).
    pub fn batch_put_stream<'a, E: Entity + BatchWritable>(
        &'a self,
        entities: impl Stream<Item = E> + Send + 'a,
    ) -> BatchFuture<'a> {
        Box::pin(self.put_entities(entities))
    }

    /// The body of [`batch_put_stream`](Self::batch_put_stream), whose callers checked that `E`
    /// is [`BatchWritable`].
    async fn put_entities<E: Entity>(
        &self,
        entities: impl Stream<Item = E> + Send,
    ) -> Result<BulkReport, BulkError> {
        let table = self.clone();
        let requests = entities.map(move |entity| {
            let key = entity.primary_key();
            let mut item = entity.into_item().map_err(|e| {
                table.error(
                    Operation::BatchWrite,
                    Some(key.clone()),
                    ErrorKind::Encode(e),
                )
            })?;
            super::managed::stamp_put(E::SCHEMA, &mut item);
            put_request(&table, key, item)
        });
        self.batch_write(requests).await
    }

    /// Writes raw items (with string `PK` and `SK`), as [`batch_put`](Self::batch_put) writes
    /// entities: for data of another shape than the entity types (a legacy layout, a seed).
    ///
    /// # Errors
    /// As [`batch_put`](Self::batch_put); an item without string `PK` and `SK` is an encoding
    /// error.
    pub async fn batch_put_items<I>(&self, items: I) -> Result<BulkReport, BulkError>
    where
        I: IntoIterator<Item = Item>,
        I::IntoIter: Send,
    {
        let table = self.clone();
        let requests = futures::stream::iter(items).map(move |item| {
            let Some(key) = PrimaryKey::of_item(&item) else {
                let error = super::put::missing_key(&item);
                return Err(table.error(Operation::BatchWrite, None, ErrorKind::Encode(error)));
            };
            put_request(&table, key, item)
        });
        self.batch_write(requests).await
    }

    /// Deletes every key with `BatchWriteItem`, as [`batch_put`](Self::batch_put) writes.
    ///
    /// # Errors
    /// As [`batch_put`](Self::batch_put).
    pub async fn batch_delete<I>(&self, keys: I) -> Result<BulkReport, BulkError>
    where
        I: IntoIterator<Item = PrimaryKey>,
        I::IntoIter: Send,
    {
        self.batch_delete_stream(futures::stream::iter(keys)).await
    }

    /// [`batch_delete`](Self::batch_delete) over a stream.
    ///
    /// # Errors
    /// As [`batch_put`](Self::batch_put).
    pub async fn batch_delete_stream(
        &self,
        keys: impl Stream<Item = PrimaryKey> + Send,
    ) -> Result<BulkReport, BulkError> {
        let table = self.clone();
        let requests = keys.map(move |key| {
            Ok(Keyed {
                request: WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(key.to_key_item()))
                            .build()
                            .map_err(|e| build_error(&table, e))?,
                    )
                    .build(),
                key,
            })
        });
        self.batch_write(requests).await
    }

    async fn batch_write(
        &self,
        requests: impl Stream<Item = Result<Keyed>> + Send,
    ) -> Result<BulkReport, BulkError> {
        let counters = Counters::default();
        let chunks = chunk_distinct(requests.inspect_ok(|_| Counters::add(&counters.read, 1)));
        let result = run_concurrent(chunks, self.concurrency(), |chunk| {
            self.write_chunk(chunk, &counters)
        })
        .await;
        counters.finish(result)
    }

    /// Sends one chunk until every request is processed or the attempts run out.
    async fn write_chunk(&self, chunk: Vec<Keyed>, counters: &Counters) -> Result<()> {
        let backoff = self.backoff();
        let share = self.write_capacity();
        let capacity = self.consumed_capacity_request();
        let mut pending: Vec<WriteRequest> = chunk.into_iter().map(|k| k.request).collect();
        let mut attempt = 0;
        loop {
            let cost = pending.len();
            if let Some(limiter) = self.rate_limiter() {
                limiter.acquire(cost as f64).await;
            }
            let estimated: f64 = pending.iter().map(request_units).sum();
            let request_items = HashMap::from([(self.name().to_owned(), pending.clone())]);
            Counters::add(&counters.requests, 1);
            // The ticket of the last attempt, for the items it leaves unprocessed.
            let last_ticket = std::sync::Mutex::new(Ticket::default());
            let output = backoff
                .retry(|| async {
                    // Every attempt takes its units, as a single write's do.
                    let ticket = match share {
                        Some(share) => share.acquire(estimated).await,
                        None => Ticket::default(),
                    };
                    *last_ticket
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = ticket;
                    let sent = self
                        .client()
                        .batch_write_item()
                        .set_request_items(Some(request_items.clone()))
                        .set_return_consumed_capacity(capacity.clone())
                        .send()
                        .await
                        .map_err(|e| Error::from_sdk(Operation::BatchWrite, self.name(), None, e));
                    if let (Err(e), Some(share)) = (&sent, share)
                        && e.is_throttled()
                    {
                        // The whole batch was throttled: as many partitions as it wrote.
                        for request in &pending {
                            share.throttled(request_partition(request), ticket);
                        }
                    }
                    sent
                })
                .await?;
            let consumed: f64 = output
                .consumed_capacity()
                .iter()
                .filter_map(|c| c.capacity_units())
                .sum();
            if let Some(share) = share {
                share.settle(estimated, consumed);
            }
            if let Some(limiter) = self.rate_limiter()
                && capacity.is_some()
            {
                limiter.adjust(consumed - cost as f64);
            }
            let unprocessed = output
                .unprocessed_items
                .and_then(|mut m| m.remove(self.name()))
                .unwrap_or_default();
            Counters::add(&counters.written, pending.len() - unprocessed.len());
            if unprocessed.is_empty() {
                return Ok(());
            }
            if let Some(share) = share {
                // Items come back unprocessed when their partitions are throttled.
                let ticket = *last_ticket
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for request in &unprocessed {
                    share.throttled(request_partition(request), ticket);
                }
            }
            attempt += 1;
            if attempt >= backoff.attempts {
                Counters::add(&counters.failed, unprocessed.len());
                return Err(self.error(
                    Operation::BatchWrite,
                    None,
                    ErrorKind::Unprocessed {
                        count: unprocessed.len(),
                        attempts: attempt,
                    },
                ));
            }
            Counters::add(&counters.retried, unprocessed.len());
            tokio::time::sleep(backoff.delay(attempt - 1)).await;
            pending = unprocessed;
        }
    }
}

/// The write units `request` is expected to cost: a put by its item's size, a delete one.
fn request_units(request: &WriteRequest) -> f64 {
    request
        .put_request()
        .map_or(1.0, |put| write_units(item_size(put.item())))
}

/// The partition `request` writes, hashed for [`CapacityShare::throttled`](super::CapacityShare).
fn request_partition(request: &WriteRequest) -> u64 {
    let key = request
        .put_request()
        .map(|put| put.item())
        .or_else(|| request.delete_request().map(|delete| delete.key()));
    let pk = key
        .and_then(|key| key.get(crate::reserved_names::PARTITION_KEY_ATTRIBUTE))
        .and_then(|pk| pk.as_s().ok());
    partition_of(pk.map_or("", String::as_str))
}

fn build_error(table: &Table, e: aws_sdk_dynamodb::error::BuildError) -> Error {
    table.error(
        Operation::BatchWrite,
        None,
        ErrorKind::Expression(e.to_string()),
    )
}

/// Groups requests into chunks of at most 25 with distinct keys (DynamoDB rejects a batch that
/// writes one key twice), keeping their order.
fn chunk_distinct(
    requests: impl Stream<Item = Result<Keyed>> + Send,
) -> impl Stream<Item = Result<Vec<Keyed>>> + Send {
    futures::stream::unfold(
        (Box::pin(requests), Vec::<Keyed>::new(), false),
        |(mut requests, mut chunk, mut ended)| async move {
            loop {
                if ended {
                    if chunk.is_empty() {
                        return None;
                    }
                    return Some((Ok(std::mem::take(&mut chunk)), (requests, chunk, true)));
                }
                match requests.next().await {
                    None => ended = true,
                    Some(Err(e)) => return Some((Err(e), (requests, Vec::new(), true))),
                    Some(Ok(keyed)) => {
                        let duplicate = chunk.iter().any(|k| k.key == keyed.key);
                        if duplicate || chunk.len() == MAX_BATCH_WRITE {
                            let full = std::mem::replace(&mut chunk, vec![keyed]);
                            return Some((Ok(full), (requests, chunk, false)));
                        }
                        chunk.push(keyed);
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn keyed(pk: &str) -> Result<Keyed> {
        Ok(Keyed {
            key: PrimaryKey::new(pk, "SK"),
            request: WriteRequest::builder().build(),
        })
    }

    #[tokio::test]
    async fn chunks_hold_25_distinct_keys() {
        let requests: Vec<_> = (0..60).map(|i| keyed(&format!("P{}", i % 30))).collect();
        let chunks: Vec<Vec<Keyed>> = chunk_distinct(futures::stream::iter(requests))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 60);
        for chunk in &chunks {
            assert!(chunk.len() <= 25);
            let keys: HashSet<_> = chunk.iter().map(|k| &k.key).collect();
            assert_eq!(keys.len(), chunk.len());
        }
    }
}
