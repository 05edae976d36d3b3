//! An `UpdateItem` of an existing entity, built by `Table::update` or `Table::update_item`.

use std::collections::{BTreeSet, HashSet};
use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::condition::Condition;
use super::error::{Error, ErrorKind, Operation, Result};
use super::handle::Table;
use super::update_expression::{Action, UpdateParts};
use super::value::IntoValue;
use super::version::{self, VersionCheck};
use super::write::Write;
use super::write_op::WriteOp;
use crate::codec::{AttributeCodec, SerdeCodec, SetMember};
use crate::entity::{Entity, Versioned};
use crate::field::{Field, role::Writable};
use crate::key::PrimaryKey;

/// An `UpdateItem` of an existing entity, built by [`Table::update`]; nothing happens until
/// [`send`](Self::send).
///
/// - Only existing items are updated: the request is conditioned on `attribute_exists(PK)`, so an
///   update never creates a partial item that would not decode. [`upsert`](Self::upsert) lifts
///   that.
/// - Fields used in the primary key or an index key template cannot be changed by an update: that
///   is a compile error (their [`Field`] role is not [`Writable`]), because the key attributes
///   rendered from them would go stale. Change them by writing the whole entity with
///   [`Table::put`], which renders every key from the full set of values.
/// - Names and values always go through generated placeholders.
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
/// use dynatable_core::entity;
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
///     pub bio: Option<String>,
///     pub logins: u64,
///     pub badges: Vec<String>,
///     pub created_at: Option<String>,
/// }
///
/// let f = User::fields();
/// table
///     .update::<User>(User::key("u1"))
///     .set(f.bio, "hello")
///     .add(f.logins, 1)
///     .append(f.badges, ["early".to_string()])
///     .set_if_not_exists(f.created_at, "2026-01-01T00:00:00Z")
///     .condition(f.logins.lt(1_000))
///     .send()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "an Update does nothing until it is sent"]
pub struct Update<E> {
    table: Table,
    key: PrimaryKey,
    parts: UpdateParts,
    condition: Option<Condition<()>>,
    version: Option<VersionCheck>,
    marker: PhantomData<fn() -> E>,
}

/// The fields [`Update::remove`] takes: optional ones. A required field's attribute removed, the
/// item would no longer decode.
#[diagnostic::on_unimplemented(
    message = "`remove` takes an optional field, and `{Self}` is a required one",
    label = "a required field: the item would no longer decode without it",
    note = "to delete the attribute all the same (a migration dropping a field the entity no \
            longer has, say), use `remove_attribute(\"name\")`"
)]
pub trait Removable<E> {
    /// The attribute's name.
    fn attribute(&self) -> &'static str;
}

impl<E, T: AttributeCodec, R: Writable> Removable<E> for Field<E, Option<T>, R> {
    fn attribute(&self) -> &'static str {
        self.name()
    }
}

/// Types DynamoDB's `ADD` works on: numbers (added) and sets (united).
pub trait Addable: AttributeCodec {}

macro_rules! addable_numbers {
    ($($ty:ty),*) => {$( impl Addable for $ty {} )*};
}
addable_numbers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
impl<T: SetMember + Eq + std::hash::Hash, S: std::hash::BuildHasher + Default> Addable
    for HashSet<T, S>
{
}
impl<T: SetMember + Ord> Addable for BTreeSet<T> {}

impl<E> Update<E> {
    pub(crate) fn new(table: Table, key: PrimaryKey) -> Self {
        Self {
            table,
            key,
            parts: UpdateParts::default(),
            condition: None,
            version: None,
            marker: PhantomData,
        }
    }

