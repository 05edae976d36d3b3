//! Versioned, locked, resumable data migrations for dynatable single-table designs.
//!
//! The migration runner (`#[migration]`, `Migrator`, the `migrate` command line) is not built yet;
//! today this crate only re-exports [`dynatable_core`], so that a crate of migrations can depend
//! on `dynatable-migrate` alone.

pub use dynatable_core;
