//! The DynamoDB the tests use, from the test kit (`dynatable_migrate::testing`); a test that
//! cannot get one fails with the kit's message.

pub use dynatable_migrate::testing::Endpoint;

/// The endpoint every test of this binary uses: `DYNATABLE_ENDPOINT`, or DynamoDB Local started
/// on first use.
///
/// # Panics
/// When DynamoDB Local cannot be installed or started; the message says how to fix it.
pub fn endpoint() -> Endpoint {
    dynatable_migrate::testing::endpoint().unwrap_or_else(|e| panic!("{e}"))
}

/// A DynamoDB Local of the caller's own (or `DYNATABLE_ENDPOINT`): for tests of stream-enabled
/// tables, since one DynamoDB Local copes with one such table.
///
/// # Panics
/// As [`endpoint`].
pub fn dedicated_endpoint() -> Endpoint {
    dynatable_migrate::testing::dedicated_endpoint().unwrap_or_else(|e| panic!("{e}"))
}
