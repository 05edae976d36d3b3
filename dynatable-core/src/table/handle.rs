//! The handle on one table: the SDK client, the table name, and the settings every operation
//! on it shares (concurrency, backoff, rate limit, own-write tracking, direct requests).

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

use super::backoff::Backoff;
use super::capacity_share::CapacityShare;
use super::direct_requests::DirectRequests;
use super::error::{Error, ErrorKind, Operation, Result};
use super::own_writes::OwnWrites;
use super::rate_limit::{self, RateLimit};
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
    write_capacity: Option<CapacityShare>,
    read_capacity: Option<CapacityShare>,
    own_writes: Option<Arc<OwnWrites>>,
    direct: Option<DirectRequests>,
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
                write_capacity: None,
                read_capacity: None,
                own_writes: None,
                direct: None,
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
            write_capacity: self.inner.write_capacity.clone(),
            read_capacity: self.inner.read_capacity.clone(),
            own_writes: self.inner.own_writes.clone(),
            direct: self.inner.direct.clone(),
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

    /// The same table with its writes (single, batch and transactional) drawing on `share`: they
    /// ask DynamoDB for the capacity they consume (GSI writes included), wait for it, and yield
    /// when DynamoDB throttles. See [`CapacityShare`].
    #[must_use]
    pub fn with_write_capacity(&self, share: CapacityShare) -> Self {
        self.with(|inner| inner.write_capacity = Some(share))
    }

    /// The same table with its scans drawing on `share` of the read capacity, as
    /// [`with_write_capacity`](Self::with_write_capacity) does for writes.
    #[must_use]
    pub fn with_read_capacity(&self, share: CapacityShare) -> Self {
        self.with(|inner| inner.read_capacity = Some(share))
    }

    /// The share of the write capacity the table's writes draw on, if any.
    pub fn write_capacity(&self) -> Option<&CapacityShare> {
        self.inner.write_capacity.as_ref()
    }

    /// The share of the read capacity the table's scans draw on, if any.
    pub fn read_capacity(&self) -> Option<&CapacityShare> {
        self.inner.read_capacity.as_ref()
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
    /// [`apply`](Self::apply) and [`apply_snapshots`](Self::apply_snapshots)) and its reads
    /// (get, batch get, query, scan) through `direct`, without the SDK's per-request
    /// orchestrator, and decoding the answers straight from their bodies: about half the client
    /// CPU per write, and a query page read in a fraction of the SDK's time. See
    /// [`DirectRequests`] for what it leaves out.
    #[must_use]
    pub fn with_direct_requests(&self, direct: DirectRequests) -> Self {
        self.with(|inner| inner.direct = Some(direct))
    }

    /// The former name of [`with_direct_requests`](Self::with_direct_requests), which now
    /// sends reads directly too.
    #[must_use]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `with_direct_requests`: reads are direct too"
    )]
    pub fn with_direct_writes(&self, direct: DirectRequests) -> Self {
        self.with_direct_requests(direct)
    }

    /// The direct path, when the table has one (after a refused signature it hands every
    /// request back to the SDK itself).
    pub(crate) fn direct(&self) -> Option<&DirectRequests> {
        self.inner.direct.as_ref()
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

    /// What a write asks DynamoDB to report of the capacity it consumed: `INDEXES` (whose total
    /// counts the writes to every GSI too) when a capacity share or a capacity-unit rate limit
    /// needs it, else nothing.
    pub(crate) fn consumed_capacity_request(&self) -> Option<ReturnConsumedCapacity> {
        (self.write_capacity().is_some()
            || self
                .rate_limiter()
                .is_some_and(|l| l.limit().needs_consumed_capacity()))
        .then_some(ReturnConsumedCapacity::Indexes)
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

    /// Decodes a raw item read by a scan ([`scan_items`](Self::scan_items), [`Scan::raw`](super::scan::Scan::raw)) as
    /// entity `E`.
    ///
    /// # Errors
    /// The decoding error, naming the table and the item's key.
    pub fn decode<E: Entity>(&self, item: Item) -> Result<E> {
        let key = PrimaryKey::of_item(&item);
        E::from_item(item).map_err(|e| self.error(Operation::Scan, key, ErrorKind::Decode(e)))
    }
}
