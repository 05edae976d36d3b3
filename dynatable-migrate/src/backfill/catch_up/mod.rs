//! The catch-up of a backfill: the items changed behind its scan, read from the table's stream
//! and converted by the same plan, with the same compare-and-swap rules. A backfill shared by
//! the processes of a joined run shares its catch-up too, shard by shard ([`shared`]).

mod shared;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use dynatable_core::{BulkReport, ItemMatcher, MalformedItem, OwnWrites, PrimaryKey, Table, Write};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::lease::{Leases, ShardLease, ShardRead};
use crate::skipped_items::SkippedItems;
use crate::stream::{
    Batch, Boundary, ChangeStream, LatestIterator, Shard, ShardPosition, ShardReader, StreamError,
    StreamPosition, list_shards, ready,
};

/// A shard is caught up once it has been read past the first record written after the moment
/// to catch up with, or once this many reads in a row, made after that moment, returned nothing
/// new (nothing was written since).
const EMPTY_READS_TO_CATCH_UP: u32 = 2;
/// The pause between two reads of a shard that returned nothing.
const EMPTY_READ_PAUSE: Duration = Duration::from_millis(250);
/// The pause between two empty reads of a shard while the scan still runs.
const WAITING_PAUSE: Duration = Duration::from_secs(1);
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
    /// The table, counting the guarded writes of the backfill and of the catch-up itself.
    table: Table,
    /// Those writes: their records are passed over instead of read again.
    own: Arc<OwnWrites>,
    /// Records passed over as the run's own writes.
    passed_over: AtomicUsize,
    /// Where every shard stands; the shards' readers move it on.
    position: Mutex<StreamPosition>,
    /// The `LATEST` iterators taken at the start, each for the first reader of its shard.
    latest: Mutex<HashMap<String, LatestIterator>>,
    /// Held while the position is saved, so saves run one at a time and the last one saved is
    /// the newest.
    saving: tokio::sync::Mutex<()>,
    /// Items that do not decode are skipped and counted instead of failing the run.
    skip_malformed: bool,
    /// In a joined run, the leases of the shards, which the processes read side by side.
    shared: Option<Leases<ShardLease>>,
    /// How many shard leases this process keeps in a joined run: above it, it lets one go.
    share: AtomicUsize,
    /// A follower of a joined run: it makes shard leases only while the backfill is announced.
    following: bool,
}

/// How a shard's reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShardEnd {
    /// The shard is closed and was read to its end: its children may be read.
    Closed,
    /// It was read past the moment the scan ended.
    CaughtUp,
    /// This process let go of its lease (it held more than its share); another one reads on.
    LetGo,
}

