//! Reading one shard: iterators taken and taken again (they expire after 15 minutes), records
//! turned into the keys they changed.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use dynatable_core::{
    LEDGER_PARTITION_PREFIX, PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE,
};

use super::change_stream::{ChangeStream, LatestIterator};
use super::error::StreamError;
use super::position::{ShardPosition, epoch_ms};
use super::retry::{ATTEMPTS, backoff, is_passing, request_error, with_retries};

/// Records asked for per `GetRecords` (DynamoDB's maximum).
const RECORDS_PER_READ: i32 = 1_000;
/// An iterator older than this is taken again before use (DynamoDB expires them at 15 minutes).
pub(crate) const ITERATOR_LIFETIME: Duration = Duration::from_secs(14 * 60);
/// How much earlier than a record's rounded time it may have been written.
const TIME_MARGIN: Duration = Duration::from_secs(60);

/// The changes one `GetRecords` returned.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The keys changed after the catch-up's start, in stream order (a key may repeat); the
    /// migration ledger's own items left out.
    pub(crate) keys: Vec<PrimaryKey>,
    /// The keys of the records the start filter left out (written before the catch-up's start,
    /// by the records' clock), in stream order.
    pub(crate) earlier: Vec<PrimaryKey>,
    /// How many records of items other than the ledger's the batch held, before the start
    /// filter: a batch of none is, for the catch-up, an empty read (the runner's own ledger
    /// writes keep appearing in the stream).
    pub(crate) records: usize,
    /// The read returned as many records as a read may: more are likely waiting.
    pub(crate) full: bool,
    /// The sequence number of its last record.
    pub(crate) last_sequence: Option<String>,
    /// The shard is closed and was read to its end.
    pub(crate) closed: bool,
}

/// Reads one shard from where a catch-up stands in it.
#[derive(Debug)]
pub(crate) struct ShardReader<'a> {
    stream: &'a ChangeStream,
    shard: String,
    /// The last record read (from the saved position, then from each batch).
    after: Option<String>,
    /// A `LATEST` iterator taken when the catch-up started, for a shard not read since.
    latest: Option<LatestIterator>,
    iterator: Option<(String, Instant)>,
    /// Records written before this are older than the catch-up's start (with a minute's margin:
    /// DynamoDB Local rounds record times down to the minute), and skipped.
    since: SystemTime,
    closed: bool,
}

impl<'a> ShardReader<'a> {
    pub(crate) fn new(
        stream: &'a ChangeStream,
        shard: &str,
        position: Option<&ShardPosition>,
        latest: Option<LatestIterator>,
        since: SystemTime,
    ) -> Self {
        Self {
            stream,
            shard: shard.to_owned(),
            after: match position {
                Some(ShardPosition::After(sequence)) => Some(sequence.clone()),
                _ => None,
            },
            latest,
            iterator: None,
            since: since.checked_sub(TIME_MARGIN).unwrap_or(since),
            closed: matches!(position, Some(ShardPosition::Done)),
        }
    }

    /// The sequence number of the last record read.
    pub(crate) fn last_read(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The next batch of records, at most [`RECORDS_PER_READ`].
    pub(crate) async fn next_batch(&mut self) -> Result<Batch, StreamError> {
        if self.closed {
            return Ok(Batch {
                closed: true,
                ..Batch::default()
            });
        }
        let mut attempt = 0;
        loop {
            let iterator = self.iterator().await?;
            let result = self
                .stream
                .client
                .get_records()
                .shard_iterator(&iterator)
                .limit(RECORDS_PER_READ)
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    let service = e.as_service_error();
                    if service.is_some_and(|s| s.is_expired_iterator_exception()) {
                        // Taken again from the last record read.
                        self.iterator = None;
                        self.latest = None;
                    } else if service.is_some_and(|s| {
                        s.is_trimmed_data_access_exception() || s.is_resource_not_found_exception()
                    }) {
                        return Err(self.trimmed());
                    } else if attempt + 1 >= ATTEMPTS || !is_passing(&e) {
                        return Err(request_error("GetRecords", &self.stream.table, e));
                    }
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
            };
            let mut batch = Batch {
                full: i32::try_from(output.records().len()).is_ok_and(|n| n >= RECORDS_PER_READ),
                ..Batch::default()
            };
            for record in output.records() {
                let Some(change) = record.dynamodb() else {
                    continue;
                };
                if let Some(sequence) = &change.sequence_number {
                    batch.last_sequence = Some(sequence.clone());
                }
                let key = change.keys.as_ref().and_then(key_of);
                if key
                    .as_ref()
                    .is_some_and(|k| k.pk.starts_with(LEDGER_PARTITION_PREFIX))
                {
                    continue;
                }
                batch.records += 1;
                let at = change
                    .approximate_creation_date_time
                    .and_then(|t| SystemTime::try_from(t).ok());
                if at.is_some_and(|at| at < self.since) {
                    batch.earlier.extend(key);
                    continue;
                }
                if let Some(key) = key {
                    batch.keys.push(key);
                }
            }
            if let Some(sequence) = &batch.last_sequence {
                self.after = Some(sequence.clone());
            }
            match output.next_shard_iterator {
                Some(next) => self.iterator = Some((next, Instant::now())),
                None => {
                    self.iterator = None;
                    self.closed = true;
                    batch.closed = true;
                }
            }
            return Ok(batch);
        }
    }

