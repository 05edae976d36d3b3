//! Expression text with generated placeholders: no name or value is ever spliced into it.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::error::ErrorKind;

/// The longest expression DynamoDB accepts, in bytes ("The maximum length of any expression
/// string is 4 KB").
pub(crate) const MAX_EXPRESSION_BYTES: usize = 4096;

/// `text`, the rendered `clause` expression (`condition`, `update`), when DynamoDB accepts its
/// length.
pub(crate) fn within_limit(clause: &'static str, text: String) -> Result<String, ErrorKind> {
    match text.len() {
        length if length > MAX_EXPRESSION_BYTES => Err(ErrorKind::ExpressionTooLong {
            clause,
            length,
            max: MAX_EXPRESSION_BYTES,
        }),
        _ => Ok(text),
    }
}

/// `ExpressionAttributeNames`: placeholder to attribute name.
pub(crate) type Names = HashMap<String, String>;
/// `ExpressionAttributeValues`: placeholder to value.
pub(crate) type Values = HashMap<String, AttributeValue>;

/// How many distinct names are looked up one by one before they are indexed: an expression
/// names a handful of attributes, a guard over a wide item hundreds.
const NAMES_BEFORE_INDEX: usize = 32;

/// The names and values an expression refers to, under placeholders `#n0`, `:v0`, ... (the
/// number is the position), and a raw expression's own placeholders.
///
/// Names and values are borrowed from what the expression was rendered from (the write, the
/// condition, the item read) where they can be: a write's request is written from them and
/// never needs its own copies.
#[derive(Debug, Default, Clone)]
pub(crate) struct Placeholders<'a> {
    /// `#n<i>` stands for `names[i]`.
    names: Vec<Cow<'a, str>>,
    /// `:v<i>` stands for `values[i]`.
    values: Vec<Cow<'a, AttributeValue>>,
    /// A raw expression's name placeholders, as it wrote them.
    raw_names: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// A raw expression's value placeholders, as it wrote them.
    raw_values: Vec<(Cow<'a, str>, Cow<'a, AttributeValue>)>,
    /// The position of each name, once there are more than [`NAMES_BEFORE_INDEX`].
    index: Option<HashMap<String, usize>>,
}

/// One placeholder: generated (`#n3`, `:v0`) or a raw expression's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholder<'p> {
    /// `#n<number>`.
    Name(usize),
    /// `:v<number>`.
    Value(usize),
    /// As a raw expression wrote it.
    Raw(&'p str),
}

impl Placeholder<'_> {
    /// Appends the placeholder's text to `out`.
    pub(crate) fn push_to(self, out: &mut String) {
        let (prefix, n) = match self {
            Self::Name(n) => ("#n", n),
            Self::Value(n) => (":v", n),
            Self::Raw(text) => return out.push_str(text),
        };
        out.push_str(prefix);
        out.push_str(itoa::Buffer::new().format(n));
    }

    /// The placeholder's text.
    fn text(self) -> String {
        let mut text = String::with_capacity(self.len());
        self.push_to(&mut text);
        text
    }

    /// The length of the placeholder's text, without writing it.
    fn len(self) -> usize {
        match self {
            // `#n` or `:v`, then the number.
            Self::Name(n) | Self::Value(n) => 2 + itoa::Buffer::new().format(n).len(),
            Self::Raw(text) => text.len(),
        }
    }
}

impl<'a> Placeholders<'a> {
    /// Makes room for `names` more names and `values` more values.
    pub(crate) fn reserve(&mut self, names: usize, values: usize) {
        self.names.reserve(names);
        self.values.reserve(values);
    }

    /// The placeholder of an attribute name (one per distinct name).
    pub(crate) fn name(&mut self, name: &'a str) -> String {
        let mut placeholder = String::with_capacity(4);
        self.push_name(&mut placeholder, name);
        placeholder
    }

    /// Appends the placeholder of an attribute name (one per distinct name) to `text`.
    pub(crate) fn push_name(&mut self, text: &mut String, name: &'a str) {
        let n = match self.position(name) {
            Some(n) => n,
            None => {
                let n = self.names.len();
                self.names.push(Cow::Borrowed(name));
                if let Some(index) = &mut self.index {
                    index.insert(name.to_owned(), n);
                } else if self.names.len() > NAMES_BEFORE_INDEX {
                    self.index = Some(
                        self.names
                            .iter()
                            .enumerate()
                            .map(|(n, name)| (name.to_string(), n))
                            .collect(),
                    );
                }
                n
            }
        };
        Placeholder::Name(n).push_to(text);
    }

