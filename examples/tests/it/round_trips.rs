//! A round trip of each of the example's migrations with the test kit
//! (`dynatable_migrate::testing`): the table the seed writes, brought to the shape the migration
//! expects by the migrations before it, then up, down and up again, compared at each step.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Item};
use dynatable_example::seed::{SeedOptions, seed};
use dynatable_example::{Notification, Photo, User};
use dynatable_migrate::testing::{RoundTripReport, TestKitError, TestTable};

/// A test table holding the seed's users and photos (the shape before 0.1.0).
async fn seeded() -> Result<TestTable, TestKitError> {
    let table = TestTable::new().await?;
    let options = SeedOptions {
        users: 12,
        photos_per_user: 3,
        seed: 7,
    };
    seed(table.table(), &options)
        .await
        .map_err(dynatable_migrate::Error::from)?;
    Ok(table)
}

fn text<'i>(item: &'i Item, name: &str) -> &'i str {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s,
        other => panic!("{name} is {other:?} in {item:?}"),
    }
}

fn of<E: Entity>(report: &RoundTripReport) -> impl Iterator<Item = &Item> {
    report.after.items().filter(|item| {
        text(item, "PK").starts_with("USER#") && E::SCHEMA.key.sk.parse(text(item, "SK")).is_ok()
    })
}

#[tokio::test]
async fn v0_1_0_add_user_bio() -> Result<(), TestKitError> {
    let table = seeded().await?;
    let report = table.round_trip("0.1.0").run().await?;
    assert!(report.reversed);
    assert_eq!(of::<User>(&report).count(), 12);
    assert!(of::<User>(&report).all(|user| text(user, "bio").is_empty()));
    assert!(report.before.items().all(|item| !item.contains_key("bio")));
    Ok(())
}

#[tokio::test]
async fn v0_2_0_normalize_usernames_is_one_way() -> Result<(), TestKitError> {
    let table = seeded().await?;
    let report = table.round_trip("0.2.0").run().await?;
    assert!(
        !report.reversed,
        "irreversible: applied once, not rolled back"
    );
    let usernames: Vec<&str> = of::<User>(&report).map(|u| text(u, "username")).collect();
    assert_eq!(usernames.len(), 12);
    assert!(
        usernames.iter().all(|u| *u == u.to_lowercase()),
        "{usernames:?}"
    );
    assert!(
        report.before.items().any(|item| item
            .get("username")
            .is_some_and(|u| u.as_s().is_ok_and(|u| *u != u.to_lowercase()))),
        "the seed writes mixed-case usernames"
    );
    Ok(())
}

#[tokio::test]
async fn v0_3_0_change_photo_sort_key() -> Result<(), TestKitError> {
    let table = seeded().await?;
    let report = table.round_trip("0.3.0").run().await?;
    assert!(report.reversed);
    let photos: Vec<&Item> = of::<Photo>(&report).collect();
    assert_eq!(photos.len(), 36);
    assert_eq!(report.after.len(), report.before.len());
    Ok(())
}

#[tokio::test]
async fn v0_4_0_add_notification_entity() -> Result<(), TestKitError> {
    let table = seeded().await?;
    let report = table.round_trip("0.4.0").run().await?;
    assert!(report.reversed);
    assert_eq!(
        report.after, report.before,
        "adding an entity writes nothing"
    );
    assert_eq!(of::<Notification>(&report).count(), 0);
    Ok(())
}

#[tokio::test]
async fn v0_5_0_add_timestamps() -> Result<(), TestKitError> {
    let table = seeded().await?;
    // `updatedAt` is the time of the run: different on each `up`.
    let report = table
        .round_trip("0.5.0")
        .ignoring(&["updatedAt"])
        .run()
        .await?;
    assert!(report.reversed);
    assert!(
        report
            .after
            .items()
            .all(|item| item.contains_key("updatedAt"))
    );
    assert!(
        report
            .before
            .items()
            .all(|item| !item.contains_key("updatedAt"))
    );
    Ok(())
}

#[tokio::test]
async fn a_round_trip_that_does_not_give_the_table_back_fails_with_the_items_that_differ() {
    let table = seeded().await.unwrap();
    // Without ignoring `updatedAt`, the second `up` sets other times than the first.
    let error = table.round_trip("0.5.0").run().await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, TestKitError::Mismatch { step, .. } if step.contains("up again")),
        "{message}"
    );
    assert!(message.contains("changed PK=\"USER#"), "{message}");
    assert!(message.contains("updatedAt: "), "{message}");

    let unknown = table.round_trip("9.9.9").run().await.unwrap_err();
    assert!(unknown.to_string().contains("0.1.0, 0.2.0"), "{unknown}");
}

#[test]
fn the_same_seed_gives_the_same_items() {
    use dynatable_example::seed::{SeedOptions, legacy_items};
    let options = SeedOptions {
        users: 3,
        photos_per_user: 2,
        seed: 7,
    };
    let a: Vec<dynatable_core::Item> = legacy_items(&options).collect();
    assert_eq!(a.len(), 9);
    assert_eq!(a, legacy_items(&options).collect::<Vec<_>>());
    let other: Vec<dynatable_core::Item> =
        legacy_items(&SeedOptions { seed: 8, ..options }).collect();
    assert_ne!(a, other);
}
