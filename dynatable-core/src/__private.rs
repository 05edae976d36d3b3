//! What `#[entity]`'s generated code calls. Not public API: no semver guarantees.

use std::marker::PhantomData;

pub use aws_sdk_dynamodb::types::AttributeValue;
pub use inventory;
use serde::Serialize;
use serde::de::DeserializeOwned;
pub use std::sync::OnceLock;

pub use crate::codec::{AttributeCodec, Item, WireItem, WireValue};
pub use crate::collection::{
    Collection, CollectionMember, expiry_attributes as collection_expiry_attributes,
    member_of as collection_member, member_of_wire as collection_member_wire,
    projection as collection_projection, query_keys as collection_query_keys,
};
pub use crate::collection_check::{
    Message as CollectionProblem, member_problem as collection_member_problem,
};
pub use crate::entity::{BatchWritable, Entity, Versioned};
pub use crate::error::{DecodeError, EncodeError, KeyError, ValueError};
pub use crate::field::{Field, role};
pub use crate::key::{
    ENTITY_TYPE_ATTRIBUTE, PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE,
};
pub use crate::key_segment::{KeySegment, ParseKeySegment};
pub use crate::registry::EntityRegistration;
pub use crate::schema::{
    AttributeKind, AttributeSchema, EntitySchema, Generator, IndexSchema, KeySchema, PreviousKey,
};
pub use crate::table::{MemberOf, Projection, QueryKeys, QueryTarget};
pub use crate::template::{KeyTemplate, Segment};
pub use crate::timestamp::Timestamp;
pub use crate::ulid::generate_ulid;
pub use std::option::Option;
pub use std::result::Result;
pub use std::string::String;

use crate::codec::{SerdeCodec, type_name};

/// How one field is stored: through its [`AttributeCodec`] or through serde.
pub trait FieldCodec {
    type Value;
    const KIND: AttributeKind;
    fn encode(value: &Self::Value) -> Result<Option<AttributeValue>, ValueError>;
    fn encode_owned(value: Self::Value) -> Result<Option<AttributeValue>, ValueError>;
    fn decode(value: AttributeValue) -> Result<Self::Value, ValueError>;
    fn decode_wire(value: WireValue<'_>) -> Result<Self::Value, ValueError>;
    fn when_absent() -> Option<Self::Value>;
}

/// A field stored through its [`AttributeCodec`].
pub struct Native<T>(PhantomData<T>);

impl<T: AttributeCodec> FieldCodec for Native<T> {
    type Value = T;
    const KIND: AttributeKind = T::KIND;

    #[inline]
    fn encode(value: &T) -> Result<Option<AttributeValue>, ValueError> {
        value.encode()
    }

    #[inline]
    fn encode_owned(value: T) -> Result<Option<AttributeValue>, ValueError> {
        value.encode_owned()
    }

    #[inline]
    fn decode(value: AttributeValue) -> Result<T, ValueError> {
        T::decode(value)
    }

    #[inline]
    fn decode_wire(value: WireValue<'_>) -> Result<T, ValueError> {
        T::decode_wire(value)
    }

    #[inline]
    fn when_absent() -> Option<T> {
        T::when_absent()
    }
}

/// A field stored through serde (`#[entity(serde)]`).
pub struct Serde<T>(PhantomData<T>);

impl<T: Serialize + DeserializeOwned> FieldCodec for Serde<T> {
    type Value = T;
    const KIND: AttributeKind = AttributeKind::Serde;

    fn encode(value: &T) -> Result<Option<AttributeValue>, ValueError> {
        SerdeCodec::<T>::encode(value)
    }

    fn encode_owned(value: T) -> Result<Option<AttributeValue>, ValueError> {
        SerdeCodec::<T>::encode(&value)
    }

    fn decode(value: AttributeValue) -> Result<T, ValueError> {
        SerdeCodec::<T>::decode(value)
    }

    fn decode_wire(value: WireValue<'_>) -> Result<T, ValueError> {
        SerdeCodec::<T>::decode(value.into_attribute_value())
    }

