use aws_sdk_dynamodb::types::AttributeValue;

use crate::codec::Item;

/// Where a query or scan stopped: DynamoDB's `LastEvaluatedKey`. Start a read from it to resume.
///
/// It converts to and from a map attribute value, so it can be stored in the table itself (the
/// migration runner checkpoints it in its ledger).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Item);

impl Cursor {
    /// The cursor as a map attribute value.
    pub fn to_attribute_value(&self) -> AttributeValue {
        AttributeValue::M(self.0.clone())
    }

    /// A cursor stored as a map attribute value.
    pub fn from_attribute_value(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::M(map) => Some(Self(map.clone())),
            _ => None,
        }
    }
}

/// One page of a query or scan.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items (after the entity-type filter).
    pub items: Vec<T>,
    /// Where to resume after this page; `None` on the last page.
    pub cursor: Option<Cursor>,
    /// The scan segment the page comes from (0 for queries and unsegmented scans).
    pub segment: u32,
    /// How many items DynamoDB read for the page, before filters.
    pub scanned: usize,
}

/// Where one segment of a scan stands, for resuming a scan.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentPosition {
    /// Not started.
    Start,
    /// Resume after this cursor.
    After(Cursor),
    /// Finished.
    Done,
}
