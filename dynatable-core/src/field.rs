use std::fmt;
use std::marker::PhantomData;

/// A typed reference to one attribute of entity `E` holding values of type `T`.
///
/// `#[entity]` generates one per field, reachable as `Entity::fields().field_name`. Updates and
/// conditions take a `Field` and a `T`, so a value of the wrong type, or an attribute the entity
/// does not have, is a compile error rather than a runtime surprise.
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
pub struct Field<E, T> {
    name: &'static str,
    marker: PhantomData<fn() -> (E, T)>,
}

impl<E, T> Field<E, T> {
    /// A reference to the attribute called `name`. Generated code calls this; by hand it gives
    /// up the guarantee that `E` has such an attribute of type `T`.
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

impl<E, T> Clone for Field<E, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, T> Copy for Field<E, T> {}

impl<E, T> fmt::Debug for Field<E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Field").field(&self.name).finish()
    }
}

impl<E, T> PartialEq for Field<E, T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<E, T> Eq for Field<E, T> {}
