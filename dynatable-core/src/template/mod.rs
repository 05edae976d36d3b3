//! Key templates such as `USER#{user_id}`: rendering keys, parsing them back, and whether two
//! templates can render the same key.

use serde::Serialize;

use crate::error::KeyError;

mod overlap;
mod segment;

pub use segment::Segment;

/// A key template such as `USER#{user_id}`: literal text and `{field}` placeholders.
///
/// `#[entity]` parses and checks templates at compile time; at run time they render keys, give
/// the constant prefix for `begins_with` conditions, and parse keys back into field values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyTemplate {
    /// The template as written.
    pub source: &'static str,
    /// The parsed template: literals and placeholders, never two placeholders in a row.
    pub segments: &'static [Segment],
}

impl KeyTemplate {
    /// The literal text before the first placeholder: every key the template renders starts
    /// with it. The whole key when the template has no placeholder.
    ///
    /// ```
    /// use dynatable_core::{KeyTemplate, Segment};
    /// const T: KeyTemplate = KeyTemplate {
    ///     source: "PHOTO#{photo_id}",
    ///     segments: &[Segment::Literal("PHOTO#"), Segment::Field("photo_id")],
    /// };
    /// assert_eq!(T.prefix(), "PHOTO#");
    /// ```
    pub const fn prefix(&self) -> &'static str {
        match self.segments.first() {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }

    /// Whether the template has no placeholder (every item of the entity has the same value).
    pub fn is_constant(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// The fields named by the placeholders, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Field(f) => Some(*f),
            Segment::Literal(_) => None,
        })
    }

    /// Renders the template with one value per placeholder, in order.
    ///
    /// # Errors
    /// [`KeyError::WrongValueCount`] when `values` has not one value per placeholder.
    pub fn render(&self, values: &[&str]) -> Result<String, KeyError> {
        let expected = self.fields().count();
        if values.len() != expected {
            return Err(KeyError::WrongValueCount {
                template: self.source,
                expected,
                found: values.len(),
            });
        }
        let mut out = String::new();
        let mut values = values.iter();
        for segment in self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Field(_) => out.push_str(values.next().copied().unwrap_or_default()),
            }
        }
        Ok(out)
    }

    /// Splits a rendered key back into its placeholder values, in order.
    ///
    /// A placeholder ends at the first occurrence of the literal text that follows it, so a value
    /// that itself contains that text (other than in the last placeholder) cannot be recovered:
    /// keep separators out of key values.
    ///
    /// ```
    /// use dynatable_core::{KeyTemplate, Segment};
    /// const T: KeyTemplate = KeyTemplate {
    ///     source: "PHOTO#{ts}#{photo_id}",
    ///     segments: &[
    ///         Segment::Literal("PHOTO#"),
    ///         Segment::Field("ts"),
    ///         Segment::Literal("#"),
    ///         Segment::Field("photo_id"),
    ///     ],
    /// };
    /// assert_eq!(T.parse("PHOTO#1700000000000#p1").unwrap(), ["1700000000000", "p1"]);
    /// assert!(T.parse("NOTIFICATION#n1").is_err());
    /// ```
    ///
    /// # Errors
    /// [`KeyError::Mismatch`] when the key does not have the template's shape.
    pub fn parse<'k>(&self, key: &'k str) -> Result<Vec<&'k str>, KeyError> {
        let mismatch = || KeyError::Mismatch {
            template: self.source,
            key: key.to_owned(),
        };
        let mut rest = key;
        let mut values = Vec::new();
        let mut segments = self.segments.iter().peekable();
        while let Some(segment) = segments.next() {
            match segment {
                Segment::Literal(text) => {
                    rest = rest.strip_prefix(text).ok_or_else(mismatch)?;
                }
                Segment::Field(_) => {
                    let end = match segments.peek() {
                        Some(Segment::Literal(next)) => rest.find(next).ok_or_else(mismatch)?,
                        _ => rest.len(),
                    };
                    if end == 0 {
                        return Err(mismatch());
                    }
                    values.push(&rest[..end]);
                    rest = &rest[end..];
                }
            }
        }
        if rest.is_empty() {
            Ok(values)
        } else {
            Err(mismatch())
        }
    }

    /// Whether some key could be rendered by both templates (placeholders stand for any
    /// non-empty text). Two entities whose partition and sort key templates both overlap could
    /// write the same key, so one could overwrite or be read as the other.
    ///
    /// ```
    /// use dynatable_core::{KeyTemplate, Segment};
    /// const USER: KeyTemplate = KeyTemplate {
    ///     source: "USER#{id}",
    ///     segments: &[Segment::Literal("USER#"), Segment::Field("id")],
    /// };
    /// const ADMIN: KeyTemplate = KeyTemplate {
    ///     source: "USER#{id}#ADMIN",
    ///     segments: &[Segment::Literal("USER#"), Segment::Field("id"), Segment::Literal("#ADMIN")],
    /// };
    /// const PHOTO: KeyTemplate = KeyTemplate {
    ///     source: "PHOTO#{id}",
    ///     segments: &[Segment::Literal("PHOTO#"), Segment::Field("id")],
    /// };
    /// assert!(USER.overlaps(&ADMIN)); // "USER#x#ADMIN" fits both
    /// assert!(!USER.overlaps(&PHOTO));
    /// ```
    pub fn overlaps(&self, other: &KeyTemplate) -> bool {
        overlap::templates_overlap(self.segments, other.segments)
    }
}