    /// Where `name` already is among the names.
    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.names.iter().position(|n| n == name),
        }
    }

    /// The placeholder of a value of its own (not borrowed).
    pub(crate) fn value(&mut self, value: AttributeValue) -> String {
        let mut placeholder = String::with_capacity(4);
        self.push_value_of(&mut placeholder, Cow::Owned(value));
        placeholder
    }

    /// Appends the placeholder of a value, borrowed, to `text`.
    pub(crate) fn push_value(&mut self, text: &mut String, value: &'a AttributeValue) {
        self.push_value_of(text, Cow::Borrowed(value));
    }

    /// Appends the placeholder of a value of its own to `text`.
    pub(crate) fn push_owned_value(&mut self, text: &mut String, value: AttributeValue) {
        self.push_value_of(text, Cow::Owned(value));
    }

    fn push_value_of(&mut self, text: &mut String, value: Cow<'a, AttributeValue>) {
        Placeholder::Value(self.values.len()).push_to(text);
        self.values.push(value);
    }

    /// Adds a raw expression's own placeholders.
    ///
    /// Raw placeholders must not look like generated ones (`#n<digits>`, `:v<digits>`), and a
    /// placeholder two raw expressions share must stand for the same name or value.
    pub(crate) fn add_raw(
        &mut self,
        names: &'a HashMap<String, String>,
        values: &'a HashMap<String, AttributeValue>,
    ) -> Result<(), String> {
        for (placeholder, name) in names {
            if !placeholder.starts_with('#') || is_generated(placeholder, '#', 'n') {
                return Err(format!(
                    "raw name placeholder {placeholder:?} must start with `#` and not be `#n<number>`"
                ));
            }
            match self.raw_names.iter().find(|(p, _)| p == placeholder) {
                Some((_, known)) if known == name => {}
                Some((_, known)) => {
                    return Err(format!(
                        "raw name placeholder {placeholder:?} stands for both {known:?} and {name:?}"
                    ));
                }
                None => self
                    .raw_names
                    .push((Cow::Borrowed(placeholder), Cow::Borrowed(name))),
            }
        }
        for (placeholder, value) in values {
            if !placeholder.starts_with(':') || is_generated(placeholder, ':', 'v') {
                return Err(format!(
                    "raw value placeholder {placeholder:?} must start with `:` and not be `:v<number>`"
                ));
            }
            match self.raw_values.iter().find(|(p, _)| p == placeholder) {
                Some((_, known)) if known.as_ref() == value => {}
                Some(_) => {
                    return Err(format!(
                        "raw value placeholder {placeholder:?} stands for two different values"
                    ));
                }
                None => self
                    .raw_values
                    .push((Cow::Borrowed(placeholder), Cow::Borrowed(value))),
            }
        }
        Ok(())
    }

    /// Whether the expressions named any attribute.
    pub(crate) fn has_names(&self) -> bool {
        !self.names.is_empty() || !self.raw_names.is_empty()
    }

    /// Whether the expressions used any value.
    pub(crate) fn has_values(&self) -> bool {
        !self.values.is_empty() || !self.raw_values.is_empty()
    }

    /// Each name placeholder with the attribute name it stands for: the generated ones in
    /// order, then the raw ones.
    pub(crate) fn each_name(&self) -> impl Iterator<Item = (Placeholder<'_>, &str)> {
        let generated = self.names.iter().enumerate();
        let generated = generated.map(|(n, name)| (Placeholder::Name(n), name.as_ref()));
        let raw = self.raw_names.iter();
        generated.chain(raw.map(|(p, name)| (Placeholder::Raw(p.as_ref()), name.as_ref())))
    }

    /// Each value placeholder with the value it stands for: the generated ones in order, then
    /// the raw ones.
    pub(crate) fn each_value(&self) -> impl Iterator<Item = (Placeholder<'_>, &AttributeValue)> {
        let generated = self.values.iter().enumerate();
        let generated = generated.map(|(n, value)| (Placeholder::Value(n), value.as_ref()));
        let raw = self.raw_values.iter();
        generated.chain(raw.map(|(p, value)| (Placeholder::Raw(p.as_ref()), value.as_ref())))
    }

    /// The `ExpressionAttributeNames` as the SDK takes them, or `None` when empty (DynamoDB
    /// rejects empty maps).
    pub(crate) fn names(&self) -> Option<Names> {
        self.has_names().then(|| {
            self.each_name()
                .map(|(p, name)| (p.text(), name.to_owned()))
                .collect()
        })
    }

    /// The `ExpressionAttributeValues` as the SDK takes them, or `None` when empty.
    pub(crate) fn values(&self) -> Option<Values> {
        self.has_values().then(|| {
            self.each_value()
                .map(|(p, value)| (p.text(), value.clone()))
                .collect()
        })
    }

    /// The bytes the names and values add to a request.
    pub(crate) fn size(&self) -> usize {
        let names: usize = self.each_name().map(|(p, n)| p.len() + n.len()).sum();
        let values: usize = self
            .each_value()
            .map(|(p, v)| p.len() + crate::item_size::value_size(v))
            .sum();
        names + values
    }

    /// The same placeholders with copies of what they borrowed, to keep beyond it (a scan's
    /// filter, sent with every page).
    pub(crate) fn into_owned(self) -> Placeholders<'static> {
        let owned = |text: Cow<'a, str>| Cow::Owned(text.into_owned());
        let owned_value = |value: Cow<'a, AttributeValue>| Cow::Owned(value.into_owned());
        Placeholders {
            names: self.names.into_iter().map(owned).collect(),
            values: self.values.into_iter().map(owned_value).collect(),
            raw_names: (self.raw_names.into_iter())
                .map(|(p, name)| (owned(p), owned(name)))
                .collect(),
            raw_values: (self.raw_values.into_iter())
                .map(|(p, value)| (owned(p), owned_value(value)))
                .collect(),
            index: self.index,
        }
    }
}

