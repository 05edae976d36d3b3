//! [`Scan`]: reading a whole table, or one entity type's items, in segments read side by side,
//! decoded page by page. How it recognises its items is in `filter`, its requests in `segments`.

mod filter;
mod item_matcher;
mod page_decoder;
mod segments;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};

use super::condition::Condition;
use super::error::{ErrorKind, Operation, Result};
use super::expression::Placeholders;
use super::handle::Table;
use super::page::{Page, SegmentPosition};
use super::projection::Projection;
use super::snapshot::{Snapshot, SnapshotReader};
use crate::codec::{Item, WireItem};
use crate::entity::Entity;
use crate::error::DecodeError;
use crate::key::{PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::schema::EntitySchema;
pub use filter::ScanFilter;
use filter::{entity_filter, with_ledger_excluded};
pub use item_matcher::ItemMatcher;
use page_decoder::{PageDecoder, WireDecode};
use segments::RawScan;

/// The number of segments of [`Scan::parallel`] and [`ScanItems::parallel`].
pub const DEFAULT_SEGMENTS: u32 = 8;

/// The most segments DynamoDB accepts in one scan (`TotalSegments`).
pub const MAX_SEGMENTS: u32 = 1_000_000;

/// A scan, built by [`Table::scan`] (entities of one type) or [`Table::scan_items`] (every item,
/// whatever its entity: [`ScanItems`]). Segments are read concurrently and merged into one
/// stream; each segment follows `LastEvaluatedKey` to its end. Migration ledger items never
/// appear.
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
/// use futures::TryStreamExt;
/// use dynatable_core::entity;
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
/// }
///
/// let users: Vec<User> = table.scan::<User>().parallel().stream().try_collect().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a Scan does nothing until streamed"]
pub struct Scan<T> {
    raw: RawScan,
    filter: ScanFilter,
    /// The caller's condition ([`filter`](Scan::filter)), AND-ed with the entity filter.
    condition: Option<Condition<()>>,
    /// Leave out expired items ([`skip_expired`](Scan::skip_expired)).
    skip_expired: bool,
    /// The attributes read, for a [projection](Scan::project); `None` reads whole items.
    projection: Option<&'static [&'static str]>,
    /// The entity scanned for; `None` for every item.
    entity: Option<&'static EntitySchema>,
    decode: fn(Item) -> std::result::Result<T, DecodeError>,
    /// The same decoding from a direct answer's items; `None` to build the SDK's items first.
    decode_wire: Option<WireDecode<T>>,
}

// By hand: a derive would ask the items to be `Clone`, which a scan does not hold.
impl<T> Clone for Scan<T> {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            filter: self.filter,
            condition: self.condition.clone(),
            skip_expired: self.skip_expired,
            projection: self.projection,
            entity: self.entity,
            decode: self.decode,
            decode_wire: self.decode_wire,
        }
    }
}

/// A scan of every item of the table, whatever its entity type, except the migration ledger's;
/// built by [`Table::scan_items`]. For migrations that touch every item (adding timestamps, say).
pub type ScanItems = Scan<Item>;

impl<E: Entity> Scan<E> {
    pub(crate) fn new(table: Table) -> Self {
        Self {
            raw: RawScan::new(table),
            filter: ScanFilter::default(),
            condition: None,
            skip_expired: false,
            projection: None,
            entity: Some(E::SCHEMA),
            decode: E::from_item,
            decode_wire: Some(E::from_wire),
        }
    }
}

impl<E: Entity> Scan<E> {
    /// The same scan (the same entity filter, segments and positions), yielding the raw items:
    /// for migrations that need an item's stored keys or attributes of an older shape.
    pub fn raw(self) -> ScanItems {
        Scan {
            raw: self.raw,
            filter: self.filter,
            condition: self.condition,
            skip_expired: self.skip_expired,
            projection: self.projection,
            entity: self.entity,
            decode: Ok,
            decode_wire: Some(into_item),
        }
    }
}

impl<E: Entity> Scan<E> {
    /// Only the items that meet `condition` (the typed conditions of writes), applied by
    /// DynamoDB after it reads each page: a filter saves the transfer and the decoding, **not**
    /// the read capacity, which counts every item read. Several calls add up (`AND`).
    ///
    /// A migration's backfill refuses a filtered scan while it follows the table's stream: its
    /// catch-up could not apply the condition to the items changed behind the scan. Test the
    /// condition in the plan instead.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
    /// use futures::TryStreamExt;
    /// use dynatable_core::entity;
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
    /// pub struct User {
    ///     pub user_id: String,
    ///     pub logins: u64,
    /// }
    ///
    /// let f = User::fields();
    /// let idle: Vec<User> = table
    ///     .scan::<User>()
    ///     .filter(f.logins.eq(0u64))
    ///     .stream()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn filter(mut self, condition: Condition<E>) -> Self {
        let condition = condition.cast();
        self.condition = Some(match self.condition.take() {
            Some(earlier) => earlier.and(condition),
            None => condition,
        });
        self
    }
}

