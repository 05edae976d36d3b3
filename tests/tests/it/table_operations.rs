//! Typed single-item operations, updates and conditions, queries and scans, on DynamoDB Local.

use std::collections::{BTreeSet, HashSet};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Condition, Entity, ErrorKind, Item, Operation, SortKey, Table, entity};
use dynatable_tests::TestTable;
use futures::TryStreamExt;

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "EMAIL#{email}", sk = "USER"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub email: String,
    pub username: String,
    pub bio: Option<String>,
    #[entity(default)]
    pub logins: u64,
    #[entity(default)]
    pub badges: Vec<String>,
    #[entity(default)]
    pub tags: BTreeSet<String>,
    pub created_at: Option<String>,
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
    pub url: String,
}

async fn table() -> (TestTable, Table) {
    let test = TestTable::create(&[User::SCHEMA, Photo::SCHEMA]).await;
    let table = test.table().await;
    (test, table)
}

fn ada() -> User {
    User::new("u1", "ada@example.com", "Ada")
}

async fn read_user(table: &Table) -> User {
    table
        .get::<User>(User::key("u1"))
        .consistent()
        .send()
        .await
        .unwrap()
        .expect("user exists")
}

#[tokio::test]
async fn put_get_delete_and_conditional_put() {
    let (_t, table) = table().await;
    assert_eq!(
        table.get::<User>(User::key("u1")).send().await.unwrap(),
        None
    );
    table.put(&ada()).send().await.unwrap();
    assert_eq!(read_user(&table).await, ada());

    let err = table.put(&ada()).if_absent().send().await.unwrap_err();
    assert!(err.is_conditional_check_failed(), "{err}");
    assert_eq!(err.operation(), Operation::Put);
    assert_eq!(
        err.to_string(),
        format!(
            "PutItem on table {:?} for PK=\"USER#u1\" SK=\"PROFILE\": the condition was not met",
            table.name()
        )
    );

    let f = User::fields();
    let err = table
        .delete::<User>(User::key("u1"))
        .condition(f.username.eq("Grace"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conditional_check_failed());
    table
        .delete::<User>(User::key("u1"))
        .condition(f.username.eq("Ada"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        table
            .get::<User>(User::key("u1"))
            .consistent()
            .send()
            .await
            .unwrap(),
        None
    );
    let err = table
        .delete::<User>(User::key("u1"))
        .if_exists()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conditional_check_failed());
}

#[tokio::test]
async fn every_update_operator() {
    let (t, table) = table().await;
    table.put(&ada()).send().await.unwrap();
    let f = User::fields();
    let updated = table
        .update::<User>(User::key("u1"))
        .set(f.username, "Ada L.")
        .set(f.bio, "mathematician")
        .add(f.logins, 2)
        .add(f.tags, BTreeSet::from(["math".to_owned()]))
        .append(f.badges, ["first".to_owned()])
        .set_if_not_exists(f.created_at, "2026-01-01")
        .send_returning()
        .await
        .unwrap();
    assert_eq!(updated.username, "Ada L.");
    assert_eq!(updated.bio.as_deref(), Some("mathematician"));
    assert_eq!(updated.logins, 2);
    assert_eq!(updated.tags, BTreeSet::from(["math".to_owned()]));
    assert_eq!(updated.badges, ["first"]);
    assert_eq!(updated.created_at.as_deref(), Some("2026-01-01"));

    table
        .update::<User>(User::key("u1"))
        .add(f.logins, 3)
        .add(f.tags, BTreeSet::from(["poet".to_owned()]))
        .append(f.badges, ["second".to_owned()])
        .set_if_not_exists(f.created_at, "2099-12-31")
        .remove(f.bio)
        .send()
        .await
        .unwrap();
    let user = read_user(&table).await;
    assert_eq!(user.logins, 5);
    assert_eq!(user.tags.len(), 2);
    assert_eq!(user.badges, ["first", "second"]);
    assert_eq!(
        user.created_at.as_deref(),
        Some("2026-01-01"),
        "if_not_exists keeps the value"
    );
    assert_eq!(user.bio, None);

    // Setting an option to None removes the attribute; raw attributes are reachable too.
    table
        .update::<User>(User::key("u1"))
        .set(f.created_at, None)
        .set_attribute("legacyFlag", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    let raw = t.get_item("USER#u1", "PROFILE").await.unwrap();
    assert!(!raw.contains_key("createdAt"));
    assert_eq!(raw["legacyFlag"], AttributeValue::Bool(true));
    table
        .update::<User>(User::key("u1"))
        .remove_attribute("legacyFlag")
        .send()
        .await
        .unwrap();
    assert!(
        !t.get_item("USER#u1", "PROFILE")
            .await
            .unwrap()
            .contains_key("legacyFlag")
    );
}

#[tokio::test]
async fn updates_only_touch_existing_items_unless_upserting() {
    let (t, table) = table().await;
    let f = User::fields();
    let err = table
        .update::<User>(User::key("ghost"))
        .set(f.username, "x")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conditional_check_failed(), "{err}");
    assert!(t.get_item("USER#ghost", "PROFILE").await.is_none());
    table
        .update::<User>(User::key("ghost"))
        .set(f.username, "x")
        .upsert()
        .send()
        .await
        .unwrap();
    assert!(t.get_item("USER#ghost", "PROFILE").await.is_some());
}

#[tokio::test]
async fn every_condition() {
    let (_t, table) = table().await;
    let mut user = ada();
    user.logins = 10;
    user.bio = Some("hello".into());
    table.put(&user).send().await.unwrap();
    let f = User::fields();
    let holds: Vec<(&str, Condition<User>)> = vec![
        ("exists", f.bio.exists()),
        ("not_exists", f.created_at.not_exists()),
        ("eq", f.logins.eq(10)),
        ("ne", f.logins.ne(11)),
        ("lt", f.logins.lt(11)),
        ("le", f.logins.le(10)),
        ("gt", f.logins.gt(9)),
        ("ge", f.logins.ge(10)),
        ("between", f.logins.between(5, 10)),
        ("begins_with", f.username.begins_with("Ad")),
        ("and", f.logins.eq(10).and(f.username.eq("Ada"))),
        ("or", f.logins.eq(0).or(f.username.eq("Ada"))),
        ("not", f.logins.eq(0).not()),
        (
            "raw",
            Condition::raw(
                "size(#u) = :three",
                [("#u".to_owned(), "username".to_owned())].into(),
                [(":three".to_owned(), AttributeValue::N("3".into()))].into(),
            ),
        ),
    ];
    let fails: Vec<(&str, Condition<User>)> = vec![
        ("exists", f.created_at.exists()),
        ("not_exists", f.bio.not_exists()),
        ("eq", f.logins.eq(11)),
        ("ne", f.logins.ne(10)),
        ("lt", f.logins.lt(10)),
        ("le", f.logins.le(9)),
        ("gt", f.logins.gt(10)),
        ("ge", f.logins.ge(11)),
        ("between", f.logins.between(11, 20)),
        ("begins_with", f.username.begins_with("Gr")),
        ("and", f.logins.eq(10).and(f.username.eq("Grace"))),
        ("or", f.logins.eq(0).or(f.username.eq("Grace"))),
        ("not", f.logins.eq(10).not()),
    ];
    for (name, condition) in holds {
        table
            .update::<User>(User::key("u1"))
            .add(f.logins, 0)
            .condition(condition)
            .send()
            .await
            .unwrap_or_else(|e| panic!("condition {name} should hold: {e}"));
    }
    for (name, condition) in fails {
        let err = table
            .update::<User>(User::key("u1"))
            .add(f.logins, 1)
            .condition(condition)
            .send()
            .await
            .expect_err(name);
        assert!(err.is_conditional_check_failed(), "{name}: {err}");
    }
    assert_eq!(
        read_user(&table).await.logins,
        10,
        "no failed update wrote anything"
    );
}

#[tokio::test]
async fn putting_a_changed_entity_rewrites_its_index_keys() {
    let (t, table) = table().await;
    let mut user = ada();
    table.put(&user).send().await.unwrap();
    user.email = "lovelace@example.com".into();
    table.put(&user).send().await.unwrap();
    let raw = t.get_item("USER#u1", "PROFILE").await.unwrap();
    assert_eq!(
        raw["GSI1PK"],
        AttributeValue::S("EMAIL#lovelace@example.com".into())
    );
    let by_email = table
        .query::<User>(User::gsi1_partition_key("lovelace@example.com"))
        .index("GSI1")
        .all()
        .await
        .unwrap();
    assert_eq!(by_email, [user]);
    assert!(
        table
            .query::<User>(User::gsi1_partition_key("ada@example.com"))
            .index("GSI1")
            .all()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn query_sort_key_conditions_order_limits_and_cursors() {
    let (_t, table) = table().await;
    table.put(&ada()).send().await.unwrap();
    for i in 0..20 {
        let photo = Photo {
            user_id: "u1".into(),
            photo_id: format!("{i:02}"),
            url: format!("https://p/{i}"),
        };
        table.put(&photo).send().await.unwrap();
    }
    let ids = |photos: Vec<Photo>| photos.into_iter().map(|p| p.photo_id).collect::<Vec<_>>();
    let q = || {
        table
            .query::<Photo>(Photo::partition_key("u1"))
            .consistent()
    };
    assert_eq!(
        q().all().await.unwrap().len(),
        20,
        "the default condition selects photos, not the profile"
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Eq(Photo::sort_key("05")))
            .all()
            .await
            .unwrap()),
        ["05"]
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::BeginsWith(Photo::sort_key("1")))
            .all()
            .await
            .unwrap())
        .len(),
        10
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Between(
                Photo::sort_key("03"),
                Photo::sort_key("05")
            ))
            .all()
            .await
            .unwrap()),
        ["03", "04", "05"]
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Lt(Photo::sort_key("02")))
            .all()
            .await
            .unwrap()),
        ["00", "01"]
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Le(Photo::sort_key("01")))
            .all()
            .await
            .unwrap()),
        ["00", "01"]
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Gt(Photo::sort_key("18")))
            .all()
            .await
            .unwrap()),
        ["19"]
    );
    assert_eq!(
        ids(q()
            .sort_key(SortKey::Ge(Photo::sort_key("18")))
            .all()
            .await
            .unwrap()),
        ["18", "19"]
    );
    assert_eq!(
        ids(q().descending().limit(3).all().await.unwrap()),
        ["19", "18", "17"]
    );

    // Pages of 6 follow LastEvaluatedKey; a cursor resumes where a page ended.
    let pages: Vec<_> = q().page_size(6).pages().try_collect().await.unwrap();
    assert_eq!(pages.iter().map(|p| p.items.len()).sum::<usize>(), 20);
    assert!(pages.len() >= 4);
    let cursor = pages[0].cursor.clone().expect("more pages");
    let rest = q().start_from(cursor).all().await.unwrap();
    assert_eq!(rest.len(), 14);
    assert_eq!(rest[0].photo_id, "06");

    let err = table
        .query::<Photo>("USER#u1")
        .index("GSI9")
        .all()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Expression(_)), "{err}");
}

