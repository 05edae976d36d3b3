//! How Rust values are stored as DynamoDB attribute values.
//!
//! | Rust type | DynamoDB | notes |
//! | --- | --- | --- |
//! | `String`, `char` | `S` | |
//! | `bool` | `BOOL` | |
//! | `i8` … `i128`, `u8` … `u128`, `isize`, `usize` | `N` | exact: written with all digits, read back without going through a float; `i128`/`u128` values beyond DynamoDB's 38 significant digits are an encode error |
//! | `f32`, `f64` | `N` | shortest text that reads back to the same float; NaN, infinities and magnitudes outside 1e-130..1e126 (DynamoDB's range) are an encode error |
//! | [`Bytes`], `Blob` | `B` | |
//! | `Option<T>` | `T`'s type | `None` is not written; an absent attribute or `NULL` reads as `None` |
//! | `Vec<T>` | `L` | elements encoded as `T`, `None` elements as `NULL` |
//! | `HashMap<String, T>`, `BTreeMap<String, T>` | `M` | |
//! | `HashSet<String>`, `BTreeSet<String>` | `SS` | an empty set is not written, and an absent attribute reads as an empty set (DynamoDB has no empty sets) |
//! | `HashSet<N>`, `BTreeSet<N>` for integer `N` | `NS` | as above |
//! | `HashSet<Bytes>`, `BTreeSet<Bytes>` | `BS` | as above |
//! | any `Serialize + DeserializeOwned` with `#[entity(serde)]` | what `serde_dynamo` gives: `M` for structs and struct-like enum variants, `S` for unit variants | nested structs and enums |
//!
//! Implement [`AttributeCodec`] for a type of your own to store it as a field.

mod bytes;
mod collections;
mod number;
mod scalar;
mod serde_value;
mod set;
mod wire_value;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::ValueError;
use crate::schema::AttributeKind;

pub use self::bytes::Bytes;
pub(crate) use self::serde_value::SerdeCodec;
pub use self::set::SetMember;
pub(crate) use self::wire_value::is_unknown_type;
pub use self::wire_value::{WireItem, WireValue};

/// A DynamoDB item: attribute names to values, as the SDK takes and returns it.
pub type Item = HashMap<String, AttributeValue>;

/// A Rust type stored as one DynamoDB attribute value. See the [module docs](self) for the
/// types implemented here.
///
/// ```
/// use dynatable_core::{AttributeCodec, AttributeKind, ValueError};
/// use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
///
/// /// Cents, stored as a number.
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// pub struct Cents(i64);
///
/// impl AttributeCodec for Cents {
///     const KIND: AttributeKind = AttributeKind::Number;
///     fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
///         self.0.encode()
///     }
///     fn decode(value: AttributeValue) -> Result<Self, ValueError> {
///         i64::decode(value).map(Cents)
///     }
/// }
/// ```
pub trait AttributeCodec: Sized {
    /// How the type is stored.
    const KIND: AttributeKind;

    /// The attribute value, or `None` when nothing is to be written (a `None` option, an empty
    /// set).
    ///
    /// # Errors
    /// [`ValueError::NotRepresentable`] (or another variant) when DynamoDB cannot store the value.
    fn encode(&self) -> Result<Option<AttributeValue>, ValueError>;

    /// Like [`encode`](Self::encode), consuming the value: strings, lists and maps are moved
    /// into the attribute value instead of copied.
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        self.encode()
    }

    /// Reads the value back.
    ///
    /// # Errors
    /// [`ValueError::TypeMismatch`] for another DynamoDB type, [`ValueError::InvalidText`] for a
    /// number that does not fit.
    fn decode(value: AttributeValue) -> Result<Self, ValueError>;

    /// Reads the value back from an answer's body, as [`decode`](Self::decode) does from the
    /// SDK's value (same values, same errors). By default through [`AttributeValue`]; the types
    /// implemented here read the borrowed text directly.
    ///
    /// # Errors
    /// As [`decode`](Self::decode).
    #[inline]
    fn decode_wire(value: WireValue<'_>) -> Result<Self, ValueError> {
        Self::decode(value.into_attribute_value())
    }

    /// The value an absent attribute stands for, if any: `None` for options, the empty set for
    /// sets. Other types are required.
    fn when_absent() -> Option<Self> {
        None
    }
}

/// The string value of attribute `name` of `item`; `None` when it is absent or not a string.
pub(crate) fn string_attribute<'i>(item: &'i Item, name: &str) -> Option<&'i str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// The DynamoDB type of a value, as named in errors.
pub fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "an unknown type",
    }
}

pub(crate) fn mismatch<T: AttributeCodec>(found: &AttributeValue) -> ValueError {
    ValueError::TypeMismatch {
        expected: T::KIND.descriptor(),
        found: type_name(found),
    }
}

pub(crate) fn wire_mismatch<T: AttributeCodec>(found: &WireValue<'_>) -> ValueError {
    ValueError::TypeMismatch {
        expected: T::KIND.descriptor(),
        found: found.type_name(),
    }
}

/// Encodes a list element or map entry: what would not be written at the top level is `NULL`.
pub(crate) fn encode_nested<T: AttributeCodec>(value: &T) -> Result<AttributeValue, ValueError> {
    Ok(value.encode()?.unwrap_or(AttributeValue::Null(true)))
}

/// [`encode_nested`], consuming the value.
pub(crate) fn encode_nested_owned<T: AttributeCodec>(
    value: T,
) -> Result<AttributeValue, ValueError> {
    Ok(value.encode_owned()?.unwrap_or(AttributeValue::Null(true)))
}

/// Decodes a list element or map entry: `NULL` is what [`AttributeCodec::when_absent`] says.
pub(crate) fn decode_nested<T: AttributeCodec>(value: AttributeValue) -> Result<T, ValueError> {
    match value {
        AttributeValue::Null(_) => T::when_absent().ok_or_else(|| mismatch::<T>(&value)),
        value => T::decode(value),
    }
}
