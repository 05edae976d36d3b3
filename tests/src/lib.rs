//! Test support for dynatable: a real DynamoDB for every test.
//!
//! Built on the test kit users get (`dynatable_migrate::testing`): the first test that asks for a
//! table starts one DynamoDB Local for the whole test binary (installing it with the kit's script,
//! `scripts/dynamodb-local` here, when missing), unless `DYNATABLE_ENDPOINT` names an endpoint to
//! use instead (DynamoDB Local elsewhere, LocalStack, real AWS through the standard
//! credential chain). Each test gets a table of its own, so tests run in parallel.
//!
//! When DynamoDB Local cannot be started, the test fails with the reason and what to do: a test
//! that needs DynamoDB is never skipped.

// Test support fails the test that called it, with the reason: panicking is how.
#![allow(clippy::panic)]

pub mod bench_figures;
pub mod capacity_meter;
mod control;
mod dynamodb_local;
pub mod entities;
mod ledger_record;
pub mod proxy;
mod raw_request;
pub mod sdk_loops;
mod signature_check;
mod signed_as;
mod test_table;

pub use capacity_meter::{Capacity, CapacityStats, ClientSecond};
pub use control::{control, set_control};
pub use dynamodb_local::{Endpoint, dedicated_endpoint, endpoint};
pub use ledger_record::ledger_record;
pub use proxy::{Faults, Proxy, ProxyStats};
pub use raw_request::dynamodb_local_request;
pub use signature_check::amz_date;
pub use signed_as::{client_as, sdk_config_as};
pub use test_table::{DIRECT_REQUESTS_VAR, TestTable, scan_all};