/// Where a shard's reader starts.
#[derive(Debug, Default)]
struct ReaderStart {
    /// How far the shard was read.
    position: Option<ShardPosition>,
    /// A `LATEST` iterator taken when the catch-up started, for a shard never read.
    latest: Option<LatestIterator>,
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
        let (position, latest) = match context.run.load_stream_position(name).await? {
            Some(saved) => (saved, HashMap::new()),
            None => {
                let (position, latest) = stream.position_now().await?;
                context.run.save_stream_position(name, &position).await?;
                (position, latest)
            }
        };
        let own = Arc::new(OwnWrites::new());
        let catch_up = Self {
            table: context.table().with_own_writes(Arc::clone(&own)),
            own,
            ..Self::at(context, stream, name, matcher, position)
        };
        *catch_up
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = latest;
        Ok(catch_up)
    }

    /// The catch-up of backfill `name` from `position`, counting no writes of its own.
    fn at(
        context: &'a Context,
        stream: ChangeStream,
        name: &'a str,
        matcher: ItemMatcher<T>,
        position: StreamPosition,
    ) -> Self {
        Self {
            context,
            stream,
            name,
            matcher,
            table: context.table().clone(),
            own: Arc::new(OwnWrites::new()),
            passed_over: AtomicUsize::new(0),
            position: Mutex::new(position),
            latest: Mutex::new(HashMap::new()),
            saving: tokio::sync::Mutex::new(()),
            skip_malformed: false,
            shared: None,
            share: AtomicUsize::new(usize::MAX),
            following: false,
        }
    }

    /// The same catch-up, skipping the changed items that do not decode (counted with the
    /// backfill's) instead of failing.
    pub(crate) fn skipping_malformed(mut self, skip: bool) -> Self {
        self.skip_malformed = skip;
        self
    }

    /// The table for the backfill's writes: its guarded writes that certainly changed their item
    /// are counted, and the catch-up passes over their records instead of reading the items
    /// again (see [`OwnWrites`]).
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    /// How many records the catch-up passed over as the run's own writes.
    pub(crate) fn passed_over(&self) -> usize {
        self.passed_over.load(Ordering::Relaxed)
    }

    /// Where the catch-up stands.
    pub(crate) fn position(&self) -> StreamPosition {
        self.position
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Converts every item changed since the start with `plan`, reading the shards that may be
    /// read (lineage: parents first) side by side, while `scan_ended` is false (beside the scan)
    /// and afterwards until every shard has been read past the moment the reader saw it turn
    /// true, or to its end.
    pub(crate) async fn run<F>(
        &self,
        scan_ended: watch::Receiver<bool>,
        plan: &Mutex<F>,
    ) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        self.warn_if_old();
        if let Some(leases) = &self.shared {
            // Boxed: the shared loop's future is large, and the runner's stack is not.
            return Box::pin(self.run_shared(leases, scan_ended, plan)).await;
        }
        let mut report = BulkReport::default();
        let mut started: HashSet<String> = HashSet::new();
        let mut reading = FuturesUnordered::new();
        // Shards are listed at the start and whenever one is read to its end: its children
        // may be read from then on.
        let mut list = true;
        loop {
            if list {
                let shards =
                    list_shards(&self.stream.client, &self.stream.arn, &self.stream.table).await?;
                trimmed_check(&self.position(), &shards)?;
                let position = self.position();
                let selected = position.selected(&shards);
                for shard in ready(&selected, |id| position.finished(id)) {
                    if started.insert(shard.id.clone()) {
                        let start = ReaderStart {
                            position: position.shards.get(&shard.id).cloned(),
                            latest: self
                                .latest
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .remove(&shard.id),
                        };
                        reading.push(self.read_shard(
                            shard.id.clone(),
                            start,
                            scan_ended.clone(),
                            plan,
                            None,
                        ));
                    }
                }
            }
            match reading.next().await {
                None => return Ok(report),
                Some(read) => {
                    let (end, done) = read?;
                    report.merge(&done);
                    list = end == ShardEnd::Closed;
                }
            }
        }
    }

    /// Warns when the catch-up's start nears the stream's retention.
    fn warn_if_old(&self) {
        if SystemTime::now()
            .duration_since(self.position().since())
            .is_ok_and(|age| age > RETENTION_WARNING)
        {
            self.context.log(format!(
                "{}: catching up with changes made more than 20 hours ago; DynamoDB keeps stream records for 24 hours",
                self.name
            ));
        }
    }
}

/// Fails when a shard `position` stands in is no longer listed among `shards`: its records were
/// trimmed.
fn trimmed_check(position: &StreamPosition, shards: &[Shard]) -> Result<()> {
    let listed: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
    for (shard, at) in &position.shards {
        if matches!(at, ShardPosition::After(_)) && !listed.contains(shard.as_str()) {
            return Err(StreamError::Trimmed {
                shard: shard.clone(),
                since: humantime::format_rfc3339_millis(position.since()).to_string(),
            }
            .into());
        }
    }
    Ok(())
}

