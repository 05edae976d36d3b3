//! The example app: creates its table (when missing), writes users and photos, and reads them
//! back through the entities' codecs and key builders.
//!
//! Run it against DynamoDB Local with `scripts/demo`, or against any endpoint with
//! `DYNATABLE_ENDPOINT=... cargo run -p dynatable-example`.

use anyhow::{Context, bail};
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::client::ClientConfig;
use dynatable_core::{Entity, TableDefinition, registry};
use dynatable_example::{Photo, User, table_name};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ClientConfig::from_env();
    let client = config.load().await;
    let table = table_name();
    let endpoint = config.endpoint_url.as_deref().unwrap_or("AWS");
    println!("table {table:?} on {endpoint}");

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

    match TableDefinition::for_entities(&table, &entities)?
        .create(&client)
        .await
    {
        Ok(()) => println!("created table {table:?}"),
        Err(e) if e.is_already_exists() => println!("table {table:?} exists"),
        Err(e) => return Err(e).context("creating the table"),
    }

    let now = "2026-11-24T06:20:47.000Z";
    let users = [
        User::new("Ada_Lovelace", "ada@example.com", now),
        User::new("GraceHopper", "grace@example.com", now),
    ];
    for user in &users {
        put(&client, &table, user).await?;
        for n in 0..3 {
            let photo = Photo::new(
                &user.user_id,
                format!("https://photos.example.com/{}/{n}.jpg", user.username),
                now,
            );
            put(&client, &table, &photo).await?;
        }
    }
    println!("wrote {} users with 3 photos each", users.len());

    for user in &users {
        let key = User::key(&user.user_id);
        let item = client
            .get_item()
            .table_name(&table)
            .set_key(Some(key.to_key_item()))
            .consistent_read(true)
            .send()
            .await
            .context("reading a user")?
            .item
            .context("the user just written is missing")?;
        let read = User::from_item(item)?;
        let photos = client
            .query()
            .table_name(&table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(User::partition_key(&read.user_id)),
            )
            .expression_attribute_values(
                ":prefix",
                AttributeValue::S(Photo::SORT_KEY_PREFIX.to_owned()),
            )
            .consistent_read(true)
            .send()
            .await
            .context("querying photos")?
            .items
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from_item)
            .collect::<Result<Vec<_>, _>>()?;
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
    Ok(())
}

async fn put<E: Entity>(
    client: &dynatable_core::aws_sdk_dynamodb::Client,
    table: &str,
    entity: &E,
) -> anyhow::Result<()> {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(entity.to_item()?))
        .send()
        .await
        .with_context(|| format!("writing {}", entity.primary_key()))?;
    Ok(())
}
