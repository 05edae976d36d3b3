//! `BatchGetItem`: many items by key, in chunks of 100, unprocessed keys asked for again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::Table;
use super::error::{Error, ErrorKind, Operation, Result};
use crate::codec::Item;
use crate::key::PrimaryKey;

/// The most keys DynamoDB accepts in one `BatchGetItem`.
pub const MAX_BATCH_GET_KEYS: usize = 100;

impl Table {
    /// The raw items with `keys`, in the order of `keys`, `None` for a key no item has. Keys are
    /// read in chunks of [`MAX_BATCH_GET_KEYS`], the unprocessed ones asked for again with the
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
        let mut found: HashMap<PrimaryKey, Item> = HashMap::with_capacity(keys.len());
        let mut distinct: Vec<&PrimaryKey> = Vec::with_capacity(keys.len());
        let mut seen = std::collections::HashSet::new();
        distinct.extend(keys.iter().filter(|k| seen.insert(*k)));
        for chunk in distinct.chunks(MAX_BATCH_GET_KEYS) {
            let mut wanted: Vec<Item> = chunk.iter().map(|k| k.to_key_item()).collect();
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
                for item in output
                    .responses
                    .and_then(|mut r| r.remove(self.name()))
                    .unwrap_or_default()
                {
                    if let Some(key) = PrimaryKey::of_item(&item) {
                        found.insert(key, item);
                    }
                }
                if let Some(rest) = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(self.name()))
                {
                    wanted = rest.keys;
                }
            }
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }
}
