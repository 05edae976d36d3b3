//! The requests of a scan: one stream of pages per segment, each following `LastEvaluatedKey`
//! from its position, under one read-rate budget.

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::page_decoder::PageDecoder;
use crate::reserved_names::PARTITION_KEY_ATTRIBUTE;
use crate::table::capacity_share::{Ticket, partition_of};
use crate::table::cursor::Cursor;
use crate::table::direct_read;
use crate::table::direct_requests::{PageAnswer, PageRequest};
use crate::table::error::{Error, Operation, Result};
use crate::table::expression::Placeholders;
use crate::table::handle::Table;
use crate::table::page::{Page, SegmentPosition};
use crate::table::rate_limit::{RateLimit, RateLimiter};

/// A scan of raw items, split into segments read concurrently.
#[derive(Debug, Clone)]
pub(super) struct RawScan {
    pub(super) table: Table,
    pub(super) filter: Option<(String, Placeholders<'static>)>,
    /// The `ProjectionExpression`, its names among the filter's placeholders.
    pub(super) projection: Option<String>,
    pub(super) positions: Vec<SegmentPosition>,
    pub(super) page_size: Option<i32>,
    pub(super) consistent: bool,
    /// Also return the migration ledger's items
    /// ([`ScanItems::with_ledger`](super::ScanItems::with_ledger)).
    pub(super) with_ledger: bool,
    /// At most this many items read per second, over every segment
    /// ([`Scan::max_rate`](super::Scan::max_rate)).
    pub(super) max_rate: Option<f64>,
    /// Leave out items that do not decode, listing them in their page
    /// ([`Scan::skip_malformed`](super::Scan::skip_malformed)).
    pub(super) skip_malformed: bool,
}

impl RawScan {
    pub(super) fn new(table: Table) -> Self {
        Self {
            table,
            filter: None,
            projection: None,
            positions: vec![SegmentPosition::Start],
            page_size: None,
            consistent: false,
            with_ledger: false,
            max_rate: None,
            skip_malformed: false,
        }
    }

    /// The page of `segment` after `start`, decoded by `decoder`: through the table's direct
    /// requests when it has them, else through the SDK; under the table's read capacity share,
    /// which hears of each throttled attempt and is settled with what the page consumed.
    async fn fetch<U>(
        &self,
        segment: u32,
        start: Option<Cursor>,
        decoder: &PageDecoder<U>,
    ) -> Result<Page<U>> {
        let table = &self.table;
        let share = table.read_capacity();
        // Waits while paused or in debt; the page's cost is taken once DynamoDB reports it.
        let ticket = match share {
            Some(share) => share.acquire(0.0).await,
            None => Ticket::default(),
        };
        // Where the page starts: pages of different partitions throttled together are the
        // table's read capacity running out; one page throttled again and again is a hot key.
        let partition = start
            .as_ref()
            .and_then(|cursor| cursor.0.get(PARTITION_KEY_ATTRIBUTE))
            .and_then(|pk| pk.as_s().ok())
            .map_or(u64::from(segment), |pk| partition_of(pk));
        let segments = u32::try_from(self.positions.len()).unwrap_or(1);
        let request = PageRequest {
            table: table.name(),
            filter: self.filter.as_ref().map(|(f, _)| f.as_str()),
            projection: self.projection.as_deref(),
            placeholders: self.filter.as_ref().map(|(_, p)| p),
            forward: true,
            limit: self.page_size,
            start: start.as_ref().map(|c| &c.0),
            consistent: self.consistent,
            capacity: share.is_some(),
            segment: (segments > 1).then(|| {
                (
                    i32::try_from(segment).unwrap_or_default(),
                    i32::try_from(segments).unwrap_or(1),
                )
            }),
            ..PageRequest::default()
        };
        let throttled = |e: &Error| {
            if let Some(share) = share
                && e.is_throttled()
            {
                share.throttled(partition, ticket);
            }
        };
        let direct =
            match direct_read::send_page(table, Operation::Scan, &request, throttled).await? {
                Some(body) => answer_page(table, &body, decoder)?,
                None => None,
            };
        let (mut page, consumed) = match direct {
            Some(read) => read,
            None => self.sdk_page(&request, decoder, throttled).await?,
        };
        page.segment = segment;
        if let Some(share) = share {
            share.settle(0.0, consumed.unwrap_or_default());
        }
        Ok(page)
    }