#[tokio::test]
async fn scan_reads_past_one_megabyte_and_never_returns_ledger_items() {
    let (t, table) = table().await;
    let big = "x".repeat(10_000);
    let users: Vec<User> = (0..150)
        .map(|i| {
            let mut u = User::new(format!("u{i:03}"), format!("{i}@example.com"), "name");
            u.bio = Some(big.clone());
            u
        })
        .collect();
    table.batch_put(users).await.unwrap();
    table
        .put(&Photo {
            user_id: "u000".into(),
            photo_id: "p".into(),
            url: "u".into(),
        })
        .send()
        .await
        .unwrap();
    t.put_item(Item::from([
        ("PK".to_owned(), AttributeValue::S("_SCHEMA#ledger".into())),
        ("SK".to_owned(), AttributeValue::S("PROFILE".into())),
        ("_type".to_owned(), AttributeValue::S("User".into())),
    ]))
    .await;

    let pages: Vec<_> = table.scan::<User>().pages().try_collect().await.unwrap();
    assert!(pages.len() >= 2, "150 x 10 KB spans several 1 MB pages");
    assert_eq!(pages.iter().map(|p| p.items.len()).sum::<usize>(), 150);
    let all: Vec<Item> = table.scan_items().stream().try_collect().await.unwrap();
    assert_eq!(
        all.len(),
        151,
        "every user and the photo, never the ledger item"
    );
}

