//! Typed references to one attribute of an entity (`Field`), with the roles that say how it may be
//! written.

use std::fmt;
use std::marker::PhantomData;

/// A typed reference to one attribute of entity `E` holding values of type `T`.
///
/// `#[entity]` generates one per field, reachable as `Entity::fields().field_name`. Updates and
/// conditions take a `Field` and a `T`, so a value of the wrong type, or an attribute the entity
/// does not have, is a compile error rather than a runtime surprise.
///
/// `R` is the field's [role](role): fields used in the primary key or an index key template
/// cannot be changed by an update (that would leave the item's key attributes stale), which the
/// compiler enforces; write the whole entity to change them.
///
/// ```
/// use dynatable_core::{entity, Field};
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
///     #[entity(rename = "displayName")]
///     pub display_name: String,
/// }
///
/// let field: Field<User, String> = User::fields().display_name;
/// assert_eq!(field.name(), "displayName");
/// ```
pub struct Field<E, T, R = role::Plain> {
    name: &'static str,
    marker: Marker<E, T, R>,
}

/// Ties a [`Field`] to its entity, value type and role without owning any of them.
type Marker<E, T, R> = PhantomData<fn() -> (E, T, R)>;

/// What a field takes part in, as far as updates are concerned.
pub mod role {
    /// An ordinary attribute: updates may set, remove or add to it.
    #[derive(Debug, Clone, Copy)]
    pub enum Plain {}

    /// A field named by a secondary index key template: changing it alone would leave the index
    /// key stale, so updates may not touch it.
    #[derive(Debug, Clone, Copy)]
    pub enum Indexed {}

    /// A field named by the primary key template: DynamoDB cannot change key attributes in place;
    /// re-key the item (delete and put).
    #[derive(Debug, Clone, Copy)]
    pub enum Key {}

    /// The entity's optimistic-locking version (`#[entity(version)]`): every typed write checks
    /// and increments it, so updates may not set it themselves.
    #[derive(Debug, Clone, Copy)]
    pub enum Version {}

    /// The roles whose fields an update may change.
    #[diagnostic::on_unimplemented(
        message = "this field is part of a key template or is the version (role `{Self}`), so an update cannot change it",
        label = "used in a primary key or index key template, or the entity's version",
        note = "an update that changed a key field would leave the item's key attributes stale: write the whole entity with `Table::put`, which renders every key from the full set of values",
        note = "the version is incremented by every typed write of the entity"
    )]
    pub trait Writable: sealed::Sealed {}

    impl Writable for Plain {}

    mod sealed {
        pub trait Sealed {}
        impl Sealed for super::Plain {}
    }
}

impl<E, T, R> Field<E, T, R> {
    /// A reference to the attribute called `name`. Generated code calls this; by hand it gives
    /// up the guarantee that `E` has such an attribute of type `T` in role `R`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            marker: PhantomData,
        }
    }

    /// The attribute's name in the table.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<E, T, R> Clone for Field<E, T, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, T, R> Copy for Field<E, T, R> {}

impl<E, T, R> fmt::Debug for Field<E, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Field").field(&self.name).finish()
    }
}

impl<E, T, R> PartialEq for Field<E, T, R> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<E, T, R> Eq for Field<E, T, R> {}
