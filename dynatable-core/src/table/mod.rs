//! Typed operations on a single table, and the bulk engine.

mod apply;
mod backoff;
mod batch;
mod batch_get;
mod bulk_report;
mod compare_and_swap;
mod concurrent;
mod condition;
mod cursor;
mod delete;
mod direct_writes;
mod error;
mod expression;
mod get;
mod item_matcher;
mod malformed_item;
mod managed;
mod own_writes;
mod page;
mod projection;
mod put;
mod query;
mod query_target;
mod rate_limit;
mod scan;
mod snapshot;
mod transaction;
mod update;
mod value;
mod version;
mod write;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;

pub use backoff::Backoff;
pub use batch_get::{BatchGet, MAX_BATCH_GET_KEYS};
pub use bulk_report::{BulkError, BulkReport};
pub use compare_and_swap::MAX_REREADS;
pub use condition::Condition;
pub use cursor::{Cursor, CursorError};
pub use delete::Delete;
pub use direct_writes::{DirectWrites, DirectWritesError};
pub use error::{CancellationReason, Error, ErrorKind, Operation, Result};
pub use get::Get;
pub use item_matcher::ItemMatcher;
pub use malformed_item::MalformedItem;
pub use own_writes::OwnWrites;
pub use page::{Page, SegmentPosition};
pub use projection::Projection;
pub use put::Put;
pub use query::{Query, SortKey};
pub use query_target::{MemberOf, QueryKeys, QueryTarget};
pub use rate_limit::RateLimit;
pub use scan::{DEFAULT_SEGMENTS, Scan, ScanFilter, ScanItems};
pub use snapshot::Snapshot;
pub use transaction::{MAX_TRANSACTION_ACTIONS, Transaction};
pub use update::{Addable, Update};
pub use value::IntoValue;
pub use write::Write;

use crate::codec::Item;
use crate::entity::Entity;
use crate::key::PrimaryKey;

