//! A `Query` of one partition (of the table or an index), with sort key conditions, filters and
//! cursors.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{Stream, TryStreamExt};

use super::condition::Condition;
use super::cursor::Cursor;
use super::direct_read;
use super::direct_requests::{PageAnswer, PageRequest};
use super::error::{Error, ErrorKind, Operation, Result};
use super::expression::Placeholders;
use super::handle::Table;
use super::page::Page;
use super::query_target::QueryKeys;
use super::query_target::{MemberOf, QueryTarget};
use crate::codec::Item;
use crate::entity::Entity;
use crate::key::{ENTITY_TYPE_ATTRIBUTE, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};

/// A condition on the sort key of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortKey {
    /// `SK = value`
    Eq(String),
    /// `begins_with(SK, prefix)`
    BeginsWith(String),
    /// `SK BETWEEN low AND high`
    Between(String, String),
    /// `SK < value`
    Lt(String),
    /// `SK <= value`
    Le(String),
    /// `SK > value`
    Gt(String),
    /// `SK >= value`
    Ge(String),
}

/// A query of one partition, built by [`Table::query`] (entities of type `E`) or
/// [`Table::query_collection`] (the members of a [`#[collection]`](macro@crate::collection)).
///
/// For an entity, without a [`sort_key`](Self::sort_key) condition it selects the entity's items
/// by its sort key prefix (`begins_with(SK, "PHOTO#")`), and items of other entity types are
/// filtered out (by `_type`; items without `_type` are kept). A collection query reads the whole
/// partition (or the sort keys the condition selects) and decodes each item as its member. [`stream`](Self::stream) follows
/// `LastEvaluatedKey` to the end; [`pages`](Self::pages) gives each page with its resume cursor.
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
/// use futures::TryStreamExt;
/// use dynatable_core::{entity, SortKey};
///
/// #[entity(pk = "USER#{user_id}", sk = "PHOTO#{photo_id}")]
/// pub struct Photo {
///     pub user_id: String,
///     pub photo_id: String,
/// }
///
/// let latest: Vec<Photo> = table
///     .query::<Photo>(Photo::partition_key("u1"))
///     .sort_key(SortKey::Gt(Photo::sort_key("01J000")))
///     .descending()
///     .limit(10)
///     .stream()
///     .try_collect()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Query does nothing until streamed"]
pub struct Query<E> {
    table: Table,
    pk: String,
    index: Option<String>,
    sort_key: Option<SortKey>,
    descending: bool,
    page_size: Option<i32>,
    limit: Option<usize>,
    start: Option<Cursor>,
    consistent: bool,
    filter: Option<Condition<()>>,
    skip_expired: bool,
    marker: PhantomData<fn() -> E>,
}

impl<E: QueryTarget> Query<E> {
    pub(crate) fn new(table: Table, pk: String) -> Self {
        Self {
            table,
            pk,
            index: E::DEFAULT_INDEX.map(str::to_owned),
            sort_key: None,
            descending: false,
            page_size: None,
            limit: None,
            start: None,
            consistent: false,
            filter: None,
            skip_expired: false,
            marker: PhantomData,
        }
    }

