//! Snapshots of the entities' schemas, and the changes between two snapshots: what the runner
//! records with each applied migration, and how drift is found.

use std::collections::BTreeMap;
use std::fmt;

use dynatable_core::{EntitySchema, KeyShape};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::own_entities::is_own;

/// The schemas of every entity at one point in time (entities named with a leading `_`, the
/// runner's own, are left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaSnapshot {
    /// Entity name to its schema.
    pub entities: BTreeMap<String, EntitySnapshot>,
}

/// One entity's schema, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitySnapshot {
    /// The partition key template.
    pub pk: String,
    /// The sort key template.
    pub sk: String,
    /// Index name to `pk_attribute=template sk_attribute=template`.
    pub indexes: BTreeMap<String, String>,
    /// Attribute name to its description: type, required, default, generator.
    pub attributes: BTreeMap<String, String>,
}

/// One difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SchemaChange {
    /// A new entity.
    EntityAdded {
        /// The entity.
        entity: String,
    },
    /// An entity that is gone.
    EntityRemoved {
        /// The entity.
        entity: String,
    },
    /// A key or index template changed.
    KeyChanged {
        /// The entity.
        entity: String,
        /// `pk`, `sk` or `index <name>`.
        key: String,
        /// Before (empty when added).
        from: String,
        /// After (empty when removed).
        to: String,
    },
    /// A new attribute.
    AttributeAdded {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// Its description.
        description: String,
    },
    /// An attribute that is gone.
    AttributeRemoved {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
    },
    /// An attribute whose type, default, generator or requiredness changed.
    AttributeChanged {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// Before.
        from: String,
        /// After.
        to: String,
    },
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EntityAdded { entity } => write!(f, "entity {entity} added"),
            Self::EntityRemoved { entity } => write!(f, "entity {entity} removed"),
            Self::KeyChanged {
                entity,
                key,
                from,
                to,
            } => write!(f, "{entity} {key}: {from:?} -> {to:?}"),
            Self::AttributeAdded {
                entity,
                attribute,
                description,
            } => {
                write!(f, "{entity}.{attribute} added ({description})")
            }
            Self::AttributeRemoved { entity, attribute } => {
                write!(f, "{entity}.{attribute} removed")
            }
            Self::AttributeChanged {
                entity,
                attribute,
                from,
                to,
            } => {
                write!(f, "{entity}.{attribute} changed: {from} -> {to}")
            }
        }
    }
}

fn describe(attribute: &dynatable_core::AttributeSchema) -> String {
    let mut text = format!("{} as {}", attribute.rust_type, attribute.kind.descriptor());
    if attribute.required {
        text.push_str(", required");
    }
    if let Some(default) = attribute.default {
        text.push_str(&format!(", default {default}"));
    }
    if attribute.generated.is_some() {
        text.push_str(", generated ulid");
    }
    text
}

/// Whether something introduced `since` a version exists at `version` (`None`: everything).
fn exists_at(since: Option<&str>, version: Option<&Version>) -> bool {
    match (since.map(Version::parse), version) {
        (Some(Ok(since)), Some(version)) => since <= *version,
        _ => true,
    }
}

/// The key shape in force at `version` (`None`: the current one): the oldest whose `until` is
/// after it.
fn shape_at(entity: &EntitySchema, version: Option<&Version>) -> KeyShape {
    let current = KeyShape {
        until: None,
        key: entity.key,
        indexes: entity.indexes,
    };
    let Some(version) = version else {
        return current;
    };
    entity
        .key_shapes()
        .find(|shape| {
            shape
                .until
                .and_then(|until| Version::parse(until).ok())
                .is_none_or(|until| *version < until)
        })
        .unwrap_or(current)
}

