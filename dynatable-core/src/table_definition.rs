//! A table's key schema and global secondary indexes, derived from its entities.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification,
};
use thiserror::Error;

use crate::key::{PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::schema::EntitySchema;

/// A table's key and global secondary indexes, derived from the entities stored in it.
///
/// ```
/// use dynatable_core::{entity, Entity, TableDefinition};
///
/// #[entity(pk = "USER#{id}", sk = "PROFILE", index(name = "GSI1", pk = "EMAIL#{email}", sk = "USER"))]
/// pub struct User {
///     pub id: String,
///     pub email: String,
/// }
///
/// let table = TableDefinition::for_entities("app", &[User::SCHEMA]).unwrap();
/// assert_eq!(table.indexes["GSI1"], ("GSI1PK".to_string(), Some("GSI1SK".to_string())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableDefinition {
    /// The table name.
    pub name: String,
    /// Index name to its partition key attribute and sort key attribute.
    pub indexes: BTreeMap<String, (String, Option<String>)>,
    /// Whether the table gets a `KEYS_ONLY` DynamoDB Stream, which the migration runner follows
    /// to convert the items written during a run.
    pub stream: bool,
    /// The time-to-live attribute of the entities that declare one (`#[entity(ttl)]`), which
    /// [`create`](Self::create) turns on: without it DynamoDB never deletes expired items.
    pub ttl: Option<String>,
}

/// Why a table could not be defined or created.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CreateTableError {
    /// Two entities declare the same index with different key attributes.
    #[error(
        "index {index:?} is keyed by {first:?} in entity `{first_entity}` but by {second:?} in \
         entity `{second_entity}`: give both the same `pk_attribute`/`sk_attribute`"
    )]
    ConflictingIndex {
        /// The index.
        index: String,
        /// The first entity.
        first_entity: &'static str,
        /// Its key attributes, as `PK/SK`.
        first: String,
        /// The second entity.
        second_entity: &'static str,
        /// Its key attributes, as `PK/SK`.
        second: String,
    },
    /// Two entities declare different time-to-live attributes: a table has one at most.
    #[error(
        "entity `{first_entity}` expires items by attribute {first:?} and entity \
         `{second_entity}` by {second:?}: a table has one time-to-live attribute, so give both \
         `#[entity(ttl)]` fields the same stored name"
    )]
    ConflictingTtl {
        /// The first entity.
        first_entity: &'static str,
        /// Its time-to-live attribute.
        first: &'static str,
        /// The second entity.
        second_entity: &'static str,
        /// Its time-to-live attribute.
        second: &'static str,
    },
    /// DynamoDB refused or failed the request.
    #[error("creating table {table:?} failed: {message}")]
    Request {
        /// The table.
        table: String,
        /// The SDK's error, with its context.
        message: String,
    },
    /// The table did not become active.
    #[error("table {table:?} did not become ACTIVE within {waited:?}")]
    NotActive {
        /// The table.
        table: String,
        /// How long it waited.
        waited: Duration,
    },
}

impl CreateTableError {
    /// Whether the table existed already.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Self::Request { message, .. } if message.contains("ResourceInUseException"))
    }
}

