//! One timed pass of a re-key migration (the example's 0.3.0, or another with its version), for
//! the benches that move every photo up and back down.

use std::time::{Duration, Instant};

use dynatable_core::Table;
use dynatable_migrate::{DownTarget, MigrationStatus, Migrator, RegisteredMigration};

/// The example's 0.3.0: every photo from `PHOTO#{photoId}` to `PHOTO#{timestampMs}#{photoId}`
/// by `ctx.rekey`.
pub fn example_0_3_0() -> &'static RegisteredMigration {
    dynatable_migrate::migrations_in("dynatable_example")
        .unwrap()
        .into_iter()
        .find(|m| m.version == "0.3.0")
        .unwrap()
}

/// One pass of `migration` (version 0.3.0) on `table`: up from pending, then down; the time of
/// each.
pub async fn pass(table: &Table, migration: &'static RegisteredMigration) -> (Duration, Duration) {
    let migrator = Migrator::for_migrations(table.clone(), vec![migration])
        .unwrap()
        .catch_up(false)
        .run_by("bench");
    migrator
        .mark("0.3.0", MigrationStatus::Pending)
        .await
        .unwrap();
    let started = Instant::now();
    migrator.up(None).await.unwrap();
    let up = started.elapsed();
    let started = Instant::now();
    migrator.down(DownTarget::Steps(1)).await.unwrap();
    (up, started.elapsed())
}
