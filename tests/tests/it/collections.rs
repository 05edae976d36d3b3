//! Collections on DynamoDB Local: one query reads the entities of a partition into a typed enum
//! (by `_type`, or by key templates for items written without it), over the table and over an
//! index, with sort key conditions, member filters and batch gets.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{
    ENTITY_TYPE_ATTRIBUTE, Entity, Item, PrimaryKey, QueryTarget, SortKey, Table, collection,
    entity, projection,
};
use dynatable_tests::TestTable;
use futures::TryStreamExt;

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "ORG#{org_id}", sk = "USER#{user_id}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub org_id: String,
    pub name: String,
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
    pub likes: u64,
}

#[entity(
    pk = "USER#{user_id}",
    sk = "NOTIFICATION#{notification_id}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub user_id: String,
    pub notification_id: String,
    pub read: bool,
}

/// Shares the user's partition but is in no collection below.
#[entity(pk = "USER#{user_id}", sk = "SETTINGS", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub user_id: String,
    pub theme: String,
}

#[entity(
    pk = "PROJECT#{project_id}",
    sk = "META",
    index(name = "GSI1", pk = "ORG#{org}", sk = "PROJECT#{project_id}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub project_id: String,
    pub org: String,
}

#[collection]
#[derive(Debug, PartialEq)]
pub enum UserPage {
    User(User),
    Photo(Photo),
    Notification(Notification),
}

#[collection]
#[derive(Debug, PartialEq)]
pub enum UserPageWithOthers {
    User(User),
    Photo(Photo),
    #[collection(other)]
    Other(Item),
}

#[collection(index = "GSI1")]
#[derive(Debug, PartialEq)]
pub enum OrgPage {
    User(User),
    Project(Project),
}

const SCHEMAS: &[&dynatable_core::EntitySchema] = &[
    User::SCHEMA,
    Photo::SCHEMA,
    Notification::SCHEMA,
    Settings::SCHEMA,
    Project::SCHEMA,
];

#[projection(of = User)]
#[derive(Debug, Clone, PartialEq)]
pub struct UserName {
    pub name: String,
}

#[projection(of = Photo)]
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoLikes {
    pub photo_id: String,
    pub likes: u64,
}

/// Every member a projection: the query reads `_type` and the projections' attributes only.
#[collection]
#[derive(Debug, PartialEq)]
pub enum UserSummary {
    User(UserName),
    Photo(PhotoLikes),
}

/// An entity among the members: the query reads whole items.
#[collection]
#[derive(Debug, PartialEq)]
pub enum UserAndLikes {
    User(User),
    Photo(PhotoLikes),
}

fn user(id: &str, org: &str) -> User {
    User::new(id, org, format!("name of {id}"))
}

fn photo(user: &str, id: &str, likes: u64) -> Photo {
    Photo::new(user, id, likes)
}

/// A table with two users' partitions: u1 has a profile, 3 photos, 2 notifications and settings;
/// u2 a profile and a photo.
async fn seeded() -> (TestTable, Table) {
    let test = TestTable::create(SCHEMAS).await;
    let table = test.table().await;
    table.put(&user("u1", "o1")).send().await.unwrap();
    table.put(&user("u2", "o1")).send().await.unwrap();
    for (id, likes) in [("p1", 5), ("p2", 150), ("p3", 20)] {
        table.put(&photo("u1", id, likes)).send().await.unwrap();
    }
    table.put(&photo("u2", "p9", 1)).send().await.unwrap();
    for (id, read) in [("n1", false), ("n2", true)] {
        table
            .put(&Notification::new("u1", id, read))
            .send()
            .await
            .unwrap();
    }
    table
        .put(&Settings::new("u1", "dark"))
        .send()
        .await
        .unwrap();
    (test, table)
}

