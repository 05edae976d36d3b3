//! One part of a key template: literal text or a placeholder.

use serde::Serialize;

/// One part of a [`KeyTemplate`](super::KeyTemplate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Segment {
    /// Literal text.
    Literal(&'static str),
    /// A placeholder for the named Rust field.
    Field(&'static str),
}
