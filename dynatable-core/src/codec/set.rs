//! Sets of strings, numbers or bytes, stored as `SS`, `NS` and `BS`.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, Hash};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::collections::in_list;
use super::number::NumberText;
use super::{AttributeCodec, Bytes, type_name};
use crate::error::ValueError;
use crate::schema::AttributeKind;

/// A type whose sets are DynamoDB sets: `String` (`SS`), integers (`NS`), [`Bytes`] (`BS`).
pub trait SetMember: Sized {
    /// The set type: [`AttributeKind::StringSet`], `NumberSet` or `BinarySet`.
    const SET_KIND: AttributeKind;

    /// The set attribute holding these members (never called with no members).
    ///
    /// # Errors
    /// When a member cannot be stored.
    fn encode_set<'a>(
        members: impl Iterator<Item = &'a Self>,
    ) -> Result<AttributeValue, ValueError>
    where
        Self: 'a;

    /// [`encode_set`](Self::encode_set), consuming the members.
    ///
    /// # Errors
    /// When a member cannot be stored.
    fn encode_set_owned(members: impl Iterator<Item = Self>) -> Result<AttributeValue, ValueError> {
        let members: Vec<Self> = members.collect();
        Self::encode_set(members.iter())
    }

    /// The members of a set attribute.
    ///
    /// # Errors
    /// [`ValueError::TypeMismatch`] for another DynamoDB type; an invalid member.
    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, ValueError>;
}

fn set_mismatch<T: SetMember>(found: &AttributeValue) -> ValueError {
    ValueError::TypeMismatch {
        expected: T::SET_KIND.descriptor(),
        found: type_name(found),
    }
}

impl SetMember for String {
    const SET_KIND: AttributeKind = AttributeKind::StringSet;

    fn encode_set<'a>(
        members: impl Iterator<Item = &'a Self>,
    ) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::Ss(members.cloned().collect()))
    }

    fn encode_set_owned(members: impl Iterator<Item = Self>) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::Ss(members.collect()))
    }

    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, ValueError> {
        match value {
            AttributeValue::Ss(members) => Ok(members),
            other => Err(set_mismatch::<Self>(&other)),
        }
    }
}

impl SetMember for Bytes {
    const SET_KIND: AttributeKind = AttributeKind::BinarySet;

    fn encode_set<'a>(
        members: impl Iterator<Item = &'a Self>,
    ) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::Bs(
            members.map(|b| Blob::new(b.0.clone())).collect(),
        ))
    }

    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, ValueError> {
        match value {
            AttributeValue::Bs(members) => {
                Ok(members.into_iter().map(|b| Bytes(b.into_inner())).collect())
            }
            other => Err(set_mismatch::<Self>(&other)),
        }
    }
}

macro_rules! number_set {
    ($($ty:ty),*) => {$(
        impl SetMember for $ty {
            const SET_KIND: AttributeKind = AttributeKind::NumberSet;

            fn encode_set<'a>(
                members: impl Iterator<Item = &'a Self>,
            ) -> Result<AttributeValue, ValueError> {
                let texts = members
                    .enumerate()
                    .map(|(i, n)| n.number_text().map_err(|e| in_list(i, e)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(AttributeValue::Ns(texts))
            }

            fn decode_set(value: AttributeValue) -> Result<Vec<Self>, ValueError> {
                match value {
                    AttributeValue::Ns(texts) => texts
                        .into_iter()
                        .enumerate()
                        .map(|(i, text)| Self::from_number_text(text).map_err(|e| in_list(i, e)))
                        .collect(),
                    other => Err(set_mismatch::<Self>(&other)),
                }
            }
        }
    )*};
}

number_set!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl<T: SetMember + Eq + Hash, S: BuildHasher + Default> AttributeCodec for HashSet<T, S> {
    const KIND: AttributeKind = T::SET_KIND;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        if self.is_empty() {
            Ok(None)
        } else {
            T::encode_set(self.iter()).map(Some)
        }
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        if self.is_empty() {
            Ok(None)
        } else {
            T::encode_set_owned(self.into_iter()).map(Some)
        }
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        T::decode_set(value).map(|members| members.into_iter().collect())
    }

    fn when_absent() -> Option<Self> {
        Some(Self::default())
    }
}

impl<T: SetMember + Ord> AttributeCodec for BTreeSet<T> {
    const KIND: AttributeKind = T::SET_KIND;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        if self.is_empty() {
            Ok(None)
        } else {
            T::encode_set(self.iter()).map(Some)
        }
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        if self.is_empty() {
            Ok(None)
        } else {
            T::encode_set_owned(self.into_iter()).map(Some)
        }
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        T::decode_set(value).map(|members| members.into_iter().collect())
    }

    fn when_absent() -> Option<Self> {
        Some(Self::new())
    }
}