/// How many requests the bulk helpers keep in flight, unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// A handle on one DynamoDB table: the SDK client and the table name. Cheap to clone (one `Arc`).
///
/// Every operation starts here: [`put`](Self::put), [`get`](Self::get),
/// [`update`](Self::update), [`delete`](Self::delete), [`query`](Self::query),
/// [`scan`](Self::scan), the bulk helpers [`batch_put`](Self::batch_put),
/// [`batch_delete`](Self::batch_delete), [`apply`](Self::apply), and
/// [`transaction`](Self::transaction) / [`transact_units`](Self::transact_units).
///
/// ```no_run
/// # async fn demo() -> Result<(), dynatable_core::Error> {
/// use dynatable_core::{entity, Table};
/// use dynatable_core::client::ClientConfig;
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
///     pub username: String,
///     pub logins: u32,
/// }
///
/// let table = Table::new(ClientConfig::from_env().load().await, "app");
/// table.put(&User::new("u1", "ada", 0)).if_absent().send().await?;
/// table
///     .update::<User>(User::key("u1"))
///     .add(User::fields().logins, 1)
///     .condition(User::fields().username.eq("ada"))
///     .send()
///     .await?;
/// let user: Option<User> = table.get(User::key("u1")).consistent().send().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Table {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    name: String,
    concurrency: usize,
    backoff: Backoff,
    rate_limit: Option<rate_limit::RateLimiter>,
    own_writes: Option<Arc<OwnWrites>>,
    direct_writes: Option<DirectWrites>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.inner.name)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// A handle on the table `name`, reached with `client`.
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                name: name.into(),
                concurrency: DEFAULT_CONCURRENCY,
                backoff: Backoff::default(),
                rate_limit: None,
                own_writes: None,
                direct_writes: None,
            }),
        }
    }

    fn with(&self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            client: self.inner.client.clone(),
            name: self.inner.name.clone(),
            concurrency: self.inner.concurrency,
            backoff: self.inner.backoff,
            rate_limit: self.inner.rate_limit.clone(),
            own_writes: self.inner.own_writes.clone(),
            direct_writes: self.inner.direct_writes.clone(),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The same table with at most `concurrency` requests in flight in the bulk helpers
    /// (default [`DEFAULT_CONCURRENCY`]).
    #[must_use]
    pub fn with_concurrency(&self, concurrency: usize) -> Self {
        self.with(|inner| inner.concurrency = concurrency.max(1))
    }

    /// The same table with a rate limit shared by every task of the bulk helpers (and every clone
    /// of the returned handle).
    #[must_use]
    pub fn with_rate_limit(&self, limit: RateLimit) -> Self {
        self.with(|inner| inner.rate_limit = Some(rate_limit::RateLimiter::new(limit)))
    }

    /// The same table with another retry policy for throttling, unprocessed items and transaction
    /// conflicts.
    #[must_use]
    pub fn with_backoff(&self, backoff: Backoff) -> Self {
        self.with(|inner| inner.backoff = backoff)
    }

    /// The same table with the compare-and-swap drivers ([`apply_snapshots`](Self::apply_snapshots),
    /// [`transact_snapshots`](Self::transact_snapshots)) counting the writes they are sure
    /// changed their item into `own`, for a reader of the table's stream to pass over their
    /// records (see [`OwnWrites`]). Updates then ask DynamoDB for the item they wrote.
    #[must_use]
    pub fn with_own_writes(&self, own: Arc<OwnWrites>) -> Self {
        self.with(|inner| inner.own_writes = Some(own))
    }

    /// The same table sending its single-item writes (put, update, delete, and each write of
    /// [`apply`](Self::apply) and [`apply_snapshots`](Self::apply_snapshots)) through `direct`,
    /// without the SDK's per-request orchestrator: about half the client CPU per write. See
    /// [`DirectWrites`] for what it leaves out.
    #[must_use]
    pub fn with_direct_writes(&self, direct: DirectWrites) -> Self {
        self.with(|inner| inner.direct_writes = Some(direct))
    }

    pub(crate) fn direct_writes(&self) -> Option<&DirectWrites> {
        self.inner.direct_writes.as_ref()
    }

    /// The SDK client, for any call the typed API does not cover.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The bulk helpers' concurrency.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    pub(crate) fn backoff(&self) -> Backoff {
        self.inner.backoff
    }

    pub(crate) fn own_writes(&self) -> Option<&Arc<OwnWrites>> {
        self.inner.own_writes.as_ref()
    }

    pub(crate) fn rate_limiter(&self) -> Option<&rate_limit::RateLimiter> {
        self.inner.rate_limit.as_ref()
    }

    pub(crate) fn error(
        &self,
        operation: Operation,
        key: Option<PrimaryKey>,
        kind: ErrorKind,
    ) -> Error {
        Error::new(operation, self.name(), key, kind)
    }

    /// Decodes a raw item read by a scan ([`scan_items`](Self::scan_items), [`Scan::raw`]) as
    /// entity `E`.
    ///
    /// # Errors
    /// The decoding error, naming the table and the item's key.
    pub fn decode<E: Entity>(&self, item: Item) -> Result<E> {
        let key = PrimaryKey::of_item(&item);
        E::from_item(item).map_err(|e| self.error(Operation::Scan, key, ErrorKind::Decode(e)))
    }

    /// Writes `entity` (replacing any item with its key) when sent.
    pub fn put<E: Entity>(&self, entity: &E) -> Put<E> {
        Put::new(self.clone(), entity)
    }

    /// Reads the entity with `key` when sent.
    pub fn get<E: Entity>(&self, key: PrimaryKey) -> Get<E> {
        Get::new(self.clone(), key)
    }

    /// Deletes the entity with `key` when sent.
    pub fn delete<E: Entity>(&self, key: PrimaryKey) -> Delete<E> {
        Delete::new(self.clone(), key)
    }

    /// Updates the existing entity with `key` when sent.
    pub fn update<E: Entity>(&self, key: PrimaryKey) -> Update<E> {
        Update::of_entity(self.clone(), key)
    }

    /// Updates the existing item with `key`, whatever its entity, through raw attribute names
    /// ([`Update::set_attribute`] and friends): for migrations that touch every item.
    pub fn update_item(&self, key: PrimaryKey) -> Update<()> {
        Update::new(self.clone(), key)
    }

    /// Puts a raw item, whatever its entity (`PK` and `SK` must be strings): for migrations that
    /// rewrite items of an older shape the current entity types no longer describe.
    pub fn put_item(&self, item: Item) -> Put<()> {
        Put::item(self.clone(), item)
    }

    /// Deletes the item with `key`, whatever its entity.
    pub fn delete_item(&self, key: PrimaryKey) -> Delete<()> {
        Delete::new(self.clone(), key)
    }

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
    pub fn query_collection<C: crate::Collection>(&self, pk: impl Into<String>) -> Query<C> {
        Query::new(self.clone(), pk.into())
    }

    /// Scans every entity of type `E`.
    pub fn scan<E: Entity>(&self) -> Scan<E> {
        Scan::new(self.clone())
    }

    /// Scans every item of the table, whatever its entity, except the migration ledger's.
    pub fn scan_items(&self) -> ScanItems {
        Scan::items(self.clone())
    }

    /// A transaction on this table.
    pub fn transaction(&self) -> Transaction {
        Transaction::new(self.clone())
    }
}

/// A pause, cut short by nothing: how the retry loops wait.
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
