//! What AWS does with a request's SigV4 signature, for the test proxy: recompute it from the
//! request as received (its method, path, the headers it lists as signed, its body) with the
//! test kit's secret, and compare. A request whose bytes differ from what its client signed
//! fails here as it would at AWS, which DynamoDB Local (accepting any signature) cannot show.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::identity::Identity;
use hyper::http::request::Parts;

/// The secret access key of the test kit's credentials for DynamoDB Local.
const SECRET: &str = "local";

/// Whether the request's `authorization` header holds the signature its parts and `body` give.
pub(crate) fn signature_is_valid(parts: &Parts, body: &[u8]) -> bool {
    check(parts, body).is_some_and(|(expected, found)| expected == found)
}

/// The signature recomputed and the one the request carries.
fn check(parts: &Parts, body: &[u8]) -> Option<(String, String)> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization")?;
    let fields = authorization.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let field = |name: &str| {
        fields
            .split(", ")
            .find_map(|f| f.strip_prefix(name).and_then(|f| f.strip_prefix('=')))
    };
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request
    let mut scope = field("Credential")?.split('/');
    let key = scope.next()?;
    let (_date, region, service) = (scope.next()?, scope.next()?, scope.next()?);
    let signed: Vec<&str> = field("SignedHeaders")?.split(';').collect();
    let found = field("Signature")?.to_owned();
    let time = amz_date(header("x-amz-date")?)?;

    let headers: Vec<(&str, &str)> = signed
        .iter()
        .map(|name| Some((*name, header(name)?)))
        .collect::<Option<_>>()?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = format!("http://{}{path}", header("host")?);
    let identity = Identity::from(Credentials::new(
        key,
        SECRET,
        header("x-amz-security-token").map(str::to_owned),
        None,
        "signature-check",
    ));
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .ok()?
        .into();
    let request = SignableRequest::new(
        parts.method.as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let (_, expected) = sign(request, &params).ok()?.into_parts();
    Some((expected, found))
}

/// `20261128T044500Z` (an `X-Amz-Date`) as a time.
pub fn amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}
