//! What a query or a batch get decodes items into: one entity, or a collection of entities that
//! share a partition.

use crate::codec::{Item, WireItem};
use crate::entity::Entity;
use crate::error::DecodeError;
use crate::key::{PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::schema::EntitySchema;

/// The key attributes a query reads by, and the sort key prefix it selects when given no sort
/// key condition (`""`: the whole partition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryKeys {
    /// The partition key attribute (`PK`, or the index's).
    pub pk: &'static str,
    /// The sort key attribute, when the table or index has one.
    pub sk: Option<&'static str>,
    /// The prefix every selected sort key starts with.
    pub default_prefix: &'static str,
}

impl QueryKeys {
    /// The keys of entity `schema`'s query: of the table (`index` `None`) or of index `index`,
    /// selecting the entity's sort key prefix.
    ///
    /// # Errors
    /// A sentence saying that the entity declares no such index.
    pub(crate) fn of_entity(schema: &EntitySchema, index: Option<&str>) -> Result<Self, String> {
        match index {
            None => Ok(Self {
                pk: PARTITION_KEY_ATTRIBUTE,
                sk: Some(SORT_KEY_ATTRIBUTE),
                default_prefix: schema.key.sk.prefix(),
            }),
            Some(name) => {
                let index = schema.index(name).ok_or_else(|| {
                    let declared: Vec<&str> = schema.indexes.iter().map(|i| i.name).collect();
                    match declared.is_empty() {
                        true => format!(
                            "entity `{}` declares no index {name:?}, nor any other",
                            schema.name
                        ),
                        false => format!(
                            "entity `{}` declares no index {name:?}; it declares {}",
                            schema.name,
                            declared.join(", ")
                        ),
                    }
                })?;
                Ok(Self {
                    pk: index.pk_attribute,
                    sk: index.sk_attribute,
                    default_prefix: index.sk.map_or("", |t| t.prefix()),
                })
            }
        }
    }
}

/// The type a [`Query`](super::Query) or [`BatchGet`](super::BatchGet) returns: every entity,
/// and every enum declared with [`#[collection]`](macro@crate::collection). Not meant to be
/// implemented by hand.
pub trait QueryTarget: Sized + Send + 'static {
    /// The index read unless the query names another (a collection declared over an index).
    const DEFAULT_INDEX: Option<&'static str>;

    /// The key attributes of the table (`index` `None`) or of the index `index`.
    ///
    /// # Errors
    /// A sentence saying that the entity or collection declares no such index.
    fn query_keys(index: Option<&str>) -> Result<QueryKeys, String>;

    /// The `_type` a query asks DynamoDB to filter on (items without `_type` are kept too);
    /// `None` to receive every item of the partition (a collection).
    fn entity_type() -> Option<&'static str>;

    /// The attributes to read (with the key attributes), for a projection; `None` reads whole
    /// items.
    fn projection() -> Option<&'static [&'static str]> {
        None
    }

    /// The time-to-live attributes of the target's entities (`#[entity(ttl)]`), for reads that
    /// leave out expired items.
    fn expiry_attributes() -> Vec<&'static str> {
        Vec::new()
    }

    /// Decodes an item read; `None` for an item that is none of the target's (a collection's
    /// non-member, without a variant for others).
    ///
    /// # Errors
    /// The item is the target's but does not decode.
    fn decode(item: Item) -> Result<Option<Self>, DecodeError>;

    /// Decodes an item of an answer's body, as [`decode`](Self::decode) does the SDK's.
    ///
    /// # Errors
    /// As [`decode`](Self::decode).
    fn decode_wire(item: WireItem<'_>) -> Result<Option<Self>, DecodeError> {
        Self::decode(item.into_item())
    }
}

impl<E: Entity> QueryTarget for E {
    const DEFAULT_INDEX: Option<&'static str> = None;

    fn query_keys(index: Option<&str>) -> Result<QueryKeys, String> {
        QueryKeys::of_entity(E::SCHEMA, index)
    }

    fn entity_type() -> Option<&'static str> {
        Some(E::SCHEMA.name)
    }

    fn expiry_attributes() -> Vec<&'static str> {
        E::SCHEMA.ttl.into_iter().collect()
    }

    #[inline]
    fn decode(item: Item) -> Result<Option<Self>, DecodeError> {
        E::from_item(item).map(Some)
    }

    #[inline]
    fn decode_wire(item: WireItem<'_>) -> Result<Option<Self>, DecodeError> {
        E::from_wire(item).map(Some)
    }
}

/// Entities whose typed conditions may filter reads of `T`: `T` itself, and the members of a
/// collection `T` ([`Query::filter`](super::Query::filter) on a collection query takes any
/// entity member's condition). `#[collection]` implements it for its members (a projection
/// member too, whose conditions cannot be built: filter on its entity's fields instead of one
/// read whole).
pub trait MemberOf<T> {}

impl<E: Entity> MemberOf<E> for E {}