#[tokio::test]
async fn parallel_scan_is_disjoint_and_complete() {
    let (_t, table) = table().await;
    let photos: Vec<Photo> = (0..1_000)
        .map(|i| Photo {
            user_id: format!("u{}", i % 37),
            photo_id: format!("p{i}"),
            url: String::new(),
        })
        .collect();
    table.batch_put(photos).await.unwrap();
    let pages: Vec<_> = table
        .scan::<Photo>()
        .segments(8)
        .page_size(50)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let segments: HashSet<u32> = pages.iter().map(|p| p.segment).collect();
    assert!(segments.len() > 1, "pages came from several segments");
    let keys: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.items)
        .map(|p| p.primary_key())
        .collect();
    let distinct: HashSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), 1_000);
    assert_eq!(distinct.len(), 1_000);
}

#[tokio::test]
async fn batch_get_returns_items_in_request_order_with_none_for_missing_keys() {
    let (_t, table) = table().await;
    let photos: Vec<Photo> = (0..250)
        .filter(|i| i % 7 != 3)
        .map(|i| Photo {
            user_id: format!("u{}", i % 11),
            photo_id: format!("p{i}"),
            url: format!("https://example.com/{i}.jpg"),
        })
        .collect();
    table.batch_put(photos).await.unwrap();
    // 250 keys (three chunks, read side by side), one in seven missing, then two repeated.
    let mut keys: Vec<_> = (0..250)
        .map(|i| Photo::key(&format!("u{}", i % 11), &format!("p{i}")))
        .collect();
    keys.push(keys[10].clone());
    keys.push(keys[3].clone());
    let items = table
        .with_concurrency(2)
        .batch_get_items(&keys, true)
        .await
        .unwrap();
    assert_eq!(items.len(), keys.len());
    for (i, item) in items.iter().take(250).enumerate() {
        let url = item
            .as_ref()
            .and_then(|item| item.get("url"))
            .and_then(|url| url.as_s().ok());
        match i % 7 {
            3 => assert_eq!(url, None, "key {i} has no item"),
            _ => assert_eq!(
                url,
                Some(&format!("https://example.com/{i}.jpg")),
                "key {i}"
            ),
        }
    }
    assert_eq!(items[250], items[10]);
    assert!(items[251].is_none(), "a repeated missing key is None again");
}

