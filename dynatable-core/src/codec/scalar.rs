//! Strings, `char`s and `bool`s, stored as `S` and `BOOL`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{AttributeCodec, WireValue, mismatch, wire_mismatch};
use crate::error::ValueError;
use crate::schema::AttributeKind;

impl AttributeCodec for String {
    const KIND: AttributeKind = AttributeKind::String;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.clone())))
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self)))
    }

    // Inline, like the other scalars' decode: called for every field of every item read, from
    // the entities' generated code in other crates.
    #[inline]
    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(text) => Ok(text),
            other => Err(mismatch::<Self>(&other)),
        }
    }

    #[inline]
    fn decode_wire(value: WireValue<'_>) -> Result<Self, ValueError> {
        match value {
            WireValue::S(text) => Ok(text.into_owned()),
            other => Err(wire_mismatch::<Self>(&other)),
        }
    }
}

impl AttributeCodec for char {
    const KIND: AttributeKind = AttributeKind::String;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.to_string())))
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(text) => {
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(c),
                    _ => Err(ValueError::InvalidText {
                        text,
                        target: "char",
                    }),
                }
            }
            other => Err(mismatch::<Self>(&other)),
        }
    }
}

impl AttributeCodec for bool {
    const KIND: AttributeKind = AttributeKind::Bool;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::Bool(*self)))
    }

    #[inline]
    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Bool(b) => Ok(b),
            other => Err(mismatch::<Self>(&other)),
        }
    }

    #[inline]
    fn decode_wire(value: WireValue<'_>) -> Result<Self, ValueError> {
        match value {
            WireValue::Bool(b) => Ok(b),
            other => Err(wire_mismatch::<Self>(&other)),
        }
    }
}
