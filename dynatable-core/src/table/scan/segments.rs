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
    pub(super) filter: Option<(String, Placeholders)>,
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
        let (filter, names, values) = match &self.filter {
            Some((f, p)) => (
                Some(f.clone()).filter(|f| !f.is_empty()),
                p.names(),
                p.values(),
            ),
            None => (None, None, None),
        };
        let page_size = self.page_size;
        let request = PageRequest {
            table: table.name(),
            filter: filter.as_deref(),
            projection: self.projection.as_deref(),
            names: self.filter.as_ref().map(|(_, p)| p.names_ref()),
            values: self.filter.as_ref().map(|(_, p)| p.values_ref()),
            forward: true,
            limit: page_size,
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
        if let Some(body) =
            direct_read::send_page(table, Operation::Scan, &request, throttled).await?
            && let Some(answer) =
                direct_read::parse::<PageAnswer<'_>>(table, Operation::Scan, &body)?
        {
            if let Some(share) = share {
                share.settle(0.0, answer.capacity_units().unwrap_or_default());
            }
            let (items, malformed) = decoder.wire_items(table, answer.items)?;
            return Ok(Page {
                items,
                cursor: answer.last_evaluated_key.map(|key| Cursor(key.into_item())),
                segment,
                scanned: usize::try_from(answer.scanned_count).unwrap_or_default(),
                malformed,
            });
        }
        let output = table
            .backoff()
            .retry(|| async {
                let mut request = table
                    .client()
                    .scan()
                    .table_name(table.name())
                    .set_filter_expression(filter.clone())
                    .set_projection_expression(self.projection.clone())
                    .set_expression_attribute_names(names.clone())
                    .set_expression_attribute_values(values.clone())
                    .set_limit(page_size)
                    .set_exclusive_start_key(start.clone().map(|c| c.0))
                    .consistent_read(self.consistent);
                if segments > 1 {
                    request = request
                        .segment(i32::try_from(segment).unwrap_or_default())
                        .total_segments(i32::try_from(segments).unwrap_or(1));
                }
                let sent = request
                    .set_return_consumed_capacity(share.map(|_| ReturnConsumedCapacity::Total))
                    .send()
                    .await
                    .map_err(|e| Error::from_sdk(Operation::Scan, table.name(), None, e));
                if let (Err(e), Some(share)) = (&sent, share)
                    && e.is_throttled()
                {
                    share.throttled(partition, ticket);
                }
                sent
            })
            .await?;
        if let Some(share) = share {
            let consumed = output
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or_default();
            share.settle(0.0, consumed);
        }
        let (items, malformed) = decoder.items(table, output.items.unwrap_or_default())?;
        Ok(Page {
            items,
            cursor: output.last_evaluated_key.map(Cursor),
            segment,
            scanned: usize::try_from(output.scanned_count).unwrap_or_default(),
            malformed,
        })
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
