//! An item a scan skipped because it does not decode, when told to skip such items.

use crate::error::DecodeError;
use crate::key::PrimaryKey;

/// An item that a scan with [`skip_malformed`](super::Scan::skip_malformed) left out because it
/// does not decode; the page it was read in lists it in [`Page::malformed`](super::Page::malformed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedItem {
    /// The item's primary key; `None` for an item without string `PK` and `SK`.
    pub key: Option<PrimaryKey>,
    /// Why it does not decode: the attribute, the expected and the found type.
    pub error: DecodeError,
}
