//! Direct requests: single-item writes (`PutItem`, `UpdateItem`, `DeleteItem`), transactions
//! (`TransactWriteItems`) and reads (`GetItem`, `BatchGetItem`, `Query`, `Scan`) signed with
//! SigV4 (`signer`) and sent over a pooled HTTPS connection, without the SDK's per-request
//! orchestrator (its interceptors, runtime plugins, endpoint and identity resolution run for
//! every request, and cost about twice what the request itself does). The reads' answers are
//! decoded by `read_wire` straight from their bodies.

mod credentials;
mod read_wire;
mod signer;
mod write_wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use thiserror::Error;

use self::credentials::CachedCredentials;
pub(crate) use self::read_wire::{
    BatchGetAnswer, GetAnswer, PageAnswer, PageRequest, batch_get_item, get_item,
};
use self::signer::{RequestHeaders, Signer};
use self::write_wire::{Body, ErrorOutput, Output, TransactionOutput};
use super::error::ErrorKind;
use super::write_op::{Rendered, WriteOp};
use crate::codec::Item;

/// How long one attempt may wait for its answer before it counts as a lost connection (and is
/// retried with the table's backoff, as the SDK's would be).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting may take (the SDK's default for DynamoDB).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The JSON protocol's content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// [`CONTENT_TYPE`] as a header value (checked when compiling).
const CONTENT_TYPE_HEADER: HeaderValue = HeaderValue::from_static(CONTENT_TYPE);
/// The codes with which DynamoDB refuses a request's signature; the request did nothing, and it
/// is sent again through the SDK, which then takes every later write.
const SIGNATURE_REFUSED: &[&str] = &["InvalidSignatureException", "IncompleteSignatureException"];

/// Sends a [`Table`](super::Table)'s single-item writes, transactions and reads without the SDK's
/// per-request orchestrator: the same request, signed with SigV4 (`aws-sigv4`'s HMACs, the
/// day's signing key derived once) with the configuration's credentials, region and endpoint,
/// sent over a pool of HTTP/1.1 connections (rustls, the system's root certificates). A read's
/// answer is decoded straight from its body into the entity, projection or collection
/// ([`Entity::from_wire`](crate::Entity::from_wire)), without the SDK's maps. Measured
/// (`BENCHMARKS.md`), a write costs about half the client CPU, and a 1 MB query page a fraction
/// of the SDK's parse.
///
/// What it leaves out of the SDK's request path: interceptors added to a client, a custom HTTP
/// client or endpoint resolver set on the client (the endpoint comes from the `SdkConfig`: its
/// endpoint URL, or DynamoDB's endpoint for the region, FIPS and dual-stack settings), and clock
/// skew correction. Errors are classified as the SDK's are (same [`ErrorKind`]s, same retries
/// through the table's backoff). If DynamoDB ever refuses the signature, that request is sent
/// again through the SDK, and so is every later one ([`fell_back`](Self::fell_back)). A read
/// whose answer holds a value of a type this client does not know is sent again through the
/// SDK too.
///
/// Batch writes always go through the SDK.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use dynatable_core::client::ClientConfig;
/// use dynatable_core::{DirectRequests, Table};
///
/// let config = ClientConfig::from_env().load_sdk_config().await;
/// let client = dynatable_core::aws_sdk_dynamodb::Client::new(&config);
/// let table = Table::new(client, "app").with_direct_requests(DirectRequests::new(&config).await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DirectRequests {
    inner: Arc<Inner>,
}

struct Inner {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// The endpoint as signed and sent.
    endpoint: String,
    uri: http::Uri,
    host: String,
    host_header: HeaderValue,
    region: String,
    signer: Signer,
    credentials: CachedCredentials,
    fell_back: AtomicBool,
}

impl std::fmt::Debug for DirectRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectRequests")
            .field("endpoint", &self.inner.endpoint)
            .field("region", &self.inner.region)
            .field("fell_back", &self.fell_back())
            .finish_non_exhaustive()
    }
}

/// Why [`DirectRequests`] cannot be set up from a configuration.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DirectRequestsError {
    /// The configuration names no region.
    #[error("no AWS region configured: set AWS_REGION or the profile's region")]
    NoRegion,
    /// The configuration has no credentials provider.
    #[error("no AWS credentials provider configured")]
    NoCredentials,
    /// DynamoDB's endpoint could not be resolved, or is not a URL.
    #[error("cannot resolve DynamoDB's endpoint: {0}")]
    Endpoint(String),
    /// The system's root certificates could not be loaded.
    #[error("cannot load the system's TLS root certificates: {0}")]
    Tls(#[source] std::io::Error),
}