impl SchemaSnapshot {
    /// The snapshot of `entities`.
    pub fn of(entities: &[&'static EntitySchema]) -> Self {
        Self::build(entities, None)
    }

    /// The snapshot of `entities` as of migration `version`: entities and attributes declared
    /// `since` a later version are left out.
    pub fn at(entities: &[&'static EntitySchema], version: &Version) -> Self {
        Self::build(entities, Some(version))
    }

    fn build(entities: &[&'static EntitySchema], version: Option<&Version>) -> Self {
        let entities = entities
            .iter()
            .filter(|e| !is_own(e) && exists_at(e.since, version))
            .map(|e| {
                let shape = shape_at(e, version);
                let indexes = shape
                    .indexes
                    .iter()
                    .filter(|i| exists_at(i.since, version))
                    .map(|i| {
                        let sk = match (i.sk_attribute, i.sk) {
                            (Some(attribute), Some(template)) => {
                                format!(" {attribute}={}", template.source)
                            }
                            _ => String::new(),
                        };
                        (
                            i.name.to_owned(),
                            format!("{}={}{sk}", i.pk_attribute, i.pk.source),
                        )
                    })
                    .collect();
                let attributes = e
                    .attributes
                    .iter()
                    .filter(|a| exists_at(a.since, version))
                    .map(|a| (a.name.to_owned(), describe(a)))
                    .collect();
                let snapshot = EntitySnapshot {
                    pk: shape.key.pk.source.to_owned(),
                    sk: shape.key.sk.source.to_owned(),
                    indexes,
                    attributes,
                };
                (e.name.to_owned(), snapshot)
            })
            .collect();
        Self { entities }
    }

    /// What changed from `self` to `newer`.
    pub fn diff(&self, newer: &Self) -> Vec<SchemaChange> {
        let mut changes = Vec::new();
        for (name, old) in &self.entities {
            if !newer.entities.contains_key(name) {
                changes.push(SchemaChange::EntityRemoved {
                    entity: name.clone(),
                });
            } else if let Some(new) = newer.entities.get(name) {
                diff_entity(name, old, new, &mut changes);
            }
        }
        for (name, new) in &newer.entities {
            if !self.entities.contains_key(name) {
                changes.push(SchemaChange::EntityAdded {
                    entity: name.clone(),
                });
                diff_entity(name, &EntitySnapshot::empty(), new, &mut changes);
            }
        }
        changes
    }
}

impl EntitySnapshot {
    fn empty() -> Self {
        Self {
            pk: String::new(),
            sk: String::new(),
            indexes: BTreeMap::new(),
            attributes: BTreeMap::new(),
        }
    }
}

fn diff_entity(
    entity: &str,
    old: &EntitySnapshot,
    new: &EntitySnapshot,
    changes: &mut Vec<SchemaChange>,
) {
    let key_change = |key: &str, from: &str, to: &str| SchemaChange::KeyChanged {
        entity: entity.to_owned(),
        key: key.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    };
    if old.pk != new.pk {
        changes.push(key_change("pk", &old.pk, &new.pk));
    }
    if old.sk != new.sk {
        changes.push(key_change("sk", &old.sk, &new.sk));
    }
    let index_names: std::collections::BTreeSet<&String> =
        old.indexes.keys().chain(new.indexes.keys()).collect();
    for index in index_names {
        let (from, to) = (old.indexes.get(index), new.indexes.get(index));
        if from != to {
            let none = String::new();
            changes.push(key_change(
                &format!("index {index}"),
                from.unwrap_or(&none),
                to.unwrap_or(&none),
            ));
        }
    }
    for (attribute, description) in &new.attributes {
        match old.attributes.get(attribute) {
            None => changes.push(SchemaChange::AttributeAdded {
                entity: entity.to_owned(),
                attribute: attribute.clone(),
                description: description.clone(),
            }),
            Some(before) if before != description => changes.push(SchemaChange::AttributeChanged {
                entity: entity.to_owned(),
                attribute: attribute.clone(),
                from: before.clone(),
                to: description.clone(),
            }),
            Some(_) => {}
        }
    }
    for attribute in old.attributes.keys() {
        if !new.attributes.contains_key(attribute) {
            changes.push(SchemaChange::AttributeRemoved {
                entity: entity.to_owned(),
                attribute: attribute.clone(),
            });
        }
    }
}
