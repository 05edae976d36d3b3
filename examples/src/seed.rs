//! Realistic data in the shape the app had before 0.1.0: users without `bio`, usernames in
//! mixed case, photos under `SK = PHOTO#{photoId}`, no `_type` attribute (the items of the seed
//! document's tool).

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{BulkError, BulkReport, Item, Table};
use ulid::Ulid;

use crate::Timestamp;

/// How much to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Users.
    pub users: usize,
    /// Photos of each user.
    pub photos_per_user: usize,
    /// The random seed: the same seed writes the same items.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            users: 100,
            photos_per_user: 10,
            seed: 1,
        }
    }
}

const FIRST_NAMES: &[&str] = &[
    "Alice", "bob", "Carol", "DAVE", "erin", "Frank", "Grace", "heidi", "Ivan", "Judy", "mallory",
    "Niaj", "Olivia", "peggy", "Rupert", "Sybil", "trent", "Victor", "Walter", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "jones", "Garcia", "MILLER", "davis", "Lopez", "Wilson", "anderson", "Thomas", "Moore",
];
/// 2025-01-01T00:00:00Z.
const START_MS: u64 = 1_735_689_600_000;
const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

/// Writes the items of [`legacy_items`] with batch writes.
///
/// # Errors
/// The batch write's error, with the report of what was written.
pub async fn seed(table: &Table, options: &SeedOptions) -> Result<BulkReport, BulkError> {
    table.batch_put_items(legacy_items(options)).await
}

/// The items: each user, then the user's photos. The same options give the same items.
pub fn legacy_items(options: &SeedOptions) -> impl Iterator<Item = Item> + Send + 'static {
    let (seed, photos) = (options.seed, options.photos_per_user);
    (0..options.users).flat_map(move |n| {
        // One generator per user: user n is the same whatever the number of users.
        let mut rng =
            fastrand::Rng::with_seed(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        user_and_photos(&mut rng, n, photos)
    })
}

fn user_and_photos(rng: &mut fastrand::Rng, n: usize, photos: usize) -> Vec<Item> {
    let signed_up = START_MS + rng.u64(..YEAR_MS);
    let user_id = Ulid::from_parts(signed_up, rng.u128(..)).to_string();
    let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
    let username = format!("{first}{last}{n}");
    let pk = format!("USER#{user_id}");
    let mut items = Vec::with_capacity(photos + 1);
    items.push(item(&[
        ("PK", &pk),
        ("SK", "PROFILE"),
        ("userId", &user_id),
        ("username", &username),
        ("email", &format!("{}@example.com", username.to_lowercase())),
        ("createdAt", &Timestamp::from_millis(signed_up).to_string()),
    ]));
    for _ in 0..photos {
        let uploaded = signed_up + rng.u64(..YEAR_MS / 4);
        let photo_id = Ulid::from_parts(uploaded, rng.u128(..)).to_string();
        items.push(item(&[
            ("PK", &pk),
            ("SK", &format!("PHOTO#{photo_id}")),
            ("userId", &user_id),
            ("photoId", &photo_id),
            (
                "url",
                &format!("https://photos.example.com/{user_id}/{photo_id}.jpg"),
            ),
            ("createdAt", &Timestamp::from_millis(uploaded).to_string()),
        ]));
    }
    items
}

fn item(attributes: &[(&str, &str)]) -> Item {
    attributes
        .iter()
        .map(|(name, value)| ((*name).to_owned(), AttributeValue::S((*value).to_owned())))
        .collect()
}