impl TableDefinition {
    /// The table that stores `entities`: `PK`/`SK` strings, one global secondary index per
    /// index name (projecting all attributes), and the entities' time-to-live attribute.
    ///
    /// # Errors
    /// [`CreateTableError::ConflictingIndex`] when entities disagree on an index's attributes,
    /// [`CreateTableError::ConflictingTtl`] when they name different time-to-live attributes.
    pub fn for_entities(
        name: impl Into<String>,
        entities: &[&'static EntitySchema],
    ) -> Result<Self, CreateTableError> {
        let mut indexes: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        let mut owners: BTreeMap<&str, &'static str> = BTreeMap::new();
        for entity in entities {
            for index in entity.indexes {
                let keys = (
                    index.pk_attribute.to_owned(),
                    index.sk_attribute.map(str::to_owned),
                );
                match indexes.get(index.name) {
                    Some(existing) if *existing != keys => {
                        return Err(CreateTableError::ConflictingIndex {
                            index: index.name.to_owned(),
                            first_entity: owners.get(index.name).copied().unwrap_or_default(),
                            first: describe_keys(existing),
                            second_entity: entity.name,
                            second: describe_keys(&keys),
                        });
                    }
                    Some(_) => {}
                    None => {
                        owners.insert(index.name, entity.name);
                        indexes.insert(index.name.to_owned(), keys);
                    }
                }
            }
        }
        Ok(Self {
            name: name.into(),
            indexes,
            stream: false,
            ttl: ttl_attribute(entities)?.map(str::to_owned),
        })
    }

    /// Every key attribute of the table and its indexes, sorted, each once: the table's
    /// attribute definitions (all strings).
    pub fn key_attributes(&self) -> Vec<&str> {
        let mut attributes: Vec<&str> = vec![PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE];
        for (pk, sk) in self.indexes.values() {
            attributes.push(pk);
            attributes.extend(sk.as_deref());
        }
        attributes.sort_unstable();
        attributes.dedup();
        attributes
    }

    /// The same table with a `KEYS_ONLY` stream (what `migrate create-table` creates).
    #[must_use]
    pub fn with_stream(mut self) -> Self {
        self.stream = true;
        self
    }

    /// Creates the table (on-demand capacity) and waits until it is active.
    ///
    /// # Errors
    /// [`CreateTableError::Request`] when DynamoDB refuses (see
    /// [`is_already_exists`](CreateTableError::is_already_exists)), `NotActive` on time-out.
    pub async fn create(&self, client: &Client) -> Result<(), CreateTableError> {
        let mut request = client
            .create_table()
            .table_name(&self.name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element(PARTITION_KEY_ATTRIBUTE, KeyType::Hash)?)
            .key_schema(key_element(SORT_KEY_ATTRIBUTE, KeyType::Range)?);
        for (index, (pk, sk)) in &self.indexes {
            let mut gsi = GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key_element(pk, KeyType::Hash)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                );
            if let Some(sk) = sk {
                gsi = gsi.key_schema(key_element(sk, KeyType::Range)?);
            }
            request =
                request.global_secondary_indexes(gsi.build().map_err(build_error(&self.name))?);
        }
        for attribute in self.key_attributes() {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error(&self.name))?,
            );
        }
        if self.stream {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::KeysOnly)
                    .build()
                    .map_err(build_error(&self.name))?,
            );
        }
        request.send().await.map_err(sdk_error(&self.name))?;
        self.wait_until_active(client).await?;
        self.enable_ttl(client).await
    }

    /// Turns on time to live for [`ttl`](Self::ttl), if the entities have one.
    async fn enable_ttl(&self, client: &Client) -> Result<(), CreateTableError> {
        let Some(attribute) = &self.ttl else {
            return Ok(());
        };
        let specification = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(attribute)
            .build()
            .map_err(build_error(&self.name))?;
        client
            .update_time_to_live()
            .table_name(&self.name)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(sdk_error(&self.name))?;
        Ok(())
    }

    async fn wait_until_active(&self, client: &Client) -> Result<(), CreateTableError> {
        let limit = Duration::from_secs(300);
        let step = Duration::from_millis(200);
        let mut waited = Duration::ZERO;
        loop {
            let described = client
                .describe_table()
                .table_name(&self.name)
                .send()
                .await
                .map_err(sdk_error(&self.name))?;
            let status = described.table().and_then(|t| t.table_status());
            if status == Some(&TableStatus::Active) {
                return Ok(());
            }
            if waited >= limit {
                return Err(CreateTableError::NotActive {
                    table: self.name.clone(),
                    waited,
                });
            }
            tokio::time::sleep(step).await;
            waited += step;
        }
    }
}

/// The one time-to-live attribute `entities` declare, if any.
fn ttl_attribute(
    entities: &[&'static EntitySchema],
) -> Result<Option<&'static str>, CreateTableError> {
    let mut found: Option<(&'static str, &'static str)> = None;
    for entity in entities {
        let Some(attribute) = entity.ttl else {
            continue;
        };
        match found {
            Some((first_entity, first)) if first != attribute => {
                return Err(CreateTableError::ConflictingTtl {
                    first_entity,
                    first,
                    second_entity: entity.name,
                    second: attribute,
                });
            }
            Some(_) => {}
            None => found = Some((entity.name, attribute)),
        }
    }
    Ok(found.map(|(_, attribute)| attribute))
}

fn describe_keys((pk, sk): &(String, Option<String>)) -> String {
    match sk {
        Some(sk) => format!("{pk}/{sk}"),
        None => pk.clone(),
    }
}

fn key_element(attribute: &str, key_type: KeyType) -> Result<KeySchemaElement, CreateTableError> {
    KeySchemaElement::builder()
        .attribute_name(attribute)
        .key_type(key_type)
        .build()
        .map_err(build_error(attribute))
}

fn build_error<E: std::error::Error>(table: &str) -> impl FnOnce(E) -> CreateTableError + '_ {
    move |e| CreateTableError::Request {
        table: table.to_owned(),
        message: e.to_string(),
    }
}

fn sdk_error<E, R>(table: &str) -> impl FnOnce(SdkError<E, R>) -> CreateTableError + '_
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |e| CreateTableError::Request {
        table: table.to_owned(),
        message: crate::sdk_error_text(&e),
    }
}
