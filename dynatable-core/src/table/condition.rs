//! Typed conditions on an entity's attributes, for conditional writes, transactions and filters.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use super::expression::Placeholders;
use super::value::IntoValue;
use crate::codec::AttributeCodec;
use crate::error::ValueError;
use crate::field::Field;

/// A condition on an item of entity `E`, for conditional writes, transactions and filters.
///
/// Built from typed fields, so a comparison with a value of the wrong type does not compile;
/// combined with [`and`](Self::and), [`or`](Self::or) and [`not`](Self::not). Names and values
/// always go through generated placeholders.
///
/// ```
/// use dynatable_core::{entity, Condition};
///
/// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
/// pub struct User {
///     pub user_id: String,
///     pub username: String,
///     pub logins: u32,
///     pub nickname: Option<String>,
/// }
///
/// let f = User::fields();
/// let c: Condition<User> = f.logins.between(1, 10).and(f.username.begins_with("a").or(f.nickname.not_exists()));
/// ```
#[derive(Debug, Clone)]
pub struct Condition<E> {
    node: Node,
    marker: PhantomData<fn() -> E>,
}

type Encoded = Result<AttributeValue, ValueError>;

#[derive(Debug, Clone)]
enum Node {
    Exists(String),
    NotExists(String),
    Compare {
        name: String,
        op: &'static str,
        value: Encoded,
    },
    BeginsWith {
        name: String,
        prefix: String,
    },
    Between {
        name: String,
        low: Encoded,
        high: Encoded,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    /// The item exists, every attribute of `item` but its key holds exactly the value it has
    /// in `item` (shared with the snapshot it was read into, not copied), and none of `absent`
    /// exists.
    Unchanged {
        item: Arc<crate::codec::Item>,
        absent: Vec<String>,
    },
    Raw {
        expression: String,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    },
}

fn encode<T: AttributeCodec>(value: T) -> Encoded {
    value.encode_owned()?.ok_or_else(|| ValueError::NotRepresentable {
        reason: "an absent value (None or an empty set) cannot be compared; use exists()/not_exists()".to_owned(),
    })
}

impl<E> Condition<E> {
    fn new(node: Node) -> Self {
        Self {
            node,
            marker: PhantomData,
        }
    }

    /// Both conditions.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        Self::new(Node::And(Box::new(self.node), Box::new(other.node)))
    }

    /// Either condition.
    #[must_use]
    pub fn or(self, other: Self) -> Self {
        Self::new(Node::Or(Box::new(self.node), Box::new(other.node)))
    }

    /// The opposite condition.
    #[must_use]
    #[allow(clippy::should_implement_trait)] // also a builder step, like `and` and `or`
    pub fn not(self) -> Self {
        Self::new(Node::Not(Box::new(self.node)))
    }

    /// The attribute `name` exists (for attributes no field describes, e.g. `PK`).
    pub fn attribute_exists(name: impl Into<String>) -> Self {
        Self::new(Node::Exists(name.into()))
    }

    /// The attribute `name` does not exist.
    pub fn attribute_not_exists(name: impl Into<String>) -> Self {
        Self::new(Node::NotExists(name.into()))
    }

    /// The attribute `name` starts with `prefix` (for attributes no field describes).
    pub fn attribute_begins_with(name: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self::new(Node::BeginsWith {
            name: name.into(),
            prefix: prefix.into(),
        })
    }

    /// The attribute `name` equals `value` (for attributes no field describes).
    pub fn attribute_equals(name: impl Into<String>, value: AttributeValue) -> Self {
        Self::new(Node::Compare {
            name: name.into(),
            op: "=",
            value: Ok(value),
        })
    }

    /// The item exists, every attribute of `item` but the key holds the value it has in `item`,
    /// and none of the `absent` attributes exists: the item is as it was read (attributes added
    /// since, other than `absent`, are not seen). The key attributes need no comparison: the
    /// write this guards is addressed by them. One node, rendered as one flat conjunction.
    pub(crate) fn unchanged(item: &Arc<crate::codec::Item>, absent: Vec<String>) -> Self {
        Self::new(Node::Unchanged {
            item: Arc::clone(item),
            absent,
        })
    }

