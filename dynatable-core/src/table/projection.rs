//! Projections: a query that reads only some attributes of an entity into a type declared for
//! them.

use std::marker::PhantomData;

use super::query::Query;
use super::query_target::QueryTarget;
use crate::entity::Entity;

/// A struct holding some of an entity's fields, declared with
/// [`#[projection(of = Entity)]`](macro@crate::projection): a query
/// [projected](Query::project) onto it asks DynamoDB for those attributes only (and the key
/// attributes).
pub trait Projection: QueryTarget {
    /// The entity projected.
    type Entity: Entity;
    /// The attributes read, in field order.
    const ATTRIBUTES: &'static [&'static str];

    /// Decodes an item read with the projection (attributes beyond the projection's are
    /// ignored).
    ///
    /// # Errors
    /// A field's attribute is missing (without `#[projection(default)]`) or has the wrong type.
    fn from_projected_item(item: crate::codec::Item) -> Result<Self, crate::error::DecodeError>;

    /// Decodes an item of an answer's body, as
    /// [`from_projected_item`](Self::from_projected_item) does the SDK's.
    ///
    /// # Errors
    /// As [`from_projected_item`](Self::from_projected_item).
    fn from_projected_wire(
        item: crate::codec::WireItem<'_>,
    ) -> Result<Self, crate::error::DecodeError> {
        Self::from_projected_item(item.into_item())
    }
}

impl<E: Entity> Query<E> {
    /// The same query, reading only the attributes of projection `P` (and the key attributes)
    /// into `P`: DynamoDB's `ProjectionExpression` saves the transfer and the decoding, not the
    /// read capacity, which counts whole items.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::Error> {
    /// use dynatable_core::{entity, projection};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PHOTO#{photo_id}")]
    /// pub struct Photo {
    ///     pub user_id: String,
    ///     pub photo_id: String,
    ///     pub url: String,
    ///     pub caption: String,
    /// }
    ///
    /// #[projection(of = Photo)]
    /// pub struct PhotoLink {
    ///     pub photo_id: String,
    ///     pub url: String,
    /// }
    ///
    /// let links: Vec<PhotoLink> = table
    ///     .query::<Photo>(Photo::partition_key("u1"))
    ///     .project::<PhotoLink>()
    ///     .all()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn project<P: Projection<Entity = E>>(self) -> Query<P> {
        self.retarget(PhantomData)
    }
}
