//! The compile-time checks of `#[collection]`: evaluated in a constant the macro generates for
//! each member, spanned at its variant, so a collection whose members do not share a partition
//! does not compile, and the error names both templates.

use crate::schema::EntitySchema;
use crate::template::{KeyTemplate, Segment};

/// The longest message the checks write; longer ones are cut.
const MESSAGE_LENGTH: usize = 512;

/// What is wrong with member number `at` of the collection `name`, if anything: its partition
/// key template (of `index`, when the collection reads one) has another shape than the first
/// member's, or it does not declare `index`. `#[collection]` evaluates it for each member in a
/// constant spanned at the member's variant, so that a mismatch is a compile error there.
pub const fn member_problem(
    name: &str,
    members: &[&EntitySchema],
    index: Option<&str>,
    at: usize,
) -> Option<Message> {
    if at >= members.len() {
        return None;
    }
    let member = members[at];
    let Some(template) = partition_template(member, index) else {
        return Some(missing_index(name, member, index));
    };
    let first = members[0];
    let Some(first_template) = partition_template(first, index) else {
        // Reported at the first member.
        return None;
    };
    if same_shape(&first_template, &template) {
        return None;
    }
    Some(
        Message::new()
            .push("collection `")
            .push(name)
            .push("`: the partition key template of `")
            .push(member.name)
            .push("` (\"")
            .push(template.source)
            .push("\") differs from that of `")
            .push(first.name)
            .push("` (\"")
            .push(first_template.source)
            .push("\"); the members of a collection share one partition"),
    )
}

const fn partition_template(schema: &EntitySchema, index: Option<&str>) -> Option<KeyTemplate> {
    let Some(index) = index else {
        return Some(schema.key.pk);
    };
    let mut i = 0;
    while i < schema.indexes.len() {
        if str_eq(schema.indexes[i].name, index) {
            return Some(schema.indexes[i].pk);
        }
        i += 1;
    }
    None
}

const fn missing_index(name: &str, member: &EntitySchema, index: Option<&str>) -> Message {
    let index = match index {
        Some(index) => index,
        None => "",
    };
    Message::new()
        .push("collection `")
        .push(name)
        .push("` reads the index \"")
        .push(index)
        .push("\", which `")
        .push(member.name)
        .push("` does not declare")
}

/// Same literals in the same places; placeholders may name different fields.
const fn same_shape(a: &KeyTemplate, b: &KeyTemplate) -> bool {
    if a.segments.len() != b.segments.len() {
        return false;
    }
    let mut i = 0;
    while i < a.segments.len() {
        let same = match (&a.segments[i], &b.segments[i]) {
            (Segment::Literal(x), Segment::Literal(y)) => str_eq(x, y),
            (Segment::Field(_), Segment::Field(_)) => true,
            _ => false,
        };
        if !same {
            return false;
        }
        i += 1;
    }
    true
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A message assembled at compile time.
/// A compile-time error message, built in a constant (at most 512 bytes).
#[derive(Debug)]
pub struct Message {
    bytes: [u8; MESSAGE_LENGTH],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Self {
            bytes: [0; MESSAGE_LENGTH],
            len: 0,
        }
    }

    /// The text; cut short of a character split by the length limit.
    pub const fn as_str(&self) -> &str {
        let (mut text, _) = self.bytes.split_at(self.len);
        loop {
            match core::str::from_utf8(text) {
                Ok(text) => return text,
                Err(e) => text = text.split_at(e.valid_up_to()).0,
            }
        }
    }

    const fn push(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < MESSAGE_LENGTH {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn template(source: &'static str, segments: &'static [Segment]) -> KeyTemplate {
        KeyTemplate { source, segments }
    }

    #[test]
    fn shapes_compare_literals_not_field_names() {
        let user = template(
            "USER#{user_id}",
            &[Segment::Literal("USER#"), Segment::Field("user_id")],
        );
        let owner = template(
            "USER#{owner}",
            &[Segment::Literal("USER#"), Segment::Field("owner")],
        );
        let account = template(
            "ACCOUNT#{id}",
            &[Segment::Literal("ACCOUNT#"), Segment::Field("id")],
        );
        assert!(same_shape(&user, &owner));
        assert!(!same_shape(&user, &account));
        assert!(str_eq("GSI1", "GSI1") && !str_eq("GSI1", "GSI2"));
    }
}
