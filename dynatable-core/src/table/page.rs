//! One page of a query or scan, with the cursor that resumes after it.

use super::cursor::Cursor;

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
    /// The items of the page that do not decode, left out of `items`: only for a scan with
    /// [`skip_malformed`](super::Scan::skip_malformed) (otherwise such an item fails the page).
    pub malformed: Vec<super::MalformedItem>,
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
