//! Typed single-table DynamoDB entities.
//!
//! Many entity types share one DynamoDB table in a single-table design. `dynatable-core` describes
//! each of them with [`#[entity]`](macro@entity): the key templates that place it in the table,
//! its secondary index keys, defaults, required fields and generated ids. The macro checks all of
//! it at compile time and generates:
//!
//! - an [`Entity`] implementation with a static [`EntitySchema`], registered so that
//!   [`registry::entities`] lists every entity a binary contains;
//! - key builders (`Notification::key(..)`, `Notification::partition_key(..)`), the constant key
//!   prefixes for `begins_with` conditions, and `Notification::parse_key(..)`, the reverse;
//! - a constructor taking the required fields, applying defaults and generating ULIDs;
//! - the item codec both ways ([`Entity::to_item`], [`Entity::from_item`]);
//! - typed attribute references ([`Field`]) for updates and conditions.
//!
//! ```
//! use dynatable_core::{entity, Entity};
//!
//! #[entity(pk = "USER#{user_id}", sk = "NOTIFICATION#{notification_id}")]
//! #[derive(Debug, Clone, PartialEq)]
//! pub struct Notification {
//!     pub user_id: String,
//!     #[entity(generate = "ulid")]
//!     pub notification_id: String,
//!     pub message: String,
//!     #[entity(default = false)]
//!     pub read: bool,
//!     #[entity(rename = "createdAt")]
//!     pub created_at: String,
//!     pub note: Option<String>,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Required fields only: `notification_id` is a fresh ULID, `read` is false, `note` is None.
//! let n = Notification::new("u1", "Welcome!", "2026-01-01T00:00:00Z");
//! assert_eq!(n.primary_key().pk, "USER#u1");
//! assert_eq!(Notification::SORT_KEY_PREFIX, "NOTIFICATION#");
//!
//! let item = n.to_item()?;
//! assert_eq!(Notification::from_item(item)?, n);
//! # Ok(())
//! # }
//! ```
//!
//! See [the attribute type mapping](codec) for how Rust types are stored.

pub mod client;
pub mod codec;
mod collection;
mod collection_check;
mod conformance;
mod entity;
mod error;
mod field;
mod item_size;
mod key;
mod key_segment;
pub mod registry;
mod reserved_names;
mod schema;
mod sdk_error_text;
mod table;
mod table_as_code;
mod table_definition;
mod template;
mod timestamp;
mod ulid;

#[doc(hidden)]
pub mod __private;

pub use aws_sdk_dynamodb;
pub use codec::{AttributeCodec, Bytes, Item};
pub use collection::{Collection, CollectionMember};
pub use conformance::{Conformance, StaleKey, check_item};
pub use entity::{BatchWritable, Entity, Versioned};
pub use error::{DecodeError, EncodeError, KeyError, ValueError};
pub use field::{Field, role};
pub use key::{
    ENTITY_TYPE_ATTRIBUTE, LEDGER_PARTITION_PREFIX, PARTITION_KEY_ATTRIBUTE, PrimaryKey,
    SORT_KEY_ATTRIBUTE,
};
pub use key_segment::{KeySegment, PaddedKeySegment, ParseKeySegment};
pub use schema::{
    AttributeKind, AttributeSchema, EntitySchema, Generator, IndexSchema, KeySchema, KeyShape,
    PreviousKey,
};
pub use sdk_error_text::sdk_error_text;
#[allow(deprecated)]
pub use table::{
    Addable, Backoff, BatchFuture, BatchGet, BulkError, BulkReport, CancellationReason,
    CapacityReading, CapacityShare, Condition, Cursor, CursorError, DEFAULT_CONCURRENCY,
    DEFAULT_SEGMENTS, Delete, DirectRequests, DirectRequestsError, DirectWrites, Error, ErrorKind,
    Get, IntoValue, ItemMatcher, MAX_BATCH_GET_KEYS, MAX_REREADS, MAX_SEGMENTS,
    MAX_TRANSACTION_ACTIONS, MIN_CAPACITY_RATE, MalformedItem, MemberOf, Operation, OwnWrites,
    Page, Projection, Put, Query, QueryKeys, QueryTarget, RateLimit, Removable, Result, Scan,
    ScanFilter, ScanItems, SegmentPosition, Snapshot, SortKey, Table, Transaction, Update, Write,
};
pub use table_definition::{CreateTableError, TableDefinition};
pub use template::{KeyTemplate, Segment};
pub use timestamp::Timestamp;

