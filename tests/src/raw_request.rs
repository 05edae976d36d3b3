//! One DynamoDB request sent as its JSON body, past the SDK: for inputs a test has as JSON (the
//! `CreateTable` input `migrate table-definition` prints). DynamoDB Local reads the credential in
//! the `Authorization` header but checks no signature.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Sends `body` as operation `operation` (e.g. `CreateTable`) to the DynamoDB Local at `url`;
/// returns the status code and the answer's body.
///
/// # Panics
/// When the request cannot be sent or its answer read.
pub async fn dynamodb_local_request(url: &str, operation: &str, body: String) -> (u16, String) {
    let request = Request::post(url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{operation}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-target, Signature=0",
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|e| panic!("request: {e}"));
    let client = Client::builder(TokioExecutor::new()).build_http();
    let answer = client
        .request(request)
        .await
        .unwrap_or_else(|e| panic!("{operation} to {url}: {e}"));
    let status = answer.status().as_u16();
    let body = answer
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{operation} answer: {e}"))
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
