//! The example app: creates its table (when missing), writes users and photos, and reads them
//! back through the typed table API.
//!
//! Run it against DynamoDB Local with `scripts/demo`, or against any endpoint with
//! `DYNATABLE_ENDPOINT=... cargo run -p dynatable-example`.

use anyhow::{Context, bail};
use dynatable_core::client::ClientConfig;
use dynatable_core::{Table, TableDefinition, registry};
use dynatable_example::{Photo, User, table_name};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ClientConfig::from_env();
    let table = Table::new(config.load().await, table_name());
    let endpoint = config.endpoint_url.as_deref().unwrap_or("AWS");
    println!("table {:?} on {endpoint}", table.name());

    let entities = registry::entities();
    if let Err(problems) = registry::check_schemas(&entities) {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        bail!("the entities cannot share one table");
    }
    for schema in &entities {
        println!(
            "entity {:<6} PK {:<16} SK {:<18} attributes {}",
            schema.name,
            schema.key.pk.source,
            schema.key.sk.source,
            schema
                .attributes
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    match TableDefinition::for_entities(table.name(), &entities)?
        .create(table.client())
        .await
    {
        Ok(()) => println!("created table {:?}", table.name()),
        Err(e) if e.is_already_exists() => println!("table {:?} exists", table.name()),
        Err(e) => return Err(e).context("creating the table"),
    }

    let now = "2026-11-24T06:20:47.000Z";
    let users = [
        User::new("Ada_Lovelace", "ada@example.com", now),
        User::new("GraceHopper", "grace@example.com", now),
    ];
    let photos: Vec<Photo> = users
        .iter()
        .flat_map(|user| {
            (0..3).map(|n| {
                Photo::new(
                    &user.user_id,
                    format!("https://photos.example.com/{}/{n}.jpg", user.username),
                    now,
                )
            })
        })
        .collect();
    table.batch_put(users.clone()).await?;
    let report = table.batch_put(photos).await?;
    println!("wrote {} users and {} photos", users.len(), report.written);

    for user in &users {
        let read = table
            .get::<User>(User::key(&user.user_id))
            .consistent()
            .send()
            .await?
            .context("the user just written is missing")?;
        let photos = table
            .query::<Photo>(Photo::partition_key(&read.user_id))
            .consistent()
            .all()
            .await?;
        println!(
            "{} <{}>: {} photos",
            read.username,
            read.email,
            photos.len()
        );
        for photo in photos {
            println!("  {} {}", photo.photo_id, photo.url);
        }
    }
    let everyone = table.scan::<User>().stream();
    let count =
        futures::TryStreamExt::try_fold(everyone, 0usize, |n, _| async move { Ok(n + 1) }).await?;
    println!("{count} users in the table");
    Ok(())
}