/// Declares a DynamoDB entity stored in a single table.
///
/// Container options (`#[entity(...)]` on the struct):
///
/// | option | meaning |
/// | --- | --- |
/// | `pk = "USER#{user_id}"` | partition key template (required), stored in `PK` |
/// | `sk = "PROFILE"` | sort key template (required), stored in `SK` |
/// | `index(name = "GSI1", pk = "...", sk = "...")` | a secondary index key; its attributes are `GSI1PK`/`GSI1SK` unless `pk_attribute`/`sk_attribute` name others; `sk` is optional |
/// | `name = "Notification"` | the entity type name stored in `_type` (default: the struct name) |
/// | `rename_all = "camelCase"` | attribute names from field names: `camelCase`, `PascalCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `lowercase`, `UPPERCASE` |
/// | `constructor = "create"` | the name of the generated constructor (default `new`) |
/// | `since = "0.4.0"` | the migration version that introduced the entity: the runner's schema snapshots for earlier versions leave it out, so the change is recorded with that version |
/// | `crate = "path"` | where `dynatable_core` is, when it is re-exported under another path |
///
/// Field options (`#[entity(...)]` on a field):
///
/// | option | meaning |
/// | --- | --- |
/// | `rename = "createdAt"` | the attribute name |
/// | `default = expr` / `default` | value used by the constructor and when the attribute is absent (`default` alone: `Default::default()`) |
/// | `generate = "ulid"` | a new monotonic ULID from the constructor (`String` fields) |
/// | `serde` | store the field as a map (or the value serde gives it) through its serde implementation |
/// | `since = "0.1.0"` | the migration version that introduced the attribute (recorded with that version); the field needs a `default` or an `Option` type, since older items lack it |
/// | `version` | the optimistic-locking version (an integer): every typed write checks and increments it |
/// | `created_at` | a [`Timestamp`] the constructor sets to now, and updates set where the item lacks it |
/// | `updated_at` | a [`Timestamp`] every put, batch put and update sets to now (an update's own `set` of it wins) |
/// | `ttl` | a [`Timestamp`] stored as epoch seconds (`N`), for DynamoDB's time to live; `skip_expired()` on gets, queries and scans leaves out the items whose time has passed, which DynamoDB returns until it deletes them |
///
/// Template placeholders `{field}` name fields (not attribute names); they must be strings,
/// integers, `bool`, `char` or a type that implements [`KeySegment`] and [`ParseKeySegment`],
/// and two placeholders must be separated by literal text.
///
/// **Numbers sort.** Keys compare as text, so integer placeholders are written zero-padded to
/// their type's width (`u32`: 10 digits), signed ones offset so that -1 < 0 < 1 holds in key
/// order, and [`Timestamp`]s as 13-digit milliseconds; `parse_key` reads them back. An unsigned
/// placeholder may take a width of its own, `{seq:06}` (a value wider than it is written in
/// full, and sorts out of order):
///
/// ```
/// use dynatable_core::entity;
///
/// #[entity(pk = "SENSOR#{sensor}", sk = "READING#{offset}#{seq:06}")]
/// pub struct Reading {
///     pub sensor: String,
///     pub offset: i16,
///     pub seq: u32,
/// }
///
/// assert_eq!(Reading::sort_key(-1, 42), "READING#32767#000042");
/// assert_eq!(Reading::sort_key(0, 42), "READING#32768#000042");
/// ```
///
/// **Sparse indexes.** An index key template may name `Option` fields (the primary key's may
/// not): the index's key attributes are written only when every placeholder of the index has a
/// value, so the index holds only those items, and a put that clears one takes the item out of
/// it. Like every key field, such a field cannot be changed by an update (only by a put, which
/// renders every key again); the index's key builders take the value itself:
///
/// ```
/// use dynatable_core::{entity, Entity};
///
/// #[entity(
///     pk = "USER#{user_id}",
///     sk = "PROFILE",
///     index(name = "GSI1", pk = "INVITE#{invite_code}", sk = "USER#{user_id}"),
/// )]
/// pub struct Member {
///     pub user_id: String,
///     pub invite_code: Option<String>,
/// }
///
/// assert!(!Member::new("u1").to_item()?.contains_key("GSI1PK"));
/// let mut invited = Member::new("u2");
/// invited.invite_code = Some("c1".into());
/// assert_eq!(invited.to_item()?["GSI1PK"].as_s().ok(), Some(&Member::gsi1_partition_key("c1")));
/// # Ok::<(), dynatable_core::EncodeError>(())
/// ```
///
/// ```
/// use dynatable_core::entity;
///
/// #[entity(
///     pk = "USER#{user_id}",
///     sk = "PROFILE",
///     index(name = "GSI1", pk = "EMAIL#{email}", sk = "USER"),
///     rename_all = "camelCase",
/// )]
/// pub struct User {
///     pub user_id: String,
///     pub username: String,
///     pub email: String,
///     #[entity(default = 0)]
///     pub login_count: u32,
///     #[entity(default = "")]
///     pub bio: String,
/// }
///
/// let user = User::new("u1", "Ada", "ada@example.com");
/// assert_eq!(User::gsi1_partition_key("ada@example.com"), "EMAIL#ada@example.com");
/// assert_eq!(User::fields().login_count.name(), "loginCount");
/// ```
pub use dynatable_macros::entity;