    /// The typed update of entity `E`: a versioned entity's version is incremented.
    pub(crate) fn of_entity(table: Table, key: PrimaryKey) -> Self
    where
        E: Entity,
    {
        let mut update = Self::new(table, key);
        if let Some((_, attribute)) = version::of::<E>() {
            update
                .parts
                .push(attribute, Action::Add(version::number(1)));
        }
        // Managed attributes: a later `set` of the same field replaces these.
        let now = crate::timestamp::Timestamp::now();
        if let Some(attribute) = E::SCHEMA.updated_at {
            update
                .parts
                .push(attribute, Action::Set(super::managed::now_value(now)));
        }
        if let Some(attribute) = E::SCHEMA.created_at {
            update.parts.push(
                attribute,
                Action::SetIfNotExists(super::managed::now_value(now)),
            );
        }
        update
    }

    fn encoded<T: AttributeCodec>(
        &mut self,
        attribute: &str,
        value: T,
    ) -> Option<Option<AttributeValue>> {
        match value.encode_owned() {
            Ok(encoded) => Some(encoded),
            Err(e) => {
                self.parts.fail(attribute, e);
                None
            }
        }
    }

    /// `SET field = value`; a `None` or an empty set removes the attribute instead.
    pub fn set<T: AttributeCodec, R: Writable>(
        mut self,
        field: Field<E, T, R>,
        value: impl IntoValue<T>,
    ) -> Self {
        match self.encoded(field.name(), value.into_value()) {
            Some(Some(v)) => self.parts.push(field.name(), Action::Set(v)),
            Some(None) => self.parts.push(field.name(), Action::Remove),
            None => {}
        }
        self
    }

    /// `SET field = value` for a field stored through serde (`#[entity(serde)]`), encoded as
    /// the entity's codec encodes it.
    ///
    /// ```
    /// # use dynatable_core::{entity, Table};
    /// # use serde::{Deserialize, Serialize};
    /// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    /// pub struct Address { pub city: String }
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
    /// #[derive(Debug, Clone)]
    /// pub struct User {
    ///     pub user_id: String,
    ///     #[entity(serde)]
    ///     pub address: Address,
    /// }
    ///
    /// # async fn demo(table: Table) -> dynatable_core::Result<()> {
    /// let moved = Address { city: "Lyon".into() };
    /// table.update::<User>(User::key("u1")).set_serde(User::fields().address, &moved).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_serde<T: Serialize + DeserializeOwned, R: Writable>(
        mut self,
        field: Field<E, T, R>,
        value: &T,
    ) -> Self {
        match SerdeCodec::<T>::encode(value) {
            Ok(Some(v)) => self.parts.push(field.name(), Action::Set(v)),
            Ok(None) => self.parts.push(field.name(), Action::Remove),
            Err(e) => self.parts.fail(field.name(), e),
        }
        self
    }

    /// `SET field = if_not_exists(field, value)`: keeps a value already there.
    pub fn set_if_not_exists<T: AttributeCodec, R: Writable>(
        mut self,
        field: Field<E, T, R>,
        value: impl IntoValue<T>,
    ) -> Self {
        match self.encoded(field.name(), value.into_value()) {
            Some(Some(v)) => self.parts.push(field.name(), Action::SetIfNotExists(v)),
            Some(None) => self
                .parts
                .fail(field.name(), "if_not_exists needs a value, not None"),
            None => {}
        }
        self
    }

    /// `REMOVE field`, for optional fields (a required one would no longer decode: see
    /// [`remove_attribute`](Self::remove_attribute) to remove its attribute anyway).
    pub fn remove(mut self, field: impl Removable<E>) -> Self {
        self.parts.push(field.attribute(), Action::Remove);
        self
    }

    /// `ADD field value`: adds to a number, or adds members to a set.
    pub fn add<T: Addable, R: Writable>(
        mut self,
        field: Field<E, T, R>,
        value: impl IntoValue<T>,
    ) -> Self {
        match self.encoded(field.name(), value.into_value()) {
            Some(Some(v)) => self.parts.push(field.name(), Action::Add(v)),
            Some(None) => self
                .parts
                .fail(field.name(), "ADD needs at least one member"),
            None => {}
        }
        self
    }

    /// Appends `values` to a list field (creating the list when absent).
    pub fn append<T: AttributeCodec, R: Writable>(
        mut self,
        field: Field<E, Vec<T>, R>,
        values: impl IntoIterator<Item = T>,
    ) -> Self {
        let values: Vec<T> = values.into_iter().collect();
        if let Some(Some(v)) = self.encoded(field.name(), values) {
            self.parts.push(field.name(), Action::Append(v));
        }
        self
    }

    /// `SET name = value` on an attribute no field describes (a raw escape hatch).
    pub fn set_attribute(mut self, name: &str, value: AttributeValue) -> Self {
        self.parts.push(name, Action::Set(value));
        self
    }

    /// `SET name = if_not_exists(name, value)` on an attribute no field describes.
    pub fn set_attribute_if_not_exists(mut self, name: &str, value: AttributeValue) -> Self {
        self.parts.push(name, Action::SetIfNotExists(value));
        self
    }

    /// `REMOVE name` on an attribute no field describes.
    pub fn remove_attribute(mut self, name: &str) -> Self {
        self.parts.push(name, Action::Remove);
        self
    }

    /// Updates only if `condition` holds (AND-ed with earlier ones).
    pub fn condition(mut self, condition: Condition<E>) -> Self {
        self.condition = super::write::and(self.condition.take(), condition);
        self
    }

    /// Updates only if the stored version of the entity is `version` (an item stored without
    /// the attribute is version 0); otherwise the send fails with
    /// [`is_version_conflict`](super::Error::is_version_conflict). Every typed update of a
    /// versioned entity increments the version, checked or not.
    pub fn if_version(mut self, version: u64) -> Self
    where
        E: Versioned,
    {
        self.version = version::check::<E>(version);
        self
    }

    /// Also creates the item when it does not exist (DynamoDB's default; off here because a
    /// partial item may not decode).
    pub fn upsert(mut self) -> Self {
        self.parts.upsert = true;
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// An [`Error`] naming the table and the key; [`Error::is_conditional_check_failed`] when the
    /// item does not exist or the condition fails.
    pub async fn send(self) -> Result<()> {
        let table = self.table.clone();
        self.into_write().execute(&table).await
    }

    pub(crate) fn into_write(self) -> Write {
        let mut write = Write::new(self.key, WriteOp::Update(self.parts));
        write.condition = self.condition;
        if let Some(check) = self.version {
            write.check_version(check);
        }
        write
    }
}

