//! How the live table differs from what the entities need: indexes missing, extra, keyed or
//! projected otherwise, time to live on another attribute or off, the stream off. What `status`
//! shows and `check` fails on, from `DescribeTable` and `DescribeTimeToLive`.

use std::collections::BTreeMap;
use std::fmt;

use dynatable_core::aws_sdk_dynamodb::types::{GlobalSecondaryIndexDescription, ProjectionType};
use dynatable_core::{EntitySchema, Table};
use semver::Version;
use serde::Serialize;

use crate::error::Result;
use crate::live_table::{self, describe_keys, index_keys};
use crate::own_entities::is_own;

/// One way the table differs from what the entities need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "drift", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TableDrift {
    /// An index the entities declare (and whose `since` version is applied) is not on the table.
    MissingIndex {
        /// The index.
        index: String,
    },
    /// An index on the table that no entity declares.
    ExtraIndex {
        /// The index.
        index: String,
    },
    /// An index whose key attributes differ from the entities' (`PK/SK` forms).
    IndexKeys {
        /// The index.
        index: String,
        /// The table's key attributes.
        table: String,
        /// The entities' key attributes.
        entities: String,
    },
    /// An index that projects less than every attribute, which decoding entities needs.
    IndexProjection {
        /// The index.
        index: String,
        /// The table's projection type.
        projection: String,
    },
    /// Time to live is not on the entities' attribute (`None`: off, or not declared).
    TimeToLive {
        /// The attribute the table expires items by.
        table: Option<String>,
        /// The attribute the entities declare `#[entity(ttl)]`.
        entities: Option<String>,
    },
    /// The table has no stream, which `up` and `down` follow to convert the items written
    /// during a run.
    StreamOff,
}

impl fmt::Display for TableDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingIndex { index } => write!(
                f,
                "index {index} is declared by the entities but not on the table: create it (a \
                 migration with ctx.create_index, or your infrastructure code)"
            ),
            Self::ExtraIndex { index } => {
                write!(f, "index {index} is on the table but no entity declares it")
            }
            Self::IndexKeys {
                index,
                table,
                entities,
            } => write!(
                f,
                "index {index} is keyed by {table} on the table but by {entities} in the entities"
            ),
            Self::IndexProjection { index, projection } => write!(
                f,
                "index {index} projects {projection}: reading entities through it needs every \
                 attribute (ALL)"
            ),
            Self::TimeToLive {
                table: None,
                entities: Some(entities),
            } => write!(
                f,
                "time to live is off, but the entities expire items by {entities}: nothing \
                 will ever be deleted"
            ),
            Self::TimeToLive { table, entities } => write!(
                f,
                "the table expires items by {}, the entities by {}",
                table.as_deref().unwrap_or("nothing"),
                entities.as_deref().unwrap_or("nothing")
            ),
            Self::StreamOff => f.write_str(
                "the table has no stream: up and down cannot convert what the application writes \
                 during a run (migrate enable-stream, or run them with --no-catch-up)",
            ),
        }
    }
}

/// The indexes `entities` declare that exist at `applied` (the newest applied version; `None`:
/// none applied), with their key attributes: those without `since`, or dated no later.
fn expected_indexes(
    entities: &[&'static EntitySchema],
    applied: Option<&Version>,
) -> BTreeMap<&'static str, String> {
    let mut indexes = BTreeMap::new();
    for index in entities.iter().flat_map(|e| e.indexes) {
        let exists = match (index.since.map(Version::parse), applied) {
            (None, _) => true,
            (Some(Ok(since)), Some(applied)) => since <= *applied,
            (Some(Ok(_)), None) => false,
            (Some(Err(_)), _) => true,
        };
        if exists {
            indexes.insert(
                index.name,
                describe_keys(index.pk_attribute, index.sk_attribute),
            );
        }
    }
    indexes
}

/// How `table` differs from what `entities` need at version `applied`; the stream counts only
/// when `stream` (the runs catch up with it).
///
/// # Errors
/// `DescribeTable` or `DescribeTimeToLive` failed.
pub(crate) async fn table_drift(
    table: &Table,
    entities: &[&'static EntitySchema],
    applied: Option<&Version>,
    stream: bool,
) -> Result<Vec<TableDrift>> {
    let description = live_table::describe(table).await?;
    let entities: Vec<&'static EntitySchema> =
        entities.iter().copied().filter(|e| !is_own(e)).collect();
    let entities = entities.as_slice();
    let mut drift = Vec::new();
    let expected = expected_indexes(entities, applied);
    let declared: Vec<&str> = entities
        .iter()
        .flat_map(|e| e.indexes.iter().map(|i| i.name))
        .collect();
    let on_table: BTreeMap<&str, &GlobalSecondaryIndexDescription> = description
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| Some((i.index_name()?, i)))
        .collect();
    for (index, keys) in &expected {
        let Some(found) = on_table.get(index) else {
            drift.push(TableDrift::MissingIndex {
                index: (*index).to_owned(),
            });
            continue;
        };
        let (pk, sk) = index_keys(found);
        let table_keys = describe_keys(&pk, sk.as_deref());
        if table_keys != *keys {
            drift.push(TableDrift::IndexKeys {
                index: (*index).to_owned(),
                table: table_keys,
                entities: keys.clone(),
            });
        }
        let projection = found.projection().and_then(|p| p.projection_type());
        if let Some(projection) = projection.filter(|p| **p != ProjectionType::All) {
            drift.push(TableDrift::IndexProjection {
                index: (*index).to_owned(),
                projection: projection.as_str().to_owned(),
            });
        }
    }
    drift.extend(
        on_table
            .keys()
            .filter(|index| !declared.contains(index))
            .map(|index| TableDrift::ExtraIndex {
                index: (*index).to_owned(),
            }),
    );
    let entities_ttl = entities.iter().find_map(|e| e.ttl).map(str::to_owned);
    let table_ttl = live_table::ttl_attribute(table).await?;
    if table_ttl != entities_ttl {
        drift.push(TableDrift::TimeToLive {
            table: table_ttl,
            entities: entities_ttl,
        });
    }
    let streaming = description
        .stream_specification()
        .is_some_and(|s| s.stream_enabled());
    if stream && !streaming {
        drift.push(TableDrift::StreamOff);
    }
    Ok(drift)
}
