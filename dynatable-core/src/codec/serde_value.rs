//! Fields stored through serde (`#[entity(serde)]`), by `serde_dynamo`.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ValueError;

/// The codec of `#[entity(serde)]` fields: the value's serde implementation through
/// `serde_dynamo`.
pub(crate) struct SerdeCodec<T>(PhantomData<T>);

impl<T: Serialize + DeserializeOwned> SerdeCodec<T> {
    pub(crate) fn encode(value: &T) -> Result<Option<AttributeValue>, ValueError> {
        serde_dynamo::to_attribute_value(value)
            .map(Some)
            .map_err(|e| ValueError::Serde {
                message: e.to_string(),
            })
    }

    pub(crate) fn decode(value: AttributeValue) -> Result<T, ValueError> {
        serde_dynamo::from_attribute_value(value).map_err(|e| ValueError::Serde {
            message: e.to_string(),
        })
    }
}
