//! The compile-time checks of `#[collection]`: evaluated in a constant the macro generates, so a
//! collection whose members do not share a partition does not compile, and the error names both
//! templates.

use crate::schema::EntitySchema;
use crate::template::{KeyTemplate, Segment};

/// The longest message the checks write; longer ones are cut.
const MESSAGE_LENGTH: usize = 512;

/// Panics (at compile time, in the constant the macro generates) unless every member of
/// collection `name` declares the index `index` (when given), and the members' partition key
/// templates (of the table, or of that index) have the same shape: the same literal text, and
/// placeholders in the same places.
pub const fn assert_shared_partition(name: &str, members: &[&EntitySchema], index: Option<&str>) {
    let Some(first) = members.first() else {
        return;
    };
    let Some(first_template) = partition_template(first, index) else {
        missing_index(name, first, index);
    };
    let mut i = 1;
    while i < members.len() {
        let member = members[i];
        let Some(template) = partition_template(member, index) else {
            missing_index(name, member, index);
        };
        if !same_shape(&first_template, &template) {
            let message = Message::new()
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
                .push("\"); the members of a collection share one partition");
            fail(&message);
        }
        i += 1;
    }
}

/// The partition key template of `schema`'s table key, or of its index `index`.
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

const fn missing_index(name: &str, member: &EntitySchema, index: Option<&str>) -> ! {
    let index = match index {
        Some(index) => index,
        None => "",
    };
    let message = Message::new()
        .push("collection `")
        .push(name)
        .push("` reads the index \"")
        .push(index)
        .push("\", which `")
        .push(member.name)
        .push("` does not declare");
    fail(&message)
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
struct Message {
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

/// Fails the compile-time evaluation with `message`: called only from the constant the macro
/// generates, so this panic is a compile error, never a run-time one.
#[allow(
    clippy::panic,
    reason = "const evaluation: a panic here is how a constant reports a compile error"
)]
const fn fail(message: &Message) -> ! {
    let (text, _) = message.bytes.split_at(message.len);
    match core::str::from_utf8(text) {
        Ok(text) => panic!("{}", text),
        // Cut inside a character: say what can be said.
        Err(_) => panic!("the members of a collection share one partition"),
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