impl<E: Entity> Update<E> {
    /// Sends the request and returns the entity as it is after the update.
    ///
    /// # Errors
    /// As [`send`](Self::send); [`ErrorKind::Decode`] when the updated item is not a valid `E`.
    pub async fn send_returning(self) -> Result<E> {
        let table = self.table.clone();
        let write = self.into_write();
        let rendered = write.render(&table)?;
        let key = write.key().clone();
        let output = table
            .backoff()
            .retry(|| async {
                table
                    .client()
                    .update_item()
                    .table_name(table.name())
                    .set_key(Some(rendered.key.to_key_item()))
                    .set_update_expression(rendered.update.clone())
                    .set_condition_expression(rendered.condition.clone())
                    .set_expression_attribute_names(rendered.placeholders.names())
                    .set_expression_attribute_values(rendered.placeholders.values())
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::from_sdk(Operation::Update, table.name(), Some(key.clone()), e)
                    })
            })
            .await?;
        let item = output.attributes.unwrap_or_default();
        E::from_item(item)
            .map_err(|e| table.error(Operation::Update, Some(key), ErrorKind::Decode(e)))
    }
}

impl<E> From<Update<E>> for Write {
    fn from(update: Update<E>) -> Self {
        update.into_write()
    }
}

impl Table {
    /// Updates the existing entity with `key` when sent.
    pub fn update<E: Entity>(&self, key: PrimaryKey) -> Update<E> {
        Update::of_entity(self.clone(), key)
    }

    /// Updates the existing item with `key`, whatever its entity, through raw attribute names
    /// ([`Update::set_attribute`] and friends): for migrations that touch every item.
    pub fn update_item(&self, key: PrimaryKey) -> Update<()> {
        Update::new(self.clone(), key)
    }
}
