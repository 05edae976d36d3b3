//! The DynamoDB client: the standard AWS configuration chain, a lean rustls HTTP client, and the
//! `DYNATABLE_ENDPOINT` override for DynamoDB Local, LocalStack or another endpoint.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The environment variable naming the DynamoDB endpoint to use instead of AWS's, e.g.
/// `http://127.0.0.1:8000` for DynamoDB Local.
pub const ENDPOINT_ENV: &str = "DYNATABLE_ENDPOINT";

/// The region used for a loopback endpoint (DynamoDB Local) when the chain names none.
const LOCAL_REGION: &str = "us-east-1";

/// The access key and secret used for a loopback endpoint (DynamoDB Local) when neither the
/// environment nor the profile holds credentials: DynamoDB Local accepts any.
const LOCAL_KEY: &str = "local";

/// How long a loopback endpoint's client waits for the profile's credentials before it uses the
/// local ones.
const PROFILE_LOOKUP: std::time::Duration = std::time::Duration::from_secs(1);

/// Where and how to reach DynamoDB. Everything not set here comes from the standard AWS chain
/// (`AWS_REGION`, `AWS_PROFILE`, `~/.aws/config`, credentials from the environment, profile,
/// web identity, ECS or EC2 instance metadata).
///
/// Against a loopback endpoint (`localhost`, `127.0.0.1`, `[::1]`: DynamoDB Local), a missing
/// region is `us-east-1`, and when neither the environment nor a profile gives credentials,
/// fixed local ones are used: DynamoDB Local accepts any. Other endpoints keep the chain as it
/// is.
///
/// ```no_run
/// # async fn demo() {
/// use dynatable_core::client::ClientConfig;
/// // DYNATABLE_ENDPOINT, if set, then the AWS chain:
/// let client = ClientConfig::from_env().load().await;
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// An endpoint URL instead of AWS's.
    pub endpoint_url: Option<String>,
    /// The region, instead of the chain's.
    pub region: Option<String>,
    /// The profile of `~/.aws/config` to use, instead of `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
}

impl ClientConfig {
    /// The configuration the environment gives: the endpoint from `DYNATABLE_ENDPOINT` (when set
    /// and not empty), the rest from the AWS chain.
    pub fn from_env() -> Self {
        Self {
            endpoint_url: std::env::var(ENDPOINT_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty()),
            ..Self::default()
        }
    }

    /// Uses `url` as the endpoint.
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Uses `region`.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Uses the named profile.
    #[must_use]
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Checks that the endpoint, if any, is a URL the SDK can send to (`http` or `https`, with
    /// a host). Call it before [`load`](Self::load) when the endpoint comes from outside the
    /// program: the SDK does not check it, and fails on its first request.
    ///
    /// ```
    /// use dynatable_core::client::ClientConfig;
    ///
    /// assert!(ClientConfig::default().endpoint_url("http://localhost:8000").check().is_ok());
    /// let error = ClientConfig::default().endpoint_url("localhost").check().unwrap_err();
    /// assert!(error.to_string().contains("http://localhost:8000"));
    /// ```
    ///
    /// # Errors
    /// [`EndpointUrlError`] when the endpoint is not such a URL.
    pub fn check(&self) -> Result<(), EndpointUrlError> {
        match &self.endpoint_url {
            Some(url) => check_endpoint_url(url),
            None => Ok(()),
        }
    }

    /// Whether the endpoint is on this machine (DynamoDB Local, LocalStack).
    pub fn is_local(&self) -> bool {
        self.endpoint_url.as_deref().is_some_and(is_loopback_url)
    }

    /// Resolves the AWS configuration. Building it does not contact AWS; credentials are looked
    /// up when the first request is signed.
    pub async fn load_sdk_config(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(
            Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        );
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let config = loader.load().await;
        if !self.is_local() {
            return config;
        }
        let (has_region, has_credentials) = (
            config.region().is_some(),
            self.has_own_credentials(&config).await,
        );
        let mut local = config.into_builder();
        if !has_region {
            local = local.region(Region::from_static(LOCAL_REGION));
        }
        if !has_credentials {
            local = local.credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                LOCAL_KEY,
                LOCAL_KEY,
                None,
                None,
                "dynatable-local",
            )));
        }
        local.build()
    }

    /// Whether the machine has credentials of its own for `config`: in the environment
    /// (`AWS_ACCESS_KEY_ID`), or from a profile (named, or in a shared config or credentials
    /// file) that the chain resolves within a second. For a loopback endpoint those are the ones
    /// the application uses too (DynamoDB Local without `-sharedDb` keeps a database per access
    /// key). Without any of these the chain is not asked: its remote sources (web identity, ECS,
    /// EC2 metadata) do not serve a machine running DynamoDB Local, and the metadata lookup alone
    /// takes seconds where there is none.
    async fn has_own_credentials(&self, config: &SdkConfig) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if set("AWS_ACCESS_KEY_ID") {
            return true;
        }
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let file = |variable: &str, default: &str| {
            std::env::var_os(variable)
                .map(std::path::PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
                .is_some_and(|path| path.is_file())
        };
        let profile = set("AWS_PROFILE")
            || self.profile.is_some()
            || file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
            || file("AWS_CONFIG_FILE", "config");
        // A config file may hold only a region: the profile counts when it gives credentials.
        let Some(provider) = config.credentials_provider().filter(|_| profile) else {
            return false;
        };
        matches!(
            tokio::time::timeout(PROFILE_LOOKUP, provider.provide_credentials()).await,
            Ok(Ok(_))
        )
    }

    /// A DynamoDB client for this configuration. The client is cheap to clone: build it once.
    pub async fn load(&self) -> Client {
        Client::new(&self.load_sdk_config().await)
    }
}

/// An endpoint URL the SDK cannot send to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{url}` is not an endpoint URL: give its scheme and host, e.g. http://localhost:8000 or \
     https://dynamodb.eu-west-1.amazonaws.com"
)]
#[non_exhaustive]
pub struct EndpointUrlError {
    /// The URL as given.
    pub url: String,
}

/// Checks that `url` is an endpoint the SDK can send to: `http` or `https`, with a host.
///
/// # Errors
/// [`EndpointUrlError`] otherwise.
pub fn check_endpoint_url(url: &str) -> Result<(), EndpointUrlError> {
    let fine = url.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|host| !host.is_empty())
    });
    match fine {
        true => Ok(()),
        false => Err(EndpointUrlError {
            url: url.to_owned(),
        }),
    }
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::{check_endpoint_url, is_loopback_url};

    #[test]
    fn endpoint_urls_need_a_scheme_and_a_host() {
        for fine in [
            "http://127.0.0.1:8000",
            "http://localhost:8000/",
            "https://dynamodb.eu-west-1.amazonaws.com",
            "http://[::1]:8000",
        ] {
            assert!(check_endpoint_url(fine).is_ok(), "{fine}");
        }
        for wrong in [
            "notaurl",
            "localhost:8000",
            "ftp://host",
            "http://",
            "",
            "http:// x",
        ] {
            assert!(check_endpoint_url(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn loopback_urls() {
        assert!(is_loopback_url("http://127.0.0.1:8000"));
        assert!(is_loopback_url("http://localhost:8000/"));
        assert!(is_loopback_url("http://[::1]:8000"));
        assert!(!is_loopback_url("https://dynamodb.eu-west-1.amazonaws.com"));
        assert!(!is_loopback_url("http://localstack.internal:4566"));
    }
}
