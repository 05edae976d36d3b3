//! SigV4 for the one request shape direct requests send: `POST` to the endpoint's root with the
//! JSON protocol's headers. Its canonical request is written straight into one buffer, and the
//! signing key, which changes once a day, is derived once per day and credentials; the SDK's
//! general signer (`aws_sigv4::http_request::sign`) builds and sorts its header maps and derives
//! the key again for every request, which cost about a tenth of a migration's client CPU per
//! item. The HMACs are `aws-sigv4`'s own. An endpoint with a path of its own is signed by the
//! general signer, which knows how to encode paths.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4::{SigningParams, calculate_signature, generate_signing_key};
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};

/// The service name DynamoDB signs with.
const SERVICE: &str = "dynamodb";

/// The headers a request carries besides its signature's, as they are signed.
pub(super) struct RequestHeaders<'a> {
    pub(super) content_type: &'a str,
    pub(super) host: &'a str,
    pub(super) target: &'a str,
}

/// What signing adds to a request: `x-amz-date`, `authorization` and, for temporary
/// credentials, `x-amz-security-token`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Signature {
    pub(super) date: String,
    pub(super) authorization: String,
    pub(super) token: Option<String>,
}

/// Signs direct requests for one region and endpoint. Not `Debug`: it holds a secret and the key
/// derived from it.
pub(super) struct Signer {
    region: String,
    /// The endpoint, for the general signer; `None` when its path is the root, which the lean
    /// signer handles.
    general: Option<String>,
    /// The signing key of the day and credentials it was last derived for.
    key: Mutex<Option<DayKey>>,
    /// The last second signed and its `x-amz-date`: a run signs many requests a second.
    date: Mutex<Option<(u64, String)>>,
}

struct DayKey {
    day: String,
    secret: String,
    key: Vec<u8>,
}

/// Why a request could not be signed (the general signer's error, as text).
#[derive(Debug)]
pub(super) struct SignError(pub(super) String);

impl Signer {
    /// A signer for requests to `endpoint` (a URL whose path is `path`) in `region`.
    pub(super) fn new(region: &str, endpoint: &str, path: &str) -> Self {
        Self {
            region: region.to_owned(),
            general: (!matches!(path, "" | "/")).then(|| endpoint.to_owned()),
            key: Mutex::new(None),
            date: Mutex::new(None),
        }
    }

    /// The signature of a `POST` of `body` with `headers`, made with `credentials` at `now`.
    pub(super) fn sign(
        &self,
        credentials: &Credentials,
        headers: &RequestHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Signature, SignError> {
        // SigV4 signs whole seconds.
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .map_err(|e| SignError(format!("the clock is before 1970: {e}")))?
            .as_secs();
        let now = UNIX_EPOCH + std::time::Duration::from_secs(seconds);
        if let Some(endpoint) = &self.general {
            return self.sign_general(endpoint, credentials, headers, body, now);
        }
        let date = self.date(seconds)?;
        let day = date.split_once('T').map_or(date.as_str(), |(day, _)| day);
        let token = credentials.session_token();
        let scope = format!("{day}/{}/{SERVICE}/aws4_request", self.region);
        let (request, signed_headers) = canonical_request(headers, &date, token, body);
        let mut string_to_sign = String::with_capacity(160);
        string_to_sign.push_str("AWS4-HMAC-SHA256\n");
        string_to_sign.push_str(&date);
        string_to_sign.push('\n');
        string_to_sign.push_str(&scope);
        string_to_sign.push('\n');
        push_hex(&mut string_to_sign, &Sha256::digest(request.as_bytes()));
        let signature = self.with_key(credentials, day, now, |key| {
            calculate_signature(key, string_to_sign.as_bytes())
        });
        let access_key = credentials.access_key_id();
        let mut authorization = String::with_capacity(
            100 + access_key.len() + scope.len() + signed_headers.len() + signature.len(),
        );
        for part in [
            "AWS4-HMAC-SHA256 Credential=",
            access_key,
            "/",
            &scope,
            ", SignedHeaders=",
            signed_headers,
            ", Signature=",
            &signature,
        ] {
            authorization.push_str(part);
        }
        Ok(Signature {
            date,
            authorization,
            token: token.map(str::to_owned),
        })
    }

    /// The `x-amz-date` of `seconds`, formatted once per second.
    fn date(&self, seconds: u64) -> Result<String, SignError> {
        let mut cached = self.date.lock().unwrap_or_else(PoisonError::into_inner);
        match cached.as_ref() {
            Some((second, date)) if *second == seconds => Ok(date.clone()),
            _ => {
                let date = amz_date(seconds)?;
                *cached = Some((seconds, date.clone()));
                Ok(date)
            }
        }
    }

    /// `f` of the signing key for `day` and `credentials`' secret, derived again only when the
    /// day or the secret changed.
    fn with_key<R>(
        &self,
        credentials: &Credentials,
        day: &str,
        now: SystemTime,
        f: impl FnOnce(&[u8]) -> R,
    ) -> R {
        let mut cached = self.key.lock().unwrap_or_else(PoisonError::into_inner);
        let secret = credentials.secret_access_key();
        let current = cached
            .as_ref()
            .filter(|k| k.day == day && k.secret == secret);
        if let Some(key) = current {
            return f(&key.key);
        }
        let key = generate_signing_key(secret, now, &self.region, SERVICE)
            .as_ref()
            .to_vec();
        let result = f(&key);
        *cached = Some(DayKey {
            day: day.to_owned(),
            secret: secret.to_owned(),
            key,
        });
        result
    }

    /// The SDK's general signer, for an endpoint with a path of its own.
    fn sign_general(
        &self,
        endpoint: &str,
        credentials: &Credentials,
        headers: &RequestHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Signature, SignError> {
        let cannot = |e: &dyn std::fmt::Display| SignError(e.to_string());
        let identity = Identity::from(credentials.clone());
        let params = SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE)
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| cannot(&e))?
            .into();
        let signed = [
            ("content-type", headers.content_type),
            ("host", headers.host),
            ("x-amz-target", headers.target),
        ];
        let request = SignableRequest::new(
            "POST",
            endpoint,
            signed.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| cannot(&e))?;
        let (instructions, _) = sign(request, &params).map_err(|e| cannot(&e))?.into_parts();
        let header = |name: &str| {
            instructions
                .headers()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_owned())
        };
        Ok(Signature {
            date: header("x-amz-date").unwrap_or_default(),
            authorization: header("authorization").unwrap_or_default(),
            token: header("x-amz-security-token"),
        })
    }
}

