//! What `#[migration]`'s generated code calls. Not public API: no semver guarantees.

pub use futures::future::BoxFuture;
pub use inventory;

pub use crate::context::Context;
pub use crate::direction::Direction;
pub use crate::error::Result;
pub use crate::migration::Migration;
pub use crate::registry::RegisteredMigration as MigrationRegistration;