    /// Queries the global secondary index `name` (one the entity declares); the partition key
    /// is then the index's (e.g. `User::gsi1_partition_key(..)`). A collection declared over
    /// an index reads it without being told.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.index = Some(name.into());
        self
    }

    /// A condition on the sort key (of the table or of the index).
    pub fn sort_key(mut self, condition: SortKey) -> Self {
        self.sort_key = Some(condition);
        self
    }

    /// Newest (largest sort key) first.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// At most `size` items read per request.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(i32::try_from(size.max(1)).unwrap_or(i32::MAX));
        self
    }

    /// At most `limit` items in all. The page that reaches the limit ends there, and its cursor
    /// resumes right after its last item (even when DynamoDB read further), so that an API
    /// serving `limit(20)` pages with [`Cursor::to_token`] neither skips nor repeats an item.
    /// On a collection query, the limit counts the items read, so the items of no member that
    /// it skips count too.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Starts after `cursor` (from an earlier [`Page`], or [`Cursor::from_token`]). A cursor of
    /// another partition fails the first page with [`ErrorKind::ForeignCursor`].
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    /// Only the items that meet `condition` (the typed conditions of writes: `field.eq(..)`,
    /// `.and(..)`, ...), applied by DynamoDB after it reads each page: a filter saves the
    /// transfer and the decoding, **not** the read capacity, which counts every item read
    /// (`Page::scanned`). A page can come back with fewer items than `page_size`, even none,
    /// and still have a cursor. Several calls add up (`AND`).
    ///
    /// On a collection query, the condition of any member's fields: it applies to every item
    /// read, so the items of members without that attribute drop out unless the condition says
    /// otherwise (`f.likes.ge(100).or(f.likes.not_exists())`).
    ///
    /// ```no_run
    /// # use dynatable_core::{entity, Table};
    /// #[entity(pk = "USER#{user_id}", sk = "PHOTO#{photo_id}")]
    /// pub struct Photo {
    ///     pub user_id: String,
    ///     pub photo_id: String,
    ///     pub likes: u64,
    /// }
    ///
    /// # async fn demo(table: Table) -> Result<(), dynatable_core::Error> {
    /// let f = Photo::fields();
    /// let popular: Vec<Photo> = table
    ///     .query::<Photo>(Photo::partition_key("u1"))
    ///     .filter(f.likes.ge(100u64))
    ///     .all()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn filter<M: MemberOf<E> + Entity>(mut self, condition: Condition<M>) -> Self {
        let condition = condition.cast();
        self.filter = Some(match self.filter.take() {
            Some(earlier) => earlier.and(condition),
            None => condition,
        });
        self
    }

    /// Leaves out items whose time to live (`#[entity(ttl)]`) has passed: DynamoDB deletes
    /// expired items within a few days of their time and returns them until then. A filter, so
    /// the expired items still count as read.
    pub fn skip_expired(mut self) -> Self {
        self.skip_expired = true;
        self
    }

    /// Strongly consistent reads (tables only; indexes are eventually consistent).
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// The same query, decoding into `T` (a projection of `E`).
    pub(crate) fn retarget<T: QueryTarget>(self, marker: PhantomData<fn() -> T>) -> Query<T> {
        Query {
            table: self.table,
            pk: self.pk,
            index: self.index,
            sort_key: self.sort_key,
            descending: self.descending,
            page_size: self.page_size,
            limit: self.limit,
            start: self.start,
            consistent: self.consistent,
            filter: self.filter,
            skip_expired: self.skip_expired,
            marker,
        }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        self.table.error(Operation::Query, None, kind)
    }

    /// The attributes a cursor is made of: the table's keys and the index's.
    fn cursor_names(&self) -> CursorNames {
        let keys = self.keys().unwrap_or(QueryKeys {
            pk: PARTITION_KEY_ATTRIBUTE,
            sk: None,
            default_prefix: "",
        });
        CursorNames([
            Some(PARTITION_KEY_ATTRIBUTE),
            Some(SORT_KEY_ATTRIBUTE),
            Some(keys.pk),
            keys.sk,
        ])
    }

    /// The key attribute names and the default sort key condition.
    fn keys(&self) -> Result<QueryKeys> {
        E::query_keys(self.index.as_deref()).map_err(|e| self.error(ErrorKind::Expression(e)))
    }

    /// Reads the page after `start`, at most `remaining` items of it, decoded: through the
    /// table's direct requests when it has them (the items decoded straight from the answer's
    /// body), else through the SDK. Returns the items, the cursor after them, the items the page
    /// evaluated and the items it returned.
    async fn read_page(&self, start: Option<Cursor>, remaining: usize) -> Result<PageRead<E>> {
        let keys = self.keys()?;
        self.check_cursor(start.as_ref(), keys.pk)?;
        let mut p = Placeholders::default();
        let key_condition = self.key_condition(&keys, &mut p);
        let filter = self.filter_expression(&mut p)?;
        // A projection reads its attributes and the keys (a cursor is made from an item's keys).
        let projection = E::projection().map(|attributes| {
            let key_names = [PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE, keys.pk];
            let names = key_names
                .into_iter()
                .chain(keys.sk)
                .chain(attributes.iter().copied());
            super::expression::projection_expression(names, &mut p)
        });
        let request = PageRequest {
            table: self.table.name(),
            index: self.index.as_deref(),
            key_condition: Some(&key_condition),
            filter: filter.as_deref(),
            projection: projection.as_deref(),
            placeholders: Some(&p),
            forward: !self.descending,
            limit: self.page_size,
            start: start.as_ref().map(|c| &c.0),
            consistent: self.consistent,
            capacity: false,
            segment: None,
        };
        if let Some(body) =
            direct_read::send_page(&self.table, Operation::Query, &request, |_| {}).await?
            && let Some(page) = self.decode_answer(&body, remaining)?
        {
            return Ok(page);
        }
        self.sdk_page(&request, remaining).await
    }

    /// [`read_page`](Self::read_page) through the SDK.
    async fn sdk_page(&self, request: &PageRequest<'_>, remaining: usize) -> Result<PageRead<E>> {
        let table = &self.table;
        let output = table
            .backoff()
            .retry(|| async {
                table
                    .client()
                    .query()
                    .table_name(table.name())
                    .set_index_name(request.index.map(str::to_owned))
                    .set_key_condition_expression(request.key_condition.map(str::to_owned))
                    .set_filter_expression(request.sent_filter().map(str::to_owned))
                    .set_projection_expression(request.projection.map(str::to_owned))
                    .set_expression_attribute_names(request.sent_names())
                    .set_expression_attribute_values(request.sent_values())
                    .scan_index_forward(request.forward)
                    .set_limit(request.limit)
                    .set_exclusive_start_key(request.start.cloned())
                    .consistent_read(request.consistent)
                    .send()
                    .await
                    .map_err(|e| Error::from_sdk(Operation::Query, table.name(), None, e))
            })
            .await?;
        self.finish_page(
            output.items.unwrap_or_default(),
            output.last_evaluated_key.map(Cursor),
            usize::try_from(output.scanned_count).unwrap_or_default(),
            remaining,
            |item, names| names.pick(item),
            E::decode,
        )
    }

    /// [`read_page`](Self::read_page)'s decoding of a direct answer's `body`; `None` when it
    /// holds a value of a type this client does not know.
    fn decode_answer(&self, body: &[u8], remaining: usize) -> Result<Option<PageRead<E>>> {
        let Some(answer) =
            direct_read::parse::<PageAnswer<'_>>(&self.table, Operation::Query, body)?
        else {
            return Ok(None);
        };
        self.finish_page(
            answer.items,
            answer.last_evaluated_key.map(|key| Cursor(key.into_item())),
            usize::try_from(answer.scanned_count).unwrap_or_default(),
            remaining,
            |item, names| item.pick(&names.names()),
            E::decode_wire,
        )
        .map(Some)
    }

    /// A page's `items` cut at `remaining` and decoded. The limit ends the read inside the page
    /// when it cuts: the cursor then resumes after the last item kept (`key_of` takes its cursor
    /// attributes), not after the page (that would skip the items cut off).
    fn finish_page<I>(
        &self,
        mut items: Vec<I>,
        mut cursor: Option<Cursor>,
        scanned: usize,
        remaining: usize,
        key_of: impl Fn(&I, &CursorNames) -> Item,
        decode: impl Fn(I) -> std::result::Result<Option<E>, crate::error::DecodeError>,
    ) -> Result<PageRead<E>> {
        if items.len() > remaining {
            items.truncate(remaining);
            let names = self.cursor_names();
            cursor = items.last().map(|item| Cursor(key_of(item, &names)));
        }
        let read = items.len();
        let mut decoded = Vec::with_capacity(read);
        for item in items {
            if let Some(value) = decode(item).map_err(|e| self.error(ErrorKind::Decode(e)))? {
                decoded.push(value);
            }
        }
        Ok(PageRead {
            items: decoded,
            cursor,
            scanned,
            read,
        })
    }

    fn check_cursor(&self, start: Option<&Cursor>, pk_attribute: &str) -> Result<()> {
        let Some(start) = start else {
            return Ok(());
        };
        let found = match start.0.get(pk_attribute) {
            Some(AttributeValue::S(pk)) => pk.as_str(),
            _ => "",
        };
        match found == self.pk {
            true => Ok(()),
            false => Err(self.error(ErrorKind::ForeignCursor {
                expected: self.pk.clone(),
                found: found.to_owned(),
            })),
        }
    }

    /// The key condition: the partition, and the sort key's condition (by default, that it
    /// begins with the entity's fixed prefix).
    fn key_condition(&self, keys: &QueryKeys, p: &mut Placeholders<'_>) -> String {
        let pk = format!(
            "{} = {}",
            p.name(keys.pk),
            p.value(AttributeValue::S(self.pk.clone()))
        );
        let condition = match (&self.sort_key, keys.default_prefix) {
            (Some(c), _) => Some(c.clone()),
            (None, "") => None,
            (None, prefix) => Some(SortKey::BeginsWith(prefix.to_owned())),
        };
        let (Some(condition), Some(sk)) = (condition, keys.sk) else {
            return pk;
        };
        let sk = p.name(sk);
        let mut v = |s: String| p.value(AttributeValue::S(s));
        let text = match condition {
            SortKey::Eq(x) => format!("{sk} = {}", v(x)),
            SortKey::BeginsWith(x) => format!("begins_with({sk}, {})", v(x)),
            SortKey::Between(a, b) => {
                let a = v(a);
                format!("{sk} BETWEEN {a} AND {}", v(b))
            }
            SortKey::Lt(x) => format!("{sk} < {}", v(x)),
            SortKey::Le(x) => format!("{sk} <= {}", v(x)),
            SortKey::Gt(x) => format!("{sk} > {}", v(x)),
            SortKey::Ge(x) => format!("{sk} >= {}", v(x)),
        };
        format!("{pk} AND {text}")
    }

    /// The filter: the entity's type (items of other entities sharing the key space left out),
    /// the query's own filter, and with `skip_expired` the items whose TTL has passed.
    fn filter_expression<'a>(&'a self, p: &mut Placeholders<'a>) -> Result<Option<String>> {
        let mut filters = Vec::new();
        if let Some(entity_type) = E::entity_type() {
            let type_name = p.name(ENTITY_TYPE_ATTRIBUTE);
            filters.push(format!(
                "(attribute_not_exists({type_name}) OR {type_name} = {})",
                p.value(AttributeValue::S(entity_type.to_owned()))
            ));
        }
        if let Some(condition) = &self.filter {
            let text = condition
                .render(p)
                .map_err(|e| self.error(ErrorKind::Expression(e)))?;
            filters.push(format!("({text})"));
        }
        if self.skip_expired
            && let Some(fresh) = super::managed::not_expired(&E::expiry_attributes(), p)
        {
            // Already one parenthesised term per attribute (DynamoDB refuses redundant ones).
            filters.push(fresh);
        }
        Ok((!filters.is_empty()).then(|| filters.join(" AND ")))
    }

    /// The pages of the query, each with the cursor to resume after it, up to the last page (or
    /// the [`limit`](Self::limit)).
    pub fn pages(self) -> impl Stream<Item = Result<Page<E>>> + Send + 'static {
        let start = self.start.clone();
        let remaining = self.limit.unwrap_or(usize::MAX);
        futures::stream::try_unfold(
            (self, Some(start), remaining),
            |(query, next, remaining)| async move {
                let Some(start) = next else { return Ok(None) };
                if remaining == 0 {
                    return Ok(None);
                }
                let PageRead {
                    items: decoded,
                    cursor,
                    scanned,
                    read,
                } = query.read_page(start, remaining).await?;
                let remaining = remaining - read;
                let next = cursor.clone().map(Some);
                let page = Page {
                    items: decoded,
                    cursor,
                    segment: 0,
                    scanned,
                    malformed: Vec::new(),
                };
                Ok(Some((page, (query, next, remaining))))
            },
        )
    }

    /// Every matching entity, page after page.
    pub fn stream(self) -> impl Stream<Item = Result<E>> + Send + 'static {
        self.pages()
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every matching entity, collected.
    ///
    /// # Errors
    /// The first [`Error`] of any page.
    pub async fn all(self) -> Result<Vec<E>> {
        self.stream().try_collect().await
    }
}