#[tokio::test]
async fn one_query_reads_every_member_of_the_partition_and_skips_the_rest() {
    let (_t, table) = seeded().await;
    let page: Vec<UserPage> = table
        .query_collection::<UserPage>(User::partition_key("u1"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    // In sort key order: NOTIFICATION#, PHOTO#, PROFILE; SETTINGS is no member.
    assert_eq!(
        page,
        vec![
            UserPage::Notification(Notification::new("u1", "n1", false)),
            UserPage::Notification(Notification::new("u1", "n2", true)),
            UserPage::Photo(photo("u1", "p1", 5)),
            UserPage::Photo(photo("u1", "p2", 150)),
            UserPage::Photo(photo("u1", "p3", 20)),
            UserPage::User(user("u1", "o1")),
        ]
    );
    let with_others = table
        .query_collection::<UserPageWithOthers>(User::partition_key("u1"))
        .all()
        .await
        .unwrap();
    let others: Vec<&Item> = with_others
        .iter()
        .filter_map(|item| match item {
            UserPageWithOthers::Other(item) => Some(item),
            _ => None,
        })
        .collect();
    // The notifications and the settings are no member of this one.
    assert_eq!(others.len(), 3);
    let dark = AttributeValue::S("dark".into());
    assert!(others.iter().any(|item| item.get("theme") == Some(&dark)));
}

#[tokio::test]
async fn items_written_without_an_entity_type_are_told_apart_by_their_keys() {
    let (test, table) = seeded().await;
    let mut legacy = photo("u1", "p0", 7).to_item().unwrap();
    legacy.remove(ENTITY_TYPE_ATTRIBUTE);
    test.put_item(legacy).await;
    let mut legacy_profile = user("u3", "o2").to_item().unwrap();
    legacy_profile.remove(ENTITY_TYPE_ATTRIBUTE);
    test.put_item(legacy_profile).await;
    let photos: Vec<UserPage> = table
        .query_collection::<UserPage>(User::partition_key("u1"))
        .sort_key(SortKey::BeginsWith("PHOTO#".into()))
        .all()
        .await
        .unwrap();
    assert_eq!(photos.len(), 4);
    assert_eq!(photos[0], UserPage::Photo(photo("u1", "p0", 7)));
    let u3 = table
        .query_collection::<UserPage>(User::partition_key("u3"))
        .all()
        .await
        .unwrap();
    assert_eq!(u3, vec![UserPage::User(user("u3", "o2"))]);
}

#[tokio::test]
async fn sort_key_conditions_order_limits_and_member_filters_apply() {
    let (_t, table) = seeded().await;
    let newest_first: Vec<UserPage> = table
        .query_collection::<UserPage>(User::partition_key("u1"))
        .sort_key(SortKey::Lt("PROFILE".into()))
        .descending()
        .limit(2)
        .all()
        .await
        .unwrap();
    assert_eq!(
        newest_first,
        vec![
            UserPage::Photo(photo("u1", "p3", 20)),
            UserPage::Photo(photo("u1", "p2", 150)),
        ]
    );
    let f = Photo::fields();
    let popular_or_other: Vec<UserPage> = table
        .query_collection::<UserPage>(User::partition_key("u1"))
        .filter(f.likes.ge(100u64).or(f.likes.not_exists()))
        .all()
        .await
        .unwrap();
    let photos: Vec<&UserPage> = popular_or_other
        .iter()
        .filter(|p| matches!(p, UserPage::Photo(_)))
        .collect();
    assert_eq!(photos, vec![&UserPage::Photo(photo("u1", "p2", 150))]);
    // The notifications and the profile have no `likes`: kept by the condition's other half.
    assert_eq!(popular_or_other.len(), 4);
    let unread = Notification::fields();
    let only_unread = table
        .query_collection::<UserPage>(User::partition_key("u1"))
        .filter(unread.read.eq(false))
        .all()
        .await
        .unwrap();
    assert_eq!(
        only_unread,
        vec![UserPage::Notification(Notification::new("u1", "n1", false))]
    );
}

#[tokio::test]
async fn a_collection_over_an_index_reads_the_index_partition() {
    let (_t, table) = seeded().await;
    table.put(&Project::new("x1", "o1")).send().await.unwrap();
    table.put(&Project::new("x2", "o2")).send().await.unwrap();
    let org: Vec<OrgPage> = table
        .query_collection::<OrgPage>(User::gsi1_partition_key("o1"))
        .all()
        .await
        .unwrap();
    assert_eq!(
        org,
        vec![
            OrgPage::Project(Project::new("x1", "o1")),
            OrgPage::User(user("u1", "o1")),
            OrgPage::User(user("u2", "o1")),
        ]
    );
}

#[tokio::test]
async fn batch_get_of_a_collection_answers_each_key_with_its_member() {
    let (_t, table) = seeded().await;
    let keys = vec![
        Photo::key("u1", "p2"),
        User::key("u2"),
        PrimaryKey::new("USER#u1", "PHOTO#missing"),
        Settings::key("u1"),
        Notification::key("u1", "n1"),
    ];
    let got: Vec<Option<UserPage>> = table.batch_get::<UserPage>(keys).send().await.unwrap();
    assert_eq!(
        got,
        vec![
            Some(UserPage::Photo(photo("u1", "p2", 150))),
            Some(UserPage::User(user("u2", "o1"))),
            None,
            // An item of no member.
            None,
            Some(UserPage::Notification(Notification::new("u1", "n1", false))),
        ]
    );
}

#[tokio::test]
async fn a_collection_of_projections_reads_only_their_attributes() {
    let (_test, table) = seeded().await;
    assert_eq!(
        UserSummary::projection(),
        Some(&["_type", "name", "photoId", "likes"][..])
    );
    assert_eq!(UserAndLikes::projection(), None);
    let page: Vec<UserSummary> = table
        .query_collection::<UserSummary>(User::partition_key("u1"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    let expected = [
        UserSummary::Photo(PhotoLikes {
            photo_id: "p1".into(),
            likes: 5,
        }),
        UserSummary::Photo(PhotoLikes {
            photo_id: "p2".into(),
            likes: 150,
        }),
        UserSummary::Photo(PhotoLikes {
            photo_id: "p3".into(),
            likes: 20,
        }),
        UserSummary::User(UserName {
            name: "name of u1".into(),
        }),
    ];
    assert_eq!(page, expected, "notifications and settings have no variant");
    let mixed: Vec<UserAndLikes> = table
        .query_collection::<UserAndLikes>(User::partition_key("u1"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(mixed.len(), 4);
    assert_eq!(mixed[3], UserAndLikes::User(user("u1", "o1")));
}