impl<E: Entity> Scan<E> {
    /// The same scan, reading only the attributes of projection `P` (and the keys) into `P`
    /// (see [`Query::project`](super::Query::project)). Snapshots of a projected scan guard a
    /// write on the attributes read, the only ones its plan saw.
    pub fn project<P: Projection<Entity = E>>(self) -> Scan<P> {
        Scan {
            raw: self.raw,
            filter: self.filter,
            condition: self.condition,
            skip_expired: self.skip_expired,
            projection: Some(P::ATTRIBUTES),
            entity: self.entity,
            decode: P::from_projected_item,
            decode_wire: Some(P::from_projected_wire),
        }
    }
}

impl<E: Entity> Scan<E> {
    /// The same scan, yielding each entity with the raw item it was decoded from: for
    /// migrations that need both the typed value and the item as stored (its old keys, or every
    /// attribute to copy).
    pub fn with_items(self) -> Scan<(E, Item)> {
        Scan {
            raw: self.raw,
            filter: self.filter,
            condition: self.condition,
            skip_expired: self.skip_expired,
            projection: self.projection,
            entity: self.entity,
            decode: decode_with_item::<E>,
            decode_wire: None,
        }
    }
}

/// Decodes `item` as `E`, keeping the item.
/// An answer's item as the SDK's.
fn into_item(item: WireItem<'_>) -> std::result::Result<Item, DecodeError> {
    Ok(item.into_item())
}

fn decode_with_item<E: Entity>(item: Item) -> std::result::Result<(E, Item), DecodeError> {
    E::from_item(item.clone()).map(|entity| (entity, item))
}

impl Scan<Item> {
    /// Also returns the migration ledger's items (partition keys starting `_SCHEMA#`), which
    /// every other scan leaves out: for tools that account for every item of a table.
    pub fn with_ledger(mut self) -> Self {
        self.raw.with_ledger = true;
        self
    }

    pub(crate) fn items(table: Table) -> Self {
        Self {
            raw: RawScan::new(table),
            filter: ScanFilter::default(),
            condition: None,
            skip_expired: false,
            projection: None,
            entity: None,
            decode: Ok,
            decode_wire: Some(into_item),
        }
    }
}

