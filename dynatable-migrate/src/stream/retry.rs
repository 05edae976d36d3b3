//! Requests to DynamoDB Streams retried while they fail for a passing reason, and the errors
//! they end in otherwise.

use std::time::Duration;

use aws_sdk_dynamodbstreams::error::{ProvideErrorMetadata, SdkError};

use super::error::StreamError;

/// Attempts at a request that fails for a passing reason (throttling, a server error, a lost
/// connection).
pub(crate) const ATTEMPTS: u32 = 8;

/// Sends a request until it succeeds, fails for a reason that will not pass, or the attempts
/// run out, with exponential backoff and jitter in between.
pub(crate) async fn with_retries<T, E, R, F, Fut>(
    operation: &'static str,
    table: &str,
    mut call: F,
) -> Result<T, StreamError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(output) => return Ok(output),
            Err(e) if attempt + 1 < ATTEMPTS && is_passing(&e) => {
                attempt += 1;
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => return Err(request_error(operation, table, e)),
        }
    }
}

/// Whether an error may pass: throttling, a server error, or no answer.
pub(crate) fn is_passing<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    match error {
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ThrottlingException"
                    | "LimitExceededException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
            )
        ),
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => false,
    }
}

/// The delay before attempt `attempt` (1 for the first retry): 50 ms doubling to 5 s, jittered.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_millis(50)
        .saturating_mul(1u32.checked_shl(attempt.min(10)).unwrap_or(u32::MAX))
        .min(Duration::from_secs(5));
    ceiling.mul_f64(fastrand::f64())
}

/// A stream request's error: the service's code and message, or the SDK's error and its causes.
pub(crate) fn request_error<E, R>(
    operation: &'static str,
    table: &str,
    error: SdkError<E, R>,
) -> StreamError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StreamError::Request {
        operation,
        table: table.to_owned(),
        message: dynatable_core::sdk_error_text(&error),
    }
}
