//! Why a command failed, as one sentence that says what to do, and the exit code that tells a
//! script which kind of failure it was.

use std::process::ExitCode;

use dynatable_core::ErrorKind;
use thiserror::Error;

use crate::capacity::CapacityError;
use crate::error::Error;

/// The documented exit codes of the `migrate` command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The command did what it was asked.
    Success = 0,
    /// Any failure not listed below: missing table, unreachable endpoint, no credentials, an
    /// irreversible rollback, a table error.
    Failure = 1,
    /// Bad usage: an unknown command, flag or version, a bad value.
    Usage = 2,
    /// Another run holds the migration lock.
    LockHeld = 3,
    /// A migration failed (it is recorded as failed), or a failed one blocks the run.
    MigrationFailed = 4,
    /// `check` found problems, `validate` found items that do not conform, or `up` refused
    /// because applied migrations changed or are unknown.
    CheckFailed = 5,
    /// A confirmation was refused, or needed and impossible (stdin is not a terminal; pass --yes).
    NotConfirmed = 6,
}

impl Exit {
    /// The code, as a number.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// A short stable name, used in `--json` errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Usage => "usage",
            Self::LockHeld => "lock_held",
            Self::MigrationFailed => "migration_failed",
            Self::CheckFailed => "check_failed",
            Self::NotConfirmed => "not_confirmed",
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A failed command.
#[derive(Debug, Error)]
pub(crate) enum Failure {
    /// The arguments do not make sense.
    #[error("{0}")]
    Usage(String),
    /// The user said no, or could not be asked.
    #[error("{0}")]
    NotConfirmed(String),
    /// `check` found problems.
    #[error("check found {} problem(s): {}", .0.len(), .0.join("; "))]
    CheckFailed(Vec<String>),
    /// `validate` found items that do not conform.
    #[error("{0}")]
    NotConforming(String),
    /// Another failure, described in full (a file not written, a table not created).
    #[error("{0}")]
    Other(String),
    /// Nothing answers at the endpoint.
    #[error("{}", unreachable(.endpoint, .cause))]
    Unreachable {
        /// Where DynamoDB was expected.
        endpoint: String,
        /// The transport's error, as it gave it.
        cause: String,
    },
    /// The migration machinery failed.
    #[error("{}", describe(.error, .endpoint))]
    Migrate {
        /// The error.
        error: Error,
        /// Where DynamoDB was expected, for the message.
        endpoint: String,
    },
}

impl Failure {
    pub(crate) fn migrate(error: impl Into<Error>, endpoint: &str) -> Self {
        Self::Migrate {
            error: error.into(),
            endpoint: endpoint.to_owned(),
        }
    }

    pub(crate) fn exit(&self) -> Exit {
        match self {
            Self::Usage(_) => Exit::Usage,
            Self::NotConfirmed(_) => Exit::NotConfirmed,
            Self::CheckFailed(_) | Self::NotConforming(_) => Exit::CheckFailed,
            Self::Other(_) | Self::Unreachable { .. } => Exit::Failure,
            Self::Migrate { error, .. } => match error {
                Error::LockHeld { .. } => Exit::LockHeld,
                Error::MigrationFailed { .. } => Exit::MigrationFailed,
                Error::ChecksumChanged { .. }
                | Error::UnknownVersions { .. }
                | Error::OutOfOrder { .. } => Exit::CheckFailed,
                Error::NoSuchVersion(_)
                | Error::InvalidVersion { .. }
                | Error::Capacity(CapacityError::Unknown { .. } | CapacityError::Percent(_)) => {
                    Exit::Usage
                }
                Error::NoPointInTimeRecovery { .. } | Error::GlobalTable { .. } => {
                    Exit::NotConfirmed
                }
                _ => Exit::Failure,
            },
        }
    }
}

/// The table error underneath, if the error is one.
fn table_error(error: &Error) -> Option<&dynatable_core::Error> {
    match error {
        Error::Table(e) => Some(e),
        Error::Bulk(e) => Some(&e.error),
        _ => None,
    }
}

/// One sentence with what to do, for the errors a user can cause.
fn describe(error: &Error, endpoint: &str) -> String {
    if let Error::MigrationFailed {
        version,
        name,
        source,
    } = error
    {
        return format!(
            "migration {version} ({name}) failed: {}. Fix the cause and run the command again \
             (an interrupted backfill resumes), or record the version with `migrate mark`",
            describe(source, endpoint)
        );
    }
    let table = table_error(error);
    match table.map(dynatable_core::Error::kind) {
        Some(ErrorKind::TableNotFound) => format!(
            "table {:?} does not exist at {endpoint}: create it with `migrate create-table`, or \
             pass the right --table and --region",
            table.map_or("", dynatable_core::Error::table)
        ),
        Some(ErrorKind::Configuration(text) | ErrorKind::Request(text))
            if text.contains("credential") =>
        {
            "no AWS credentials were found: set AWS_PROFILE (or --profile), or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available"
                .to_owned()
        }
        Some(ErrorKind::Configuration(text)) if text.to_lowercase().contains("region") => {
            "no AWS region is configured: pass --region or set AWS_REGION".to_owned()
        }
        Some(ErrorKind::Request(text)) => unreachable(endpoint, text),
        _ => error.to_string(),
    }
}

/// That nothing answers at `endpoint`, with the innermost part of `cause`.
fn unreachable(endpoint: &str, cause: &str) -> String {
    format!(
        "cannot reach DynamoDB at {endpoint} ({}): check that it is running and that \
         --endpoint-url (DYNATABLE_ENDPOINT) is right",
        root_cause(cause)
    )
}

/// The innermost cause of an SDK error's text ("a: b: connection refused" → "connection
/// refused"), without the debug dump the SDK's error context appends in parentheses.
fn root_cause(text: &str) -> &str {
    without_debug_dump(text)
        .rsplit(": ")
        .map(str::trim)
        .find(|part| !part.is_empty() && !part.starts_with('(') && !part.starts_with("Os {"))
        .unwrap_or(text)
}

/// `text` without a trailing parenthesized group holding a `{ ... }` debug dump.
fn without_debug_dump(text: &str) -> &str {
    let trimmed = text.trim_end();
    if !trimmed.ends_with(')') {
        return text;
    }
    let mut depth = 0usize;
    for (at, c) in trimmed.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let group = &trimmed[at..];
                    return match group.contains('{') && at > 0 {
                        true => trimmed[..at].trim_end(),
                        false => text,
                    };
                }
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::root_cause;

    #[test]
    fn root_cause_is_the_last_part() {
        assert_eq!(
            root_cause(
                "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)"
            ),
            "Connection refused (os error 111)"
        );
        assert_eq!(root_cause("plain"), "plain");
        assert_eq!(
            root_cause(
                "dispatch failure: io error: client error (Connect): tcp connect error: \
                 Connection refused (os error 111) (DispatchFailure(DispatchFailure { source: \
                 ConnectorError { kind: Io, source: hyper_util::client::legacy::Error(Connect, \
                 ConnectError(\"tcp connect error\", Os { code: 111 })), connection: Unknown } }))"
            ),
            "Connection refused (os error 111)"
        );
    }
}
