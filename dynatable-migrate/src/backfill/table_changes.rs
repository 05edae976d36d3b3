//! The structural changes a migration makes to its table: `ctx.create_index` (the index the
//! entities declare, waited for until it is active, then its keys filled on their items by a
//! backfill),
//! `ctx.drop_index`, and `ctx.enable_ttl`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use dynatable_core::aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexDescription, GlobalSecondaryIndexUpdate,
    IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, TableDescription, TimeToLiveSpecification,
};
use dynatable_core::registry::{self, EntityRegistration};
use dynatable_core::{BulkReport, EntitySchema, Item, Table, Write};
use thiserror::Error;

use crate::context::Context;
use crate::error::Result;
use crate::live_table::{self, describe_keys, index_keys};

/// How often an index is asked whether it is active: first soon, then at most this often. And
/// how often its wait is reported.
const INDEX_FIRST_POLL: Duration = Duration::from_millis(100);
const INDEX_POLL: Duration = Duration::from_secs(2);
const INDEX_REPORT: Duration = Duration::from_secs(30);

/// Why a structural change of the table cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TableChangeError {
    /// No entity of the run declares the index.
    #[error(
        "no entity declares index {index:?} (declared: {}): add index(name = {index:?}, ...) to \
         the entities that write it",
        if declared.is_empty() { "none".to_owned() } else { declared.join(", ") }
    )]
    UndeclaredIndex {
        /// The index asked for.
        index: String,
        /// The indexes the entities declare.
        declared: Vec<String>,
    },
    /// Entities declare the index with different key attributes.
    #[error(
        "index {index:?} is keyed by {first} in {first_entity} but by {second} in \
         {second_entity}: give both the same pk_attribute/sk_attribute"
    )]
    ConflictingIndex {
        /// The index.
        index: String,
        /// The first entity.
        first_entity: &'static str,
        /// Its key attributes.
        first: String,
        /// The second entity.
        second_entity: &'static str,
        /// Its key attributes.
        second: String,
    },
    /// The table has an index of that name with other key attributes.
    #[error(
        "the table has an index {index:?} keyed by {table}, but the entities key it by \
         {entities}: drop it first (ctx.drop_index) or name the new one differently"
    )]
    IndexDiffers {
        /// The index.
        index: String,
        /// Its key attributes on the table.
        table: String,
        /// The entities' key attributes.
        entities: String,
    },
    /// No entity of the run declares a time-to-live attribute.
    #[error("no entity declares a time-to-live attribute: mark a Timestamp field #[entity(ttl)]")]
    NoTtl,
    /// Entities declare different time-to-live attributes.
    #[error(
        "entities expire items by {first} and by {second}: a table has one time-to-live \
         attribute"
    )]
    ConflictingTtl {
        /// One attribute.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// Time to live is on for another attribute, which DynamoDB turns off only by itself.
    #[error(
        "time to live is on for {table} on the table, but the entities expire items by \
         {entities}: turn it off first (DynamoDB allows one change per hour)"
    )]
    TtlOnOther {
        /// The table's attribute.
        table: String,
        /// The entities'.
        entities: &'static str,
    },
    /// DynamoDB refused a request.
    #[error("{operation} on {table} failed: {message}")]
    Request {
        /// The operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// What DynamoDB said.
        message: String,
    },
}

/// An SDK error as a [`TableChangeError::Request`].
fn request_error<'t, E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
    table: &'t Table,
) -> impl FnOnce(SdkError<E, R>) -> TableChangeError + 't {
    move |e| TableChangeError::Request {
        operation,
        table: table.name().to_owned(),
        message: dynatable_core::sdk_error_text(&e),
    }
}

/// A builder's error (a required field missing: a bug of this module) as a request error.
fn build_error<'t>(
    operation: &'static str,
    table: &'t Table,
) -> impl FnOnce(BuildError) -> TableChangeError + 't {
    move |e| TableChangeError::Request {
        operation,
        table: table.name().to_owned(),
        message: e.to_string(),
    }
}

/// The index `name` on the table, if it has one.
fn index_on<'t>(
    table: &'t TableDescription,
    name: &str,
) -> Option<&'t GlobalSecondaryIndexDescription> {
    table
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(name))
}