    /// A raw condition expression with its own placeholders: names start with `#`, values with
    /// `:`, and neither may look like a generated one (`#n0`, `:v0`). Raw conditions combined
    /// in one request may share a placeholder only for the same name or value; otherwise the
    /// request fails with an expression error before it is sent.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use dynatable_core::Condition;
    /// use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    ///
    /// let c: Condition<()> = Condition::raw(
    ///     "size(#tags) > :min",
    ///     HashMap::from([("#tags".to_string(), "tags".to_string())]),
    ///     HashMap::from([(":min".to_string(), AttributeValue::N("2".into()))]),
    /// );
    /// ```
    pub fn raw(
        expression: impl Into<String>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Self {
        Self::new(Node::Raw {
            expression: expression.into(),
            names,
            values,
        })
    }

    /// The same condition on items of another entity type (for attribute-level conditions).
    pub fn cast<F>(self) -> Condition<F> {
        Condition::new(self.node)
    }

    /// Renders the expression into `placeholders`.
    pub(crate) fn render<'a>(
        &'a self,
        placeholders: &mut Placeholders<'a>,
    ) -> Result<String, String> {
        let mut text = String::with_capacity(64);
        render(&self.node, placeholders, &mut text)?;
        Ok(text)
    }

    /// Renders the expression into `placeholders`, appended to `text`.
    pub(crate) fn render_into<'a>(
        &'a self,
        placeholders: &mut Placeholders<'a>,
        text: &mut String,
    ) -> Result<(), String> {
        render(&self.node, placeholders, text)
    }
}

/// Whether `name` is one of the key attributes, which a write addressed by them need not compare.
fn is_key(name: &str) -> bool {
    name == crate::key::PARTITION_KEY_ATTRIBUTE || name == crate::key::SORT_KEY_ATTRIBUTE
}

/// Appends `node`'s expression to `out`, its names and values as placeholders of `p`.
fn render<'a>(node: &'a Node, p: &mut Placeholders<'a>, out: &mut String) -> Result<(), String> {
    let value = |p: &mut Placeholders<'a>, out: &mut String, v: &'a Encoded| match v {
        Ok(v) => {
            p.push_value(out, v);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    };
    match node {
        Node::Exists(name) => push_attribute_function("attribute_exists", name, p, out),
        Node::NotExists(name) => push_attribute_function("attribute_not_exists", name, p, out),
        Node::Compare { name, op, value: v } => {
            p.push_name(out, name);
            out.push(' ');
            out.push_str(op);
            out.push(' ');
            value(p, out, v)?;
        }
        Node::BeginsWith { name, prefix } => {
            out.push_str("begins_with(");
            p.push_name(out, name);
            out.push_str(", ");
            p.push_owned_value(out, AttributeValue::S(prefix.clone()));
            out.push(')');
        }
        Node::Between { name, low, high } => {
            p.push_name(out, name);
            out.push_str(" BETWEEN ");
            value(p, out, low)?;
            out.push_str(" AND ");
            value(p, out, high)?;
        }
        Node::And(a, b) => render_both(a, "AND", b, p, out)?,
        Node::Or(a, b) => render_both(a, "OR", b, p, out)?,
        Node::Not(a) => {
            out.push_str("NOT (");
            render(a, p, out)?;
            out.push(')');
        }
        Node::Unchanged { item, absent } => {
            p.reserve(item.len() + absent.len(), item.len());
            let pk = crate::key::PARTITION_KEY_ATTRIBUTE;
            push_attribute_function("attribute_exists", pk, p, out);
            // In name order, so that the same item always renders the same expression.
            let mut attributes: Vec<(&String, &AttributeValue)> =
                item.iter().filter(|(name, _)| !is_key(name)).collect();
            attributes.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (name, v) in attributes {
                out.push_str(" AND ");
                p.push_name(out, name);
                out.push_str(" = ");
                p.push_value(out, v);
            }
            for name in absent {
                out.push_str(" AND ");
                push_attribute_function("attribute_not_exists", name, p, out);
            }
        }
        Node::Raw {
            expression,
            names,
            values,
        } => {
            p.add_raw(names, values)?;
            out.push_str(expression);
        }
    }
    Ok(())
}

/// Appends `function(#name)` to `out`: `attribute_exists` or `attribute_not_exists` of the
/// attribute `name`, as a placeholder of `p`.
pub(crate) fn push_attribute_function<'a>(
    function: &str,
    name: &'a str,
    p: &mut Placeholders<'a>,
    out: &mut String,
) {
    out.push_str(function);
    out.push('(');
    p.push_name(out, name);
    out.push(')');
}

/// Appends `(a) op (b)` to `out`.
fn render_both<'a>(
    a: &'a Node,
    op: &str,
    b: &'a Node,
    p: &mut Placeholders<'a>,
    out: &mut String,
) -> Result<(), String> {
    out.push('(');
    render(a, p, out)?;
    out.push_str(") ");
    out.push_str(op);
    out.push_str(" (");
    render(b, p, out)?;
    out.push(')');
    Ok(())
}

impl<E, T: AttributeCodec, R> Field<E, T, R> {
    /// The attribute exists.
    pub fn exists(self) -> Condition<E> {
        Condition::new(Node::Exists(self.name().to_owned()))
    }

