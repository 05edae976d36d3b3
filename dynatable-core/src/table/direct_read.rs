//! Sending a read through a table's [`DirectRequests`](super::DirectRequests): retried with the
//! table's backoff as the SDK's reads are, the answer's body returned for the caller to decode;
//! `None` when the read goes through the SDK instead (no direct requests, a refused signature,
//! a value of a type this client does not know).

use bytes::Bytes;
use serde::Deserialize;

use super::direct_requests::{PageRequest, unreadable};
use super::error::{Error, Operation, Result};
use super::handle::Table;
use crate::codec::is_unknown_type;
use crate::key::PrimaryKey;

/// Sends a `Query` or `Scan`; `failed` sees each attempt's error (a scan tells its capacity
/// share of throttles).
pub(crate) async fn send_page(
    table: &Table,
    operation: Operation,
    request: &PageRequest<'_>,
    failed: impl Fn(&Error),
) -> Result<Option<Bytes>> {
    let Some((target, body)) = table.direct().and_then(|_| request.render()) else {
        return Ok(None);
    };
    send(table, operation, None, target, || Some(body), failed).await
}

/// Sends the body `render` gives (`None`: a value this client cannot write) to `target`,
/// retried with the table's backoff; `failed` sees each attempt's error. Nothing is rendered for
/// a table without direct requests.
pub(crate) async fn send(
    table: &Table,
    operation: Operation,
    key: Option<&PrimaryKey>,
    target: &'static str,
    render: impl FnOnce() -> Option<String>,
    failed: impl Fn(&Error),
) -> Result<Option<Bytes>> {
    let Some(direct) = table.direct() else {
        return Ok(None);
    };
    let Some(body) = render() else {
        return Ok(None);
    };
    table
        .backoff()
        .retry(|| async {
            let sent = direct
                .read(target, body.clone())
                .await
                .map_err(|kind| table.error(operation, key.cloned(), kind));
            if let Err(e) = &sent {
                failed(e);
            }
            sent
        })
        .await
}

/// Parses an answer's `body` as `T`; `None` when it holds a value of a type this client does
/// not know (the read is then sent again through the SDK).
pub(crate) fn parse<'b, T: Deserialize<'b>>(
    table: &Table,
    operation: Operation,
    body: &'b [u8],
) -> Result<Option<T>> {
    match serde_json::from_slice(body) {
        Ok(answer) => Ok(Some(answer)),
        Err(e) if is_unknown_type(&e) => Ok(None),
        Err(e) => Err(table.error(operation, None, unreadable(&e))),
    }
}
