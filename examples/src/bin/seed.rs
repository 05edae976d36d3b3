//! `cargo run --bin seed -- --users 1000 --photos-per-user 10`: fills the table with users and
//! photos in the app's pre-0.1.0 shape (mixed-case usernames, `SK = PHOTO#{photoId}`).

use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use dynatable_core::Table;
use dynatable_core::client::ClientConfig;
use dynatable_example::seed::{SeedOptions, seed};

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
    /// The table.
    #[arg(long, env = "DYNATABLE_TABLE", default_value = dynatable_example::DEFAULT_TABLE)]
    table: String,
    /// An endpoint instead of AWS's (DynamoDB Local).
    #[arg(long, env = "DYNATABLE_ENDPOINT")]
    endpoint_url: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let mut config = ClientConfig::default();
    if let Some(url) = arguments.endpoint_url.filter(|u| !u.trim().is_empty()) {
        config = config.endpoint_url(url);
    }
    let table = Table::new(config.load().await, &arguments.table);
    let options = SeedOptions {
        users: arguments.users,
        photos_per_user: arguments.photos_per_user,
        seed: arguments.seed,
    };
    let started = Instant::now();
    let report = seed(&table, &options)
        .await
        .with_context(|| format!("seeding table {}", arguments.table))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Seeded {} users and {} photos into {} in {seconds:.1}s ({:.0} items/s).",
        options.users,
        options.users * options.photos_per_user,
        arguments.table,
        report.written as f64 / seconds.max(0.001)
    );
    Ok(())
}