/// The entities of the run that declare index `name`, with its key attributes.
fn declaring(
    entities: &[&'static EntitySchema],
    name: &str,
) -> std::result::Result<
    (
        Vec<&'static EntityRegistration>,
        &'static str,
        Option<&'static str>,
    ),
    TableChangeError,
> {
    let registrations = registry::registrations();
    let mut found: Vec<&'static EntityRegistration> = Vec::new();
    let mut keys: Option<(&'static str, &'static str, Option<&'static str>)> = None;
    for entity in entities {
        let Some(index) = entity.index(name) else {
            continue;
        };
        if let Some((first_entity, pk, sk)) = keys
            && (pk, sk) != (index.pk_attribute, index.sk_attribute)
        {
            return Err(TableChangeError::ConflictingIndex {
                index: name.to_owned(),
                first_entity,
                first: describe_keys(pk, sk),
                second_entity: entity.name,
                second: describe_keys(index.pk_attribute, index.sk_attribute),
            });
        }
        keys = Some((entity.name, index.pk_attribute, index.sk_attribute));
        found.extend(
            registrations
                .iter()
                .copied()
                .filter(|r| r.schema().name == entity.name),
        );
    }
    match keys {
        Some((_, pk, sk)) => Ok((found, pk, sk)),
        None => {
            let mut declared: Vec<String> = entities
                .iter()
                .flat_map(|e| e.indexes.iter().map(|i| i.name.to_owned()))
                .collect();
            declared.sort();
            declared.dedup();
            Err(TableChangeError::UndeclaredIndex {
                index: name.to_owned(),
                declared,
            })
        }
    }
}

/// `ctx.create_index("GSI2")`, awaited: see [`Context::create_index`].
#[derive(Debug)]
#[must_use = "a CreateIndex does nothing until it is awaited"]
pub struct CreateIndex<'c> {
    ctx: &'c Context,
    name: String,
    capacity: Option<(i64, i64)>,
}

impl CreateIndex<'_> {
    /// The index's provisioned read and write units, on a table of provisioned capacity (default:
    /// the table's own). Ignored on an on-demand table.
    pub fn capacity(mut self, read: i64, write: i64) -> Self {
        self.capacity = Some((read, write));
        self
    }

    async fn run(self) -> Result<BulkReport> {
        let (ctx, name) = (self.ctx, self.name.as_str());
        let table = ctx.table();
        let entities = ctx.run.entities();
        let (registrations, pk, sk) = declaring(&entities, name)?;
        let described = live_table::describe(table).await?;
        match index_on(&described, name) {
            Some(found) => {
                let (table_pk, table_sk) = index_keys(found);
                if (table_pk.as_str(), table_sk.as_deref()) != (pk, sk) {
                    return Err(TableChangeError::IndexDiffers {
                        index: name.to_owned(),
                        table: describe_keys(&table_pk, table_sk.as_deref()),
                        entities: describe_keys(pk, sk),
                    }
                    .into());
                }
                ctx.log(format!("index {name} is on the table already"));
            }
            None => {
                self.send_create(&described, pk, sk).await?;
                ctx.log(format!(
                    "creating index {name} ({}){}",
                    describe_keys(pk, sk),
                    if ctx.is_dry_run() {
                        " (dry run: recorded, not sent)"
                    } else {
                        ""
                    }
                ));
            }
        }
        // The fill waits for the index: DynamoDB Local, for one, fails writes while it builds.
        if !ctx.is_dry_run() {
            wait_for_index(ctx, name, false).await?;
        }
        let attributes: Vec<&'static str> = std::iter::once(pk).chain(sk).collect();
        let mut report = BulkReport::default();
        for registration in registrations {
            let backfill = format!("index {name} {}", registration.schema().name);
            let scan = table.scan_entity_items(registration.schema());
            let filled = ctx
                .backfill(&backfill, scan, |item: Item| {
                    fill(table, registration, &attributes, item)
                })
                .await?;
            report.merge(&filled);
        }
        Ok(report)
    }

    /// `UpdateTable` creating the index, its key attributes defined as strings; on a table of
    /// provisioned capacity with the units asked for, or the table's.
    async fn send_create(
        &self,
        described: &TableDescription,
        pk: &str,
        sk: Option<&str>,
    ) -> std::result::Result<(), TableChangeError> {
        let table = self.ctx.table();
        let key = |attribute: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(attribute)
                .key_type(kind)
                .build()
                .map_err(build_error("UpdateTable", table))
        };
        let mut action = CreateGlobalSecondaryIndexAction::builder()
            .index_name(&self.name)
            .key_schema(key(pk, KeyType::Hash)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            );
        if let Some(sk) = sk {
            action = action.key_schema(key(sk, KeyType::Range)?);
        }
        let provisioned = described
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .is_none_or(|mode| *mode == BillingMode::Provisioned)
            && described
                .provisioned_throughput()
                .and_then(|p| p.read_capacity_units())
                .is_some_and(|units| units > 0);
        if provisioned {
            let table_units = described.provisioned_throughput();
            let (read, write) = self.capacity.unwrap_or((
                table_units
                    .and_then(|p| p.read_capacity_units())
                    .unwrap_or(1),
                table_units
                    .and_then(|p| p.write_capacity_units())
                    .unwrap_or(1),
            ));
            action = action.provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(read)
                    .write_capacity_units(write)
                    .build()
                    .map_err(build_error("UpdateTable", table))?,
            );
        }
        let mut request = table.client().update_table().table_name(table.name());
        for attribute in std::iter::once(pk).chain(sk) {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error("UpdateTable", table))?,
            );
        }
        request
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .create(action.build().map_err(build_error("UpdateTable", table))?)
                    .build(),
            )
            .send()
            .await
            .map_err(request_error("UpdateTable", table))?;
        Ok(())
    }
}