#[tokio::test]
async fn typed_batch_get_decodes_in_request_order_and_names_the_key_of_a_bad_item() {
    let (_t, table) = table().await;
    let users: Vec<User> = (0..250)
        .filter(|i| i % 5 != 0)
        .map(|i| {
            User::new(
                format!("u{i}"),
                format!("u{i}@example.com"),
                format!("User{i}"),
            )
        })
        .collect();
    table.batch_put(users).await.unwrap();
    let keys: Vec<_> = (0..250).map(|i| User::key(&format!("u{i}"))).collect();
    let read = table
        .batch_get::<User>(keys.clone())
        .consistent()
        .send()
        .await
        .unwrap();
    assert_eq!(read.len(), 250);
    for (i, user) in read.iter().enumerate() {
        match i % 5 {
            0 => assert!(user.is_none(), "key {i} has no item"),
            _ => assert_eq!(
                user.as_ref().map(|u| u.username.clone()),
                Some(format!("User{i}"))
            ),
        }
    }

    // An item at one of the keys that is not a valid User: the error names its key.
    let mut bad = User::new("u0", "u0@example.com", "User0")
        .to_item()
        .unwrap();
    bad.insert("logins".into(), AttributeValue::S("many".into()));
    table.put_item(bad).send().await.unwrap();
    let error = table.batch_get::<User>(keys).send().await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Decode(_)), "{error}");
    assert_eq!(error.key(), Some(&User::key("u0")));
}

