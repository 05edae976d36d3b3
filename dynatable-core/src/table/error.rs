//! The error of a table operation: the operation, the table, the key, and what went wrong.

use std::fmt;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

use crate::error::{DecodeError, EncodeError};
use crate::key::PrimaryKey;

/// The DynamoDB operation an [`Error`](struct@Error) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `GetItem`
    Get,
    /// `PutItem`
    Put,
    /// `UpdateItem`
    Update,
    /// `DeleteItem`
    Delete,
    /// `Query`
    Query,
    /// `Scan`
    Scan,
    /// `BatchWriteItem`
    BatchWrite,
    /// `BatchGetItem`
    BatchGet,
    /// `TransactWriteItems`
    Transaction,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Get => "GetItem",
            Self::Put => "PutItem",
            Self::Update => "UpdateItem",
            Self::Delete => "DeleteItem",
            Self::Query => "Query",
            Self::Scan => "Scan",
            Self::BatchWrite => "BatchWriteItem",
            Self::BatchGet => "BatchGetItem",
            Self::Transaction => "TransactWriteItems",
        })
    }
}

/// Why one action of a canceled transaction failed, as DynamoDB reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason {
    /// The action's position in the transaction.
    pub index: usize,
    /// DynamoDB's code, e.g. `ConditionalCheckFailed`, `TransactionConflict`.
    pub code: String,
    /// DynamoDB's message, if any.
    pub message: Option<String>,
}

impl CancellationReason {
    /// The reason action `index` gave (`code`, `message`), or `None` when it did not fail
    /// (DynamoDB lists every action, the ones that did not fail with code `None`).
    pub(crate) fn of_action(
        index: usize,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Option<Self> {
        let code = code.unwrap_or("None");
        (code != "None").then(|| Self {
            index,
            code: code.to_owned(),
            message: message.map(str::to_owned),
        })
    }
}

/// What went wrong.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A condition of the request was not met.
    #[error("the condition was not met")]
    ConditionalCheckFailed,
    /// A write of a versioned entity (`#[entity(version)]`) expected another version than the
    /// one stored: another writer changed the item since it was read.
    #[error(
        "version conflict on {entity}: the write expected version {expected}, {}",
        version_conflict_advice(*expected, *found)
    )]
    VersionConflict {
        /// The entity's name.
        entity: &'static str,
        /// The version the write expected.
        expected: u64,
        /// The version stored, or `None` when no item has the key.
        found: Option<u64>,
    },
    /// DynamoDB throttled the request and the retries ran out.
    #[error(
        "throttled ({code}) after retries: lower the concurrency or the rate limit, or raise the table's capacity"
    )]
    Throttled {
        /// DynamoDB's code.
        code: String,
    },
    /// The transaction was canceled; the reasons say which actions failed and why.
    #[error("transaction canceled: {}", describe_reasons(reasons))]
    TransactionCanceled {
        /// One reason per failed action (actions that did not fail are left out).
        reasons: Vec<CancellationReason>,
    },
    /// An item changed every time it was read again, while a bulk driver tried to write it
    /// from its latest state.
    #[error(
        "the item changed again after each of {rereads} re-reads: another writer keeps changing it; run again when it is quieter"
    )]
    ItemKeptChanging {
        /// How many times it was read again.
        rereads: u32,
    },
    /// A transaction had more actions than DynamoDB accepts; nothing was sent.
    #[error(
        "{actions} actions in one transaction, DynamoDB accepts at most {max}: split it (Table::transact_units packs units into transactions)"
    )]
    TooManyActions {
        /// The number of actions.
        actions: usize,
        /// DynamoDB's limit.
        max: usize,
    },
    /// A unit of actions is larger than one transaction can hold.
    #[error("a unit of {actions} actions cannot fit in one transaction of at most {max}")]
    UnitTooLarge {
        /// The unit's actions.
        actions: usize,
        /// DynamoDB's limit.
        max: usize,
    },
    /// A query was asked to start from a cursor of another partition (a cursor of another
    /// query, or one a client edited): DynamoDB would read from a position that means nothing.
    #[error(
        "the cursor belongs to another query: it resumes partition {found:?}, this query reads {expected:?}"
    )]
    ForeignCursor {
        /// The query's partition key.
        expected: String,
        /// The cursor's, or an empty string when it has none.
        found: String,
    },
    /// Items a batch write still had unprocessed after every retry.
    #[error("{count} items were still unprocessed after {attempts} attempts")]
    Unprocessed {
        /// How many.
        count: usize,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The value could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// An item read could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An expression could not be built (e.g. a raw expression's placeholders collide).
    #[error("invalid expression: {0}")]
    Expression(String),
    /// An expression is longer than DynamoDB accepts; nothing was sent.
    #[error("the {clause} expression is {length} bytes long, DynamoDB accepts at most {max}")]
    ExpressionTooLong {
        /// Which expression: `condition` or `update`.
        clause: &'static str,
        /// Its length in bytes.
        length: usize,
        /// DynamoDB's limit.
        max: usize,
    },
    /// The compare-and-swap guard of a bulk driver's write (the item as read: every attribute
    /// equal, the absent ones still absent) is more than one DynamoDB condition holds (4 KB,
    /// 300 operators): the item has too many attributes to be compared in one write.
    #[error(
        "the compare-and-swap guard of this item compares {attributes} attributes, more than one DynamoDB condition holds ({limit}): give the entity a version attribute (`#[entity(version)]`), which the guard checks alone, or, if the write does not depend on what was read, declare it blind (`Write::blind()`)"
    )]
    GuardTooLarge {
        /// The attributes the guard compares.
        attributes: usize,
        /// The limit it passed, as DynamoDB or the check before sending put it.
        limit: String,
    },
    /// The table does not exist.
    #[error(
        "the table does not exist: create it (`migrate create-table`) or check the name and region"
    )]
    TableNotFound,
    /// Another error DynamoDB returned.
    #[error("{code}: {message}")]
    Service {
        /// DynamoDB's code.
        code: String,
        /// DynamoDB's message.
        message: String,
    },
    /// The request did not get an answer (connection refused or lost, time-out): may pass later.
    #[error("{0}")]
    Request(String),
    /// The request could not be made: credentials, region or endpoint configuration.
    #[error("{0}")]
    Configuration(String),
}

