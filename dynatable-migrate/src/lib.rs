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
//! [`Migrator`] runs them against a table:
//!
//! - **Ledger.** One record per version in the table itself (partition `_SCHEMA#MIGRATIONS`,
//!   which entity reads never return): name, status (running, applied, failed, rolled back),
//!   checksum, start and finish, duration, who ran it, items read and written, the error of a
//!   failed run, and the schema snapshot and changes.
//! - **Lock.** A conditional put of `_SCHEMA#LOCK` holding an owner and an expiry (5 minutes by
//!   default), renewed by a heartbeat while migrations run, so a long migration never loses it.
//!   Every ledger write is a transaction that checks the lock is still held (fencing). A run that
//!   finds the lock held fails with "Could not acquire migration lock" naming the holder and the
//!   expiry, or waits for it ([`Migrator::lock_wait`]); an expired lock is taken over.
//! - **Failures.** A failed migration is recorded as failed with its error; later versions never
//!   run past it. `up` retries it (after a fix), or [`Migrator::mark`] records it applied or rolled
//!   back.
//! - **Changed code.** An applied migration whose checksum changed blocks `up` unless allowed.
//! - **Dry runs** ([`Migrator::up_dry_run`]) hand migrations a client that answers every write
//!   itself below the SDK, so even raw-client writes never reach the table; the report lists each
//!   would-be write. No lock is taken and the ledger is unchanged.
//! - **Schema tracking.** Each applied migration records a snapshot of every `#[entity]` schema in
//!   the binary and the changes since the previous snapshot, with no code in the migration;
//!   [`Status::drift`] lists the changes in the binary that no applied or pending migration
//!   records (an entity edited without a migration), [`Status::pending_changes`] what the
//!   pending ones will record.
//! - **Resumable work.** [`Context::backfill`] saves where each scan segment stands after every
//!   page; a migration that failed or was interrupted resumes from there when run again. This
//!   needs the backfill's writes to be idempotent: conditional (`condition(f.bio.not_exists())`),
//!   or setting values that do not depend on the old ones, since the page in flight when the run
//!   stopped is read again.
//! - **Malformed items.** Fail-fast by default; [`Migrator::skip_malformed`] (or
//!   [`Scan::skip_malformed`](dynatable_core::Scan::skip_malformed) on a backfill's scan) skips
//!   the items that do not decode, counting them and listing the first
//!   [`MAX_LISTED_SKIPPED`] (key and reason) in the run's ledger record.
//! - **Validation.** [`Validator`] reads a whole table and classifies every item against the
//!   binary's entities: conforming, malformed, stale keys, of no known entity, ledger.
//! - **Many processes, one run.** [`Migrator::up_joined`] (`migrate up --join`) is run by every
//!   process at once: the first to take the lock leads, and each backfill's scan segments and
//!   the stream shards of its catch-up are shared through [leases](lease) in the ledger, taken
//!   over from a process that died; when the leader dies, another process takes the lock over
//!   and leads.
//! - **Test kit** (feature `testing`): `testing::TestTable` gives a test DynamoDB Local and a table
//!   of its own, and round trips of a migration (up, down, up again) compared item by item.

// The command line's future (every command in one `async fn`) is deep for rustc's layout queries.
#![recursion_limit = "256"]

mod backfill;
pub mod capacity;
mod checkpoint;
#[cfg(feature = "cli")]
pub mod cli;
mod context;
mod direction;
mod dry_run;
mod dry_run_cost;
mod error;
mod joined;
pub mod lease;
mod ledger;
mod live_table;
mod lock;
mod migration;
mod migrator;
mod own_entities;
mod page_tracker;
mod registry;
mod replay_positions;
mod reporter;
mod run_state;
mod safety_rails;
mod schema_snapshot;
mod shared_progress;
mod skipped_items;
mod stream;
mod table_drift;
#[cfg(feature = "testing")]
pub mod testing;
mod validate;

#[doc(hidden)]
pub mod __private;

pub use backfill::{CreateIndex, DEFAULT_SHARED_SEGMENTS, DropIndex, RekeyError, TableChangeError};
pub use checkpoint::{CheckpointRecord, StoredPosition};
pub use context::Context;
pub use direction::Direction;
pub use dry_run::{DryRunLog, MAX_LISTED_WRITES, PlannedWrite, dry_run_client};
pub use dry_run_cost::DryRunCost;
pub use dynatable_core;
pub use error::{Error, Result};
pub use ledger::{MigrationRecord, MigrationStatus, SharedBackfillRecord};
pub use lock::LockRecord;
pub use migration::Migration;
pub use migrator::{
    DEFAULT_LOCK_TTL, DEFAULT_LOCK_WAIT, DownTarget, DryRunReport, FollowRecord, FollowReport,
    JoinedRunReport, MigrationState, Migrator, RunReport, Status,
};
pub use registry::{RegisteredMigration, check_versions, migrations, migrations_in};
pub use reporter::{LogReporter, Reporter};
pub use schema_snapshot::{EntitySnapshot, SchemaChange, SchemaSnapshot};
pub use shared_progress::{ProcessSegments, SharedBackfillProgress};
pub use skipped_items::{MAX_LISTED_SKIPPED, SkippedItem};
pub use stream::{StreamEnabled, StreamError, StreamPositionRecord, stream_client};
pub use table_drift::TableDrift;
pub use validate::{
    DEFAULT_EXAMPLES, EntityCounts, Finding, FindingClass, ValidationReport, Validator,
};

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