#[tokio::test]
async fn pages_of_a_limited_query_resume_from_tokens_without_skipping_or_repeating() {
    let (_t, table) = table().await;
    let photos: Vec<Photo> = (0..23)
        .map(|i| Photo {
            user_id: "u1".into(),
            photo_id: format!("p{i:02}"),
            url: String::new(),
        })
        .collect();
    table.batch_put(photos).await.unwrap();
    // An API handler: `limit` items per call, the next call starting from the token it returned.
    // DynamoDB reads 7 items per request, so most limits end inside a request's page.
    let page = |token: Option<String>| {
        let table = table.clone();
        async move {
            let mut query = table
                .query::<Photo>(Photo::partition_key("u1"))
                .page_size(7)
                .limit(5);
            if let Some(token) = token {
                query = query.start_from(token.parse().unwrap());
            }
            let pages: Vec<_> = query.pages().try_collect().await.unwrap();
            let ids: Vec<String> = pages
                .iter()
                .flat_map(|p| p.items.iter().map(|photo| photo.photo_id.clone()))
                .collect();
            let token = pages
                .last()
                .and_then(|p| p.cursor.as_ref())
                .map(dynatable_core::Cursor::to_token);
            (ids, token)
        }
    };
    let mut seen = Vec::new();
    let mut token = None;
    for call in 0.. {
        let (ids, next) = page(token).await;
        assert!(ids.len() <= 5, "call {call}: {ids:?}");
        seen.extend(ids);
        token = next;
        if token.is_none() {
            break;
        }
        assert!(call < 10, "the pages never end");
    }
    let expected: Vec<String> = (0..23).map(|i| format!("p{i:02}")).collect();
    assert_eq!(seen, expected);

    // A cursor of another partition is refused before DynamoDB reads from it.
    let (_, Some(token)) = page(None).await else {
        panic!("a first page of 5 of 23 has a cursor")
    };
    let error = table
        .query::<Photo>(Photo::partition_key("u2"))
        .start_from(token.parse().unwrap())
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::ForeignCursor { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn query_filters_keep_only_matching_items_and_still_read_every_item() {
    let (_t, table) = table().await;
    let photos: Vec<Photo> = (0..30)
        .map(|i| Photo {
            user_id: "u1".into(),
            photo_id: format!("p{i:02}"),
            url: format!("{}/{i}.jpg", if i % 3 == 0 { "a" } else { "b" }),
        })
        .collect();
    table.batch_put(photos).await.unwrap();
    let f = Photo::fields();
    let query = || {
        table
            .query::<Photo>(Photo::partition_key("u1"))
            .filter(f.url.begins_with("a/"))
            .filter(f.photo_id.ne("p00"))
    };
    let ids: Vec<String> = query()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.photo_id)
        .collect();
    let expected: Vec<String> = (3..30).step_by(3).map(|i| format!("p{i:02}")).collect();
    assert_eq!(ids, expected);

    // Pages of 10 items read hold about a third of them: the filter does not reduce the read.
    let pages: Vec<_> = query().page_size(10).pages().try_collect().await.unwrap();
    let scanned: usize = pages.iter().map(|p| p.scanned).sum();
    let returned: usize = pages.iter().map(|p| p.items.len()).sum();
    assert_eq!((scanned, returned), (30, 9));
    assert!(pages.iter().all(|p| p.items.len() < 10));
}

#[tokio::test]
async fn scan_filters_add_to_the_entity_filter() {
    let (_t, table) = table().await;
    let photos: Vec<Photo> = (0..30)
        .map(|i| Photo {
            user_id: format!("u{}", i % 4),
            photo_id: format!("p{i:02}"),
            url: format!("{}/{i}.jpg", if i % 3 == 0 { "a" } else { "b" }),
        })
        .collect();
    table.batch_put(photos).await.unwrap();
    let f = Photo::fields();
    let scan = || {
        table
            .scan::<Photo>()
            .parallel()
            .filter(f.url.begins_with("a/"))
            .filter(f.user_id.ne("u0"))
    };
    assert!(scan().is_filtered());
    let mut ids: Vec<String> = scan()
        .stream()
        .map_ok(|p| p.photo_id)
        .try_collect()
        .await
        .unwrap();
    ids.sort();
    let expected: Vec<String> = (0..30)
        .filter(|i| i % 3 == 0 && i % 4 != 0)
        .map(|i| format!("p{i:02}"))
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_scan_with_max_rate_reads_no_faster_than_told() {
    let (_test, table) = table().await;
    let photos = (0..300).map(|i| Photo {
        user_id: format!("u{}", i % 7),
        photo_id: format!("p{i}"),
        url: "u".to_owned(),
    });
    table.batch_put(photos).await.unwrap();
    // The budget holds a tenth of a second of reads: 300 items at 100/s take at least 2.9 s,
    // whatever the page sizes and the segments.
    let started = std::time::Instant::now();
    let read: Vec<Photo> = table
        .scan::<Photo>()
        .segments(3)
        .page_size(25)
        .max_rate(100.0)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(read.len(), 300);
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(2_800), "{took:?}");
}

#[tokio::test]
async fn a_scan_that_skips_malformed_items_lists_them_in_their_page() {
    let (test, table) = table().await;
    table
        .put(&Photo {
            user_id: "u1".into(),
            photo_id: "p1".into(),
            url: "u".into(),
        })
        .send()
        .await
        .unwrap();
    let mut broken = Photo::key("u1", "p2").to_key_item();
    broken.insert("_type".into(), AttributeValue::S("Photo".into()));
    broken.insert("userId".into(), AttributeValue::S("u1".into()));
    broken.insert("photoId".into(), AttributeValue::S("p2".into()));
    broken.insert("url".into(), AttributeValue::N("7".into()));
    test.put_item(broken).await;

    let error = table.scan::<Photo>().stream().try_collect::<Vec<_>>().await;
    assert!(
        error.unwrap_err().to_string().contains("url"),
        "fail-fast by default"
    );

    let pages: Vec<_> = table
        .scan::<Photo>()
        .skip_malformed()
        .pages()
        .try_collect()
        .await
        .unwrap();
    let items: Vec<&Photo> = pages.iter().flat_map(|p| &p.items).collect();
    let malformed: Vec<_> = pages.iter().flat_map(|p| &p.malformed).collect();
    assert_eq!(items.len(), 1);
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0].key, Some(Photo::key("u1", "p2")));
    assert!(
        malformed[0].error.to_string().contains("`url`"),
        "{}",
        malformed[0].error
    );
}
