//! Collections: entities that share a partition, read by one query into a typed enum.

use std::sync::OnceLock;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::codec::{Item, WireItem, WireValue, string_attribute};
use crate::error::DecodeError;
use crate::key::{ENTITY_TYPE_ATTRIBUTE, PARTITION_KEY_ATTRIBUTE, SORT_KEY_ATTRIBUTE};
use crate::schema::EntitySchema;
use crate::table::{QueryKeys, QueryTarget};

/// An enum of entities that share a partition key template, declared with
/// [`#[collection]`](macro@crate::collection) and read with
/// [`Table::query_collection`](crate::Table::query_collection) or
/// [`Table::batch_get`](crate::Table::batch_get).
pub trait Collection: QueryTarget {
    /// The members' schemas, in the enum's order.
    const MEMBERS: &'static [&'static EntitySchema];
    /// The index whose partition the members share; `None` for the table's.
    const INDEX: Option<&'static str>;
}

/// The type of a collection's variant: an entity (the whole item is read) or a
/// [projection](macro@crate::projection) of one (only its attributes are read, when every member
/// is a projection). `#[entity]` and `#[projection]` implement it; not meant to be implemented by
/// hand.
pub trait CollectionMember: Sized {
    /// The entity whose items the variant holds.
    const MEMBER_ENTITY: &'static EntitySchema;
    /// The attributes the variant reads; `None` for the whole item.
    const MEMBER_ATTRIBUTES: Option<&'static [&'static str]>;

    /// Decodes an item of [`MEMBER_ENTITY`](Self::MEMBER_ENTITY).
    ///
    /// # Errors
    /// As the entity's or the projection's decoding.
    fn from_member_item(item: Item) -> Result<Self, DecodeError>;

    /// Decodes an item of an answer's body, as [`from_member_item`](Self::from_member_item)
    /// does the SDK's.
    ///
    /// # Errors
    /// As [`from_member_item`](Self::from_member_item).
    fn from_member_wire(item: WireItem<'_>) -> Result<Self, DecodeError> {
        Self::from_member_item(item.into_item())
    }
}

/// The attributes a collection query reads: `None` (whole items) unless every member is a
/// projection; then `_type` (which chooses the member) and every member's attributes, each once,
/// kept in `cell` for the program's lifetime.
pub fn projection(
    members: &[Option<&'static [&'static str]>],
    cell: &'static OnceLock<Vec<&'static str>>,
) -> Option<&'static [&'static str]> {
    if members.iter().any(Option::is_none) {
        return None;
    }
    let names = cell.get_or_init(|| {
        let mut names = vec![ENTITY_TYPE_ATTRIBUTE];
        for name in members
            .iter()
            .flatten()
            .flat_map(|attributes| attributes.iter())
        {
            if !names.contains(name) {
                names.push(name);
            }
        }
        names
    });
    Some(names.as_slice())
}

/// Which member of `members` an item belongs to: the one named by its `_type`; for an item
/// written without `_type`, the first whose primary key templates both parse the item's keys.
/// `None` when no member matches.
pub fn member_of(item: &Item, members: &[&EntitySchema]) -> Option<usize> {
    // Found by walking the item rather than hashing the name: an item's attributes are few, their
    // lengths sit in the map's buckets, and the walk leaves in cache what the member's decode reads
    // next (on a 1 MB page of the example's collection, the lookup by hash took longer than
    // walking every bucket of every item).
    let entity_type = item.iter().find_map(|(name, value)| match value {
        AttributeValue::S(s) if name == ENTITY_TYPE_ATTRIBUTE => Some(s.as_str()),
        _ => None,
    });
    if let Some(entity_type) = entity_type {
        return members.iter().position(|m| m.name == entity_type);
    }
    let pk = string_attribute(item, PARTITION_KEY_ATTRIBUTE)?;
    let sk = string_attribute(item, SORT_KEY_ATTRIBUTE)?;
    members.iter().position(|m| m.key.parses(pk, sk))
}

/// [`member_of`] for an item of an answer's body.
pub fn member_of_wire(item: &WireItem<'_>, members: &[&EntitySchema]) -> Option<usize> {
    if let Some(WireValue::S(entity_type)) = item.get(ENTITY_TYPE_ATTRIBUTE) {
        return members.iter().position(|m| m.name == entity_type);
    }
    let pk = item.string(PARTITION_KEY_ATTRIBUTE)?;
    let sk = item.string(SORT_KEY_ATTRIBUTE)?;
    members.iter().position(|m| m.key.parses(pk, sk))
}

/// The time-to-live attributes of the members (each once), for reads that leave out expired
/// items.
pub fn expiry_attributes(members: &[&EntitySchema]) -> Vec<&'static str> {
    let mut attributes: Vec<&'static str> = Vec::new();
    for ttl in members.iter().filter_map(|m| m.ttl) {
        if !attributes.contains(&ttl) {
            attributes.push(ttl);
        }
    }
    attributes
}

/// The key attributes of a collection's query: the first member's, of the table or of `index`;
/// a collection reads the whole partition unless told a sort key condition.
///
/// # Errors
/// The first member declares no index `index`.
pub fn query_keys(members: &[&EntitySchema], index: Option<&str>) -> Result<QueryKeys, String> {
    let Some(first) = members.first() else {
        return Err("a collection needs at least one member".to_owned());
    };
    // The whole partition: no member's sort key prefix.
    Ok(QueryKeys {
        default_prefix: "",
        ..QueryKeys::of_entity(first, index)?
    })
}