impl Table {
    /// Queries entities of type `E` in the partition `pk` (of the table, or of an index).
    pub fn query<E: Entity>(&self, pk: impl Into<String>) -> Query<E> {
        Query::new(self.clone(), pk.into())
    }

    /// Queries the members of collection `C` in the partition `pk` (of the table, or of the index
    /// the collection is declared over), each item decoded as the member it belongs to: one
    /// request reads a user's profile, photos and notifications. Sort key conditions and
    /// [filters](Query::filter) work as on entity queries.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
    /// use dynatable_core::{collection, entity, SortKey};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
    /// pub struct User {
    ///     pub user_id: String,
    ///     pub name: String,
    /// }
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PHOTO#{photo_id}")]
    /// pub struct Photo {
    ///     pub user_id: String,
    ///     pub photo_id: String,
    /// }
    ///
    /// #[collection]
    /// pub enum UserPage {
    ///     User(User),
    ///     Photo(Photo),
    /// }
    ///
    /// for item in table.query_collection::<UserPage>(User::partition_key("u1")).all().await? {
    ///     match item {
    ///         UserPage::User(user) => println!("{}", user.name),
    ///         UserPage::Photo(photo) => println!("photo {}", photo.photo_id),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn query_collection<C: crate::collection::Collection>(
        &self,
        pk: impl Into<String>,
    ) -> Query<C> {
        Query::new(self.clone(), pk.into())
    }
}

/// The attributes a query's cursor is made of.
struct CursorNames([Option<&'static str>; 4]);

impl CursorNames {
    fn names(&self) -> Vec<&'static str> {
        self.0.iter().flatten().copied().collect()
    }

    /// Those of `item`'s attributes.
    fn pick(&self, item: &Item) -> Item {
        self.0
            .iter()
            .flatten()
            .filter_map(|name| Some(((*name).to_owned(), item.get(*name)?.clone())))
            .collect()
    }
}

/// One page a query read: its items decoded, the cursor after them, the items DynamoDB
/// evaluated for it and the items it returned (before decoding left any out).
struct PageRead<E> {
    items: Vec<E>,
    cursor: Option<Cursor>,
    scanned: usize,
    read: usize,
}
