//! Dry runs that cannot write: the SDK client a dry run hands to migrations sends reads to
//! DynamoDB and answers every other request itself, below the SDK, so even raw-client writes in a
//! migration's own code never reach the table. Each intercepted request is recorded.

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use serde::Serialize;
use serde_json::Value;

use crate::dry_run_cost::DryRunCost;

/// The operations that only read: a dry run lets these through and nothing else.
const READS: &[&str] = &[
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "DescribeTable",
    "ListTables",
    "DescribeTimeToLive",
    "DescribeContinuousBackups",
    "DescribeLimits",
    "DescribeEndpoints",
    "ListTagsOfResource",
];

/// A write a dry run kept from reaching DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PlannedWrite {
    /// The DynamoDB operation (`PutItem`, `UpdateItem`, `BatchWriteItem`, `CreateTable`, ...).
    pub operation: String,
    /// The table, when the request names one.
    pub table: Option<String>,
    /// The item's key (`PK=... SK=...`), when the write is to one item.
    pub key: Option<String>,
    /// The update or condition expression, when there is one.
    pub expression: Option<String>,
}

/// How many intercepted writes a [`DryRunLog`] lists; it counts every one. A dry run of a
/// table of millions of items would otherwise hold a description of every write in memory.
pub const MAX_LISTED_WRITES: usize = 10_000;

/// The writes a dry run intercepted (the first [`MAX_LISTED_WRITES`], in order, and how many in
/// all), and what its reads and writes would cost.
#[derive(Debug, Clone, Default)]
pub struct DryRunLog {
    writes: Arc<Mutex<Listed>>,
    cost: Arc<Mutex<DryRunCost>>,
}

/// The writes listed, and the count of all.
#[derive(Debug, Default)]
struct Listed {
    first: Vec<PlannedWrite>,
    count: u64,
}

impl DryRunLog {
    /// The first [`MAX_LISTED_WRITES`] intercepted writes.
    pub fn writes(&self) -> Vec<PlannedWrite> {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first
            .clone()
    }

    /// How many writes were intercepted so far, listed or not.
    pub fn count(&self) -> u64 {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }

    /// What the reads so far cost and the intercepted writes would cost.
    pub fn cost(&self) -> DryRunCost {
        *self.cost.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, operation: &str, body: &Value) {
        self.cost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(operation, body);
        let planned = planned(operation, body);
        let mut listed = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        listed.count += planned.len() as u64;
        let room = MAX_LISTED_WRITES.saturating_sub(listed.first.len());
        listed.first.extend(planned.into_iter().take(room));
    }

    fn count_read(&self, operation: &str, request: &Value, response: &Value) {
        self.cost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .read(operation, request, response);
    }
}

/// A client like `client` whose writes are intercepted and recorded in the returned log.
pub fn dry_run_client(client: &Client) -> (Client, DryRunLog) {
    let log = DryRunLog::default();
    let config = client.config().to_builder();
    let inner = client.config().http_client();
    let interceptor = DryRunHttpClient {
        inner,
        log: log.clone(),
    };
    let config = config
        .http_client(SharedHttpClient::new(interceptor))
        .build();
    (Client::from_conf(config), log)
}

#[derive(Debug)]
struct DryRunHttpClient {
    inner: Option<SharedHttpClient>,
    log: DryRunLog,
}

impl HttpClient for DryRunHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(DryRunConnector {
            inner: self
                .inner
                .as_ref()
                .map(|c| c.http_connector(settings, components)),
            log: self.log.clone(),
        })
    }
}

#[derive(Debug)]
struct DryRunConnector {
    inner: Option<SharedHttpConnector>,
    log: DryRunLog,
}

