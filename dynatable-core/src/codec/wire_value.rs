//! Items as DynamoDB's JSON protocol carries them, read straight from an answer's body: names and
//! string values borrow the body where no escape forces a copy, and an item is a short list of
//! attributes, not a hash map. Entities, projections and collections decode from it without the
//! SDK's maps in between ([`Entity::from_wire`](crate::Entity::from_wire)).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Item;

/// One attribute value of an answer's item, borrowing the answer's text where it can: the
/// JSON-protocol counterpart of the SDK's [`AttributeValue`], into which
/// [`into_attribute_value`](Self::into_attribute_value) turns it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WireValue<'a> {
    /// `S`: a string.
    S(Cow<'a, str>),
    /// `N`: a number, as its text.
    N(Cow<'a, str>),
    /// `B`: binary, decoded from the answer's base64.
    B(Vec<u8>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL` (DynamoDB always writes `true`).
    Null(bool),
    /// `SS`: a string set.
    Ss(Vec<Cow<'a, str>>),
    /// `NS`: a number set, as texts.
    Ns(Vec<Cow<'a, str>>),
    /// `BS`: a binary set.
    Bs(Vec<Vec<u8>>),
    /// `M`: a map.
    M(WireItem<'a>),
    /// `L`: a list.
    L(Vec<WireValue<'a>>),
}

/// The error with which an answer holding a value of a type DynamoDB added after this client
/// was written fails to parse: the read is then sent again through the SDK, which has a value
/// for it (its `Unknown`).
const UNKNOWN_TYPE: &str = "an attribute value of a type this client does not know";

/// Whether `error` is the parse's [`UNKNOWN_TYPE`].
pub(crate) fn is_unknown_type(error: &serde_json::Error) -> bool {
    error.to_string().starts_with(UNKNOWN_TYPE)
}

/// An answer's item: its attributes in the answer's order.
///
/// ```
/// use dynatable_core::codec::{WireItem, WireValue};
///
/// let body = br#"{"PK":{"S":"USER#1"},"n":{"N":"42"}}"#;
/// let item: WireItem<'_> = serde_json::from_slice(body).unwrap();
/// assert_eq!(item.get("n"), Some(&WireValue::N("42".into())));
/// assert_eq!(item.string("PK"), Some("USER#1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireItem<'a> {
    attributes: Vec<(Cow<'a, str>, WireValue<'a>)>,
}

impl<'a> WireItem<'a> {
    /// The value of attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&WireValue<'a>> {
        self.attributes
            .iter()
            .find_map(|(n, value)| (n == name).then_some(value))
    }

    /// The string value of attribute `name`; `None` when it is absent or not a string.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(WireValue::S(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether attribute `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The attributes, in the answer's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &WireValue<'a>)> {
        self.attributes.iter().map(|(n, v)| (&**n, v))
    }

    /// How many attributes the item has.
    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    /// Whether the item has no attribute.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// The item as the SDK holds it.
    pub fn into_item(self) -> Item {
        self.attributes
            .into_iter()
            .map(|(name, value)| (name.into_owned(), value.into_attribute_value()))
            .collect()
    }

    /// The attributes named in `names` as the SDK holds them (a cursor, a key).
    pub fn pick(&self, names: &[&str]) -> Item {
        self.attributes
            .iter()
            .filter(|(name, _)| names.contains(&&**name))
            .map(|(name, value)| ((**name).to_owned(), value.clone().into_attribute_value()))
            .collect()
    }
}

impl<'a> IntoIterator for WireItem<'a> {
    type Item = (Cow<'a, str>, WireValue<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, WireValue<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.attributes.into_iter()
    }
}

impl<'a> FromIterator<(Cow<'a, str>, WireValue<'a>)> for WireItem<'a> {
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, WireValue<'a>)>>(iter: I) -> Self {
        Self {
            attributes: iter.into_iter().collect(),
        }
    }
}

