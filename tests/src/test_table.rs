//! A test's own table on the test DynamoDB, with helpers that fail the test on error.

use aws_sdk_dynamodb::Client;
use dynatable_core::{DirectRequests, Entity, EntitySchema, Item, Table};

/// Set (to anything) to give the tests' tables [`DirectRequests`]: `TestTable::table` then reads
/// and writes without the SDK's request path.
pub const DIRECT_REQUESTS_VAR: &str = "DYNATABLE_TEST_DIRECT_REQUESTS";

/// A table of one test's own, created for the entities the test uses (the test kit's
/// [`TestTable`](dynatable_migrate::testing::TestTable), with helpers that fail the test on
/// error).
///
/// On an external endpoint (`DYNATABLE_ENDPOINT`) the table is deleted when the value is dropped;
/// DynamoDB Local keeps everything in memory and forgets it when it stops.
pub struct TestTable {
    /// The table name.
    pub name: String,
    /// A client for this test's runtime.
    pub client: Client,
    /// The kit's table, which deletes it when dropped.
    kit: dynatable_migrate::testing::TestTable,
}

impl TestTable {
    /// Creates a table keyed `PK`/`SK` with the global secondary indexes `entities` declare.
    ///
    /// # Panics
    /// When DynamoDB is unreachable or refuses to create the table.
    pub async fn create(entities: &[&'static EntitySchema]) -> Self {
        let kit = dynatable_migrate::testing::TestTable::for_entities(entities)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            name: kit.name().to_owned(),
            client: kit.client().clone(),
            kit,
        }
    }

    /// A handle on the table, on this test's runtime: with [`DirectRequests`] when
    /// [`DIRECT_REQUESTS_VAR`] is set (to run the suite with direct requests on and off), else
    /// through the SDK.
    ///
    /// # Panics
    /// When the direct requests cannot be set up from the endpoint's configuration.
    pub async fn table(&self) -> Table {
        let table = Table::new(self.client.clone(), &self.name);
        if std::env::var_os(DIRECT_REQUESTS_VAR).is_none() {
            return table;
        }
        let config = self.kit.endpoint().sdk_config().await;
        let direct = DirectRequests::new(&config)
            .await
            .unwrap_or_else(|e| panic!("direct requests: {e}"));
        table.with_direct_requests(direct)
    }

    /// The test kit's table, for its dumps and round trips.
    pub fn kit(&self) -> &dynatable_migrate::testing::TestTable {
        &self.kit
    }

    /// Writes `entity` with a plain PutItem.
    pub async fn put<E: Entity>(&self, entity: &E) {
        let item = entity.to_item().unwrap_or_else(|e| panic!("encode: {e}"));
        self.put_item(item).await;
    }

    /// Writes a raw item.
    pub async fn put_item(&self, item: Item) {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "put_item: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            });
    }

    /// Reads the item with this key (consistent read).
    pub async fn get_item(&self, pk: &str, sk: &str) -> Option<Item> {
        let key = dynatable_core::PrimaryKey::new(pk, sk).to_key_item();
        self.client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "get_item: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })
            .item
    }

    /// Every item of the table, following `LastEvaluatedKey` to the end.
    pub async fn scan_all(&self) -> Vec<Item> {
        scan_all(&self.client, &self.name).await
    }
}

/// Every item of table `name`, following `LastEvaluatedKey` to the end (consistent reads).
///
/// # Panics
/// When a scan fails.
pub async fn scan_all(client: &Client, name: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("scan: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e))
            });
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}