    /// The attribute does not exist.
    pub fn not_exists(self) -> Condition<E> {
        Condition::new(Node::NotExists(self.name().to_owned()))
    }

    fn compare(self, op: &'static str, value: impl IntoValue<T>) -> Condition<E> {
        Condition::new(Node::Compare {
            name: self.name().to_owned(),
            op,
            value: encode(value.into_value()),
        })
    }

    /// The attribute equals `value`.
    pub fn eq(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare("=", value)
    }

    /// The attribute differs from `value` (or is absent).
    pub fn ne(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare("<>", value)
    }

    /// The attribute is less than `value`.
    pub fn lt(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare("<", value)
    }

    /// The attribute is at most `value`.
    pub fn le(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare("<=", value)
    }

    /// The attribute is greater than `value`.
    pub fn gt(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare(">", value)
    }

    /// The attribute is at least `value`.
    pub fn ge(self, value: impl IntoValue<T>) -> Condition<E> {
        self.compare(">=", value)
    }

    /// The attribute lies between `low` and `high`, both included.
    pub fn between(self, low: impl IntoValue<T>, high: impl IntoValue<T>) -> Condition<E> {
        Condition::new(Node::Between {
            name: self.name().to_owned(),
            low: encode(low.into_value()),
            high: encode(high.into_value()),
        })
    }
}

impl<E, R> Field<E, String, R> {
    /// The attribute starts with `prefix`.
    pub fn begins_with(self, prefix: impl Into<String>) -> Condition<E> {
        Condition::new(Node::BeginsWith {
            name: self.name().to_owned(),
            prefix: prefix.into(),
        })
    }
}

impl<E, R> Field<E, Option<String>, R> {
    /// The attribute starts with `prefix`.
    pub fn begins_with(self, prefix: impl Into<String>) -> Condition<E> {
        Condition::new(Node::BeginsWith {
            name: self.name().to_owned(),
            prefix: prefix.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_conditions_with_placeholders() {
        let c: Condition<()> = Condition::attribute_exists("PK").and(
            Condition::attribute_begins_with("SK", "PHOTO#")
                .or(Condition::attribute_not_exists("x").not()),
        );
        let mut p = Placeholders::default();
        let text = c.render(&mut p).unwrap();
        assert_eq!(
            text,
            "(attribute_exists(#n0)) AND ((begins_with(#n1, :v0)) OR (NOT (attribute_not_exists(#n2))))"
        );
        assert_eq!(p.names().unwrap()["#n1"], "SK");
        assert_eq!(
            p.values().unwrap()[":v0"],
            AttributeValue::S("PHOTO#".into())
        );
    }

    #[test]
    fn raw_conditions_sharing_a_placeholder_must_agree_on_it() {
        let raw = |name: &str| {
            Condition::<()>::raw(
                "attribute_exists(#a)",
                HashMap::from([("#a".to_owned(), name.to_owned())]),
                HashMap::new(),
            )
        };
        let same = raw("x").and(raw("x")).render(&mut Placeholders::default());
        assert_eq!(
            same.unwrap(),
            "(attribute_exists(#a)) AND (attribute_exists(#a))"
        );
        let error = raw("x")
            .and(raw("y"))
            .render(&mut Placeholders::default())
            .unwrap_err();
        assert!(
            error.contains("\"#a\" stands for both \"x\" and \"y\""),
            "{error}"
        );
    }

    #[test]
    fn an_unchanged_item_is_one_flat_conjunction_without_its_key() {
        let item = Arc::new(crate::codec::Item::from([
            ("PK".to_owned(), AttributeValue::S("U#1".into())),
            ("SK".to_owned(), AttributeValue::S("P".into())),
            ("b".to_owned(), AttributeValue::N("2".into())),
            ("a".to_owned(), AttributeValue::S("x".into())),
        ]));
        let c: Condition<()> = Condition::unchanged(&item, vec!["c".to_owned()]);
        let mut p = Placeholders::default();
        let text = c.render(&mut p).unwrap();
        assert_eq!(
            text,
            "attribute_exists(#n0) AND #n1 = :v0 AND #n2 = :v1 AND attribute_not_exists(#n3)"
        );
        let names = p.names().unwrap();
        assert_eq!(
            [&names["#n0"], &names["#n1"], &names["#n2"], &names["#n3"]],
            ["PK", "a", "b", "c"]
        );
        assert_eq!(p.values().unwrap()[":v1"], AttributeValue::N("2".into()));
        let key_only = Arc::new(crate::codec::Item::from([(
            "PK".to_owned(),
            AttributeValue::S("U#1".into()),
        )]));
        let text = Condition::<()>::unchanged(&key_only, Vec::new())
            .render(&mut Placeholders::default())
            .unwrap();
        assert_eq!(text, "attribute_exists(#n0)");
    }
}