fn is_generated(placeholder: &str, sigil: char, letter: char) -> bool {
    let mut chars = placeholder.chars();
    chars.next() == Some(sigil) && chars.next() == Some(letter) && {
        let rest = chars.as_str();
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
    }
}

/// The `ProjectionExpression` reading `names` (key attributes first, then a projection's),
/// rendered into `p`; each name once, since DynamoDB refuses a path named twice.
pub(crate) fn projection_expression<'n>(
    names: impl IntoIterator<Item = &'n str>,
    p: &mut Placeholders<'n>,
) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    for name in names {
        if !distinct.contains(&name) {
            distinct.push(name);
        }
    }
    distinct
        .into_iter()
        .map(|name| p.name(name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared_and_values_are_not() {
        let mut p = Placeholders::default();
        assert_eq!(p.name("a"), "#n0");
        assert_eq!(p.name("b"), "#n1");
        assert_eq!(p.name("a"), "#n0");
        assert_eq!(p.value(AttributeValue::Bool(true)), ":v0");
        assert_eq!(p.value(AttributeValue::Bool(true)), ":v1");
    }

    #[test]
    fn names_past_the_index_threshold_are_still_shared() {
        let names: Vec<String> = (0..NAMES_BEFORE_INDEX * 3)
            .map(|i| format!("a{i}"))
            .collect();
        let mut p = Placeholders::default();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(p.name(name), format!("#n{i}"));
        }
        for (i, name) in names.iter().enumerate().rev() {
            assert_eq!(p.name(name), format!("#n{i}"));
        }
        assert_eq!(p.names().unwrap().len(), names.len());
    }

    #[test]
    fn raw_placeholders_cannot_collide_with_generated_ones() {
        let mut p = Placeholders::default();
        let names = HashMap::from([("#n0".to_owned(), "x".to_owned())]);
        let none = HashMap::new();
        assert!(p.add_raw(&names, &none).is_err());
        let names = HashMap::from([("#name".to_owned(), "x".to_owned())]);
        assert!(p.add_raw(&names, &none).is_ok());
    }

    #[test]
    fn a_raw_placeholder_given_twice_must_mean_one_thing() {
        let mut p = Placeholders::default();
        let x = HashMap::from([("#a".to_owned(), "x".to_owned())]);
        let y = HashMap::from([("#a".to_owned(), "y".to_owned())]);
        let one = HashMap::from([(":a".to_owned(), AttributeValue::N("1".into()))]);
        let two = HashMap::from([(":a".to_owned(), AttributeValue::N("2".into()))]);
        let (no_names, no_values) = (HashMap::new(), HashMap::new());
        assert!(p.add_raw(&x, &one).is_ok());
        assert!(
            p.add_raw(&x, &one).is_ok(),
            "the same meaning twice is one placeholder"
        );
        assert!(
            p.add_raw(&y, &no_values)
                .unwrap_err()
                .contains("\"x\" and \"y\"")
        );
        assert!(
            p.add_raw(&no_names, &two)
                .unwrap_err()
                .contains("two different values")
        );
        assert_eq!(p.names().unwrap().len(), 1);
        assert_eq!(p.values().unwrap().len(), 1);
    }

    #[test]
    fn the_maps_and_the_size_hold_generated_and_raw_placeholders() {
        let mut p = Placeholders::default();
        let value = AttributeValue::S("v".into());
        let mut text = String::new();
        p.push_name(&mut text, "abc");
        p.push_value(&mut text, &value);
        assert_eq!(text, "#n0:v0");
        let names = HashMap::from([("#raw".to_owned(), "de".to_owned())]);
        let values = HashMap::from([(":raw".to_owned(), AttributeValue::Bool(true))]);
        p.add_raw(&names, &values).unwrap();
        let all_names = p.names().unwrap();
        assert_eq!(all_names["#n0"], "abc");
        assert_eq!(all_names["#raw"], "de");
        let all_values = p.values().unwrap();
        assert_eq!(all_values[":v0"], value);
        assert_eq!(all_values[":raw"], AttributeValue::Bool(true));
        let value_sizes = crate::item_size::value_size(&value)
            + crate::item_size::value_size(&AttributeValue::Bool(true));
        assert_eq!(
            p.size(),
            "#n0abc".len() + "#rawde".len() + ":v0".len() + ":raw".len() + value_sizes
        );
        let owned = p.into_owned();
        assert_eq!(owned.names().unwrap(), all_names);
        assert_eq!(owned.values().unwrap(), all_values);
    }

    #[test]
    fn empty_placeholders_send_no_maps() {
        let p = Placeholders::default();
        assert!(!p.has_names() && !p.has_values());
        assert_eq!(p.names(), None);
        assert_eq!(p.values(), None);
    }
}
