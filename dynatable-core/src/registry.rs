//! Every entity a binary contains, and the checks that keep them apart in one table.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::codec::{Item, string_attribute};
use crate::conformance::{Conformance, check_item};
use crate::entity::Entity;
use crate::error::DecodeError;
use crate::key::{ENTITY_TYPE_ATTRIBUTE, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::schema::EntitySchema;

/// An entity registered by `#[entity]`. Generated code submits one per entity.
#[derive(Debug)]
pub struct EntityRegistration {
    schema: &'static EntitySchema,
    check: fn(Item) -> Conformance,
    current_keys: fn(Item) -> Result<Option<Item>, DecodeError>,
}

impl EntityRegistration {
    /// The registration of entity `E`.
    pub const fn of<E: Entity>() -> Self {
        Self {
            schema: E::SCHEMA,
            check: check_item::<E>,
            current_keys: current_keys::<E>,
        }
    }

    /// The entity's schema.
    pub fn schema(&self) -> &'static EntitySchema {
        self.schema
    }

    /// [`check_item`] as this entity, for code that knows the entity only by its schema.
    pub fn check(&self, item: Item) -> Conformance {
        (self.check)(item)
    }

    /// The key attributes the entity writes today for the value `item` holds: `PK`, `SK` and
    /// every index key (a sparse index's left out when its fields are `None`); `None` when the
    /// entity renders no keys for it ([`Entity::key_attributes`]).
    ///
    /// # Errors
    /// The item does not decode as the entity.
    pub fn current_keys(&self, item: Item) -> Result<Option<Item>, DecodeError> {
        (self.current_keys)(item)
    }
}

/// `item` decoded as `E`, with the key attributes of `E`'s current key shape.
fn current_keys<E: Entity>(item: Item) -> Result<Option<Item>, DecodeError> {
    let value = E::from_item(item)?;
    Ok(value.key_attributes(E::SCHEMA.previous_keys.len()))
}

inventory::collect!(EntityRegistration);

/// Every entity linked into this binary, sorted by name.
///
/// ```
/// use dynatable_core::{entity, registry};
///
/// #[entity(pk = "TEAM#{team_id}", sk = "TEAM")]
/// pub struct Team {
///     pub team_id: String,
/// }
///
/// assert!(registry::entities().iter().any(|e| e.name == "Team"));
/// ```
pub fn entities() -> Vec<&'static EntitySchema> {
    registrations().into_iter().map(|r| r.schema).collect()
}

/// Every entity registration linked into this binary, sorted by name: each entity's schema, and
/// its [`check`](EntityRegistration::check) for stored items.
pub fn registrations() -> Vec<&'static EntityRegistration> {
    let mut all: Vec<&'static EntityRegistration> =
        inventory::iter::<EntityRegistration>.into_iter().collect();
    all.sort_by(|a, b| {
        (a.schema.name, a.schema.rust_type).cmp(&(b.schema.name, b.schema.rust_type))
    });
    all
}

/// Which of `entities` an item belongs to: the one its `_type` names; for an item written
/// without `_type`, the first whose primary key templates both parse the item's keys (its
/// current ones, else those of an earlier key shape). `None` when none does (a `_type` naming
/// another entity included).
///
/// ```
/// use dynatable_core::{Entity, entity, registry};
///
/// #[entity(pk = "TEAM#{team_id}", sk = "TEAM")]
/// pub struct Team {
///     pub team_id: String,
/// }
///
/// let mut item = Team { team_id: "t1".into() }.to_item().unwrap();
/// assert_eq!(registry::entity_of(&item, &[Team::SCHEMA]), Some(0));
/// item.remove("_type");
/// assert_eq!(registry::entity_of(&item, &[Team::SCHEMA]), Some(0));
/// ```
pub fn entity_of(item: &Item, entities: &[&EntitySchema]) -> Option<usize> {
    if let Some(found) = crate::collection::member_of(item, entities) {
        return Some(found);
    }
    if item.contains_key(ENTITY_TYPE_ATTRIBUTE) {
        return None;
    }
    // Without `_type`, in a key shape an entity had before a re-key.
    let pk = string_attribute(item, PARTITION_KEY_ATTRIBUTE)?;
    let sk = string_attribute(item, SORT_KEY_ATTRIBUTE)?;
    entities
        .iter()
        .position(|e| e.key_shapes().any(|shape| shape.key.parses(pk, sk)))
}

/// A problem that makes entities unsafe to keep in one table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two entity types have the same name, so their items' `_type` cannot tell them apart.
    #[error(
        "entities `{first}` and `{second}` are both named {name:?}: give one a distinct \
         `#[entity(name = \"...\")]`"
    )]
    DuplicateName {
        /// The shared name.
        name: &'static str,
        /// The first Rust type.
        first: &'static str,
        /// The second Rust type.
        second: &'static str,
    },
    /// Two entities' key templates can render the same primary key.
    #[error(
        "entities `{first}` (PK {first_pk:?}, SK {first_sk:?}) and `{second}` (PK {second_pk:?}, \
         SK {second_sk:?}) can produce the same primary key, so one can overwrite or be read as the \
         other: make a literal part of the partition or sort key templates differ"
    )]
    OverlappingKeys {
        /// The first entity.
        first: &'static str,
        /// Its partition key template.
        first_pk: &'static str,
        /// Its sort key template.
        first_sk: &'static str,
        /// The second entity.
        second: &'static str,
        /// Its partition key template.
        second_pk: &'static str,
        /// Its sort key template.
        second_sk: &'static str,
    },
}

/// Checks [`entities`]: see [`check_schemas`].
///
/// # Errors
/// Every [`RegistryError`] found.
pub fn check() -> Result<(), Vec<RegistryError>> {
    check_schemas(&entities())
}

/// Checks that entities can share one table: distinct names, and no two entities whose partition
/// and sort key templates can both render the same text.
///
/// # Errors
/// Every [`RegistryError`] found.
pub fn check_schemas(schemas: &[&'static EntitySchema]) -> Result<(), Vec<RegistryError>> {
    let mut errors = Vec::new();
    let mut by_name: BTreeMap<&str, &EntitySchema> = BTreeMap::new();
    for schema in schemas {
        if let Some(first) = by_name.insert(schema.name, schema) {
            errors.push(RegistryError::DuplicateName {
                name: schema.name,
                first: first.rust_type,
                second: schema.rust_type,
            });
        }
    }
    for (i, a) in schemas.iter().enumerate() {
        for b in &schemas[i + 1..] {
            if a.name != b.name && a.key.pk.overlaps(&b.key.pk) && a.key.sk.overlaps(&b.key.sk) {
                errors.push(RegistryError::OverlappingKeys {
                    first: a.name,
                    first_pk: a.key.pk.source,
                    first_sk: a.key.sk.source,
                    second: b.name,
                    second_pk: b.key.pk.source,
                    second_sk: b.key.sk.source,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