impl DirectRequests {
    /// Direct requests with `config`'s region, credentials provider and endpoint.
    ///
    /// # Errors
    /// When `config` has no region or credentials provider, when its endpoint is not a URL, or
    /// when the system's root certificates cannot be loaded.
    pub async fn new(config: &SdkConfig) -> Result<Self, DirectRequestsError> {
        let region = config
            .region()
            .ok_or(DirectRequestsError::NoRegion)?
            .to_string();
        let provider = config
            .credentials_provider()
            .ok_or(DirectRequestsError::NoCredentials)?;
        let endpoint = match config.endpoint_url() {
            Some(url) => url.to_owned(),
            None => resolve_endpoint(config, &region).await?,
        };
        let uri: http::Uri = endpoint
            .parse()
            .map_err(|e| DirectRequestsError::Endpoint(format!("{endpoint}: {e}")))?;
        let host = uri
            .authority()
            .ok_or_else(|| DirectRequestsError::Endpoint(format!("{endpoint}: no host")))?
            .to_string();
        let host_header = HeaderValue::from_str(&host)
            .map_err(|e| DirectRequestsError::Endpoint(format!("{endpoint}: {e}")))?;
        let signer = Signer::new(&region, &endpoint, uri.path());
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        // `default_provider` is deprecated by later rustls 0.23 releases than the oldest this
        // workspace accepts, which lack its replacement; the provider is the same ring one.
        #[allow(deprecated)]
        let ring = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(ring)
            .map_err(DirectRequestsError::Tls)?
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .build(https);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                uri,
                host,
                host_header,
                region,
                signer,
                credentials: CachedCredentials::new(provider),
                fell_back: AtomicBool::new(false),
            }),
        })
    }

    /// Whether DynamoDB refused a direct write's signature, so that writes now go through the
    /// SDK.
    pub fn fell_back(&self) -> bool {
        self.inner.fell_back.load(Ordering::Relaxed)
    }

    /// Sends `op` to `table` as rendered in `r`. Returns the capacity it consumed (when
    /// `capacity`) and the item it wrote (when `return_new`, for an update), or `None` when the
    /// write is one to send through the SDK (see [`render`], or after a refused signature).
    pub(crate) async fn send(
        &self,
        table: &str,
        op: &WriteOp,
        r: &Rendered<'_>,
        capacity: bool,
        return_new: bool,
    ) -> Result<Option<(Option<f64>, Option<Item>)>, ErrorKind> {
        if self.fell_back() {
            return Ok(None);
        }
        // A value of a type this client does not know (the SDK's `Unknown`) is left to the SDK,
        // which then says what it says of it.
        let Some((target, body)) = render(table, op, r, capacity, return_new) else {
            return Ok(None);
        };
        let Some(answer) = self.request(target, body).await? else {
            return Ok(None);
        };
        // The write is done whatever the answer holds: one this client cannot read is an error,
        // never a second attempt through the SDK.
        let output: Output<'_> = serde_json::from_slice(&answer).map_err(|e| unreadable(&e))?;
        Ok(Some((output.capacity_units(), output.into_attributes())))
    }

    /// Sends a transaction of `actions` (each write's kind and its rendered parts) on `table`
    /// with the idempotency `token`. Returns the capacity it consumed (when `capacity`), or
    /// `None` when the transaction is one to send through the SDK (a value of a type this client
    /// does not know, or after a refused signature). A canceled transaction's error is
    /// [`ErrorKind::TransactionCanceled`] with the failed actions' reasons, as the SDK's.
    pub(crate) async fn transact(
        &self,
        table: &str,
        actions: &[(&WriteOp, &Rendered<'_>)],
        token: &str,
        capacity: bool,
    ) -> Result<Option<Option<f64>>, ErrorKind> {
        if self.fell_back() {
            return Ok(None);
        }
        let Some(body) = render_transaction(table, actions, token, capacity) else {
            return Ok(None);
        };
        let Some(answer) = self
            .request("DynamoDB_20120810.TransactWriteItems", body)
            .await?
        else {
            return Ok(None);
        };
        // Applied whatever the answer holds, as a single write.
        let output: TransactionOutput =
            serde_json::from_slice(&answer).map_err(|e| unreadable(&e))?;
        Ok(Some(output.capacity_units()))
    }

    /// Sends a read (`target`, e.g. `DynamoDB_20120810.Query`, with its JSON `body`); the
    /// answer's body, or `None` when the read is one to send through the SDK (DynamoDB refused
    /// the signature).
    pub(crate) async fn read(
        &self,
        target: &'static str,
        body: String,
    ) -> Result<Option<Bytes>, ErrorKind> {
        if self.fell_back() {
            return Ok(None);
        }
        self.request(target, body).await
    }

    /// One signed request; the answer's body when DynamoDB accepted it, `None` when it refused
    /// the signature.
    async fn request(
        &self,
        target: &'static str,
        body: String,
    ) -> Result<Option<Bytes>, ErrorKind> {
        let inner = &self.inner;
        let credentials = inner
            .credentials
            .get()
            .await
            .map_err(ErrorKind::Configuration)?;
        let signature = inner
            .signer
            .sign(
                &credentials,
                &RequestHeaders {
                    content_type: CONTENT_TYPE,
                    host: &inner.host,
                    target,
                },
                body.as_bytes(),
                SystemTime::now(),
            )
            .map_err(|e| ErrorKind::Configuration(format!("cannot sign: {}", e.0)))?;
        let mut request = http::Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = inner.uri.clone();
        // Room for every header at once: a map grown one insert at a time reallocates.
        *request.headers_mut() = http::HeaderMap::with_capacity(8);
        let headers = request.headers_mut();
        // Every value is checked; the operation's name is not copied to be.
        let value = |bytes: Bytes| {
            HeaderValue::from_maybe_shared(bytes)
                .map_err(|e| ErrorKind::Configuration(format!("cannot sign: {e}")))
        };
        headers.insert(header::USER_AGENT, USER_AGENT_HEADER);
        headers.insert(header::CONTENT_TYPE, CONTENT_TYPE_HEADER);
        headers.insert(header::HOST, inner.host_header.clone());
        let target = Bytes::from_static(target.as_bytes());
        headers.insert("x-amz-target", value(target)?);
        headers.insert("x-amz-date", value(signature.date.into())?);
        headers.insert(
            header::AUTHORIZATION,
            value(signature.authorization.into())?,
        );
        if let Some(token) = signature.token {
            headers.insert("x-amz-security-token", value(token.into())?);
        }
        let exchange = async {
            let response = inner
                .http
                .request(request)
                .await
                .map_err(|e| ErrorKind::Request(format!("{e}{}", source_chain(&e))))?;
            let status = response.status();
            let header_code = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(':').next().unwrap_or(v).to_owned());
            let answer = response
                .into_body()
                .collect()
                .await
                .map_err(|e| ErrorKind::Request(format!("the answer was cut off: {e}")))?
                .to_bytes();
            Ok::<_, ErrorKind>((status, header_code, answer))
        };
        let (status, header_code, answer) = tokio::time::timeout(ATTEMPT_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                ErrorKind::Request(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()))
            })??;
        if status.is_success() {
            return Ok(Some(answer));
        }
        let error: Option<ErrorOutput> = serde_json::from_slice(&answer).ok();
        let code = error
            .as_ref()
            .and_then(ErrorOutput::code)
            .map(str::to_owned)
            .or(header_code)
            .unwrap_or_else(|| match status.as_u16() {
                500 => "InternalServerError".to_owned(),
                503 => "ServiceUnavailable".to_owned(),
                other => format!("HTTP {other}"),
            });
        if SIGNATURE_REFUSED.contains(&code.as_str()) {
            inner.fell_back.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        if code == "TransactionCanceledException" {
            let reasons = error
                .as_ref()
                .map(ErrorOutput::cancellation_reasons)
                .unwrap_or_default();
            return Err(ErrorKind::TransactionCanceled { reasons });
        }
        let message = error.as_ref().map_or("", ErrorOutput::message).to_owned();
        Err(ErrorKind::from_code(code, message))
    }
}

