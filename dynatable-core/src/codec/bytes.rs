//! Binary values: `Bytes`, stored as `B`.

use std::ops::Deref;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{AttributeCodec, mismatch};
use crate::error::ValueError;
use crate::schema::AttributeKind;

/// Binary data, stored as `B` (a `Vec<u8>` would be a list of numbers).
///
/// ```
/// use dynatable_core::{AttributeCodec, Bytes};
/// let thumbnail = Bytes::from(vec![0x89, b'P', b'N', b'G']);
/// let stored = thumbnail.encode().unwrap().unwrap();
/// assert!(stored.is_b());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(bytes: Bytes) -> Self {
        bytes.0
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AttributeCodec for Bytes {
    const KIND: AttributeKind = AttributeKind::Binary;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(self.0.clone()))))
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(self.0))))
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(blob) => Ok(Self(blob.into_inner())),
            other => Err(mismatch::<Self>(&other)),
        }
    }
}

impl AttributeCodec for Blob {
    const KIND: AttributeKind = AttributeKind::Binary;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(self.clone())))
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(blob) => Ok(blob),
            other => Err(mismatch::<Self>(&other)),
        }
    }
}