    /// [`fetch`](Self::fetch) through the SDK: the page (its segment left at 0) and the read
    /// units it consumed.
    async fn sdk_page<U>(
        &self,
        request: &PageRequest<'_>,
        decoder: &PageDecoder<U>,
        throttled: impl Fn(&Error),
    ) -> Result<(Page<U>, Option<f64>)> {
        let table = &self.table;
        let output = table
            .backoff()
            .retry(|| async {
                let mut scan = table
                    .client()
                    .scan()
                    .table_name(table.name())
                    .set_filter_expression(request.sent_filter().map(str::to_owned))
                    .set_projection_expression(request.projection.map(str::to_owned))
                    .set_expression_attribute_names(request.sent_names())
                    .set_expression_attribute_values(request.sent_values())
                    .set_limit(request.limit)
                    .set_exclusive_start_key(request.start.cloned())
                    .consistent_read(request.consistent)
                    .set_return_consumed_capacity(
                        request.capacity.then_some(ReturnConsumedCapacity::Total),
                    );
                if let Some((segment, segments)) = request.segment {
                    scan = scan.segment(segment).total_segments(segments);
                }
                let sent = scan
                    .send()
                    .await
                    .map_err(|e| Error::from_sdk(Operation::Scan, table.name(), None, e));
                if let Err(e) = &sent {
                    throttled(e);
                }
                sent
            })
            .await?;
        let consumed = output.consumed_capacity().and_then(|c| c.capacity_units());
        let (items, malformed) = decoder.items(table, output.items.unwrap_or_default())?;
        let page = Page {
            items,
            cursor: output.last_evaluated_key.map(Cursor),
            segment: 0,
            scanned: usize::try_from(output.scanned_count).unwrap_or_default(),
            malformed,
        };
        Ok((page, consumed))
    }

    /// One stream of pages per segment, each page decoded by `decoder`.
    pub(super) fn segment_pages<U: Send + 'static>(
        self,
        decoder: PageDecoder<U>,
    ) -> Vec<BoxStream<'static, Result<Page<U>>>> {
        let decoder = std::sync::Arc::new(decoder);
        // One budget for every segment: each takes a page's items from it after reading the page,
        // so a segment in debt waits before reading its next one.
        let limiter = self
            .max_rate
            .map(|rate| RateLimiter::new(RateLimit::ItemsPerSecond(rate)));
        let scan = std::sync::Arc::new(self);
        let segments = scan
            .positions
            .iter()
            .enumerate()
            .map(|(segment, position)| {
                let scan = scan.clone();
                let segment = u32::try_from(segment).unwrap_or_default();
                let limiter = limiter.clone();
                let decoder = decoder.clone();
                futures::stream::try_unfold(position.clone(), move |position| {
                    let scan = scan.clone();
                    let limiter = limiter.clone();
                    let decoder = decoder.clone();
                    async move {
                        let start = match position {
                            SegmentPosition::Done => return Ok(None),
                            SegmentPosition::Start => None,
                            SegmentPosition::After(cursor) => Some(cursor),
                        };
                        let page = scan.fetch(segment, start, &decoder).await?;
                        if let Some(limiter) = &limiter {
                            limiter.acquire(page.scanned as f64).await;
                        }
                        let next = page
                            .cursor
                            .clone()
                            .map_or(SegmentPosition::Done, SegmentPosition::After);
                        Ok(Some((page, next)))
                    }
                })
                .boxed()
            });
        segments.collect()
    }
}

/// [`RawScan::fetch`]'s page from a direct answer's `body` (its segment left at 0) and the read
/// units it consumed; `None` when the answer holds a value of a type this client does not know.
fn answer_page<U>(
    table: &Table,
    body: &[u8],
    decoder: &PageDecoder<U>,
) -> Result<Option<(Page<U>, Option<f64>)>> {
    let Some(answer) = direct_read::parse::<PageAnswer<'_>>(table, Operation::Scan, body)? else {
        return Ok(None);
    };
    let consumed = answer.capacity_units();
    let (items, malformed) = decoder.wire_items(table, answer.items)?;
    let page = Page {
        items,
        cursor: answer.last_evaluated_key.map(|key| Cursor(key.into_item())),
        segment: 0,
        scanned: usize::try_from(answer.scanned_count).unwrap_or_default(),
        malformed,
    };
    Ok(Some((page, consumed)))
}
