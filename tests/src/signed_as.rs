//! Clients that sign with an access key of the test's choosing, for a proxy in capacity mode to
//! tell an application from a migration's processes.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};

use crate::Endpoint;

/// The SDK configuration of `endpoint` (retries off, as the test kit's), signing with
/// `access_key`.
pub async fn sdk_config_as(endpoint: &Endpoint, access_key: &str) -> SdkConfig {
    let credentials = Credentials::new(access_key, "local", None, None, "dynatable-tests");
    endpoint
        .sdk_config()
        .await
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// A client of `endpoint` signing with `access_key`.
pub async fn client_as(endpoint: &Endpoint, access_key: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config_as(endpoint, access_key).await)
}
