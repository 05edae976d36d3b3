//! Every entity a binary contains, and the checks that keep them apart in one table.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::schema::EntitySchema;

/// An entity registered by `#[entity]`. Generated code submits one per entity.
#[derive(Debug)]
pub struct EntityRegistration {
    schema: &'static EntitySchema,
}

impl EntityRegistration {
    /// A registration of `schema`.
    pub const fn new(schema: &'static EntitySchema) -> Self {
        Self { schema }
    }
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
    let mut all: Vec<_> = inventory::iter::<EntityRegistration>
        .into_iter()
        .map(|r| r.schema)
        .collect();
    all.sort_by(|a, b| a.name.cmp(b.name).then(a.rust_type.cmp(b.rust_type)));
    all
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
