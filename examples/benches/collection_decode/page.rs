//! The page both collection-decode benches use, and their two routines; each bench binary picks
//! its global allocator and calls [`benches`].

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use dynatable_core::aws_sdk_dynamodb as dynamodb;
use dynatable_core::client::ClientConfig;
use dynatable_core::{DirectRequests, Entity, Item, QueryTarget, Table};
use dynatable_example::user_page::UserItem;
use dynatable_example::{Notification, Photo, Timestamp, User};

use crate::canned;

/// DynamoDB's limit on the data one query page returns.
const PAGE_BYTES: usize = 1024 * 1024;

/// An item's size as DynamoDB counts it, near enough: names and string or number values.
fn size(item: &Item) -> usize {
    use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
                    _ => 1,
                }
        })
        .sum()
}

/// One user's partition, as a query returns it, up to 1 MB.
fn page() -> Vec<Item> {
    let created = Timestamp::from_millis(1_764_000_000_000);
    let mut user = User::new("ada", "ada@example.com", created);
    user.bio = "Photographer, mostly of cats.".into();
    user.updated_at = Some(created);
    let user_id = user.user_id.clone();
    let mut items = vec![user.to_item().unwrap()];
    let mut bytes = size(&items[0]);
    let mut n = 1u64;
    loop {
        let item = if n.is_multiple_of(5) {
            let mut notification = Notification::new(&user_id, format!("Someone liked photo {n}"));
            notification.created_at = Some(created);
            notification.to_item().unwrap()
        } else {
            let at = Timestamp::from_millis(created.as_millis() + n);
            let mut photo = Photo::new(
                &user_id,
                format!("https://photos.example.com/{user_id}/{n:0>22}.jpg"),
                at,
            );
            photo.updated_at = Some(at);
            photo.to_item().unwrap()
        };
        bytes += size(&item);
        if bytes > PAGE_BYTES {
            return items;
        }
        items.push(item);
        n += 1;
    }
}

/// Decodes `items` as a query's page is decoded (`Query::pages`).
fn decode_page(items: Vec<Item>) -> Vec<UserItem> {
    let mut decoded: Vec<UserItem> = Vec::with_capacity(items.len());
    for item in items {
        decoded.extend(UserItem::decode(item).unwrap());
    }
    decoded
}

fn decode(c: &mut Criterion, allocator: &str) {
    let page = page();
    let photo_url = page
        .iter()
        .find_map(|i| match i.get("url") {
            Some(dynatable_core::aws_sdk_dynamodb::types::AttributeValue::S(url)) => {
                Some(url.len())
            }
            _ => None,
        })
        .unwrap_or_default();
    println!(
        "page: {} items, photo URLs of {photo_url} characters",
        page.len()
    );
    c.bench_function(&format!("collection_decode_1mb_page/{allocator}"), |b| {
        b.iter_batched(
            || page.clone(),
            |items| black_box(decode_page(items)),
            BatchSize::LargeInput,
        );
    });
}

/// The decoding's own work, without the memory: the first [`IN_CACHE_ITEMS`] items of the page,
/// copied just before each decode, so that they are still in the core's cache.
fn decode_in_cache(c: &mut Criterion, allocator: &str) {
    let items: Vec<Item> = page().into_iter().take(IN_CACHE_ITEMS).collect();
    c.bench_function(
        &format!("collection_decode_{IN_CACHE_ITEMS}_items_in_cache/{allocator}"),
        |b| {
            b.iter_batched(
                || items.clone(),
                |items| black_box(decode_page(items)),
                BatchSize::PerIteration,
            );
        },
    );
}

/// How many items [`decode_in_cache`] decodes: about 100 KB of the SDK's maps.
const IN_CACHE_ITEMS: usize = 64;

/// For comparison: the same copies of the page dropped without decoding.
fn drop_only(c: &mut Criterion, allocator: &str) {
    let page = page();
    c.bench_function(&format!("collection_drop_1mb_page/{allocator}"), |b| {
        b.iter_batched(|| page.clone(), drop, BatchSize::LargeInput);
    });
}

/// For scale: the whole client side of reading the page, from a local server that answers every
/// request with the page (`canned.rs`): the SDK's query alone (its parse of the 1.4 MB answer into
/// its items, which are then dropped), and dynatable's `query_collection` into `Vec<UserItem>`
/// (the same, plus the decoding), through the SDK and through direct requests (the page decoded
/// straight from the answer's body).
fn query(c: &mut Criterion, allocator: &str) {
    let page = page();
    let url = canned::serve(canned::query_answer(&page));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = runtime.block_on(
        ClientConfig::default()
            .endpoint_url(url)
            .region("us-east-1")
            .load_sdk_config(),
    );
    // The server checks no signature; fixed credentials keep the bench off the machine's chain.
    let config = config
        .into_builder()
        .credentials_provider(dynamodb::config::SharedCredentialsProvider::new(
            dynamodb::config::Credentials::for_tests(),
        ))
        .build();
    let client = dynamodb::Client::new(&config);
    let table = Table::new(client.clone(), "canned");
    let direct = table.with_direct_requests(
        runtime
            .block_on(DirectRequests::new(&config))
            .expect("direct requests"),
    );
    c.bench_function(&format!("sdk_query_1mb_page/{allocator}"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let answer = client.query().table_name("canned").send().await.unwrap();
                assert_eq!(answer.items().len(), page.len());
                black_box(answer)
            })
        });
    });
    for (name, table) in [
        ("query_collection", &table),
        ("query_collection_direct", &direct),
    ] {
        c.bench_function(&format!("{name}_1mb_page/{allocator}"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let items = table
                        .query_collection::<UserItem>(User::partition_key("ada"))
                        .all()
                        .await
                        .unwrap();
                    assert_eq!(items.len(), page.len());
                    black_box(items)
                })
            });
        });
    }
}

/// The routines, named after `allocator`.
pub fn benches(c: &mut Criterion, allocator: &str) {
    decode(c, allocator);
    decode_in_cache(c, allocator);
    drop_only(c, allocator);
    query(c, allocator);
}