impl WireValue<'_> {
    /// The value as the SDK holds it.
    pub fn into_attribute_value(self) -> AttributeValue {
        let strings = |values: Vec<Cow<'_, str>>| values.into_iter().map(Cow::into_owned).collect();
        match self {
            Self::S(s) => AttributeValue::S(s.into_owned()),
            Self::N(n) => AttributeValue::N(n.into_owned()),
            Self::B(b) => AttributeValue::B(Blob::new(b)),
            Self::Bool(b) => AttributeValue::Bool(b),
            Self::Null(n) => AttributeValue::Null(n),
            Self::Ss(values) => AttributeValue::Ss(strings(values)),
            Self::Ns(values) => AttributeValue::Ns(strings(values)),
            Self::Bs(values) => AttributeValue::Bs(values.into_iter().map(Blob::new).collect()),
            Self::M(item) => AttributeValue::M(item.into_item()),
            Self::L(values) => AttributeValue::L(
                values
                    .into_iter()
                    .map(WireValue::into_attribute_value)
                    .collect(),
            ),
        }
    }

    /// The DynamoDB type of the value, as named in errors (as [`type_name`](super::type_name)
    /// names the SDK's).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::S(_) => "S",
            Self::N(_) => "N",
            Self::B(_) => "B",
            Self::Bool(_) => "BOOL",
            Self::Null(_) => "NULL",
            Self::L(_) => "L",
            Self::M(_) => "M",
            Self::Ss(_) => "SS",
            Self::Ns(_) => "NS",
            Self::Bs(_) => "BS",
        }
    }
}

/// A JSON string, borrowed from the body when it holds no escape.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

/// Base64 text decoded to its bytes.
struct Binary(Vec<u8>);

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Text(text) = Text::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Binary)
            .map_err(|e| de::Error::custom(format!("a binary value that is not base64: {e}")))
    }
}

/// A JSON list of `T`: the sets' members and a list's values.
struct ListOf<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListOf<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ListVisitor(PhantomData))
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = ListOf<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(ListOf(values))
    }
}

/// The texts of a list of strings.
fn texts(list: ListOf<Text<'_>>) -> Vec<Cow<'_, str>> {
    list.0.into_iter().map(|t| t.0).collect()
}

// For any `'a` the body outlives, so that answers holding items can derive `Deserialize` with
// `#[serde(borrow)]`.
impl<'de: 'a, 'a> Deserialize<'de> for WireItem<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = WireItem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item: attribute names to typed values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut attributes = Vec::with_capacity(map.size_hint().unwrap_or(8).min(256));
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            let value: WireValue<'de> = map.next_value()?;
            attributes.push((name, value));
        }
        Ok(WireItem { attributes })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = WireValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a typed attribute value such as {\"S\":\"text\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(Text(tag)) = map.next_key::<Text<'de>>()? else {
            return Err(de::Error::custom("an attribute value without a type"));
        };
        let value = match &*tag {
            "S" => WireValue::S(map.next_value::<Text<'de>>()?.0),
            "N" => WireValue::N(map.next_value::<Text<'de>>()?.0),
            "B" => WireValue::B(map.next_value::<Binary>()?.0),
            "BOOL" => WireValue::Bool(map.next_value()?),
            "NULL" => WireValue::Null(map.next_value()?),
            "SS" => WireValue::Ss(texts(map.next_value()?)),
            "NS" => WireValue::Ns(texts(map.next_value()?)),
            "BS" => WireValue::Bs(
                map.next_value::<ListOf<Binary>>()?
                    .0
                    .into_iter()
                    .map(|b| b.0)
                    .collect(),
            ),
            "M" => WireValue::M(map.next_value::<WireItem<'de>>()?),
            "L" => WireValue::L(map.next_value::<ListOf<WireValue<'de>>>()?.0),
            _ => return Err(de::Error::custom(UNKNOWN_TYPE)),
        };
        // DynamoDB writes one type per value; the SDK reads the first and skips the rest.
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed_and_with_escapes_copied() {
        let body = br#"{"a":{"S":"plain"},"b":{"S":"esc\"aped"},"c\n":{"SS":["x","y\\z"]}}"#;
        let item: WireItem<'_> = serde_json::from_slice(body).unwrap();
        assert!(matches!(
            item.get("a"),
            Some(WireValue::S(Cow::Borrowed("plain")))
        ));
        assert!(matches!(item.get("b"), Some(WireValue::S(Cow::Owned(s))) if s == "esc\"aped"));
        assert_eq!(
            item.get("c\n"),
            Some(&WireValue::Ss(vec!["x".into(), "y\\z".into()]))
        );
    }

    #[test]
    fn an_unknown_type_is_told_apart_and_bad_base64_is_an_error() {
        let unknown =
            serde_json::from_slice::<WireItem<'_>>(br#"{"x":{"NEW":{"deep":[1,2]}}}"#).unwrap_err();
        assert!(is_unknown_type(&unknown), "{unknown}");
        let base64 = serde_json::from_slice::<WireItem<'_>>(br#"{"b":{"B":"*"}}"#).unwrap_err();
        assert!(!is_unknown_type(&base64), "{base64}");
        assert!(serde_json::from_slice::<WireItem<'_>>(br#"{"b":{}}"#).is_err());
    }
}
