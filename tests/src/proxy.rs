//! A DynamoDB proxy that injects latency and faults: what a real network and a real DynamoDB do
//! to a client, in front of DynamoDB Local. For tests and benchmarks.
//!
//! Each request is, in this order: delayed by [`Faults::latency`] (plus
//! [`Faults::spike_latency`] for a [`Faults::spikes`] fraction); answered with
//! `ProvisionedThroughputExceededException` or `ThrottlingException` without being forwarded for
//! a [`Faults::throttles`] fraction; forwarded, and for a [`Faults::lost_responses`] fraction its
//! response thrown away and the connection closed (the write happened, the client sees a
//! connection error). With [`Faults::capacity`] set, the proxy also enforces a table's capacity
//! as DynamoDB does and accounts for each client's consumption ([`crate::capacity_meter`]).
//! Table management requests (`CreateTable`, `DescribeTable`, `DeleteTable`)
//! are only delayed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::capacity_meter::{Admission, Capacity, CapacityMeter, CapacityStats, access_key};
use tokio::task::JoinHandle;

/// What the proxy does to requests. Fractions are between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Added to every request, before it is forwarded.
    pub latency: Duration,
    /// The fraction of requests delayed by `spike_latency` more.
    pub spikes: f64,
    /// The extra delay of a spike.
    pub spike_latency: Duration,
    /// The fraction of requests answered with a throttling error, not forwarded.
    pub throttles: f64,
    /// The fraction of requests forwarded whose response is lost.
    pub lost_responses: f64,
    /// The random seed of the choices.
    pub seed: u64,
    /// Requests whose `user-agent` starts with this are answered with
    /// `InvalidSignatureException`, not forwarded: a signature DynamoDB would refuse.
    pub refuse_signatures_from: Option<&'static str>,
    /// Check every request's SigV4 signature as AWS does (with the test kit's secret, `local`),
    /// and answer a wrong one with `InvalidSignatureException`, not forwarding it.
    pub check_signatures: bool,
    /// Answer `DescribeContinuousBackups` (which DynamoDB Local lacks) itself: point-in-time
    /// recovery on, restorable since these seconds since the Unix epoch (`Some(Some(_))`), or
    /// off (`Some(None)`). `None` forwards it.
    pub backups: Option<Option<u64>>,
    /// Regions added to `DescribeTable`'s answer as the table's replicas (a global table, which
    /// DynamoDB Local cannot make).
    pub replicas: &'static [&'static str],
    /// Capacity mode: the write and read units enforced, and a hot partition.
    pub capacity: Option<Capacity>,
}

impl Faults {
    /// Only a delay per request.
    pub fn latency(latency: Duration) -> Self {
        Self {
            latency,
            ..Self::default()
        }
    }
}

/// What the proxy did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: u64,
    /// Answered with a throttling error.
    pub throttled: u64,
    /// Forwarded with the response lost.
    pub lost: u64,
    /// Delayed by a spike.
    pub spikes: u64,
    /// Answered with `InvalidSignatureException` (refused by `refuse_signatures_from`, or a
    /// wrong signature under `check_signatures`).
    pub refused: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    throttled: AtomicU64,
    lost: AtomicU64,
    spikes: AtomicU64,
    refused: AtomicU64,
}

struct State {
    upstream: String,
    faults: Faults,
    rng: Mutex<fastrand::Rng>,
    client: Client<HttpConnector, Full<Bytes>>,
    counters: Counters,
    meter: Option<CapacityMeter>,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (e.g. DynamoDB Local's URL),
    /// on the current tokio runtime.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(upstream: &str, faults: Faults) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            faults,
            rng: Mutex::new(fastrand::Rng::with_seed(faults.seed)),
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(256)
                .build_http(),
            counters: Counters::default(),
            meter: faults.capacity.map(CapacityMeter::new),
        });
        let task = tokio::spawn(accept(listener, state.clone()));
        Ok(Self { url, state, task })
    }

    /// The URL to point clients at.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What each client consumed and how often it was throttled, per second (capacity mode;
    /// empty otherwise).
    pub fn capacity_stats(&self) -> CapacityStats {
        self.state
            .meter
            .as_ref()
            .map(CapacityMeter::stats)
            .unwrap_or_default()
    }

    /// The second of [`capacity_stats`](Self::capacity_stats)' accounting now: seconds since
    /// the proxy started (0 when it does not meter capacity).
    pub fn capacity_second(&self) -> u64 {
        self.state
            .meter
            .as_ref()
            .map_or(0, CapacityMeter::second_now)
    }

    /// What it did so far.
    pub fn stats(&self) -> ProxyStats {
        let c = &self.state.counters;
        ProxyStats {
            requests: c.requests.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
            spikes: c.spikes.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(state.clone(), request));
            // A connection closed to lose a response ends here with an error: that is the point.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Why the proxy gives no response: the connection is closed instead.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response dropped by the proxy")
    }
}

impl std::error::Error for Dropped {}

/// The choices for one request.
struct Roll {
    spike: bool,
    throttle: Option<&'static str>,
    lose: bool,
}

