//! Reading the ledger's records of any kind: every kind shares the ledger's partition.

use dynatable_core::{Entity, SortKey, Table};

use crate::error::Result;

/// The partition every ledger record is kept in (each kind under its own sort-key prefix).
pub(crate) const LEDGER_PARTITION: &str = "_SCHEMA#MIGRATIONS";

/// The ledger's records of kind `E` (every kind shares the ledger's partition) whose sort key
/// begins with `prefix`, read consistently.
pub(crate) async fn records_starting<E: Entity>(table: &Table, prefix: String) -> Result<Vec<E>> {
    Ok(table
        .query::<E>(LEDGER_PARTITION)
        .sort_key(SortKey::BeginsWith(prefix))
        .consistent()
        .all()
        .await?)
}
