//! The actions of an `UpdateItem` (set, remove, add, append) and their rendering as one update
//! expression, shared by the typed [`Update`](super::update::Update) builder and [`Write`](super::write::Write).

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::Condition;
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
        // Each clause's actions, `, `-separated, then the clauses in this order.
        let (mut set, mut remove, mut add) = (String::new(), String::new(), String::new());
        for (attribute, action) in &self.actions {
            let clause = match action {
                Action::Set(_) | Action::SetIfNotExists(_) | Action::Append(_) => &mut set,
                Action::Remove => &mut remove,
                Action::Add(_) => &mut add,
            };
            if !clause.is_empty() {
                clause.push_str(", ");
            }
            p.push_name(clause, attribute);
            match action {
                Action::Set(v) => {
                    clause.push_str(" = ");
                    p.push_value(clause, v);
                }
                Action::SetIfNotExists(v) => {
                    clause.push_str(" = if_not_exists(");
                    p.push_name(clause, attribute);
                    clause.push_str(", ");
                    p.push_value(clause, v);
                    clause.push(')');
                }
                Action::Append(v) => {
                    clause.push_str(" = list_append(if_not_exists(");
                    p.push_name(clause, attribute);
                    clause.push_str(", ");
                    p.push_owned_value(clause, AttributeValue::L(Vec::new()));
                    clause.push_str("), ");
                    p.push_value(clause, v);
                    clause.push(')');
                }
                Action::Remove => {}
                Action::Add(v) => {
                    clause.push(' ');
                    p.push_value(clause, v);
                }
            }
        }
        let mut text = String::with_capacity(set.len() + remove.len() + add.len() + 20);
        for (keyword, actions) in [("SET ", set), ("REMOVE ", remove), ("ADD ", add)] {
            if !actions.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(keyword);
                text.push_str(&actions);
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
        text.push_str("attribute_exists(");
        p.push_name(&mut text, PARTITION_KEY_ATTRIBUTE);
        text.push(')');
        if let Some(condition) = condition {
            // `exists AND (condition)`, rendered without copying the caller's condition.
            text.push_str(") AND (");
            condition.render_into(p, &mut text)?;
            text.push(')');
        }
        Ok(Some(text))
    }
}
