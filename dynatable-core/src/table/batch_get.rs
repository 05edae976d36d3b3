//! `BatchGetItem`: many items by key, in chunks of 100, unprocessed keys asked for again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use futures::{StreamExt as _, TryStreamExt as _};

use super::Table;
use super::error::{Error, ErrorKind, Operation, Result};
use crate::codec::Item;
use crate::key::PrimaryKey;

/// The most keys DynamoDB accepts in one `BatchGetItem`.
pub const MAX_BATCH_GET_KEYS: usize = 100;

impl Table {
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
        let mut seen = std::collections::HashSet::new();
        let distinct: Vec<&PrimaryKey> = keys.iter().filter(|k| seen.insert(*k)).collect();
        // Owned chunks: a future borrowing its chunk would not be `Send` for every lifetime a
        // caller's future may be checked at.
        let chunks: Vec<Vec<Item>> = distinct
            .chunks(MAX_BATCH_GET_KEYS)
            .map(|chunk| chunk.iter().map(|k| k.to_key_item()).collect())
            .collect();
        let mut chunks = futures::stream::iter(chunks)
            .map(|wanted| self.batch_get_chunk(wanted, consistent))
            .buffer_unordered(self.concurrency());
        let mut found: HashMap<PrimaryKey, Item> = HashMap::with_capacity(keys.len());
        while let Some(items) = chunks.try_next().await? {
            found.extend(
                items
                    .into_iter()
                    .filter_map(|item| Some((PrimaryKey::of_item(&item)?, item))),
            );
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    /// The items of `wanted` (at most [`MAX_BATCH_GET_KEYS`] key items), unprocessed keys asked
    /// for again.
    async fn batch_get_chunk(&self, mut wanted: Vec<Item>, consistent: bool) -> Result<Vec<Item>> {
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
                super::sleep(self.backoff().delay(attempt - 1)).await;
            }
            attempt += 1;
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
                    .unwrap_or_default(),
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
}
