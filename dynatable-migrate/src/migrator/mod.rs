//! The runner: lock → read the ledger → refuse on changed or unknown code → apply (or roll
//! back) in version order, recording each run and the schema change it made → unlock.
//!
//! This file holds the runner and its settings; `up`, `down`, the replays, the dry runs and the
//! repairs are in files of those names, and one migration's run with its ledger records in
//! `migration_run`.

mod down;
mod dry_run;
mod follow;
mod join;
mod migration_run;
mod repair;
mod replay;
mod run_report;
mod runner;
mod status;
mod up;

pub use down::DownTarget;
pub use dry_run::DryRunReport;
pub use follow::{FollowRecord, FollowReport};
pub use join::JoinedRunReport;
pub use run_report::RunReport;
pub use runner::{DEFAULT_LOCK_TTL, DEFAULT_LOCK_WAIT, Migrator};
pub use status::{MigrationState, Status};
