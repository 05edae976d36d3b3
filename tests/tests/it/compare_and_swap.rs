//! The compare-and-swap bulk drivers on DynamoDB Local: writes made from items read earlier do
//! not overwrite what another writer changed since, deleted items stay deleted, and the plan sees
//! the item's new state.
//!
//! Each test reads its snapshots first, then changes items as an application would, then hands
//! the (now stale) snapshots to the driver: the interleaving a live table produces by chance,
//! made deterministic.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{
    Entity, ErrorKind, Item, PrimaryKey, SORT_KEY_ATTRIBUTE, Snapshot, Table, Write, entity,
};
use dynatable_tests::TestTable;
use dynatable_tests::entities::User;
use futures::TryStreamExt;

#[entity(pk = "MEMBER#{member_id}", sk = "MEMBER", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub member_id: String,
    pub username: String,
    #[entity(version)]
    pub version: u64,
}

async fn users(n: usize) -> (TestTable, Table) {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
    let users = (0..n).map(|i| User {
        user_id: format!("u{i:03}"),
        username: format!("User{i:03}"),
        bio: None,
    });
    table.batch_put(users).await.unwrap();
    (test, table)
}

async fn snapshots<T: Send + 'static>(scan: dynatable_core::Scan<T>) -> Vec<Snapshot<T>> {
    scan.snapshots().try_collect().await.unwrap()
}

/// Snapshots read earlier, handed to a driver after the table changed: stale on purpose.
fn stale<T>(
    read: Vec<Snapshot<T>>,
) -> impl futures::Stream<Item = dynatable_core::Result<Snapshot<T>>> {
    futures::stream::iter(read.into_iter().map(Ok))
}

/// The application's rename of a user, made after the migration read it.
async fn rename(table: &Table, key: PrimaryKey, name: impl Into<String>) {
    table
        .update::<User>(key)
        .set(User::fields().username, name.into())
        .send()
        .await
        .unwrap();
}

/// The application's write of a user's bio, made after the migration read it.
async fn set_bio(table: &Table, key: PrimaryKey, bio: &str) {
    table
        .update::<User>(key)
        .set(User::fields().bio, Some(bio.to_owned()))
        .send()
        .await
        .unwrap();
}

/// The lowercasing migration, handed snapshots read before the table changed.
async fn lowercase(table: &Table, read: Vec<Snapshot<User>>) -> dynatable_core::BulkReport {
    table
        .apply_snapshots(stale(read), lowercase_plan(table))
        .await
        .unwrap()
}

/// The entity stored under `key` now (consistent read).
async fn stored<E: Entity>(table: &Table, key: PrimaryKey) -> E {
    table
        .get::<E>(key)
        .consistent()
        .send()
        .await
        .unwrap()
        .unwrap()
}

fn lowercase_plan(table: &Table) -> impl FnMut(User) -> Option<Write> + Send + '_ {
    let f = User::fields();
    move |user: User| {
        let lower = user.username.to_lowercase();
        (lower != user.username).then(|| {
            table
                .update::<User>(user.primary_key())
                .set(f.username, lower)
                .into()
        })
    }
}

#[tokio::test]
async fn a_rename_made_after_the_read_is_not_overwritten() {
    let (_t, table) = users(100).await;
    let read = snapshots(table.scan::<User>()).await;
    // The application renames 30 users and deletes 10 after the migration read them.
    for i in 0..30 {
        rename(
            &table,
            User::key(&format!("u{i:03}")),
            format!("renamed-{i}"),
        )
        .await;
    }
    for i in 30..40 {
        table
            .delete::<User>(User::key(&format!("u{i:03}")))
            .send()
            .await
            .unwrap();
    }
    let report = lowercase(&table, read).await;
    assert_eq!(report.read, 100);
    assert_eq!(report.written, 60, "{report:?}");
    assert_eq!(report.skipped, 40, "{report:?}");
    assert_eq!(
        report.reread, 30,
        "each renamed user was read again: {report:?}"
    );

    let now: Vec<User> = table.scan::<User>().stream().try_collect().await.unwrap();
    assert_eq!(now.len(), 90, "no deleted user came back");
    for user in now {
        let i: usize = user.user_id[1..].parse().unwrap();
        let expected = if i < 30 {
            format!("renamed-{i}")
        } else {
            format!("user{i:03}")
        };
        assert_eq!(user.username, expected);
    }
}

#[tokio::test]
async fn the_plan_sees_the_new_state_and_may_write_something_else() {
    let (_t, table) = users(10).await;
    let read = snapshots(table.scan::<User>()).await;
    // Renamed to another name with capitals: the plan must lowercase the new name, not the old.
    rename(&table, User::key("u003"), "NewName").await;
    let report = lowercase(&table, read).await;
    assert_eq!((report.written, report.reread), (10, 1), "{report:?}");
    let user: User = stored(&table, User::key("u003")).await;
    assert_eq!(user.username, "newname");
}

