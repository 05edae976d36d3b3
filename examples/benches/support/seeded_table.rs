//! A table of the seed's items (the app's shape before 0.1.0), for the benches of migrations.

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::{Table, TableDefinition, registry};
use dynatable_example::seed::{SeedOptions, seed};

/// Photos per seeded user: a user and their photos make ten items.
pub const PHOTOS_PER_USER: usize = 9;

/// Creates table `name` for the app's entities and seeds `items` items into it (rounded down to
/// whole users).
pub async fn create_seeded(client: &Client, name: &str, items: usize) {
    TableDefinition::for_entities(name, &registry::entities())
        .unwrap()
        .create(client)
        .await
        .unwrap();
    let options = SeedOptions {
        users: items / (PHOTOS_PER_USER + 1),
        photos_per_user: PHOTOS_PER_USER,
        seed: 1,
    };
    seed(&Table::new(client.clone(), name), &options)
        .await
        .unwrap();
}
