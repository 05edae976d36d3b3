//! The one-line text of an AWS SDK error, for the errors that carry an SDK call's failure as a
//! message.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What an SDK error says, in one line: `Code: message` when the service answered with an error
/// (say `ValidationException: Invalid table/index name...`), else the error and its causes (a
/// refused connection, a time-out, a configuration error).
///
/// The SDK's own display of a service error also prints the whole raw answer; this keeps what a
/// person needs to act on.
///
/// ```
/// use dynatable_core::aws_sdk_dynamodb::error::SdkError;
/// use dynatable_core::aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
/// use dynatable_core::sdk_error_text;
///
/// let unbuilt: SdkError<DescribeTableError, ()> = SdkError::construction_failure("no region");
/// assert!(sdk_error_text(&unbuilt).contains("no region"));
/// ```
pub fn sdk_error_text<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(service) = error
        && let Some(code) = service.err().code()
    {
        return match service.err().message() {
            Some(message) if !message.is_empty() => format!("{code}: {message}"),
            _ => code.to_owned(),
        };
    }
    DisplayErrorContext(error).to_string()
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::create_table::CreateTableError;

    use super::*;

    #[test]
    fn a_service_error_is_its_code_and_message() {
        let error: SdkError<CreateTableError, ()> = SdkError::service_error(
            CreateTableError::generic(
                ErrorMetadata::builder()
                    .code("ValidationException")
                    .message("Invalid table/index name.")
                    .build(),
            ),
            (),
        );
        assert_eq!(
            sdk_error_text(&error),
            "ValidationException: Invalid table/index name."
        );
    }

    #[test]
    fn other_errors_keep_their_causes() {
        let error: SdkError<CreateTableError, ()> = SdkError::timeout_error("no answer in 3.1 s");
        assert!(sdk_error_text(&error).contains("no answer in 3.1 s"));
    }
}
