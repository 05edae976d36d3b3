//! A table of one test's own.

use std::sync::atomic::{AtomicU32, Ordering};

use dynatable_core::{Entity, EntitySchema, Table, TableDefinition};

use super::dynamodb_local::{Endpoint, endpoint};
use super::error::TestKitError;
use super::table_dump::TableDump;
use crate::migrator::Migrator;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A table of one test's own (so tests run in parallel), keyed `PK`/`SK` with the global
/// secondary indexes its entities declare, without a stream.
///
/// On an external endpoint (`DYNATABLE_ENDPOINT`) the table is deleted when the value is dropped;
/// DynamoDB Local keeps everything in memory and forgets it when it stops.
#[derive(Debug)]
pub struct TestTable {
    table: Table,
    endpoint: Endpoint,
}

impl TestTable {
    /// A table for every entity linked into the test binary, on the shared
    /// [`endpoint`](super::endpoint).
    ///
    /// # Errors
    /// [`TestKitError::NothingLinked`] when the binary links no entity and no migration;
    /// DynamoDB Local cannot be started, or the table cannot be created.
    pub async fn new() -> Result<Self, TestKitError> {
        if !crate::registry::anything_linked() {
            return Err(TestKitError::NothingLinked);
        }
        Self::for_entities(&dynatable_core::registry::entities()).await
    }

    /// A table for `entities`, on the shared [`endpoint`](super::endpoint).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub async fn for_entities(entities: &[&'static EntitySchema]) -> Result<Self, TestKitError> {
        Self::on(endpoint()?, entities).await
    }

    /// A table for `entities` on `endpoint` (a
    /// [`dedicated_endpoint`](super::dedicated_endpoint), say).
    ///
    /// # Errors
    /// The table cannot be created.
    pub async fn on(
        endpoint: Endpoint,
        entities: &[&'static EntitySchema],
    ) -> Result<Self, TestKitError> {
        let client = endpoint.client().await;
        let name = format!(
            "dynatable-test-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let created = match TableDefinition::for_entities(&name, entities) {
            Ok(definition) => definition.create(&client).await,
            Err(e) => Err(e),
        };
        created.map_err(|source| TestKitError::CreateTable {
            table: name.clone(),
            source: Box::new(source),
        })?;
        Ok(Self {
            table: Table::new(client, name),
            endpoint,
        })
    }

    /// The table, for the typed API.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        self.table.name()
    }

    /// The SDK client, for raw calls (an item of an older shape, written by hand).
    pub fn client(&self) -> &dynatable_core::aws_sdk_dynamodb::Client {
        self.table.client()
    }

    /// Where the table is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Writes `entities` (plain puts, no condition).
    ///
    /// # Errors
    /// A write error.
    pub async fn put_all<E: Entity>(&self, entities: &[E]) -> Result<(), TestKitError> {
        for entity in entities {
            self.table.put(entity).send().await?;
        }
        Ok(())
    }

    /// A migrator of every migration linked into the test binary, on this table, not following
    /// a stream (the table has none, and nothing else writes to it).
    ///
    /// # Errors
    /// Two migrations share a version.
    pub fn migrator(&self) -> Result<Migrator, TestKitError> {
        Ok(Migrator::new(self.table.clone())?.catch_up(false))
    }

    /// Every item but the ledger's, by key.
    ///
    /// # Errors
    /// A read error.
    pub async fn dump(&self) -> Result<TableDump, TestKitError> {
        Ok(TableDump::read(&self.table).await?)
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        let Endpoint::External(_) = &self.endpoint else {
            return;
        };
        let endpoint = self.endpoint.clone();
        let name = self.table.name().to_owned();
        // The test's runtime may be gone (or blocked in this drop): delete from a runtime of our
        // own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let client = endpoint.client().await;
                let _ = client.delete_table().table_name(&name).send().await;
            });
        })
        .join();
    }
}
