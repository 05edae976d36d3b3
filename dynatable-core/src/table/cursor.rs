//! Where a read stopped, and its opaque string form for APIs.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::codec::Item;

/// What every token starts with: the format's name and version.
const TOKEN_PREFIX: &str = "dt1.";

/// Where a query or scan stopped: DynamoDB's `LastEvaluatedKey`. Start a read from it to resume.
///
/// It converts to and from a map attribute value, so it can be stored in the table itself (the
/// migration runner checkpoints it in its ledger), and to and from an opaque, URL-safe string
/// for the clients of an API ([`to_token`](Self::to_token), [`from_token`](Self::from_token)).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Item);

/// Why a string is not a cursor [`Cursor::to_token`] made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// The string is not a token of this format (another library's cursor, a truncated copy).
    #[error("not a dynatable cursor: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
}

impl Cursor {
    /// The cursor as a map attribute value.
    pub fn to_attribute_value(&self) -> AttributeValue {
        AttributeValue::M(self.0.clone())
    }

    /// A cursor stored as a map attribute value.
    pub fn from_attribute_value(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::M(map) => Some(Self(map.clone())),
            _ => None,
        }
    }

    /// The cursor as an opaque, URL-safe string (`[A-Za-z0-9._-]`), for a `next` link or a
    /// `pageToken` field. It holds the key attributes of the last item evaluated, readable by
    /// anyone who decodes it: do not put it where the keys themselves must stay secret.
    ///
    /// ```
    /// use dynatable_core::Cursor;
    /// use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    ///
    /// let cursor = Cursor(
    ///     [("PK", "USER#1"), ("SK", "PHOTO#0042")]
    ///         .into_iter()
    ///         .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
    ///         .collect(),
    /// );
    /// let token = cursor.to_token();
    /// assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
    /// assert_eq!(Cursor::from_token(&token).unwrap(), cursor);
    /// assert!(Cursor::from_token("eyJub3QiOiJvdXJzIn0").is_err());
    /// ```
    ///
    /// Key attributes are strings, numbers or binaries; a hand-made cursor holding another kind
    /// of value makes a token that [`from_token`](Self::from_token) refuses.
    pub fn to_token(&self) -> String {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        let map: serde_json::Map<String, serde_json::Value> = names
            .into_iter()
            .map(|name| (name.clone(), token_value(&self.0[name])))
            .collect();
        let json = serde_json::Value::Object(map).to_string();
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// The cursor a [`to_token`](Self::to_token) string stands for.
    ///
    /// # Errors
    /// [`CursorError::Malformed`] for any other string: another format, a truncated or edited
    /// token, values of a kind keys cannot have.
    pub fn from_token(token: &str) -> Result<Self, CursorError> {
        let malformed = |reason: &str| CursorError::Malformed {
            reason: reason.to_owned(),
        };
        let encoded = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or_else(|| malformed("it does not start with \"dt1.\""))?;
        let json = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| malformed("it is not URL-safe base64"))?;
        let value: serde_json::Value =
            serde_json::from_slice(&json).map_err(|_| malformed("it does not hold JSON"))?;
        let serde_json::Value::Object(map) = value else {
            return Err(malformed("it does not hold a key"));
        };
        if map.is_empty() {
            return Err(malformed("it holds no key attribute"));
        }
        let item = map
            .into_iter()
            .map(|(name, value)| {
                let value = attribute_value(value).ok_or_else(|| {
                    malformed(&format!(
                        "attribute {name:?} is not a string, number or binary"
                    ))
                })?;
                Ok((name, value))
            })
            .collect::<Result<Item, CursorError>>()?;
        Ok(Self(item))
    }
}

impl std::str::FromStr for Cursor {
    type Err = CursorError;

    fn from_str(token: &str) -> Result<Self, CursorError> {
        Self::from_token(token)
    }
}

/// A key attribute in the token's JSON: `{"S": text}`, `{"N": digits}` or `{"B": base64}`;
/// `null` for anything else (refused when read back).
fn token_value(value: &AttributeValue) -> serde_json::Value {
    let (kind, text) = match value {
        AttributeValue::S(s) => ("S", s.clone()),
        AttributeValue::N(n) => ("N", n.clone()),
        AttributeValue::B(b) => ("B", URL_SAFE_NO_PAD.encode(b.as_ref())),
        _ => return serde_json::Value::Null,
    };
    serde_json::json!({ kind: text })
}

/// The attribute value of [`token_value`]'s JSON.
fn attribute_value(value: serde_json::Value) -> Option<AttributeValue> {
    let serde_json::Value::Object(map) = value else {
        return None;
    };
    let mut entries = map.into_iter();
    let (kind, serde_json::Value::String(text)) = entries.next()? else {
        return None;
    };
    if entries.next().is_some() {
        return None;
    }
    match kind.as_str() {
        "S" => Some(AttributeValue::S(text)),
        "N" if is_number(&text) => Some(AttributeValue::N(text)),
        "B" => URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .map(|bytes| AttributeValue::B(Blob::new(bytes))),
        _ => None,
    }
}

/// Whether `text` reads as a DynamoDB number.
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(values: &[(&str, AttributeValue)]) -> Cursor {
        Cursor(
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn tokens_read_back_the_same_cursor() {
        let c = cursor(&[
            ("PK", AttributeValue::S("USER#ü/+?&=".into())),
            ("SK", AttributeValue::S(String::new())),
            ("GSI1SK", AttributeValue::N("-12.5".into())),
            ("bin", AttributeValue::B(Blob::new(vec![0, 255, 62, 63]))),
        ]);
        let token = c.to_token();
        assert!(token.starts_with("dt1."));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "{token}"
        );
        assert_eq!(Cursor::from_token(&token), Ok(c.clone()));
        assert_eq!(token.parse::<Cursor>(), Ok(c));
    }

    #[test]
    fn other_strings_are_clear_errors() {
        let ours = cursor(&[("PK", AttributeValue::S("USER#1".into()))]).to_token();
        let edited = |json: &str| format!("dt1.{}", URL_SAFE_NO_PAD.encode(json));
        for (token, reason) in [
            ("", "does not start"),
            ("eyJQSyI6eyJTIjoiVVNFUiMxIn19", "does not start"),
            ("dt1.", "JSON"),
            ("dt1.***", "base64"),
            // Truncated: bad base64 or bad JSON, depending on where it was cut.
            (&ours[..ours.len() - 3], ""),
            (&edited("[1, 2]"), "does not hold a key"),
            (&edited("{}"), "no key attribute"),
            (&edited(r#"{"PK": {"BOOL": "true"}}"#), "\"PK\""),
            (&edited(r#"{"PK": {"N": "ten"}}"#), "\"PK\""),
            (&edited(r#"{"PK": {"S": "a", "N": "1"}}"#), "\"PK\""),
            (&edited(r#"{"PK": null}"#), "\"PK\""),
        ] {
            let error = Cursor::from_token(token).unwrap_err().to_string();
            assert!(error.starts_with("not a dynatable cursor: "), "{error}");
            assert!(error.contains(reason), "{token:?}: {error}");
        }
        let odd = cursor(&[("PK", AttributeValue::Bool(true))]).to_token();
        assert!(Cursor::from_token(&odd).is_err());
    }
}