impl State {
    fn roll(&self, management: bool) -> Roll {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let f = &self.faults;
        let spike = rng.f64() < f.spikes;
        let throttle = (!management && rng.f64() < f.throttles).then(|| {
            if rng.bool() {
                "ProvisionedThroughputExceededException"
            } else {
                "ThrottlingException"
            }
        });
        let lose = !management && rng.f64() < f.lost_responses;
        Roll {
            spike,
            throttle,
            lose,
        }
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    state.counters.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let management = ["CreateTable", "DescribeTable", "DeleteTable"]
        .iter()
        .any(|op| target.ends_with(op));
    let refused = state.faults.refuse_signatures_from.is_some_and(|agent| {
        parts
            .headers
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(agent))
    });
    let refused = refused
        || (state.faults.check_signatures
            && !crate::signature_check::signature_is_valid(&parts, &body));
    if refused {
        state.counters.refused.fetch_add(1, Ordering::Relaxed);
        return Ok(error_response("InvalidSignatureException"));
    }
    let roll = state.roll(management);

    let mut delay = state.faults.latency;
    if roll.spike {
        state.counters.spikes.fetch_add(1, Ordering::Relaxed);
        delay += state.faults.spike_latency;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(code) = roll.throttle {
        state.counters.throttled.fetch_add(1, Ordering::Relaxed);
        return Ok(error_response(code));
    }

    if let (true, Some(backups)) = (
        target.ends_with("DescribeContinuousBackups"),
        state.faults.backups,
    ) {
        return Ok(json_response(&continuous_backups(backups)));
    }

    let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
    let client = access_key(
        parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let mut body = body;
    let mut unprocessed = None;
    if let Some(meter) = &state.meter {
        match meter.admit(&client, &operation, &body) {
            Admission::Forward => {}
            Admission::Throttle => {
                state.counters.throttled.fetch_add(1, Ordering::Relaxed);
                return Ok(error_response("ProvisionedThroughputExceededException"));
            }
            Admission::Partial {
                body: partial,
                table,
                unprocessed: items,
            } => {
                body = Bytes::from(partial);
                unprocessed = Some((table, items));
            }
        }
    }
    let request_body = body.clone();

    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut forward = Request::builder()
        .method(parts.method)
        .uri(format!("{}{path}", state.upstream));
    for (name, value) in &parts.headers {
        if name != hyper::header::HOST {
            forward = forward.header(name, value);
        }
    }
    let forward = forward.body(Full::new(body)).map_err(|_| Dropped)?;
    let response = state.client.request(forward).await.map_err(|_| Dropped)?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    if roll.lose {
        state.counters.lost.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped);
    }
    let mut parts = parts;
    if let Some(meter) = &state.meter {
        meter.charge_read(&client, &operation, &request_body, body.len());
    }
    let body = match unprocessed {
        Some((table, items)) => {
            parts.headers.remove(hyper::header::CONTENT_LENGTH);
            parts.headers.remove("x-amz-crc32");
            with_unprocessed(&body, &table, items)
        }
        None => body,
    };
    let body = match (target.ends_with("DescribeTable"), state.faults.replicas) {
        (true, replicas) if !replicas.is_empty() => {
            // The body changes: its length and checksum go with it.
            parts.headers.remove(hyper::header::CONTENT_LENGTH);
            parts.headers.remove("x-amz-crc32");
            with_replicas(&body, replicas)
        }
        _ => body,
    };
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// A `BatchWriteItem` answer with `items` of `table` added to its `UnprocessedItems`.
fn with_unprocessed(body: &Bytes, table: &str, items: Vec<serde_json::Value>) -> Bytes {
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.clone();
    };
    let mut all = answer["UnprocessedItems"][table]
        .as_array()
        .cloned()
        .unwrap_or_default();
    all.extend(items);
    answer["UnprocessedItems"][table] = serde_json::Value::Array(all);
    Bytes::from(serde_json::to_vec(&answer).unwrap_or_default())
}

/// `DescribeContinuousBackups`' answer: point-in-time recovery on since `since` (seconds since
/// the Unix epoch), or off.
fn continuous_backups(since: Option<u64>) -> String {
    let recovery = match since {
        Some(seconds) => serde_json::json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "EarliestRestorableDateTime": seconds,
            "LatestRestorableDateTime": seconds + 3600,
        }),
        None => serde_json::json!({"PointInTimeRecoveryStatus": "DISABLED"}),
    };
    serde_json::json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": recovery,
        }
    })
    .to_string()
}

/// A `DescribeTable` answer with `regions` as the table's replicas.
fn with_replicas(body: &Bytes, regions: &[&str]) -> Bytes {
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.clone();
    };
    if let Some(table) = answer.get_mut("Table") {
        table["Replicas"] = regions
            .iter()
            .map(|r| serde_json::json!({"RegionName": r, "ReplicaStatus": "ACTIVE"}))
            .collect();
    }
    Bytes::from(answer.to_string())
}

/// A 200 answer with `body` as DynamoDB's JSON.
fn json_response(body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

/// DynamoDB's answer of error `code`.
fn error_response(code: &str) -> Response<Full<Bytes>> {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected by the test proxy"}}"#
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(
        "x-amzn-requestid",
        hyper::header::HeaderValue::from_static("proxy-error"),
    );
    response
}
