//! The example app's integration tests in one binary, over its own five migrations: the `migrate`
//! command line, end to end runs, crashes and faults, live tables (each stream test with a
//! DynamoDB Local of its own), races and round trips.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod crash;
mod end_to_end;
mod faults;
mod joined_crash;
mod live;
mod race;
mod round_trips;
mod support;