#[tokio::test]
async fn an_attribute_written_after_the_read_is_kept_and_the_write_is_redone() {
    let (_t, table) = users(5).await;
    let read = snapshots(table.scan::<User>()).await;
    set_bio(&table, User::key("u001"), "hello").await;
    let report = lowercase(&table, read).await;
    assert_eq!((report.written, report.reread), (5, 1), "{report:?}");
    let user: User = stored(&table, User::key("u001")).await;
    assert_eq!(
        (user.username.as_str(), user.bio.as_deref()),
        ("user001", Some("hello"))
    );
}

#[tokio::test]
async fn a_migrations_own_condition_still_skips_without_rereading() {
    let (_t, table) = users(20).await;
    let f = User::fields();
    for i in 0..5 {
        set_bio(&table, User::key(&format!("u{i:03}")), "mine").await;
    }
    let read = snapshots(table.scan::<User>().parallel()).await;
    let report = table
        .apply_snapshots(stale(read), |u: User| {
            // Written without looking at `bio` (the read says none), so the condition decides.
            Some(
                table
                    .update::<User>(u.primary_key())
                    .set(f.bio, Some(String::new()))
                    .condition(f.bio.not_exists())
                    .into(),
            )
        })
        .await
        .unwrap();
    // The 5 users with a bio were read with it, so the plan's write is refused by its own
    // condition: the item is unchanged since the read, so it is skipped, not read again.
    assert_eq!(
        (report.written, report.skipped, report.reread),
        (15, 5, 0),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_raw_write_of_an_attribute_the_read_lacked_does_not_overwrite_a_later_one() {
    let (_t, table) = users(3).await;
    let read: Vec<Snapshot<Item>> = snapshots(table.scan_items()).await;
    // The application writes a bio after the migration read the user without one.
    set_bio(&table, User::key("u001"), "hello").await;
    let report = table
        .apply_snapshots(stale(read), |item: Item| {
            (!item.contains_key("bio")).then(|| {
                table
                    .update_item(PrimaryKey::of_item(&item).unwrap())
                    .set_attribute("bio", AttributeValue::S("default".into()))
                    .into()
            })
        })
        .await
        .unwrap();
    // The guard also holds the attributes the write sets absent, as read: the write is refused
    // and the plan, given the new state, leaves the application's bio alone.
    assert_eq!((report.written, report.reread), (2, 1), "{report:?}");
    let user: User = stored(&table, User::key("u001")).await;
    assert_eq!(user.bio.as_deref(), Some("hello"));
}

#[tokio::test]
async fn own_writes_count_only_writes_that_certainly_changed_their_item() {
    let (_t, plain) = users(4).await;
    set_bio(&plain, User::key("u003"), "kept").await;
    let own = std::sync::Arc::new(dynatable_core::OwnWrites::new());
    let table = plain.with_own_writes(std::sync::Arc::clone(&own));
    let f = User::fields();
    let read = snapshots(table.scan::<User>()).await;
    let report = table
        .apply_snapshots(stale(read), |u: User| {
            let update = table.update::<User>(u.primary_key());
            match u.user_id.as_str() {
                "u000" => Some(update.set(f.bio, Some("new".to_owned())).into()),
                // Written, but to the values stored: no change, so no stream record.
                "u001" => Some(update.set(f.username, u.username).into()),
                "u003" => Some(update.set(f.bio, u.bio).into()),
                _ => None,
            }
        })
        .await
        .unwrap();
    assert_eq!(report.written, 3, "{report:?}");
    assert_eq!(own.len(), 1);
    for (user, counted) in [
        ("u001", false),
        ("u002", false),
        ("u003", false),
        ("u000", true),
    ] {
        assert_eq!(own.count_record(&User::key(user)), counted, "{user}");
    }
    assert!(own.is_empty(), "one record of u000 passed over, no more");

    // A raw read, and another writer adds an attribute the write does not touch before the
    // write: the guard passes (it cannot see added attributes), but the item returned shows an
    // attribute whose change the plan never saw, so the write is not counted.
    let read: Vec<Snapshot<Item>> = snapshots(table.scan_items()).await;
    plain
        .update_item(User::key("u002"))
        .set_attribute("extra", AttributeValue::S("added".into()))
        .send()
        .await
        .unwrap();
    let report = table
        .apply_snapshots(stale(read), |item: Item| {
            let key = PrimaryKey::of_item(&item).unwrap();
            (key == User::key("u002") || key == User::key("u001")).then(|| {
                table
                    .update_item(key)
                    .set_attribute("note", AttributeValue::S("raw".into()))
                    .into()
            })
        })
        .await
        .unwrap();
    assert_eq!((report.written, report.reread), (2, 0), "{report:?}");
    assert!(!own.count_record(&User::key("u002")));
    assert!(own.count_record(&User::key("u001")));
}

#[tokio::test]
async fn a_blind_write_is_sent_without_the_guard() {
    let (_t, table) = users(3).await;
    let read = snapshots(table.scan::<User>()).await;
    let f = User::fields();
    rename(&table, User::key("u000"), "Changed").await;
    let report = table
        .apply_snapshots(stale(read), |u: User| {
            Some(
                Write::from(
                    table
                        .update::<User>(u.primary_key())
                        .set(f.bio, Some("same for everyone".to_owned())),
                )
                .blind(),
            )
        })
        .await
        .unwrap();
    assert_eq!((report.written, report.reread), (3, 0), "{report:?}");
    let user: User = stored(&table, User::key("u000")).await;
    assert_eq!(
        user.username, "Changed",
        "an update only touches what it names"
    );
}

#[tokio::test]
async fn versioned_entities_are_guarded_by_their_version() {
    let test = TestTable::create(&[Member::SCHEMA]).await;
    let table = test.table().await;
    for i in 0..10 {
        table
            .put(&Member::new(format!("m{i}"), format!("Member{i}")))
            .send()
            .await
            .unwrap();
    }
    let read = snapshots(table.scan::<Member>()).await;
    let mut changed = Member::new("m2", "Changed");
    changed.version = 1;
    table.put(&changed).send().await.unwrap();
    let f = Member::fields();
    let report = table
        .apply_snapshots(stale(read), |m: Member| {
            let lower = m.username.to_lowercase();
            (lower != m.username).then(|| {
                table
                    .update::<Member>(m.primary_key())
                    .set(f.username, lower)
                    .into()
            })
        })
        .await
        .unwrap();
    assert_eq!((report.written, report.reread), (10, 1), "{report:?}");
    let m2: Member = stored(&table, Member::key("m2")).await;
    assert_eq!((m2.username.as_str(), m2.version), ("changed", 3));
}

#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{photo_id}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub user_id: String,
    pub photo_id: String,
    pub caption: String,
}

/// The re-key unit: delete the old item, put a copy of it under `NEW#{photoId}`.
fn move_unit(table: &Table, item: Item) -> Option<Vec<Write>> {
    let old = PrimaryKey::of_item(&item)?;
    let photo_id = old.sk.strip_prefix("PHOTO#")?.to_owned();
    let mut moved = item;
    moved.insert(
        SORT_KEY_ATTRIBUTE.to_owned(),
        AttributeValue::S(format!("NEW#{photo_id}")),
    );
    Some(vec![
        table.delete_item(old).if_exists().into(),
        table.put_item(moved).if_absent().into(),
    ])
}

#[tokio::test]
async fn a_rekey_moves_updates_made_after_the_read_and_never_revives_deleted_items() {
    let test = TestTable::create(&[Photo::SCHEMA]).await;
    let table = test.table().await;
    let photos = (0..40).map(|i| Photo {
        user_id: "u1".into(),
        photo_id: format!("p{i:02}"),
        caption: "old".into(),
    });
    table.batch_put(photos).await.unwrap();
    let read = snapshots(table.scan::<Photo>().raw()).await;
    let f = Photo::fields();
    for i in 0..10 {
        table
            .update::<Photo>(Photo::key("u1", &format!("p{i:02}")))
            .set(f.caption, "updated during the move")
            .send()
            .await
            .unwrap();
    }
    for i in 10..15 {
        table
            .delete::<Photo>(Photo::key("u1", &format!("p{i:02}")))
            .send()
            .await
            .unwrap();
    }
    let report = table
        .transact_snapshots(stale(read), |item: Item| move_unit(&table, item))
        .await
        .unwrap();
    assert_eq!(
        (report.written, report.skipped, report.reread),
        (35, 5, 10),
        "{report:?}"
    );
    let items = test.scan_all().await;
    assert_eq!(items.len(), 35, "nothing under two keys, nothing revived");
    for item in items {
        let AttributeValue::S(sk) = &item["SK"] else {
            panic!()
        };
        assert!(sk.starts_with("NEW#"), "{sk} was not moved");
        let i: usize = sk["NEW#p".len()..].parse().unwrap();
        assert!(!(10..15).contains(&i), "deleted photo {i} came back");
        let caption = item["caption"].as_s().unwrap();
        let expected = if i < 10 {
            "updated during the move"
        } else {
            "old"
        };
        assert_eq!(caption, expected, "photo {i}");
    }
}

#[tokio::test]
async fn without_the_guard_the_same_stale_values_overwrite_the_renames() {
    // What every backfill did before compare-and-swap: write from values read earlier.
    let (_t, table) = users(20).await;
    let read: Vec<User> = table.scan::<User>().stream().try_collect().await.unwrap();
    for i in 0..5 {
        rename(
            &table,
            User::key(&format!("u{i:03}")),
            format!("renamed-{i}"),
        )
        .await;
    }
    table
        .apply(
            futures::stream::iter(read.into_iter().map(Ok)),
            lowercase_plan(&table),
        )
        .await
        .unwrap();
    let mut lost = 0;
    for i in 0..5 {
        let user: User = stored(&table, User::key(&format!("u{i:03}"))).await;
        if user.username == format!("user{i:03}") {
            lost += 1;
        }
    }
    assert_eq!(
        lost, 5,
        "the unguarded driver overwrote every rename with the old name's lowercase"
    );
}

/// An item of `width` attributes besides its keys, none of any entity.
fn wide_item(name: &str, width: usize) -> Item {
    let mut item = Item::from([
        ("PK".to_owned(), AttributeValue::S(format!("WIDE#{name}"))),
        (
            SORT_KEY_ATTRIBUTE.to_owned(),
            AttributeValue::S("ITEM".into()),
        ),
    ]);
    for i in 0..width {
        item.insert(
            format!("setting_{i:03}"),
            AttributeValue::S(format!("on {i}")),
        );
    }
    item
}

/// The snapshot of the item with `key`, read by a scan of every item.
async fn snapshot_of(table: &Table, key: &PrimaryKey) -> Vec<Snapshot<Item>> {
    snapshots(table.scan_items())
        .await
        .into_iter()
        .filter(|s| PrimaryKey::of_item(s.value()).as_ref() == Some(key))
        .collect()
}

#[tokio::test]
async fn an_item_too_wide_to_guard_fails_with_the_ways_out_and_is_left_as_it_was() {
    let test = TestTable::create(&[]).await;
    let table = test.table().await;
    // 160 attributes make a condition of about 3 KB but over 300 operators, which DynamoDB
    // refuses; 300 make one over 4 KB, refused before sending.
    let items = [("narrow", 50), ("many", 160), ("long", 300)].map(|(name, n)| wide_item(name, n));
    let keys = items
        .clone()
        .map(|item| PrimaryKey::of_item(&item).unwrap());
    table.batch_put_items(items).await.unwrap();
    let mark = |blind: bool| {
        let table = &table;
        move |item: Item| {
            let write: Write = table
                .update_item(PrimaryKey::of_item(&item)?)
                .set_attribute("marked", AttributeValue::Bool(true))
                .into();
            Some(if blind { write.blind() } else { write })
        }
    };
    let marked = |item: &Option<Item>| item.as_ref().unwrap().contains_key("marked");

    for (key, attributes, limit) in [
        (&keys[1], 162, "too many operators"),
        (&keys[2], 302, "where DynamoDB accepts 4096"),
    ] {
        let failed = table
            .apply_snapshots(stale(snapshot_of(&table, key).await), mark(false))
            .await
            .unwrap_err();
        // The guard compares every attribute, the keys included.
        match failed.error.kind() {
            ErrorKind::GuardTooLarge {
                attributes: found,
                limit: text,
            } => assert!(*found == attributes && text.contains(limit), "{failed}"),
            other => panic!("{other:?}"),
        }
        let text = failed.error.to_string();
        for told in ["#[entity(version)]", "Write::blind()", key.pk.as_str()] {
            assert!(text.contains(told), "{text}");
        }
    }
    // The same in a transaction (a re-key's delete and put), whose error names no key.
    let failed = table
        .transact_snapshots(stale(snapshot_of(&table, &keys[1]).await), |item: Item| {
            let old = PrimaryKey::of_item(&item)?;
            let mut moved = item;
            moved.insert(
                SORT_KEY_ATTRIBUTE.to_owned(),
                AttributeValue::S("MOVED".into()),
            );
            Some(vec![
                table.delete_item(old).if_exists().into(),
                table.put_item(moved).if_absent().into(),
            ])
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            failed.error.kind(),
            ErrorKind::GuardTooLarge {
                attributes: 162,
                ..
            }
        ),
        "{failed}"
    );
    assert_eq!(failed.error.key(), Some(&keys[1]));
    let stored = table.batch_get_items(&keys, true).await.unwrap();
    assert!(!stored.iter().any(marked), "{stored:?}");
    assert_eq!(test.scan_all().await.len(), 3, "nothing moved");

    // Declared blind (the write does not depend on what was read), every item is written.
    let report = table
        .apply_snapshots(stale(snapshots(table.scan_items()).await), mark(true))
        .await
        .unwrap();
    assert_eq!(report.written, 3, "{report:?}");
    let stored = table.batch_get_items(&keys, true).await.unwrap();
    assert!(stored.iter().all(marked), "{stored:?}");
}
