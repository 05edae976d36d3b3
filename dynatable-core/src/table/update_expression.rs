//! The actions of an `UpdateItem` (set, remove, add, append) and their rendering as one update
//! expression, shared by the typed [`Update`](super::update::Update) builder and [`Write`](super::write::Write).

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::{Condition, push_attribute_function};
use super::expression::Placeholders;
use crate::key::PARTITION_KEY_ATTRIBUTE;

/// The actions of one update, by attribute, and the first error met while adding them.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpdateParts {
    actions: Vec<(String, Action)>,
    pub(super) upsert: bool,
    error: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Action {
    Set(AttributeValue),
    SetIfNotExists(AttributeValue),
    Append(AttributeValue),
    Remove,
    Add(AttributeValue),
}

/// The clause of an update expression an action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Set,
    Remove,
    Add,
}

impl Action {
    fn clause(&self) -> Clause {
        match self {
            Self::Set(_) | Self::SetIfNotExists(_) | Self::Append(_) => Clause::Set,
            Self::Remove => Clause::Remove,
            Self::Add(_) => Clause::Add,
        }
    }
}

/// Appends one action on `attribute` to `out`, its name and values as placeholders of `p`.
fn render_action<'a>(
    attribute: &'a str,
    action: &'a Action,
    p: &mut Placeholders<'a>,
    out: &mut String,
) {
    p.push_name(out, attribute);
    match action {
        Action::Set(v) => {
            out.push_str(" = ");
            p.push_value(out, v);
        }
        Action::SetIfNotExists(v) => {
            out.push_str(" = if_not_exists(");
            p.push_name(out, attribute);
            out.push_str(", ");
            p.push_value(out, v);
            out.push(')');
        }
        Action::Append(v) => {
            out.push_str(" = list_append(if_not_exists(");
            p.push_name(out, attribute);
            out.push_str(", ");
            p.push_owned_value(out, AttributeValue::L(Vec::new()));
            out.push_str("), ");
            p.push_value(out, v);
            out.push(')');
        }
        Action::Remove => {}
        Action::Add(v) => {
            out.push(' ');
            p.push_value(out, v);
        }
    }
}

impl UpdateParts {
    pub(super) fn push(&mut self, attribute: &str, action: Action) {
        // A later action on the same attribute replaces the earlier one (DynamoDB rejects two).
        self.actions.retain(|(name, _)| name != attribute);
        self.actions.push((attribute.to_owned(), action));
    }

    pub(super) fn fail(&mut self, attribute: &str, error: impl std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(format!("attribute `{attribute}`: {error}"));
        }
    }

    /// The names of the attributes the update sets, removes or adds to.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(|(name, _)| name.as_str())
    }

    pub(crate) fn render<'a>(
        &'a self,
        p: &mut Placeholders<'a>,
    ) -> std::result::Result<String, String> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.actions.is_empty() {
            return Err("an update needs at least one action".to_owned());
        }
        // The clauses in this order, each its actions `, `-separated, written straight into
        // the one expression.
        let mut text = String::with_capacity(24 * self.actions.len() + 16);
        for (keyword, clause) in [
            ("SET ", Clause::Set),
            ("REMOVE ", Clause::Remove),
            ("ADD ", Clause::Add),
        ] {
            let mut first = true;
            for (attribute, action) in self.actions.iter().filter(|(_, a)| a.clause() == clause) {
                if first {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(keyword);
                    first = false;
                } else {
                    text.push_str(", ");
                }
                render_action(attribute, action, p, &mut text);
            }
        }
        Ok(text)
    }

    /// The request's condition rendered into `p`: the caller's `condition`, AND-ed with
    /// `attribute_exists(PK)` unless upserting; `None` when there is none.
    pub(crate) fn render_condition<'a>(
        &self,
        condition: Option<&'a Condition<()>>,
        p: &mut Placeholders<'a>,
    ) -> std::result::Result<Option<String>, String> {
        if self.upsert {
            return condition.map(|c| c.render(p)).transpose();
        }
        let mut text = String::with_capacity(128);
        if condition.is_some() {
            text.push('(');
        }
        push_attribute_function("attribute_exists", PARTITION_KEY_ATTRIBUTE, p, &mut text);
        if let Some(condition) = condition {
            // `exists AND (condition)`, rendered without copying the caller's condition.
            text.push_str(") AND (");
            condition.render_into(p, &mut text)?;
            text.push(')');
        }
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_render_by_clause_each_name_once() {
        let mut parts = UpdateParts::default();
        parts.push("gone", Action::Remove);
        parts.push("count", Action::Add(AttributeValue::N("1".into())));
        parts.push("name", Action::Set(AttributeValue::S("a".into())));
        parts.push("tags", Action::Append(AttributeValue::L(Vec::new())));
        parts.push(
            "born",
            Action::SetIfNotExists(AttributeValue::N("7".into())),
        );
        parts.push("name", Action::Set(AttributeValue::S("b".into())));
        let mut p = Placeholders::default();
        let text = parts.render(&mut p).unwrap();
        assert_eq!(
            text,
            "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1), \
             #n1 = if_not_exists(#n1, :v2), #n2 = :v3 REMOVE #n3 ADD #n4 :v4"
        );
        let names = p.names().unwrap();
        let names: Vec<&str> = (0..5).map(|i| names[&format!("#n{i}")].as_str()).collect();
        assert_eq!(names, ["tags", "born", "name", "gone", "count"]);
        let values = p.values().unwrap();
        assert_eq!(values[":v0"], AttributeValue::L(Vec::new()));
        assert_eq!(
            values[":v3"],
            AttributeValue::S("b".into()),
            "the later set wins"
        );
        assert_eq!(values[":v4"], AttributeValue::N("1".into()));
    }

    #[test]
    fn an_update_without_actions_or_with_a_failed_one_does_not_render() {
        let none = UpdateParts::default();
        assert!(none.render(&mut Placeholders::default()).is_err());
        let mut parts = UpdateParts::default();
        parts.push("a", Action::Remove);
        parts.fail("b", "not representable");
        let error = parts.render(&mut Placeholders::default()).unwrap_err();
        assert!(error.contains("attribute `b`"), "{error}");
    }
}