impl HttpConnector for DryRunConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("Unknown")
            .to_owned();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        if is_read(&operation, &body) {
            let Some(inner) = &self.inner else {
                return HttpConnectorFuture::ready(Err(ConnectorError::other(
                    "the dry-run client has no HTTP client to send reads with".into(),
                    None,
                )));
            };
            let response = inner.call(request);
            let log = self.log.clone();
            // The response is read whole (as the SDK would) to count the items and their sizes.
            return HttpConnectorFuture::new(async move {
                let mut response = response.await?;
                let bytes = ByteStream::new(response.take_body())
                    .collect()
                    .await
                    .map_err(|e| ConnectorError::io(e.into()))?
                    .into_bytes();
                if let Ok(parsed) = serde_json::from_slice::<Value>(&bytes) {
                    log.count_read(&operation, &body, &parsed);
                }
                *response.body_mut() = SdkBody::from(bytes);
                Ok(response)
            });
        }
        self.log.record(&operation, &body);
        // An empty JSON object is a valid answer to every write: no attributes returned, no
        // unprocessed items, no consumed capacity.
        let Ok(status) = StatusCode::try_from(200u16) else {
            return HttpConnectorFuture::ready(Err(ConnectorError::other(
                "no 200 status code".into(),
                None,
            )));
        };
        let mut response = HttpResponse::new(status, SdkBody::from("{}"));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

fn is_read(operation: &str, body: &Value) -> bool {
    if READS.contains(&operation) {
        return true;
    }
    // PartiQL: only SELECT statements read.
    operation == "ExecuteStatement"
        && body["Statement"]
            .as_str()
            .is_some_and(|s| s.trim_start().to_ascii_uppercase().starts_with("SELECT"))
}

fn key_of(value: &Value) -> Option<String> {
    let pk = value.get("PK")?.get("S")?.as_str()?;
    let sk = value
        .get("SK")
        .and_then(|v| v.get("S"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(format!("PK={pk:?} SK={sk:?}"))
}

/// The update and condition expressions, with attribute names in place of their placeholders
/// (values stay placeholders: they can be large).
fn expression(body: &Value) -> Option<String> {
    let text = ["UpdateExpression", "ConditionExpression"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .reduce(|a, b| format!("{a} IF {b}"))?;
    let mut names: Vec<(&String, &str)> = body
        .get("ExpressionAttributeNames")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(placeholder, name)| Some((placeholder, name.as_str()?)))
        .collect();
    // Longest first, so `#n1` does not replace the start of `#n10`.
    names.sort_by_key(|(placeholder, _)| std::cmp::Reverse(placeholder.len()));
    Some(names.into_iter().fold(text, |text, (placeholder, name)| {
        text.replace(placeholder.as_str(), name)
    }))
}

/// The writes a request would make: one per item for batches and transactions.
fn planned(operation: &str, body: &Value) -> Vec<PlannedWrite> {
    let table = |b: &Value| {
        b.get("TableName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match operation {
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(name, requests)| {
                requests.as_array().into_iter().flatten().map(move |r| {
                    let (op, key) = if let Some(put) = r.get("PutRequest") {
                        ("PutItem", key_of(&put["Item"]))
                    } else {
                        ("DeleteItem", key_of(&r["DeleteRequest"]["Key"]))
                    };
                    PlannedWrite {
                        operation: format!("BatchWriteItem/{op}"),
                        table: Some(name.clone()),
                        key,
                        expression: None,
                    }
                })
            })
            .collect(),
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|action| action.as_object()?.iter().next())
            .map(|(kind, action)| PlannedWrite {
                operation: format!("TransactWriteItems/{kind}"),
                table: table(action),
                key: key_of(&action["Key"]).or_else(|| key_of(&action["Item"])),
                expression: expression(action),
            })
            .collect(),
        _ => vec![PlannedWrite {
            operation: operation.to_owned(),
            table: table(body),
            key: key_of(&body["Key"]).or_else(|| key_of(&body["Item"])),
            expression: expression(body).or_else(|| {
                body.get("Statement")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
        }],
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_the_first_writes_and_counts_every_one() {
        let log = DryRunLog::default();
        let put = json!({"TableName": "t", "Item": {"PK": {"S": "A"}, "SK": {"S": "B"}}});
        for _ in 0..MAX_LISTED_WRITES + 5 {
            log.record("PutItem", &put);
        }
        let writes = log.writes();
        assert_eq!(writes.len(), MAX_LISTED_WRITES);
        assert_eq!(writes[0].operation, "PutItem");
        assert_eq!(log.count(), MAX_LISTED_WRITES as u64 + 5);
        assert_eq!(log.cost().write_units, (MAX_LISTED_WRITES + 5) as f64);
    }
}