    fn when_absent() -> Option<T> {
        None
    }
}

/// Inserts a field's encoded value into `item` (nothing when the codec writes nothing).
#[inline]
fn insert_encoded(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    encoded: Result<Option<AttributeValue>, ValueError>,
) -> Result<(), EncodeError> {
    match encoded {
        Ok(Some(encoded)) => {
            item.insert(attribute.to_owned(), encoded);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(source) => Err(EncodeError {
            entity,
            attribute,
            source,
        }),
    }
}

/// Writes one field into `item`.
#[inline]
pub fn encode_field<C: FieldCodec>(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    value: &C::Value,
) -> Result<(), EncodeError> {
    insert_encoded(item, entity, attribute, C::encode(value))
}

/// Writes one field into `item`, consuming it.
#[inline]
pub fn encode_field_owned<C: FieldCodec>(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    value: C::Value,
) -> Result<(), EncodeError> {
    insert_encoded(item, entity, attribute, C::encode_owned(value))
}

/// Writes an `Option` field: `None` writes nothing.
#[inline]
pub fn encode_optional_field<C: FieldCodec>(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    value: &Option<C::Value>,
) -> Result<(), EncodeError> {
    match value {
        Some(value) => encode_field::<C>(item, entity, attribute, value),
        None => Ok(()),
    }
}

/// Writes an `Option` field, consuming it.
#[inline]
pub fn encode_optional_field_owned<C: FieldCodec>(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    value: Option<C::Value>,
) -> Result<(), EncodeError> {
    match value {
        Some(value) => encode_field_owned::<C>(item, entity, attribute, value),
        None => Ok(()),
    }
}

/// An attribute value a generated decoder reads: the SDK's, or one borrowed from an answer's
/// body. The same decoder body reads both, so both give the same values and the same errors.
pub trait StoredValue: Sized {
    /// Whether the value is `NULL`.
    fn is_null(&self) -> bool;
    /// The value as a key part in an error message: a string quoted, another type named.
    fn key_part(&self) -> String;
    /// The field's value, through `C`.
    fn decode_field<C: FieldCodec>(self) -> Result<C::Value, ValueError>;
}

impl StoredValue for AttributeValue {
    #[inline]
    fn is_null(&self) -> bool {
        matches!(self, AttributeValue::Null(_))
    }

    fn key_part(&self) -> String {
        match self {
            AttributeValue::S(s) => format!("{s:?}"),
            other => format!("<{}>", type_name(other)),
        }
    }

    #[inline]
    fn decode_field<C: FieldCodec>(self) -> Result<C::Value, ValueError> {
        C::decode(self)
    }
}

impl StoredValue for WireValue<'_> {
    #[inline]
    fn is_null(&self) -> bool {
        matches!(self, WireValue::Null(_))
    }

    fn key_part(&self) -> String {
        match self {
            WireValue::S(s) => format!("{:?}", &**s),
            other => format!("<{}>", other.type_name()),
        }
    }

    #[inline]
    fn decode_field<C: FieldCodec>(self) -> Result<C::Value, ValueError> {
        C::decode_wire(self)
    }
}

/// The item being decoded, for error messages: the entity and the item's key.
pub struct DecodeContext<V> {
    entity: &'static str,
    pk: Option<V>,
    sk: Option<V>,
}

impl<V: StoredValue> DecodeContext<V> {
    #[inline]
    pub fn new(entity: &'static str) -> Self {
        Self {
            entity,
            pk: None,
            sk: None,
        }
    }

    #[inline]
    pub fn set_pk(&mut self, value: V) {
        self.pk = Some(value);
    }

    #[inline]
    pub fn set_sk(&mut self, value: V) {
        self.sk = Some(value);
    }

    fn key(&self) -> String {
        fn part<V: StoredValue>(value: Option<&V>) -> String {
            value.map_or_else(|| "<absent>".to_owned(), StoredValue::key_part)
        }
        format!(
            "PK={} SK={}",
            part(self.pk.as_ref()),
            part(self.sk.as_ref())
        )
    }

    fn invalid(&self, attribute: &'static str, source: ValueError) -> DecodeError {
        DecodeError::InvalidAttribute {
            entity: self.entity,
            key: self.key(),
            attribute,
            source,
        }
    }

