//! The catch-up of a backfill: the items changed behind its scan, read from the table's stream
//! and converted by the same plan, with the same compare-and-swap rules.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use dynatable_core::{BulkReport, ItemMatcher, PrimaryKey, Write};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::stream::{
    Boundary, ChangeStream, LatestIterator, Shard, ShardPosition, ShardReader, StreamError,
    StreamPosition, list_shards, ready,
};

/// A shard is caught up once it has been read past the first record written after the moment
/// to catch up with, or once this many reads in a row, made after that moment, returned nothing
/// new (nothing was written since).
const EMPTY_READS_TO_CATCH_UP: u32 = 2;
/// The pause between two reads of a shard that returned nothing.
const EMPTY_READ_PAUSE: Duration = Duration::from_millis(250);
/// How old a catch-up's start may get before the run warns that the stream's 24-hour retention
/// is near.
const RETENTION_WARNING: Duration = Duration::from_secs(20 * 3600);

/// A backfill's catch-up: where it follows the stream from, and what it converts.
#[derive(Debug)]
pub(crate) struct CatchUp<'a, T> {
    context: &'a Context,
    stream: ChangeStream,
    name: &'a str,
    matcher: ItemMatcher<T>,
    position: StreamPosition,
    latest: HashMap<String, LatestIterator>,
}

impl<'a, T: Send> CatchUp<'a, T> {
    /// The catch-up of backfill `name`: resumed from its saved position, or starting now (the
    /// position is saved before the scan begins, so an interrupted run catches up from there).
    pub(crate) async fn start(
        context: &'a Context,
        stream: ChangeStream,
        name: &'a str,
        matcher: ItemMatcher<T>,
    ) -> Result<Self> {
        let (position, latest) = match context.load_stream_position(name).await? {
            Some(saved) => (saved, HashMap::new()),
            None => {
                let (position, latest) = stream.position_now().await?;
                context.save_stream_position(name, &position).await?;
                (position, latest)
            }
        };
        Ok(Self {
            context,
            stream,
            name,
            matcher,
            position,
            latest,
        })
    }

    /// Where the catch-up stands.
    pub(crate) fn position(&self) -> &StreamPosition {
        &self.position
    }

    /// Converts every item changed since the start with `plan`, shard by shard in lineage order,
    /// until every shard has been read past `until` (or to its end).
    pub(crate) async fn run<F>(&mut self, until: SystemTime, plan: &Mutex<F>) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        if SystemTime::now()
            .duration_since(self.position.since())
            .is_ok_and(|age| age > RETENTION_WARNING)
        {
            self.context.log(format!(
                "{}: catching up with changes made more than 20 hours ago; DynamoDB keeps stream records for 24 hours",
                self.name
            ));
        }
        let mut report = BulkReport::default();
        let mut caught_up: HashSet<String> = HashSet::new();
        loop {
            let shards =
                list_shards(&self.stream.client, &self.stream.arn, &self.stream.table).await?;
            self.check_not_trimmed(&shards)?;
            let selected = self.position.selected(&shards);
            let to_read: Vec<String> = ready(&selected, |id| self.position.finished(id))
                .into_iter()
                .filter(|shard| !caught_up.contains(&shard.id))
                .map(|shard| shard.id.clone())
                .collect();
            if to_read.is_empty() {
                return Ok(report);
            }
            for shard in to_read {
                let done = self.read_shard(&shard, until, plan).await?;
                report.merge(&done);
                if !self.position.finished(&shard) {
                    caught_up.insert(shard);
                }
            }
        }
    }

    /// Fails when a shard the catch-up stands in is no longer listed: its records were trimmed.
    fn check_not_trimmed(&self, shards: &[Shard]) -> Result<()> {
        let listed: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
        for (shard, at) in &self.position.shards {
            if matches!(at, ShardPosition::After(_)) && !listed.contains(shard.as_str()) {
                return Err(StreamError::Trimmed {
                    shard: shard.clone(),
                    since: humantime::format_rfc3339_millis(self.position.since()).to_string(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// Reads `shard` until it is closed and read to its end, or caught up with `until`.
    async fn read_shard<F>(
        &mut self,
        shard: &str,
        until: SystemTime,
        plan: &Mutex<F>,
    ) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let mut reader = ShardReader::new(
            &self.stream,
            shard,
            self.position.shards.get(shard),
            self.latest.remove(shard),
            self.position.since(),
        );
        let mut report = BulkReport::default();
        let mut empty_reads = 0;
        let mut boundary: Option<Boundary> = None;
        loop {
            let batch = reader.next_batch().await?;
            tracing::debug!(
                shard,
                records = batch.records,
                keys = batch.keys.len(),
                closed = batch.closed,
                "catch-up batch"
            );
            if !batch.keys.is_empty() {
                report.merge(&self.convert(&batch.keys, plan).await?);
            }
            if batch.closed {
                self.position
                    .shards
                    .insert(shard.to_owned(), ShardPosition::Done);
            } else if let Some(sequence) = batch.last_sequence {
                self.position
                    .shards
                    .insert(shard.to_owned(), ShardPosition::After(sequence));
            }
            if batch.closed || batch.records > 0 {
                self.context
                    .save_stream_position(self.name, &self.position)
                    .await?;
            }
            if batch.closed {
                return Ok(report);
            }
            if boundary.is_none() && SystemTime::now() >= until {
                boundary = Some(Boundary::now(&self.stream, shard).await?);
            }
            if let Some(boundary) = &mut boundary
                && boundary.passed(&self.stream, reader.last_read()).await?
            {
                return Ok(report);
            }
            if batch.records == 0 && boundary.is_some() {
                empty_reads += 1;
                if empty_reads >= EMPTY_READS_TO_CATCH_UP {
                    return Ok(report);
                }
            } else {
                empty_reads = 0;
            }
            if batch.records == 0 {
                tokio::time::sleep(EMPTY_READ_PAUSE).await;
            }
        }
    }

    /// Reads the items with `keys` again (strongly consistent) and converts those of the
    /// backfill's scan with `plan`.
    async fn convert<F>(&self, keys: &[PrimaryKey], plan: &Mutex<F>) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let table = self.context.table();
        let mut snapshots = Vec::new();
        for item in table
            .batch_get_items(keys, true)
            .await?
            .into_iter()
            .flatten()
        {
            if let Some(snapshot) = self.matcher.snapshot(item) {
                snapshots.push(Ok(snapshot.map_err(Error::Decode)?));
            }
        }
        let result = table
            .transact_snapshots(
                self.context.with_progress(futures::stream::iter(snapshots)),
                |value| (plan.lock().unwrap_or_else(PoisonError::into_inner))(value),
            )
            .await;
        Ok(self.context.count(result)?)
    }
}
