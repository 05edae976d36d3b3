//! Lists and string-keyed maps of any codec type, stored as `L` and `M`.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use aws_sdk_dynamodb::types::AttributeValue;

use super::{AttributeCodec, decode_nested, encode_nested, encode_nested_owned, mismatch};
use crate::error::ValueError;
use crate::schema::AttributeKind;

impl<T: AttributeCodec> AttributeCodec for Option<T> {
    const KIND: AttributeKind = T::KIND;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(value) => value.encode(),
            None => Ok(None),
        }
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(value) => value.encode_owned(),
            None => Ok(None),
        }
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            value => T::decode(value).map(Some),
        }
    }

    fn when_absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: AttributeCodec> AttributeCodec for Vec<T> {
    const KIND: AttributeKind = AttributeKind::List;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        let list = self
            .iter()
            .enumerate()
            .map(|(index, value)| encode_nested(value).map_err(|e| in_list(index, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(AttributeValue::L(list)))
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        let list = self
            .into_iter()
            .enumerate()
            .map(|(index, value)| encode_nested_owned(value).map_err(|e| in_list(index, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(AttributeValue::L(list)))
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::L(list) => list
                .into_iter()
                .enumerate()
                .map(|(index, value)| decode_nested(value).map_err(|e| in_list(index, e)))
                .collect(),
            other => Err(mismatch::<Self>(&other)),
        }
    }
}

pub(crate) fn in_list(index: usize, source: ValueError) -> ValueError {
    ValueError::InList {
        index,
        source: Box::new(source),
    }
}

fn in_map(key: &str, source: ValueError) -> ValueError {
    ValueError::InMap {
        key: key.to_owned(),
        source: Box::new(source),
    }
}

fn encode_map<'a, T: AttributeCodec + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<Option<AttributeValue>, ValueError> {
    let map = entries
        .map(|(key, value)| {
            Ok((
                key.clone(),
                encode_nested(value).map_err(|e| in_map(key, e))?,
            ))
        })
        .collect::<Result<HashMap<_, _>, ValueError>>()?;
    Ok(Some(AttributeValue::M(map)))
}

fn encode_map_owned<T: AttributeCodec>(
    entries: impl Iterator<Item = (String, T)>,
) -> Result<Option<AttributeValue>, ValueError> {
    let map = entries
        .map(|(key, value)| match encode_nested_owned(value) {
            Ok(encoded) => Ok((key, encoded)),
            Err(e) => Err(in_map(&key, e)),
        })
        .collect::<Result<HashMap<_, _>, ValueError>>()?;
    Ok(Some(AttributeValue::M(map)))
}

fn decode_map<T: AttributeCodec, M: FromIterator<(String, T)>>(
    value: AttributeValue,
) -> Result<M, ValueError> {
    match value {
        AttributeValue::M(map) => map
            .into_iter()
            .map(|(key, value)| match decode_nested(value) {
                Ok(value) => Ok((key, value)),
                Err(e) => Err(in_map(&key, e)),
            })
            .collect(),
        other => Err(ValueError::TypeMismatch {
            expected: "M",
            found: super::type_name(&other),
        }),
    }
}

impl<T: AttributeCodec, S: BuildHasher + Default> AttributeCodec for HashMap<String, T, S>
where
    String: Hash + Eq,
{
    const KIND: AttributeKind = AttributeKind::Map;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        encode_map(self.iter())
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        encode_map_owned(self.into_iter())
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        decode_map(value)
    }
}

impl<T: AttributeCodec> AttributeCodec for BTreeMap<String, T> {
    const KIND: AttributeKind = AttributeKind::Map;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        encode_map(self.iter())
    }

    fn encode_owned(self) -> Result<Option<AttributeValue>, ValueError> {
        encode_map_owned(self.into_iter())
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        decode_map(value)
    }
}
