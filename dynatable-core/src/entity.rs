//! The `Entity` trait `#[entity]` implements, and the markers for versioned and batch-writable
//! entities.

use crate::codec::{Item, WireItem};
use crate::error::{DecodeError, EncodeError};
use crate::key::PrimaryKey;
use crate::schema::EntitySchema;

/// A Rust type stored as items of one entity type in a single DynamoDB table.
///
/// Implemented by [`#[entity]`](macro@crate::entity); see there for the options. Implementing it
/// by hand is possible but gives up the compile-time checks of the templates.
pub trait Entity: Sized + Send + 'static {
    /// The static description of the entity: name, key and index templates, attributes.
    const SCHEMA: &'static EntitySchema;

    /// The primary key (`PK`, `SK`) of this value, rendered from the key templates.
    fn primary_key(&self) -> PrimaryKey;

    /// Encodes the value as a DynamoDB item: `PK`, `SK`, the index key attributes, the
    /// entity-type attribute `_type`, and every field (absent `None` and empty sets omitted).
    ///
    /// Only what the entity declares: an attribute a stored item has beyond its fields (another
    /// service's, or one a migration has not declared yet) is not in the value, so a put of
    /// `from_item(..).to_item()` drops it. To move such an item to a new key whole, copy the
    /// raw item instead (`Scan::with_items`, `PrimaryKey::of_item`).
    ///
    /// # Errors
    /// [`EncodeError`] when a field has no DynamoDB representation (a non-finite float, or a
    /// `serde` field whose serializer fails); the error names the entity and the attribute.
    fn to_item(&self) -> Result<Item, EncodeError>;

    /// [`to_item`](Self::to_item), consuming the value: strings, lists and maps move into the
    /// item instead of being copied. Prefer it when the value is not needed afterwards.
    ///
    /// # Errors
    /// As [`to_item`](Self::to_item).
    fn into_item(self) -> Result<Item, EncodeError> {
        self.to_item()
    }

    /// Decodes an item read from the table. Absent attributes take their declared default (or
    /// `None`, or an empty set); attributes the entity does not declare are ignored.
    ///
    /// # Errors
    /// [`DecodeError`] naming the entity, the item's key, the attribute and the expected and
    /// found types, when a required attribute is missing or has the wrong type.
    fn from_item(item: Item) -> Result<Self, DecodeError>;

    /// Reads a value back from an item of an answer's body, as [`from_item`](Self::from_item)
    /// does from the SDK's item: the same values and the same errors. `#[entity]` generates a
    /// decoder that reads the borrowed attributes directly; by default the item is turned into
    /// the SDK's first.
    ///
    /// # Errors
    /// As [`from_item`](Self::from_item).
    fn from_wire(item: WireItem<'_>) -> Result<Self, DecodeError> {
        Self::from_item(item.into_item())
    }

    /// The key attributes of this value in key shape `shape` (a position in
    /// [`EntitySchema::key_shapes`], oldest first, the current keys last): `PK`, `SK` and the
    /// index key attributes that shape writes (a sparse index's left out when its fields are
    /// `None`). `None` when the entity has no such shape.
    ///
    /// `#[entity]` implements it for every shape its `previous_key`s declare; the default knows
    /// only the current keys, from [`to_item`](Self::to_item).
    ///
    /// ```
    /// use dynatable_core::{Entity, entity};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "ORDER#{created}#{order_id}",
    ///          previous_key(until = "0.2.0", sk = "ORDER#{order_id}"))]
    /// pub struct Order {
    ///     pub user_id: String,
    ///     pub order_id: String,
    ///     pub created: u64,
    /// }
    ///
    /// let order = Order { user_id: "u1".into(), order_id: "o1".into(), created: 7 };
    /// let old = order.key_attributes(0).unwrap();
    /// assert_eq!(old["SK"].as_s().unwrap(), "ORDER#o1");
    /// let new = order.key_attributes(1).unwrap();
    /// // Numbers in keys are zero-padded to 20 digits, so that they sort.
    /// assert_eq!(new["SK"].as_s().unwrap(), "ORDER#00000000000000000007#o1");
    /// assert!(order.key_attributes(2).is_none());
    /// ```
    fn key_attributes(&self, shape: usize) -> Option<Item> {
        if shape != Self::SCHEMA.previous_keys.len() {
            return None;
        }
        let item = self.to_item().ok()?;
        let current = Self::SCHEMA.key_shapes().last()?;
        Some(
            current
                .key_attributes()
                .filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
                .collect(),
        )
    }
}

/// An entity that batch writes may store: one without an optimistic-locking version.
///
/// `BatchWriteItem` cannot carry conditions, so it could neither check an entity's
/// [version](macro@crate::entity) nor keep a concurrent writer's
/// change; [`Table::batch_put`](crate::Table::batch_put) therefore refuses versioned entities at
/// compile time. `#[entity]` implements this trait for every entity without a version field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a version field, and batch writes cannot check it",
    label = "an entity with #[entity(version)]",
    note = "BatchWriteItem carries no condition: write versioned entities with `Table::put` (or in a transaction), which checks and increments the version"
)]
pub trait BatchWritable: Entity {}

/// An entity with an optimistic-locking version (`#[entity(version)]`), whose updates and
/// deletes can check it with `if_version`. `#[entity]` implements it; by hand, it needs
/// [`EntitySchema::version`](crate::EntitySchema::version) to name the attribute.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no version field",
    label = "an entity without #[entity(version)]",
    note = "declare an integer field #[entity(version)] to check versions on writes"
)]
pub trait Versioned: Entity {}
