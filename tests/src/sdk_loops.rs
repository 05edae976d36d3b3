//! The seed's pattern 5 (`createdAt = if_not_exists(createdAt, now)`, `updatedAt = now` on every
//! item) written straight against the SDK: the loops the benchmarks measure the library against.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::Item;
use futures::StreamExt;

/// The scan segments of the hand-tuned loop.
pub const SEGMENTS: i32 = 8;
/// The requests the hand-tuned loop keeps in flight.
pub const IN_FLIGHT: usize = 64;

type Key = HashMap<String, AttributeValue>;

/// One `UpdateItem` of the pattern on `item`.
///
/// # Panics
/// When the update fails.
pub async fn update_timestamps(client: &Client, table: &str, item: &Item, now: &AttributeValue) {
    client
        .update_item()
        .table_name(table)
        .key("PK", item["PK"].clone())
        .key("SK", item["SK"].clone())
        .update_expression("SET #c = if_not_exists(#c, :now), #u = :now")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_names("#c", "createdAt")
        .expression_attribute_names("#u", "updatedAt")
        .expression_attribute_values(":now", now.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("update: {}", DisplayErrorContext(e)));
}

/// One page of a scan that leaves out the migration ledger.
async fn scan_page(
    client: &Client,
    table: &str,
    segment: Option<i32>,
    limit: Option<i32>,
    start: Option<Key>,
) -> (Vec<Item>, Option<Key>) {
    let mut request = client
        .scan()
        .table_name(table)
        .filter_expression("NOT begins_with(PK, :ledger)")
        .expression_attribute_values(":ledger", AttributeValue::S("_SCHEMA#".into()))
        .set_limit(limit)
        .set_exclusive_start_key(start);
    if let Some(segment) = segment {
        request = request.segment(segment).total_segments(SEGMENTS);
    }
    let page = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("scan: {}", DisplayErrorContext(e)));
    (page.items.unwrap_or_default(), page.last_evaluated_key)
}

/// Hand-tuned: every one of [`SEGMENTS`] scan segments a stream of items, [`IN_FLIGHT`] updates
/// at a time. Returns the items updated.
pub async fn hand_tuned(client: &Client, table: &str, now: &AttributeValue) -> usize {
    let segments = (0..SEGMENTS).map(|segment| {
        futures::stream::unfold(Some(None), move |start: Option<Option<Key>>| async move {
            let start = start?;
            let (items, next) = scan_page(client, table, Some(segment), None, start).await;
            Some((futures::stream::iter(items), next.map(Some)))
        })
        .flatten()
        .boxed()
    });
    futures::stream::select_all(segments)
        .map(|item| async move {
            update_timestamps(client, table, &item, now).await;
            1
        })
        .buffer_unordered(IN_FLIGHT)
        .fold(0, |n, one| async move { n + one })
        .await
}

/// The seed's loop: scan a page (of at most `page_limit` items), await each update in turn;
/// stops after `time_box` when one is given. Returns the items updated.
pub async fn naive(
    client: &Client,
    table: &str,
    now: &AttributeValue,
    page_limit: Option<i32>,
    time_box: Option<Duration>,
) -> usize {
    let started = Instant::now();
    let mut done = 0;
    let mut start = None;
    loop {
        let (items, next) = scan_page(client, table, None, page_limit, start).await;
        for item in items {
            update_timestamps(client, table, &item, now).await;
            done += 1;
            if time_box.is_some_and(|limit| started.elapsed() >= limit) {
                return done;
            }
        }
        start = next;
        if start.is_none() {
            return done;
        }
    }
}
