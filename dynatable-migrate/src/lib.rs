//! Versioned data migrations for dynatable single-table designs.
//!
//! A migration is a unit struct with an `impl Migration` marked `#[migration]`:
//!
//! ```
//! use dynatable_migrate::{migration, Context, Migration, Result};
//!
//! pub struct AddUserBio;
//!
//! #[migration(version = "0.1.0")] // name: add_user_bio
//! impl Migration for AddUserBio {
//!     async fn up(&self, ctx: &Context) -> Result<()> {
//!         let _ = ctx.table_name();
//!         Ok(())
//!     }
//!
//!     async fn down(&self, ctx: &Context) -> Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! let all = dynatable_migrate::migrations().unwrap();
//! assert_eq!(all[0].name, "add_user_bio");
//! ```
//!
//! The macro checks the version (semver) at compile time, requires a `down` unless the migration
//! is declared `irreversible = "why"`, computes a checksum of the impl block's code (formatting
//! and comments do not count) and registers the migration, so that [`migrations`] lists every
//! migration linked into the binary, in version order.
//!
//! Built so far: the `#[migration]` DSL, the registry and the [`Context`] a migration runs with.
//! The runner (ledger, lock, dry run, schema tracking) and the `migrate` command line are not
//! built yet.

mod checkpoint;
mod context;
mod dry_run;
mod error;
mod ledger;
mod lock;
mod migration;
mod migrator;
mod registry;
mod schema_snapshot;

#[doc(hidden)]
pub mod __private;

pub use checkpoint::{CheckpointRecord, StoredPosition};
pub use context::Context;
pub use dry_run::{DryRunLog, PlannedWrite, dry_run_client};
pub use dynatable_core;
pub use error::{Error, Result};
pub use ledger::{MigrationRecord, MigrationStatus};
pub use lock::LockRecord;
pub use migration::{Direction, Migration};
pub use migrator::{
    DEFAULT_LOCK_TTL, DEFAULT_LOCK_WAIT, DownTarget, DryRunReport, MigrationState, Migrator,
    RunReport, Status,
};
pub use registry::{RegisteredMigration, check_versions, migrations};
pub use schema_snapshot::{EntitySnapshot, SchemaChange, SchemaSnapshot};

/// Registers a data migration: `#[migration(version = "0.4.0")]` on `impl Migration for T`.
///
/// | option | meaning |
/// | --- | --- |
/// | `version = "0.4.0"` | the migration's semver version (required); migrations run in version order |
/// | `name = "add_notifications"` | its name (default: the type's name in snake_case) |
/// | `irreversible = "why"` | it has no `down`; rolling it back is refused with this reason |
/// | `crate = "path"` | where `dynatable_migrate` is, when it is re-exported under another path |
///
/// The type must be a unit struct (migrations keep no state). Its checksum covers the impl
/// block's tokens, so an edit of an applied migration is detected.
///
/// ```
/// use dynatable_migrate::{migration, Context, Migration, Result};
///
/// pub struct NormalizeUsernames;
///
/// #[migration(version = "0.2.0", irreversible = "usernames were lowercased; originals are not kept")]
/// impl Migration for NormalizeUsernames {
///     async fn up(&self, _ctx: &Context) -> Result<()> {
///         Ok(())
///     }
/// }
/// ```
pub use dynatable_macros::migration;