/// The canonical request of a `POST` of `body` to the root with `headers`, signed at `date`
/// with the session `token` if any, and the list of the headers it signs.
fn canonical_request(
    headers: &RequestHeaders<'_>,
    date: &str,
    token: Option<&str>,
    body: &[u8],
) -> (String, &'static str) {
    let mut request = String::with_capacity(320 + token.map_or(0, str::len));
    request.push_str("POST\n/\n\ncontent-type:");
    request.push_str(headers.content_type.trim());
    request.push_str("\nhost:");
    request.push_str(headers.host.trim());
    request.push_str("\nx-amz-date:");
    request.push_str(date);
    if let Some(token) = token {
        request.push_str("\nx-amz-security-token:");
        request.push_str(token.trim());
    }
    request.push_str("\nx-amz-target:");
    request.push_str(headers.target.trim());
    let signed_headers = match token {
        Some(_) => "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
        None => "content-type;host;x-amz-date;x-amz-target",
    };
    request.push_str("\n\n");
    request.push_str(signed_headers);
    request.push('\n');
    push_hex(&mut request, &Sha256::digest(body));
    (request, signed_headers)
}

/// `YYYYMMDD'T'HHMMSS'Z'` of `seconds` since the epoch.
fn amz_date(seconds: u64) -> Result<String, SignError> {
    let seconds = i64::try_from(seconds).map_err(|e| SignError(e.to_string()))?;
    let text = DateTime::from_secs(seconds)
        .fmt(DateTimeFormat::DateTime)
        .map_err(|e| SignError(e.to_string()))?;
    // `2026-12-07T03:00:00Z` without its separators.
    let mut date = String::with_capacity(16);
    date.extend(text.chars().filter(|c| !matches!(c, '-' | ':')));
    Ok(date)
}

/// Appends `bytes` as lowercase hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general signer's signature of the same request, as `aws-sigv4` makes it.
    fn reference(
        endpoint: &str,
        credentials: &Credentials,
        headers: &RequestHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Signature {
        Signer::new("eu-west-1", endpoint, "/x")
            .sign(credentials, headers, body, now)
            .unwrap()
    }

    fn headers() -> RequestHeaders<'static> {
        RequestHeaders {
            content_type: "application/x-amz-json-1.0",
            host: "dynamodb.eu-west-1.amazonaws.com",
            target: "DynamoDB_20120810.UpdateItem",
        }
    }

    #[test]
    fn signs_as_the_sdks_signer_does() {
        let endpoint = "https://dynamodb.eu-west-1.amazonaws.com";
        let signer = Signer::new("eu-west-1", endpoint, "/");
        let body = br#"{"TableName":"app","Key":{"PK":{"S":"USER#\u00e9"}}}"#;
        let permanent = Credentials::new("AKIDEXAMPLE", "secret/+=", None, None, "test");
        let temporary =
            Credentials::new("ASIAEXAMPLE", "other", Some("to+k/en=".into()), None, "t");
        // Two days, so that the second signature of a credential derives a new day's key.
        for seconds in [1_796_601_599, 1_796_601_600, 1_796_601_661] {
            let now = UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            for credentials in [&permanent, &temporary, &permanent] {
                let lean = signer.sign(credentials, &headers(), body, now).unwrap();
                let general = reference(endpoint, credentials, &headers(), body, now);
                assert_eq!(lean, general);
            }
        }
    }

    #[test]
    fn signs_whole_seconds() {
        let signer = Signer::new("eu-west-1", "https://h", "");
        let credentials = Credentials::new("A", "s", None, None, "test");
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_796_601_600_900);
        let lean = signer.sign(&credentials, &headers(), b"{}", at).unwrap();
        assert_eq!(lean.date, "20261207T000000Z");
    }

    #[test]
    fn the_general_signer_is_not_the_lean_one() {
        // A different path signs differently: the reference above does run the general signer.
        let credentials = Credentials::new("A", "s", None, None, "test");
        let now = UNIX_EPOCH + std::time::Duration::from_secs(1_796_601_600);
        let root = Signer::new("eu-west-1", "https://h/", "/")
            .sign(&credentials, &headers(), b"{}", now)
            .unwrap();
        let path = reference("https://h/x", &credentials, &headers(), b"{}", now);
        assert_ne!(root.authorization, path.authorization);
    }
}
