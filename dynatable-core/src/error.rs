//! Errors of encoding, decoding and key rendering: what cannot be written, read or keyed, and
//! where.

use thiserror::Error;

/// A value that cannot be read from, or written as, a DynamoDB attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The attribute value has another DynamoDB type than the Rust type needs.
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        /// The DynamoDB type the Rust type is stored as (`S`, `N`, `BOOL`, ...).
        expected: &'static str,
        /// The DynamoDB type found.
        found: &'static str,
    },
    /// A number (`N`) or text that does not parse as, or fit in, the Rust type.
    #[error("{text:?} is not a valid {target}")]
    InvalidText {
        /// The text found.
        text: String,
        /// The Rust type it was read as.
        target: &'static str,
    },
    /// A value DynamoDB cannot store, such as a NaN or infinite float.
    #[error("{reason}")]
    NotRepresentable {
        /// Why the value cannot be stored.
        reason: String,
    },
    /// A `serde` field's (de)serializer failed.
    #[error("serde: {message}")]
    Serde {
        /// serde's message.
        message: String,
    },
    /// An element of a list or set.
    #[error("element {index}: {source}")]
    InList {
        /// The element's position.
        index: usize,
        /// What is wrong with it.
        source: Box<ValueError>,
    },
    /// An entry of a map.
    #[error("entry {key:?}: {source}")]
    InMap {
        /// The entry's key.
        key: String,
        /// What is wrong with it.
        source: Box<ValueError>,
    },
}

/// An entity value that cannot be encoded as an item.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot store attribute `{attribute}` of entity `{entity}`: {source}")]
#[non_exhaustive]
pub struct EncodeError {
    /// The entity type name.
    pub entity: &'static str,
    /// The attribute name.
    pub attribute: &'static str,
    /// What is wrong with the value.
    pub source: ValueError,
}

/// An item that cannot be decoded as the entity it was read as.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A required attribute is absent (or `NULL`).
    #[error(
        "item {key} of entity `{entity}` has no attribute `{attribute}` ({expected}), which is \
         required: write it (a migration can backfill it) or give the field a default"
    )]
    MissingAttribute {
        /// The entity type name.
        entity: &'static str,
        /// The item's primary key, as found.
        key: String,
        /// The attribute name.
        attribute: &'static str,
        /// The DynamoDB type the field is stored as.
        expected: &'static str,
    },
    /// An attribute has the wrong DynamoDB type or a value the field's type cannot hold.
    #[error("item {key} of entity `{entity}`: attribute `{attribute}`: {source}")]
    InvalidAttribute {
        /// The entity type name.
        entity: &'static str,
        /// The item's primary key, as found.
        key: String,
        /// The attribute name.
        attribute: &'static str,
        /// What is wrong with the value.
        source: ValueError,
    },
}

impl DecodeError {
    /// The entity type name.
    pub fn entity(&self) -> &'static str {
        match self {
            Self::MissingAttribute { entity, .. } | Self::InvalidAttribute { entity, .. } => entity,
        }
    }

    /// The attribute that could not be decoded.
    pub fn attribute(&self) -> &'static str {
        match self {
            Self::MissingAttribute { attribute, .. } | Self::InvalidAttribute { attribute, .. } => {
                attribute
            }
        }
    }
}

/// A key that does not fit a key template.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key does not have the template's shape.
    #[error("key {key:?} does not match the template {template:?}")]
    Mismatch {
        /// The template.
        template: &'static str,
        /// The key.
        key: String,
    },
    /// A placeholder's text does not parse as the field's type.
    #[error("key {key:?} (template {template:?}): `{field}`: {source}")]
    InvalidSegment {
        /// The template.
        template: &'static str,
        /// The key.
        key: String,
        /// The placeholder's field.
        field: &'static str,
        /// Why the text does not parse.
        source: ValueError,
    },
    /// [`KeyTemplate::render`](crate::KeyTemplate::render) was given the wrong number of values.
    #[error("template {template:?} has {expected} placeholders, {found} values were given")]
    WrongValueCount {
        /// The template.
        template: &'static str,
        /// The number of placeholders.
        expected: usize,
        /// The number of values given.
        found: usize,
    },
}
