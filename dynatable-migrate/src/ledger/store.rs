//! Reading the ledger's records of any kind. Each kind is an entity whose key templates say
//! where it lives (the ledger's partition, a sort-key prefix of its own): they are read here by
//! those templates, so no prefix is spelled out twice.

use dynatable_core::{Entity, SortKey, Table};

use crate::error::Result;

/// The records of kind `E` whose sort key is the kind's fixed prefix (`LEASE#` for
/// `LEASE#{work}#{segment}`) followed by `rest` (`0.4.0#` for the leases of version 0.4.0's
/// backfills; empty for every record of the kind), read consistently from the kind's constant
/// partition.
pub(crate) async fn records_of<E: Entity>(table: &Table, rest: &str) -> Result<Vec<E>> {
    let key = &E::SCHEMA.key;
    Ok(table
        .query::<E>(key.pk.source)
        .sort_key(SortKey::BeginsWith(format!("{}{rest}", key.sk.prefix())))
        .consistent()
        .all()
        .await?)
}