impl<'c> IntoFuture for CreateIndex<'c> {
    type Output = Result<BulkReport>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The write filling `attributes` (an index's keys) on `item` as the entity renders them now;
/// `None` when they are so already, or when the item does not decode (left as it is).
fn fill(
    table: &Table,
    registration: &EntityRegistration,
    attributes: &[&'static str],
    item: Item,
) -> Option<Write> {
    let keys = registration.current_keys(item.clone()).ok()??;
    if attributes.iter().all(|a| item.get(*a) == keys.get(*a)) {
        return None;
    }
    let mut filled = item;
    for attribute in attributes {
        match keys.get(*attribute) {
            Some(value) => filled.insert((*attribute).to_owned(), value.clone()),
            None => filled.remove(*attribute),
        };
    }
    Some(table.put_item(filled).into())
}

/// Waits until index `name` is `ACTIVE` (or, `gone`, no longer on the table), reporting its
/// status when it changes and every [`INDEX_REPORT`].
async fn wait_for_index(ctx: &Context, name: &str, gone: bool) -> Result<()> {
    let started = Instant::now();
    let mut reported: Option<(String, Instant)> = None;
    let mut pause = INDEX_FIRST_POLL;
    loop {
        let described = live_table::describe(ctx.table()).await?;
        let index = index_on(&described, name);
        let status = index.and_then(|i| i.index_status());
        let done = match gone {
            true => index.is_none(),
            false => status == Some(&IndexStatus::Active),
        };
        if done {
            ctx.log(format!(
                "index {name} is {} after {}",
                if gone { "gone" } else { "ACTIVE" },
                humantime::format_duration(Duration::from_secs(started.elapsed().as_secs()))
            ));
            return Ok(());
        }
        let text = format!(
            "index {name}: {}{}",
            status.map_or("not listed yet", |s| s.as_str()),
            if index.and_then(|i| i.backfilling()) == Some(true) {
                ", DynamoDB backfilling it"
            } else {
                ""
            }
        );
        let due = reported
            .as_ref()
            .is_none_or(|(last, at)| *last != text || at.elapsed() >= INDEX_REPORT);
        if due {
            ctx.log(&text);
            reported = Some((text, Instant::now()));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(INDEX_POLL);
    }
}

/// `ctx.drop_index("GSI2")`, awaited: see [`Context::drop_index`].
#[derive(Debug)]
#[must_use = "a DropIndex does nothing until it is awaited"]
pub struct DropIndex<'c> {
    ctx: &'c Context,
    name: String,
    remove_attributes: bool,
}

impl DropIndex<'_> {
    /// Also removes the index's key attributes from every item (a backfill, resumable like
    /// any).
    pub fn remove_attributes(mut self) -> Self {
        self.remove_attributes = true;
        self
    }

    async fn run(self) -> Result<BulkReport> {
        let (ctx, name) = (self.ctx, self.name.as_str());
        let table = ctx.table();
        let described = live_table::describe(table).await?;
        let on_table = index_on(&described, name).map(index_keys);
        // The attributes to remove: the table's index's, else (dropped by an earlier, killed
        // run) the entities' declaration of it, else the default names.
        let attributes: Vec<String> = match (&on_table, declaring(&ctx.run.entities(), name)) {
            (Some((pk, sk)), _) => std::iter::once(pk.clone()).chain(sk.clone()).collect(),
            (None, Ok((_, pk, sk))) => std::iter::once(pk).chain(sk).map(str::to_owned).collect(),
            (None, Err(_)) => vec![format!("{name}PK"), format!("{name}SK")],
        };
        if on_table.is_some() {
            table
                .client()
                .update_table()
                .table_name(table.name())
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .delete(
                            DeleteGlobalSecondaryIndexAction::builder()
                                .index_name(name)
                                .build()
                                .map_err(build_error("UpdateTable", table))?,
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(request_error("UpdateTable", table))?;
            ctx.log(format!(
                "dropping index {name}{}",
                if ctx.is_dry_run() {
                    " (dry run: recorded, not sent)"
                } else {
                    ""
                }
            ));
        } else {
            ctx.log(format!("index {name} is not on the table"));
        }
        if !self.remove_attributes {
            return Ok(BulkReport::default());
        }
        // DynamoDB Local fails writes while it takes an index down: the attributes go after it.
        if !ctx.is_dry_run() {
            wait_for_index(ctx, name, true).await?;
        }
        let removed = ctx
            .backfill(
                &format!("drop index {name}"),
                table.scan_items(),
                |item: Item| {
                    if !attributes.iter().any(|a| item.contains_key(a)) {
                        return None;
                    }
                    let mut stripped = item;
                    for attribute in &attributes {
                        stripped.remove(attribute);
                    }
                    Some(table.put_item(stripped).into())
                },
            )
            .await?;
        Ok(removed)
    }
}

impl<'c> IntoFuture for DropIndex<'c> {
    type Output = Result<BulkReport>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The one time-to-live attribute `entities` declare.
fn ttl_attribute(
    entities: &[&'static EntitySchema],
) -> std::result::Result<&'static str, TableChangeError> {
    let mut found: Option<&'static str> = None;
    for attribute in entities.iter().filter_map(|e| e.ttl) {
        match found {
            Some(first) if first != attribute => {
                return Err(TableChangeError::ConflictingTtl {
                    first,
                    second: attribute,
                });
            }
            _ => found = Some(attribute),
        }
    }
    found.ok_or(TableChangeError::NoTtl)
}

impl Context {
    /// Creates index `name` as the entities of the run declare it (`index(name = "GSI2", ...,
    /// since = "0.3.0")`), fills its key attributes on every item of every entity that declares
    /// it, once it is `ACTIVE`:
    ///
    /// ```no_run
    /// # use dynatable_migrate::{Context, Result};
    /// # async fn up(ctx: &Context) -> Result<()> {
    /// ctx.create_index("GSI2").await?;
    /// // on a table of provisioned capacity, the index's own units:
    /// ctx.create_index("GSI3").capacity(50, 50).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// `UpdateTable` adds it projecting every attribute (billed as the table is; a provisioned
    /// table's index takes [`capacity`](CreateIndex::capacity), else the table's units). The
    /// fill is a [`backfill`](Self::backfill) per entity, named `index <name> <entity>`:
    /// live-table safe, resumable, shared by `--join`; an item that does not decode is left as
    /// it is. It can be run again: an index already on the table with the same keys is
    /// accepted (a killed run resumes), one with other keys refused naming both. A dry run
    /// records the `UpdateTable` and the writes instead of sending them.
    ///
    /// # Errors
    /// [`TableChangeError`] when no entity declares the index, the entities disagree on its
    /// keys, or the table has it keyed otherwise; DynamoDB's refusal; the backfill's errors.
    pub fn create_index(&self, name: &str) -> CreateIndex<'_> {
        CreateIndex {
            ctx: self,
            name: name.to_owned(),
            capacity: None,
        }
    }

    /// Deletes index `name` from the table (nothing when it is not there); with
    /// [`remove_attributes`](DropIndex::remove_attributes), once it is gone, also removes its
    /// key attributes from every item. A dry run records the `UpdateTable` instead of sending it.
    ///
    /// # Errors
    /// DynamoDB's refusal; the backfill's errors.
    pub fn drop_index(&self, name: &str) -> DropIndex<'_> {
        DropIndex {
            ctx: self,
            name: name.to_owned(),
            remove_attributes: false,
        }
    }

    /// Turns time to live on for the attribute the entities declare `#[entity(ttl)]` (nothing
    /// when it is on already). A dry run records the `UpdateTimeToLive` instead.
    ///
    /// # Errors
    /// [`TableChangeError`] when no entity declares one, they declare two, or the table expires
    /// items by another attribute; DynamoDB's refusal.
    pub async fn enable_ttl(&self) -> Result<()> {
        let table = self.table();
        let attribute = ttl_attribute(&self.run.entities())?;
        let on = live_table::ttl_attribute(table).await?;
        match on.as_deref() {
            Some(current) if current == attribute => {
                self.log(format!("time to live is on for {attribute} already"));
                return Ok(());
            }
            Some(current) => {
                return Err(TableChangeError::TtlOnOther {
                    table: current.to_owned(),
                    entities: attribute,
                }
                .into());
            }
            None => {}
        }
        table
            .client()
            .update_time_to_live()
            .table_name(table.name())
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(attribute)
                    .build()
                    .map_err(build_error("UpdateTimeToLive", table))?,
            )
            .send()
            .await
            .map_err(request_error("UpdateTimeToLive", table))?;
        self.log(format!(
            "time to live on for {attribute}{}",
            if self.is_dry_run() {
                " (dry run: recorded, not sent)"
            } else {
                ""
            }
        ));
        Ok(())
    }
}