/// The operation's `x-amz-target` and the request's body, or `None` for a write to leave to the
/// SDK (a condition check, or a value of a type this client does not know).
fn render(
    table: &str,
    op: &WriteOp,
    r: &Rendered<'_>,
    capacity: bool,
    return_new: bool,
) -> Option<(&'static str, String)> {
    let target = match op {
        WriteOp::Put(_) => "DynamoDB_20120810.PutItem",
        WriteOp::Update(_) => "DynamoDB_20120810.UpdateItem",
        WriteOp::Delete => "DynamoDB_20120810.DeleteItem",
        WriteOp::ConditionCheck => return None,
    };
    let (_, mut body) = write_fields(table, op, r)?;
    if capacity {
        // INDEXES: the total then counts the writes to every GSI too.
        body.text("ReturnConsumedCapacity", "INDEXES");
    }
    if return_new && matches!(op, WriteOp::Update(_)) {
        body.text("ReturnValues", "ALL_NEW");
    }
    Some((target, body.finish()))
}

/// A `TransactWriteItems` body: every action, the token and, with `capacity`, the request for
/// the capacity consumed; `None` when a value is of a type this client does not know.
fn render_transaction(
    table: &str,
    actions: &[(&WriteOp, &Rendered<'_>)],
    token: &str,
    capacity: bool,
) -> Option<String> {
    let actions = actions
        .iter()
        .map(|(op, r)| write_fields(table, op, r).map(|(kind, body)| (kind, body.finish())))
        .collect::<Option<Vec<_>>>()?;
    let mut body = Body::empty();
    body.actions("TransactItems", &actions);
    body.text("ClientRequestToken", token);
    if capacity {
        body.text("ReturnConsumedCapacity", "INDEXES");
    }
    Some(body.finish())
}

/// The fields one write shares between its own request and a transaction's action: the table,
/// the item (a put) or key, the expressions and their placeholders. Returns the write's kind as
/// a transaction names it, or `None` for a value of a type this client does not know.
fn write_fields(table: &str, op: &WriteOp, r: &Rendered<'_>) -> Option<(&'static str, Body)> {
    // Room for the whole body at once: each placeholder in the expressions stands for a name or
    // a value written out in the body (a put's item is sized by its values).
    let expressions =
        r.update.as_ref().map_or(0, String::len) + r.condition.as_ref().map_or(0, String::len);
    let mut body = Body::with_capacity(
        table,
        256 + 3 * expressions + 64 * r.item.map_or(0, |i| i.len()),
    );
    let kind = match op {
        WriteOp::Put(_) => {
            // A put's rendering always has its item.
            body.item("Item", r.item?).ok()?;
            "Put"
        }
        WriteOp::Update(_) => {
            body.key("Key", r.key);
            "Update"
        }
        WriteOp::Delete => {
            body.key("Key", r.key);
            "Delete"
        }
        WriteOp::ConditionCheck => {
            body.key("Key", r.key);
            "ConditionCheck"
        }
    };
    if let Some(update) = &r.update {
        body.text("UpdateExpression", update);
    }
    if let Some(condition) = &r.condition {
        body.text("ConditionExpression", condition);
    }
    body.placeholders(&r.placeholders).ok()?;
    Some((kind, body))
}

/// The error of an answer that is not DynamoDB's JSON as it should be.
pub(crate) fn unreadable(error: &serde_json::Error) -> ErrorKind {
    ErrorKind::Request(format!(
        "DynamoDB's answer is not what it should be: {error}"
    ))
}

/// The former name of [`DirectRequests`], from when only writes were direct.
#[deprecated(
    since = "0.1.0",
    note = "renamed `DirectRequests`: reads are direct too"
)]
pub type DirectWrites = DirectRequests;

/// `dynatable/<version>`, sent as the user agent (checked when compiling).
const USER_AGENT_HEADER: HeaderValue =
    HeaderValue::from_static(concat!("dynatable/", env!("CARGO_PKG_VERSION")));

/// `: cause: cause ...` of an error's sources.
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// DynamoDB's endpoint for `region` and `config`'s FIPS and dual-stack settings, as the SDK's
/// default resolver gives it.
async fn resolve_endpoint(config: &SdkConfig, region: &str) -> Result<String, DirectRequestsError> {
    let params = Params::builder()
        .region(region)
        .use_fips(config.use_fips().unwrap_or(false))
        .use_dual_stack(config.use_dual_stack().unwrap_or(false))
        .build()
        .map_err(|e| DirectRequestsError::Endpoint(e.to_string()))?;
    let endpoint = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|e| DirectRequestsError::Endpoint(e.to_string()))?;
    Ok(endpoint.url().to_owned())
}