    /// The iterator to read from: the one the last read returned, else one taken after the last
    /// record read, else the `LATEST` one of the start, else the shard's oldest record.
    async fn iterator(&mut self) -> Result<String, StreamError> {
        if let Some((iterator, taken)) = &self.iterator
            && taken.elapsed() < ITERATOR_LIFETIME
        {
            return Ok(iterator.clone());
        }
        if self.after.is_none()
            && let Some(latest) = self.latest.take()
            && latest.taken.elapsed() < ITERATOR_LIFETIME
        {
            return Ok(latest.iterator);
        }
        let request = self
            .stream
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream.arn)
            .shard_id(&self.shard);
        let request = match &self.after {
            Some(sequence) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(sequence),
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let mut attempt = 0;
        loop {
            match request.clone().send().await {
                Ok(output) => {
                    let iterator = output.shard_iterator.ok_or_else(|| StreamError::Request {
                        operation: "GetShardIterator",
                        table: self.stream.table.clone(),
                        message: format!("no iterator returned for shard {}", self.shard),
                    })?;
                    self.iterator = Some((iterator.clone(), Instant::now()));
                    return Ok(iterator);
                }
                Err(e) => {
                    let service = e.as_service_error();
                    if service.is_some_and(|s| {
                        s.is_trimmed_data_access_exception() || s.is_resource_not_found_exception()
                    }) {
                        return Err(self.trimmed());
                    }
                    if attempt + 1 >= ATTEMPTS || !is_passing(&e) {
                        return Err(request_error("GetShardIterator", &self.stream.table, e));
                    }
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    }

    fn trimmed(&self) -> StreamError {
        let since_ms = epoch_ms(self.since);
        StreamError::Trimmed {
            shard: self.shard.clone(),
            since: humantime::format_rfc3339_millis(
                std::time::UNIX_EPOCH
                    + Duration::from_millis(u64::try_from(since_ms).unwrap_or_default()),
            )
            .to_string(),
        }
    }
}

/// The item key of a stream record's `Keys`.
fn key_of(keys: &std::collections::HashMap<String, AttributeValue>) -> Option<PrimaryKey> {
    match (
        keys.get(PARTITION_KEY_ATTRIBUTE),
        keys.get(SORT_KEY_ATTRIBUTE),
    ) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => {
            Some(PrimaryKey::new(pk.clone(), sk.clone()))
        }
        _ => None,
    }
}

/// Where a shard stood at the moment a catch-up must reach: the first record written after it,
/// found by reading a `LATEST` iterator taken then. Record times cannot say it (DynamoDB rounds
/// them, DynamoDB Local to the minute); sequence numbers, which grow within a shard, can.
#[derive(Debug)]
pub(crate) struct Boundary {
    iterator: Option<String>,
    first_after: Option<String>,
}

impl Boundary {
    /// The boundary of `shard` now.
    pub(crate) async fn now(stream: &ChangeStream, shard: &str) -> Result<Self, StreamError> {
        let output = with_retries("GetShardIterator", &stream.table, || {
            stream
                .client
                .get_shard_iterator()
                .stream_arn(&stream.arn)
                .shard_id(shard)
                .shard_iterator_type(ShardIteratorType::Latest)
                .send()
        })
        .await?;
        Ok(Self {
            iterator: output.shard_iterator,
            first_after: None,
        })
    }

    /// Whether a reader that has read up to `read` is past the boundary: it has read the first
    /// record written after it. Looks for that record when it is not known yet.
    pub(crate) async fn passed(
        &mut self,
        stream: &ChangeStream,
        read: Option<&str>,
    ) -> Result<bool, StreamError> {
        if self.first_after.is_none()
            && let Some(iterator) = self.iterator.take()
        {
            let output = with_retries("GetRecords", &stream.table, || {
                stream
                    .client
                    .get_records()
                    .shard_iterator(&iterator)
                    .limit(1)
                    .send()
            })
            .await?;
            self.first_after = output
                .records()
                .first()
                .and_then(|r| r.dynamodb())
                .and_then(|r| r.sequence_number.clone());
            if self.first_after.is_none() {
                self.iterator = output.next_shard_iterator;
            }
        }
        Ok(match (&self.first_after, read) {
            (Some(first), Some(read)) => sequence_order(read, first).is_ge(),
            _ => false,
        })
    }
}

/// The order of two sequence numbers of one shard: numeric strings, compared as numbers.
fn sequence_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::sequence_order;
    use std::cmp::Ordering;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(
            sequence_order("000000000000000000009", "000000000000000000010"),
            Ordering::Less
        );
        assert_eq!(
            sequence_order("111100000000000000000123", "99"),
            Ordering::Greater
        );
        assert_eq!(sequence_order("0042", "42"), Ordering::Equal);
    }
}