impl<T: Send> CatchUp<'_, T> {
    /// Reads `shard` from `start` until it is closed and read to its end, or caught up with the
    /// moment `scan_ended` turned true; in a joined run, also until this process holds more
    /// shard leases than its share (it lets this one go). The malformed items it skips are
    /// counted in `skipped` (the shard's, in a joined run), else in the run's count.
    async fn read_shard<F>(
        &self,
        shard: String,
        start: ReaderStart,
        mut scan_ended: watch::Receiver<bool>,
        plan: &Mutex<F>,
        skipped: Option<&SkippedItems>,
    ) -> Result<(ShardEnd, BulkReport)>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let since = self.position().since();
        let mut reader = ShardReader::new(
            &self.stream,
            &shard,
            start.position.as_ref(),
            start.latest,
            since,
        );
        let mut report = BulkReport::default();
        let mut ending = Ending::default();
        loop {
            let batch = reader.next_batch().await?;
            tracing::debug!(
                shard,
                records = batch.records,
                keys = batch.keys.len(),
                closed = batch.closed,
                "catch-up batch"
            );
            let converted = self.convert_batch(&batch, plan, skipped).await?;
            report.merge(&converted);
            let mut read = ShardRead {
                after: batch.last_sequence.clone(),
                read: u64::try_from(converted.read).unwrap_or(u64::MAX),
                written: u64::try_from(converted.written).unwrap_or(u64::MAX),
                closed: batch.closed,
                skipped: skipped.map(|s| s.of(self.name)),
                ..ShardRead::default()
            };
            if batch.closed {
                self.save_read(&shard, read, true).await?;
                return Ok((ShardEnd::Closed, report));
            }
            let end = self
                .end_of_reading(&shard, &reader, &batch, &mut ending, &scan_ended)
                .await?;
            read.caught_up = end == Some(ShardEnd::CaughtUp);
            read.let_go = end == Some(ShardEnd::LetGo);
            self.save_read(&shard, read, batch.records > 0 || end.is_some())
                .await?;
            if let Some(end) = end {
                return Ok((end, report));
            }
            ending.pause(&batch, &mut scan_ended).await;
        }
    }

    /// Converts the items of `batch`'s keys through `plan`, leaving out those whose records are
    /// the run's own writes. Every record is counted, in stream order, before its item is read;
    /// those the start filter left out too (a clock skewed past the filter's margin could leave
    /// out a record of the run's own write: counting it keeps the count from passing over
    /// another writer's later record in its place).
    async fn convert_batch<F>(
        &self,
        batch: &Batch,
        plan: &Mutex<F>,
        skipped: Option<&SkippedItems>,
    ) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        for key in &batch.earlier {
            self.own.count_record(key);
        }
        let keys: Vec<PrimaryKey> = batch
            .keys
            .iter()
            .filter(|key| !self.own.count_record(key))
            .cloned()
            .collect();
        self.passed_over
            .fetch_add(batch.keys.len() - keys.len(), Ordering::Relaxed);
        match keys.is_empty() {
            true => Ok(BulkReport::default()),
            false => self.convert(&keys, plan, skipped).await,
        }
    }

    /// Whether the reading of `shard` ends after `batch`: caught up (once the scan ended, two
    /// empty reads, or the boundary taken at the scan's end passed), let go (a joined run's
    /// process holding more than its share), or not yet.
    async fn end_of_reading(
        &self,
        shard: &str,
        reader: &ShardReader<'_>,
        batch: &Batch,
        ending: &mut Ending,
        scan_ended: &watch::Receiver<bool>,
    ) -> Result<Option<ShardEnd>> {
        // A scan that failed drops this reader with it; a sender gone counts as ended.
        if ending.boundary.is_none() && (*scan_ended.borrow() || scan_ended.has_changed().is_err())
        {
            ending.boundary = Some(Boundary::now(&self.stream, shard).await?);
        }
        if batch.records == 0 && ending.boundary.is_some() {
            ending.empty_reads += 1;
        } else {
            ending.empty_reads = 0;
        }
        Ok(if ending.empty_reads >= EMPTY_READS_TO_CATCH_UP {
            Some(ShardEnd::CaughtUp)
        } else if let Some(boundary) = &mut ending.boundary
            && boundary.passed(&self.stream, reader.last_read()).await?
        {
            Some(ShardEnd::CaughtUp)
        } else if self.over_share() {
            Some(ShardEnd::LetGo)
        } else {
            None
        })
    }

    /// Records what was read of `shard`, and saves it when `save` says so (the batch held
    /// records of items other than the ledger's, or ended the shard's reading): in its lease in
    /// a joined run, else in the catch-up's position, saved in the ledger.
    async fn save_read(&self, shard: &str, read: ShardRead, save: bool) -> Result<()> {
        if let Some(leases) = &self.shared {
            return match save {
                true => leases.save_read(shard, read).await,
                false => Ok(()),
            };
        }
        let moved = match read.closed {
            true => Some(ShardPosition::Done),
            false => read.after.map(ShardPosition::After),
        };
        if let Some(moved) = moved {
            self.position
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .shards
                .insert(shard.to_owned(), moved);
        }
        match save {
            true => self.save().await,
            false => Ok(()),
        }
    }

    /// Saves where the catch-up stands.
    async fn save(&self) -> Result<()> {
        let _one_at_a_time = self.saving.lock().await;
        let position = self.position();
        self.context
            .run
            .save_stream_position(self.name, &position)
            .await
    }

    /// Reads the items with `keys` again (strongly consistent) and converts those of the
    /// backfill's scan with `plan`.
    async fn convert<F>(
        &self,
        keys: &[PrimaryKey],
        plan: &Mutex<F>,
        skipped: Option<&SkippedItems>,
    ) -> Result<BulkReport>
    where
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let table = &self.table;
        // A key changed several times in the batch is read and converted once.
        let mut seen = HashSet::new();
        let keys: Vec<PrimaryKey> = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
        let mut snapshots = Vec::new();
        let mut malformed = Vec::new();
        for item in table
            .batch_get_items(&keys, true)
            .await?
            .into_iter()
            .flatten()
        {
            let key = self
                .skip_malformed
                .then(|| PrimaryKey::of_item(&item))
                .flatten();
            match self.matcher.snapshot(item) {
                Some(Ok(snapshot)) => snapshots.push(Ok(snapshot)),
                Some(Err(error)) if self.skip_malformed => {
                    malformed.push(MalformedItem { key, error });
                }
                Some(Err(error)) => return Err(Error::Decode(error)),
                None => {}
            }
        }
        if !malformed.is_empty() {
            self.context
                .run
                .record_skipped(self.name, malformed, skipped);
        }
        let result = table
            .transact_snapshots(
                self.context
                    .run
                    .with_progress(futures::stream::iter(snapshots)),
                |value| (plan.lock().unwrap_or_else(PoisonError::into_inner))(value),
            )
            .await;
        Ok(self.context.run.count(result)?)
    }
}

/// How near a shard's reading is to its end: the boundary taken when the scan ended, and how
/// many reads since found nothing.
#[derive(Default)]
struct Ending {
    boundary: Option<Boundary>,
    empty_reads: u32,
}

impl Ending {
    /// Waits before the next read when `batch` found the stream's end: briefly once the scan
    /// ended; beside the scan longer, but not past its end. A read that found the end (fewer
    /// records than a read returns at most) waits beside the scan too: fewer, fuller reads, and
    /// the lag only matters once the scan ends.
    async fn pause(&self, batch: &Batch, scan_ended: &mut watch::Receiver<bool>) {
        let drained = batch.records == 0 || (self.boundary.is_none() && !batch.full);
        if !drained {
            return;
        }
        match self.boundary {
            Some(_) => tokio::time::sleep(EMPTY_READ_PAUSE).await,
            None => {
                tokio::select! {
                    () = tokio::time::sleep(WAITING_PAUSE) => {}
                    _ = scan_ended.wait_for(|ended| *ended) => {}
                }
            }
        }
    }
}