fn describe_reasons(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(|r| match &r.message {
            Some(m) => format!("action {}: {} ({m})", r.index, r.code),
            None => format!("action {}: {}", r.index, r.code),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An error from a [`Table`](crate::Table) operation: what failed (the operation, the table, the
/// item's key when there is one) and why ([`ErrorKind`]).
#[derive(Debug, Error)]
#[error(transparent)]
pub struct Error(Box<Inner>);

#[derive(Debug, Error)]
#[error("{operation} on table {table:?}{}: {kind}", key.as_ref().map(|k| format!(" for {k}")).unwrap_or_default())]
struct Inner {
    operation: Operation,
    table: String,
    key: Option<PrimaryKey>,
    #[source]
    kind: ErrorKind,
}

/// The codes DynamoDB uses for throttling.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

impl ErrorKind {
    /// The kind of DynamoDB's error `code` (e.g. `ConditionalCheckFailedException`).
    pub(crate) fn from_code(code: String, message: String) -> Self {
        match code.as_str() {
            "ConditionalCheckFailedException" => Self::ConditionalCheckFailed,
            "ResourceNotFoundException" => Self::TableNotFound,
            c if THROTTLING_CODES.contains(&c) => Self::Throttled { code },
            _ => Self::Service { code, message },
        }
    }
}

impl Error {
    pub(crate) fn new(
        operation: Operation,
        table: &str,
        key: Option<PrimaryKey>,
        kind: ErrorKind,
    ) -> Self {
        Self(Box::new(Inner {
            operation,
            table: table.to_owned(),
            key,
            kind,
        }))
    }

    /// An error from the SDK, classified.
    pub(crate) fn from_sdk<E, R>(
        operation: Operation,
        table: &str,
        key: Option<PrimaryKey>,
        error: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        let kind = match &error {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().unwrap_or("Unknown").to_owned();
                let message = inner.message().unwrap_or_default().to_owned();
                ErrorKind::from_code(code, message)
            }
            SdkError::ConstructionFailure(_) => {
                ErrorKind::Configuration(DisplayErrorContext(&error).to_string())
            }
            _ => ErrorKind::Request(DisplayErrorContext(&error).to_string()),
        };
        Self::new(operation, table, key, kind)
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.0.operation
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.0.table
    }

    /// The key of the item the operation was about, when it was about one.
    pub fn key(&self) -> Option<&PrimaryKey> {
        self.0.key.as_ref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// A condition was not met (for a transaction: one of its actions' conditions); a
    /// [version conflict](Self::is_version_conflict) is one too.
    pub fn is_conditional_check_failed(&self) -> bool {
        match &self.0.kind {
            ErrorKind::ConditionalCheckFailed | ErrorKind::VersionConflict { .. } => true,
            ErrorKind::TransactionCanceled { reasons } => {
                reasons.iter().any(|r| r.code == "ConditionalCheckFailed")
            }
            _ => false,
        }
    }

    /// A write of a versioned entity found another version than it expected
    /// ([`ErrorKind::VersionConflict`]): read the item again and retry.
    pub fn is_version_conflict(&self) -> bool {
        matches!(self.0.kind, ErrorKind::VersionConflict { .. })
    }

    /// DynamoDB throttled the request (after the retries).
    pub fn is_throttled(&self) -> bool {
        match &self.0.kind {
            ErrorKind::Throttled { .. } => true,
            ErrorKind::TransactionCanceled { reasons } => reasons
                .iter()
                .any(|r| THROTTLING_CODES.contains(&r.code.as_str())),
            _ => false,
        }
    }

    /// A transaction was canceled.
    pub fn is_transaction_canceled(&self) -> bool {
        matches!(self.0.kind, ErrorKind::TransactionCanceled { .. })
    }

    /// The table does not exist.
    pub fn is_table_not_found(&self) -> bool {
        matches!(self.0.kind, ErrorKind::TableNotFound)
    }

    /// Whether trying again later may succeed: throttling, a transaction conflict, a lost
    /// connection or a 5xx.
    pub fn is_retryable(&self) -> bool {
        match &self.0.kind {
            ErrorKind::Throttled { .. } | ErrorKind::Request(_) => true,
            ErrorKind::Service { code, .. } => {
                code == "InternalServerError" || code == "ServiceUnavailable"
            }
            ErrorKind::TransactionCanceled { reasons } => reasons.iter().all(|r| {
                r.code == "TransactionConflict" || THROTTLING_CODES.contains(&r.code.as_str())
            }),
            _ => false,
        }
    }
}

/// `Result` of table operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a version conflict found, and what to do about it.
fn version_conflict_advice(expected: u64, found: Option<u64>) -> String {
    match found {
        Some(version) => {
            format!("the table holds version {version}; read the item again and retry")
        }
        None if expected > 0 => "the table holds no item with this key: read it again and retry, \
             or, to write it under a new key (a re-key), set its version to 0 first, so that the \
             put makes a new item (`#[entity(version)]` counts from there)"
            .to_owned(),
        None => "the table holds no item with this key".to_owned(),
    }
}
