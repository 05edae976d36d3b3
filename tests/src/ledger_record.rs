//! The ledger record of one migration version, read the way the tests check it.

use dynatable_core::Table;
use dynatable_migrate::MigrationRecord;

/// The ledger record of `version`, read consistently.
///
/// # Panics
/// When DynamoDB refuses the read, the record cannot be decoded, or there is none.
pub async fn ledger_record(table: &Table, version: &str) -> MigrationRecord {
    match table
        .get::<MigrationRecord>(MigrationRecord::key(version))
        .consistent()
        .send()
        .await
    {
        Ok(Some(record)) => record,
        Ok(None) => panic!("no ledger record for {version}"),
        Err(e) => panic!("reading the ledger record of {version}: {e}"),
    }
}