    fn missing(&self, attribute: &'static str, expected: &'static str) -> DecodeError {
        DecodeError::MissingAttribute {
            entity: self.entity,
            key: self.key(),
            attribute,
            expected,
        }
    }
}

/// The attribute's value, `None` when it is absent or `NULL`.
#[inline]
fn present<V: StoredValue>(slot: Option<V>) -> Option<V> {
    slot.filter(|value| !value.is_null())
}

/// Decodes a field without a default: absent is an error unless the type has an absent value
/// (sets).
#[inline]
pub fn decode_required<C: FieldCodec, V: StoredValue>(
    slot: Option<V>,
    cx: &DecodeContext<V>,
    attribute: &'static str,
) -> Result<C::Value, DecodeError> {
    match present(slot) {
        Some(value) => value
            .decode_field::<C>()
            .map_err(|e| cx.invalid(attribute, e)),
        None => C::when_absent().ok_or_else(|| cx.missing(attribute, C::KIND.descriptor())),
    }
}

/// Decodes an `Option` field: absent or `NULL` is `None`.
#[inline]
pub fn decode_optional<C: FieldCodec, V: StoredValue>(
    slot: Option<V>,
    cx: &DecodeContext<V>,
    attribute: &'static str,
) -> Result<Option<C::Value>, DecodeError> {
    match present(slot) {
        Some(value) => value
            .decode_field::<C>()
            .map(Some)
            .map_err(|e| cx.invalid(attribute, e)),
        None => Ok(None),
    }
}

/// Decodes a field with a default: absent or `NULL` takes the default.
#[inline]
pub fn decode_or_default<C: FieldCodec, V: StoredValue>(
    slot: Option<V>,
    cx: &DecodeContext<V>,
    attribute: &'static str,
    default: impl FnOnce() -> C::Value,
) -> Result<C::Value, DecodeError> {
    match present(slot) {
        Some(value) => value
            .decode_field::<C>()
            .map_err(|e| cx.invalid(attribute, e)),
        None => Ok(default()),
    }
}

/// Appends a placeholder's value to a key being rendered.
#[inline]
pub fn write_segment<T: KeySegment + ?Sized>(out: &mut String, value: &T) {
    value.write_key_segment(out);
}

/// Writes an unsigned placeholder given a width of its own (`{seq:08}`).
pub fn write_padded_segment<T: crate::key_segment::PaddedKeySegment + ?Sized>(
    out: &mut String,
    value: &T,
    width: usize,
) {
    value.write_padded_key_segment(out, width);
}

/// Splits `key` by `template` into exactly `N` placeholder texts.
pub fn split_key<'k, const N: usize>(
    template: &KeyTemplate,
    key: &'k str,
) -> Result<[&'k str; N], KeyError> {
    let parts = template.parse(key)?;
    parts.try_into().map_err(|_| KeyError::Mismatch {
        template: template.source,
        key: key.to_owned(),
    })
}

/// Parses one placeholder's text as the field's type.
pub fn parse_segment<T: ParseKeySegment>(
    template: &KeyTemplate,
    key: &str,
    field: &'static str,
    text: &str,
) -> Result<T, KeyError> {
    T::parse_key_segment(text).map_err(|source| KeyError::InvalidSegment {
        template: template.source,
        key: key.to_owned(),
        field,
        source,
    })
}

/// A time-to-live field (`#[entity(ttl)]`): a [`Timestamp`] stored as epoch seconds (`N`), what
/// DynamoDB's time to live reads.
pub struct EpochSeconds;

impl FieldCodec for EpochSeconds {
    type Value = Timestamp;
    const KIND: AttributeKind = AttributeKind::Number;

    fn encode(value: &Timestamp) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::N(
            value.as_epoch_seconds().to_string(),
        )))
    }

    fn encode_owned(value: Timestamp) -> Result<Option<AttributeValue>, ValueError> {
        Self::encode(&value)
    }

    fn decode(value: AttributeValue) -> Result<Timestamp, ValueError> {
        u64::decode(value).map(Timestamp::from_epoch_seconds)
    }

    fn decode_wire(value: WireValue<'_>) -> Result<Timestamp, ValueError> {
        u64::decode_wire(value).map(Timestamp::from_epoch_seconds)
    }

    fn when_absent() -> Option<Timestamp> {
        None
    }
}
