//! The attribute names and key prefix every table dynatable writes reserves: the primary key's
//! attributes, the entity type, and the migration ledger's partition prefix.

/// The table's partition key attribute.
pub const PARTITION_KEY_ATTRIBUTE: &str = "PK";
/// The table's sort key attribute.
pub const SORT_KEY_ATTRIBUTE: &str = "SK";
/// The attribute that names an item's entity type (the entity's `name`).
pub const ENTITY_TYPE_ATTRIBUTE: &str = "_type";
/// The partition key prefix of the migration ledger's items: entity reads never return them.
pub const LEDGER_PARTITION_PREFIX: &str = "_SCHEMA#";