impl<T: Send + 'static> Scan<T> {
    /// How an entity's items are recognised (default [`ScanFilter::EntityTypeOrKeyPrefix`]).
    pub fn recognise_by(mut self, filter: ScanFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Reads `segments` segments concurrently (1: a plain scan).
    pub fn segments(mut self, segments: u32) -> Self {
        self.raw.positions = vec![SegmentPosition::Start; segments.max(1) as usize];
        self
    }

    /// Reads [`DEFAULT_SEGMENTS`] segments concurrently.
    pub fn parallel(self) -> Self {
        self.segments(DEFAULT_SEGMENTS)
    }

    /// How many segments the scan reads.
    pub fn segment_count(&self) -> usize {
        self.raw.positions.len()
    }

    /// Resumes a scan: one position per segment, as recorded from its pages.
    pub fn resume(mut self, positions: Vec<SegmentPosition>) -> Self {
        if !positions.is_empty() {
            self.raw.positions = positions;
        }
        self
    }

    /// At most `size` items read per request.
    pub fn page_size(mut self, size: u32) -> Self {
        self.raw.page_size = Some(i32::try_from(size.max(1)).unwrap_or(i32::MAX));
        self
    }

    /// Strongly consistent reads.
    pub fn consistent(mut self) -> Self {
        self.raw.consistent = true;
        self
    }

    /// Reads at most `items_per_second` items per second over all segments (items as DynamoDB
    /// counts them read, before filters): each segment waits before its next page while the
    /// scan is over budget. For scans that share a table's capacity with its application.
    pub fn max_rate(mut self, items_per_second: f64) -> Self {
        self.raw.max_rate = Some(items_per_second);
        self
    }

    /// Leaves out the items that do not decode instead of failing with the first: each page
    /// lists those it read in [`Page::malformed`] (key and decode error). [`stream`](Self::stream)
    /// yields only the items that decode; read [`pages`](Self::pages) to see the others. A
    /// migration's backfill records the items it skipped in the ledger.
    pub fn skip_malformed(mut self) -> Self {
        self.raw.skip_malformed = true;
        self
    }

    /// Whether [`skip_malformed`](Self::skip_malformed) was asked for.
    pub fn skips_malformed(&self) -> bool {
        self.raw.skip_malformed
    }

    /// The same scan, read through `table` (the same DynamoDB table through another client or
    /// with other settings): a scan made from a client that must not write, a dry run's, reads
    /// through one that may.
    pub fn reading_through(mut self, table: &Table) -> Self {
        self.raw.table = table.clone();
        self
    }

    /// The pages of every segment, as they arrive; each names its segment and its cursor.
    pub fn pages(self) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        futures::stream::select_all(self.segment_pages())
    }

    /// One stream of pages per segment, to be read concurrently (each fetches its next page when
    /// polled): what a resumable backfill uses to finish one segment's page before it records
    /// the segment's position.
    pub fn segment_pages(self) -> Vec<BoxStream<'static, Result<Page<T>>>> {
        let (decode, wire) = (self.decode, self.decode_wire);
        self.decoded_segment_pages(decode, wire)
    }

    /// [`segment_pages`](Self::segment_pages) of [snapshots](Snapshot): each item with what the
    /// compare-and-swap drivers need to write it safely while other writers change the table.
    pub fn segment_snapshot_pages(self) -> Vec<BoxStream<'static, Result<Page<Snapshot<T>>>>> {
        let reader = self.snapshot_reader();
        self.decoded_segment_pages(move |item| reader.read(item), None)
    }

    /// Every item of the scan as a [`Snapshot`], for
    /// [`Table::apply_snapshots`] and [`Table::transact_snapshots`].
    pub fn snapshots(self) -> impl Stream<Item = Result<Snapshot<T>>> + Send + 'static {
        let reader = self.snapshot_reader();
        futures::stream::select_all(self.decoded_segment_pages(move |item| reader.read(item), None))
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Leaves out items whose time to live (`#[entity(ttl)]`) has passed, which DynamoDB returns
    /// until it deletes them (within a few days). A filter: expired items still count as read.
    pub fn skip_expired(mut self) -> Self {
        self.skip_expired = true;
        self
    }

    /// Whether a condition was given with [`filter`](Scan::filter).
    pub fn is_filtered(&self) -> bool {
        self.condition.is_some()
    }

    /// What recognises this scan's items among items read by key, and decodes them into
    /// snapshots: for following the changes made behind a scan.
    pub fn item_matcher(&self) -> ItemMatcher<T> {
        ItemMatcher::new(self.entity, self.filter, self.snapshot_reader())
    }

    fn snapshot_reader(&self) -> SnapshotReader<T> {
        // A projection read some attributes: its writes are guarded on those as read.
        let entity = self.entity.filter(|_| self.projection.is_none());
        SnapshotReader {
            decode: self.decode,
            version: entity.and_then(|e| e.version.map(|attribute| (e.name, attribute))),
            declared: entity.map_or(&[], |e| e.attributes),
        }
    }

    fn decoded_segment_pages<U, D>(
        mut self,
        decode: D,
        wire: Option<WireDecode<U>>,
    ) -> Vec<BoxStream<'static, Result<Page<U>>>>
    where
        U: Send + 'static,
        D: Fn(Item) -> std::result::Result<U, DecodeError> + Copy + Send + Sync + 'static,
    {
        let mut filter = self.entity.map(|e| entity_filter(e, self.filter));
        if let Some(condition) = &self.condition {
            let (entity, p) = filter.unwrap_or_default();
            // Rendered borrowing the condition, then copied: the filter goes with every page.
            let mut p: Placeholders<'_> = p;
            match condition.render(&mut p) {
                Ok(text) if entity.is_empty() => filter = Some((text, p.into_owned())),
                Ok(text) => filter = Some((format!("({entity}) AND ({text})"), p.into_owned())),
                Err(e) => {
                    let error =
                        self.raw
                            .table
                            .error(Operation::Scan, None, ErrorKind::Expression(e));
                    return vec![futures::stream::once(async move { Err(error) }).boxed()];
                }
            }
        }
        if self.skip_expired {
            let ttl = self.entity.and_then(|e| e.ttl);
            let (text, mut p) = filter.unwrap_or_default();
            filter = match super::managed::not_expired(ttl.as_slice(), &mut p) {
                Some(fresh) if text.is_empty() => Some((fresh, p)),
                Some(fresh) => Some((format!("({text}) AND {fresh}"), p)),
                None if text.is_empty() => None,
                None => Some((text, p)),
            };
        }
        let (filter, mut p) = match filter {
            Some((text, p)) if self.raw.with_ledger => (text, p),
            None if self.raw.with_ledger => (String::new(), Placeholders::default()),
            filter => with_ledger_excluded(filter),
        };
        self.raw.projection = self.projection.map(|attributes| {
            let keys = [PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE];
            super::expression::projection_expression(
                keys.into_iter().chain(attributes.iter().copied()),
                &mut p,
            )
        });
        self.raw.filter = Some((filter, p));
        let decoder = PageDecoder {
            item: Box::new(decode),
            wire,
            skip_malformed: self.raw.skip_malformed,
        };
        self.raw.segment_pages(decoder)
    }
}

impl<T: Send + 'static> Scan<T> {
    /// Every item of the scan.
    pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.pages()
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }
}

impl Table {
    /// Scans every entity of type `E`.
    pub fn scan<E: Entity>(&self) -> Scan<E> {
        Scan::new(self.clone())
    }

    /// Scans every item of the table, whatever its entity, except the migration ledger's.
    pub fn scan_items(&self) -> ScanItems {
        Scan::items(self.clone())
    }

    /// Scans the items of the entity `schema` describes, raw: for code that knows an entity
    /// only by its schema (from the [`registry`](crate::registry)), as `scan::<E>().raw()`.
    pub fn scan_entity_items(&self, schema: &'static EntitySchema) -> ScanItems {
        let mut scan = Scan::items(self.clone());
        scan.entity = Some(schema);
        scan
    }
}
