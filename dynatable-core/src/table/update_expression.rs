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

    pub(crate) fn render(&self, p: &mut Placeholders) -> std::result::Result<String, String> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.actions.is_empty() {
            return Err("an update needs at least one action".to_owned());
        }
        let (mut set, mut remove, mut add) = (Vec::new(), Vec::new(), Vec::new());
        for (attribute, action) in &self.actions {
            let name = p.name(attribute);
            match action {
                Action::Set(v) => set.push(format!("{name} = {}", p.value(v.clone()))),
                Action::SetIfNotExists(v) => {
                    set.push(format!(
                        "{name} = if_not_exists({name}, {})",
                        p.value(v.clone())
                    ));
                }
                Action::Append(v) => {
                    let empty = p.value(AttributeValue::L(Vec::new()));
                    set.push(format!(
                        "{name} = list_append(if_not_exists({name}, {empty}), {})",
                        p.value(v.clone())
                    ));
                }
                Action::Remove => remove.push(name),
                Action::Add(v) => add.push(format!("{name} {}", p.value(v.clone()))),
            }
        }
        let mut clauses = Vec::new();
        for (keyword, parts) in [("SET", set), ("REMOVE", remove), ("ADD", add)] {
            if !parts.is_empty() {
                clauses.push(format!("{keyword} {}", parts.join(", ")));
            }
        }
        Ok(clauses.join(" "))
    }

    /// The request's condition: the caller's, AND-ed with `attribute_exists(PK)` unless upserting.
    pub(crate) fn condition(&self, condition: Option<Condition<()>>) -> Option<Condition<()>> {
        if self.upsert {
            return condition;
        }
        let exists = Condition::attribute_exists(PARTITION_KEY_ATTRIBUTE);
        Some(match condition {
            Some(c) => exists.and(c),
            None => exists,
        })
    }
}
