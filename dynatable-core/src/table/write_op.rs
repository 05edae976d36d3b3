//! What one write does (put, update, delete, condition check) and the request parts it renders
//! into: plain data, shared by the SDK path ([`Write`](super::write::Write)) and direct writes.

use super::error::Result;
use super::expression::Placeholders;
use super::update_expression::UpdateParts;
use crate::codec::Item;
use crate::error::EncodeError;
use crate::key::PrimaryKey;

/// The kind of one write, with what it writes.
#[derive(Debug, Clone)]
pub(crate) enum WriteOp {
    Put(Result<Item, EncodeError>),
    Update(UpdateParts),
    Delete,
    ConditionCheck,
}

/// A write rendered into request parts, borrowing the write's key, item and values.
#[derive(Clone)]
pub(crate) struct Rendered<'a> {
    pub(crate) key: &'a PrimaryKey,
    /// A put's item.
    pub(crate) item: Option<&'a Item>,
    pub(crate) update: Option<String>,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders<'a>,
}
