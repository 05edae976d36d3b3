//! dynatable's integration tests in one binary: the table API, entities, collections and the
//! bulk engine against DynamoDB Local (one instance for the binary, a table per test), and what the
//! macros must accept (`ui_pass`). One binary links the AWS SDK once.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bulk;
mod collections;
mod compare_and_swap;
mod direct_requests;
mod dry_run;
mod dynamodb_entities;
mod entity_codec;
mod everything;
mod managed_attributes;
mod optimistic_locking;
mod projections;
mod sortable_keys;
mod sparse_index;
mod table_as_code;
mod table_operations;
mod ui_pass;
mod wire_decode;
