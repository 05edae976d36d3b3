//! The migrator's integration tests in one binary. Each module declares its own `#[migration]`s,
//! often with the same versions as another's; every runner here is built from the module's own
//! (`here!()`), so a module sees only its migrations, as a binary of its own would.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The migrations declared in the calling module (and the modules inside it), in version order.
macro_rules! here {
    () => {
        dynatable_migrate::migrations_in(module_path!()).unwrap()
    };
}

mod capacity;
mod filtered_backfill;
mod joined_catch_up;
mod joined_run;
mod leases;
mod malformed_catch_up;
mod migration_registry;
mod migrator;
mod rekey;
mod resume;
mod safety_rails;
mod table_changes;
mod whole_binary;