/// Derives [`KeySegment`](trait@KeySegment), [`ParseKeySegment`] and [`AttributeCodec`] for an
/// enum of unit variants, so that a status can fill a key template's placeholder (a sparse
/// index by status, say) and be stored as a string attribute. Each variant is written as its
/// name, or as `#[key_segment(rename_all = "...")]` writes it (the rules of `#[entity]`'s
/// `rename_all`); text naming no variant does not decode.
///
/// ```
/// use dynatable_core::{Entity, KeySegment, entity};
///
/// #[derive(Debug, Clone, Copy, PartialEq, KeySegment)]
/// #[key_segment(rename_all = "snake_case")]
/// pub enum OrderStatus {
///     Cart,
///     Placed,
///     Shipped,
/// }
///
/// #[entity(
///     pk = "CUSTOMER#{customer_id}",
///     sk = "ORDER#{order_id}",
///     index(name = "GSI1", pk = "STATUS#{status}", sk = "ORDER#{order_id}")
/// )]
/// #[derive(Debug, Clone, PartialEq)]
/// pub struct Order {
///     pub customer_id: String,
///     pub order_id: String,
///     pub status: OrderStatus,
/// }
///
/// assert_eq!(Order::gsi1_partition_key(&OrderStatus::Placed), "STATUS#placed");
/// let order = Order::new("c1", "o1", OrderStatus::Cart);
/// let item = order.to_item().unwrap();
/// assert_eq!(Order::from_item(item).unwrap().status, OrderStatus::Cart);
/// ```
///
/// The enum also gets `as_key_segment(&self) -> &'static str`, the text a value is written as.
/// Structs, variants with fields, unknown options and two variants written alike are compile
/// errors at their tokens.
pub use dynatable_macros::KeySegment;

/// Declares a collection: an enum of entities that share a partition key template, read by one
/// query ([`Table::query_collection`]) or batch get ([`Table::batch_get`]) with each item decoded
/// as its member.
///
/// Each variant holds one entity (`User(User)`) or a [projection](macro@projection) of one
/// (`User(UserName)`). An item is decoded as the member named by its `_type`; an item written
/// without `_type` as the first member whose primary key templates parse its keys. Items of no
/// member are skipped, unless a variant marked `#[collection(other)]` holding a [`Item`] takes
/// them. When every member is a projection, the collection's queries read only `_type`, the keys
/// and the projections' attributes (a `ProjectionExpression`); otherwise whole items.
///
/// | option | meaning |
/// | --- | --- |
/// | `index = "GSI1"` | the members share the partition of this index instead of the table's, and the collection's queries read it |
/// | `crate = "path"` | where `dynatable_core` is, when it is re-exported under another path |
///
/// Checked at compile time: the members' partition key templates (of the table, or of the
/// index) have the same literal text with placeholders in the same places, and every member
/// declares the index. The error names both templates:
///
/// ```compile_fail
/// use dynatable_core::{collection, entity};
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User { pub user_id: String }
///
/// #[entity(pk = "ALBUM#{album_id}", sk = "PHOTO#{photo_id}")]
/// pub struct Photo { pub album_id: String, pub photo_id: String }
///
/// #[collection] // error: the partition key template of `Photo` ("ALBUM#{album_id}") differs ...
/// pub enum UserPage { User(User), Photo(Photo) }
/// ```
///
/// The generated code implements [`Collection`], [`QueryTarget`], [`MemberOf`] for each member
/// (so [`Query::filter`] takes a member's conditions) and `From<Member>` for the enum.
///
/// ```
/// use dynatable_core::{collection, entity, Item};
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
///     #[collection(other)]
///     Other(Item),
/// }
///
/// let page = UserPage::from(User::new("u1", "Ada"));
/// assert!(matches!(page, UserPage::User(_)));
/// ```
pub use dynatable_macros::collection;

/// Declares a projection: a struct holding some of an entity's fields, which a query
/// [projected](Query::project) onto it reads with a `ProjectionExpression` (those attributes and
/// the key attributes only).
///
/// `#[projection(of = Entity)]` on a struct with named fields. Each field must be a field of the
/// entity, by name, with the same type: checked at compile time through the entity's typed
/// field references, so a field the entity lacks or one of another type does not compile.
/// Attribute names (renames included) come from the entity. A field marked
/// `#[projection(default)]` reads as `Default::default()` when the item lacks the attribute (an
/// `Option` field reads as `None`); any other missing attribute is a decoding error. Fields the
/// entity stores with serde are not supported.
///
/// ```
/// use dynatable_core::{entity, projection, Projection};
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
/// pub struct User {
///     pub user_id: String,
///     pub display_name: String,
///     pub bio: Option<String>,
///     pub avatar_url: String,
/// }
///
/// #[projection(of = User)]
/// pub struct UserCard {
///     pub user_id: String,
///     pub display_name: String,
///     pub bio: Option<String>,
/// }
///
/// assert_eq!(UserCard::ATTRIBUTES, ["userId", "displayName", "bio"]);
/// ```
///
/// ```compile_fail
/// use dynatable_core::{entity, projection};
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User { pub user_id: String, pub name: String }
///
/// #[projection(of = User)]
/// pub struct Wrong { pub nickname: String } // error: no field `nickname` on `UserFields`
/// ```
pub use dynatable_macros::projection;
