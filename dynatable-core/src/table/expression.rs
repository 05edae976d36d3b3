//! Expression text with generated placeholders: no name or value is ever spliced into it.

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

/// The names and values an expression refers to, under placeholders `#n0`, `:v0`, ...
#[derive(Debug, Default, Clone)]
pub(crate) struct Placeholders {
    names: HashMap<String, String>,
    by_name: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    /// The placeholder of an attribute name (one per distinct name).
    pub(crate) fn name(&mut self, name: &str) -> String {
        let mut placeholder = String::with_capacity(4);
        self.push_name(&mut placeholder, name);
        placeholder
    }

    /// Appends the placeholder of an attribute name (one per distinct name) to `text`.
    pub(crate) fn push_name(&mut self, text: &mut String, name: &str) {
        if let Some(placeholder) = self.by_name.get(name) {
            text.push_str(placeholder);
            return;
        }
        let placeholder = numbered("#n", self.names.len());
        text.push_str(&placeholder);
        self.names.insert(placeholder.clone(), name.to_owned());
        self.by_name.insert(name.to_owned(), placeholder);
    }

    /// The placeholder of a value.
    pub(crate) fn value(&mut self, value: AttributeValue) -> String {
        let mut placeholder = String::with_capacity(4);
        self.push_value(&mut placeholder, value);
        placeholder
    }

    /// Appends the placeholder of a value to `text`.
    pub(crate) fn push_value(&mut self, text: &mut String, value: AttributeValue) {
        let placeholder = numbered(":v", self.values.len());
        text.push_str(&placeholder);
        self.values.insert(placeholder, value);
    }

    /// Adds a raw expression's own placeholders.
    ///
    /// Raw placeholders must not look like generated ones (`#n<digits>`, `:v<digits>`).
    pub(crate) fn add_raw(
        &mut self,
        names: &HashMap<String, String>,
        values: &HashMap<String, AttributeValue>,
    ) -> Result<(), String> {
        for (placeholder, name) in names {
            if !placeholder.starts_with('#') || is_generated(placeholder, '#', 'n') {
                return Err(format!(
                    "raw name placeholder {placeholder:?} must start with `#` and not be `#n<number>`"
                ));
            }
            self.names.insert(placeholder.clone(), name.clone());
        }
        for (placeholder, value) in values {
            if !placeholder.starts_with(':') || is_generated(placeholder, ':', 'v') {
                return Err(format!(
                    "raw value placeholder {placeholder:?} must start with `:` and not be `:v<number>`"
                ));
            }
            self.values.insert(placeholder.clone(), value.clone());
        }
        Ok(())
    }

    /// The `ExpressionAttributeNames`, by reference.
    pub(crate) fn names_ref(&self) -> &Names {
        &self.names
    }

    /// The `ExpressionAttributeValues`, by reference.
    pub(crate) fn values_ref(&self) -> &Values {
        &self.values
    }

    /// The `ExpressionAttributeNames`, or `None` when empty (DynamoDB rejects empty maps).
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The `ExpressionAttributeValues`, or `None` when empty.
    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// The bytes the names and values add to a request.
    pub(crate) fn size(&self) -> usize {
        let names: usize = self.names.iter().map(|(p, n)| p.len() + n.len()).sum();
        let values: usize = self
            .values
            .iter()
            .map(|(p, v)| p.len() + crate::item_size::value_size(v))
            .sum();
        names + values
    }

    /// Both maps, consumed.
    pub(crate) fn into_maps(self) -> (Option<Names>, Option<Values>) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}

/// `prefix` followed by `n`: `#n0`, `:v12`.
fn numbered(prefix: &str, n: usize) -> String {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    let mut text = String::with_capacity(prefix.len() + digits.len());
    text.push_str(prefix);
    text.push_str(digits);
    text
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
    p: &mut Placeholders,
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
    fn raw_placeholders_cannot_collide_with_generated_ones() {
        let mut p = Placeholders::default();
        let names = HashMap::from([("#n0".to_owned(), "x".to_owned())]);
        assert!(p.add_raw(&names, &HashMap::new()).is_err());
        let names = HashMap::from([("#name".to_owned(), "x".to_owned())]);
        assert!(p.add_raw(&names, &HashMap::new()).is_ok());
    }
}
