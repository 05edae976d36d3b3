//! `cargo run --bin seed -- --users 1000 --photos-per-user 10`: fills the table with users and
//! photos in the app's pre-0.1.0 shape (mixed-case usernames, `SK = PHOTO#{photoId}`).

use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use dynatable_example::seed::{SeedOptions, seed};
use dynatable_example::table_args::TableArgs;

/// Fills the table with realistic data in the shape the app had before migration 0.1.0.
#[derive(Debug, Parser)]
#[command(name = "seed", version)]
struct Arguments {
    /// Users to write.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Photos per user.
    #[arg(long, default_value_t = 10)]
    photos_per_user: usize,
    /// The random seed (the same seed writes the same items).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    target: TableArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let table = arguments.target.table().await;
    let options = SeedOptions {
        users: arguments.users,
        photos_per_user: arguments.photos_per_user,
        seed: arguments.seed,
    };
    let started = Instant::now();
    let report = seed(&table, &options)
        .await
        .with_context(|| format!("seeding table {}", arguments.target.table))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Seeded {} users and {} photos into {} in {seconds:.1}s ({:.0} items/s).",
        options.users,
        options.users * options.photos_per_user,
        arguments.target.table,
        report.written as f64 / seconds.max(0.001)
    );
    Ok(())
}
