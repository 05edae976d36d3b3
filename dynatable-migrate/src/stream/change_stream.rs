//! The table's DynamoDB Stream: finding it, turning one on, and where it stands now.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType, TableStatus};

use super::error::StreamError;
use super::position::StreamPosition;
use super::retry::{request_error, with_retries};
use super::shard::{Shard, list_shards};

/// The stream of one table, and a client to read it.
#[derive(Debug, Clone)]
pub(crate) struct ChangeStream {
    pub(crate) client: StreamsClient,
    pub(crate) arn: String,
    pub(crate) table: String,
}

/// A `LATEST` shard iterator taken when a catch-up started: reading from it skips every record
/// written before, as long as it has not expired (15 minutes).
#[derive(Debug, Clone)]
pub(crate) struct LatestIterator {
    pub(crate) iterator: String,
    pub(crate) taken: Instant,
}

/// What `migrate enable-stream` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEnabled {
    /// The table had a stream already, with this view type; it is used as it is.
    AlreadyEnabled {
        /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
        view_type: String,
    },
    /// A `KEYS_ONLY` stream was turned on.
    Enabled,
}

impl ChangeStream {
    /// The table's stream, or `None` when it has none enabled.
    pub(crate) async fn of_table(
        dynamodb: &Client,
        streams: StreamsClient,
        table: &str,
    ) -> Result<Option<Self>, crate::Error> {
        let described = with_retries("DescribeTable", table, || {
            dynamodb.describe_table().table_name(table).send()
        })
        .await?;
        let Some(description) = described.table else {
            return Ok(None);
        };
        let enabled = description
            .stream_specification
            .as_ref()
            .is_some_and(|s| s.stream_enabled);
        Ok(match description.latest_stream_arn {
            Some(arn) if enabled => Some(Self {
                client: streams,
                arn,
                table: table.to_owned(),
            }),
            _ => None,
        })
    }

    /// Turns on a `KEYS_ONLY` stream on `table` (or accepts the one it has) and waits until the
    /// table is active again.
    pub(crate) async fn enable(
        dynamodb: &Client,
        table: &str,
    ) -> Result<StreamEnabled, crate::Error> {
        let describe = || async {
            dynamodb
                .describe_table()
                .table_name(table)
                .send()
                .await
                .map_err(|e| request_error("DescribeTable", table, e))
        };
        let described = describe().await?;
        if let Some(spec) = described
            .table
            .as_ref()
            .and_then(|t| t.stream_specification.as_ref())
            .filter(|s| s.stream_enabled)
        {
            let view_type = spec
                .stream_view_type
                .as_ref()
                .map_or("KEYS_ONLY", StreamViewType::as_str)
                .to_owned();
            return Ok(StreamEnabled::AlreadyEnabled { view_type });
        }
        let spec = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::KeysOnly)
            .build()
            .map_err(|e| crate::Error::msg(format!("stream specification: {e}")))?;
        dynamodb
            .update_table()
            .table_name(table)
            .stream_specification(spec)
            .send()
            .await
            .map_err(|e| request_error("UpdateTable", table, e))?;
        for _ in 0..600 {
            let described = describe().await?;
            let active = described.table.as_ref().is_some_and(|t| {
                t.table_status == Some(TableStatus::Active) && t.latest_stream_arn.is_some()
            });
            if active {
                return Ok(StreamEnabled::Enabled);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Err(crate::Error::msg(format!(
            "table {table:?} did not become active within 5 minutes of enabling its stream"
        )))
    }

    /// Where the stream stands now, with a `LATEST` iterator on every open shard.
    pub(crate) async fn position_now(
        &self,
    ) -> Result<(StreamPosition, HashMap<String, LatestIterator>), StreamError> {
        let now = SystemTime::now();
        let shards: Vec<Shard> = list_shards(&self.client, &self.arn, &self.table).await?;
        let mut latest = HashMap::new();
        for shard in shards.iter().filter(|s| s.open) {
            let taken = Instant::now();
            let output = with_retries("GetShardIterator", &self.table, || {
                self.client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(&shard.id)
                    .shard_iterator_type(ShardIteratorType::Latest)
                    .send()
            })
            .await?;
            if let Some(iterator) = output.shard_iterator {
                latest.insert(shard.id.clone(), LatestIterator { iterator, taken });
            }
        }
        Ok((StreamPosition::starting(now, &shards), latest))
    }
}

/// A DynamoDB Streams client for the same account, region and endpoint as `config`: an
/// endpoint on AWS's `dynamodb.` host is not the streams endpoint, so it is left to the SDK to
/// resolve (`streams.dynamodb.<region>.amazonaws.com`); any other (DynamoDB Local, LocalStack)
/// serves both APIs.
pub fn stream_client(config: &aws_config::SdkConfig) -> StreamsClient {
    let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(config);
    if config.endpoint_url().is_some_and(is_aws_dynamodb_endpoint) {
        builder.set_endpoint_url(None);
    }
    StreamsClient::from_conf(builder.build())
}

/// A DynamoDB Streams client on AWS's streams endpoint, in the region and with the HTTP client
/// of `dynamodb`, with credentials from the standard chain: what a
/// [`Migrator`](crate::Migrator) uses unless given one.
pub(crate) async fn aws_stream_client(dynamodb: &Client) -> StreamsClient {
    let c = dynamodb.config();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).region(c.region().cloned());
    if let Some(http) = c.http_client() {
        loader = loader.http_client(http);
    }
    stream_client(&loader.load().await)
}

fn is_aws_dynamodb_endpoint(url: &str) -> bool {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.split(['/', ':']).next().unwrap_or_default();
    host.starts_with("dynamodb.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
}

#[cfg(test)]
mod tests {
    use super::is_aws_dynamodb_endpoint;

    #[test]
    fn aws_dynamodb_endpoints_are_told_apart() {
        assert!(is_aws_dynamodb_endpoint(
            "https://dynamodb.eu-west-1.amazonaws.com"
        ));
        assert!(is_aws_dynamodb_endpoint(
            "https://dynamodb.cn-north-1.amazonaws.com.cn/"
        ));
        assert!(!is_aws_dynamodb_endpoint("http://127.0.0.1:8000"));
        assert!(!is_aws_dynamodb_endpoint("http://localstack:4566"));
    }
}
