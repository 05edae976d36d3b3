use thiserror::Error;

/// An error of a migration or of the migration machinery.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A table operation failed.
    #[error(transparent)]
    Table(#[from] dynatable_core::Error),
    /// A bulk operation stopped.
    #[error(transparent)]
    Bulk(#[from] dynatable_core::BulkError),
    /// An item could not be decoded.
    #[error(transparent)]
    Decode(#[from] dynatable_core::DecodeError),
    /// A value could not be encoded.
    #[error(transparent)]
    Encode(#[from] dynatable_core::EncodeError),
    /// The migration cannot be rolled back.
    #[error("the migration cannot be rolled back: {reason}")]
    Irreversible {
        /// Why, as the migration declares it.
        reason: String,
    },
    /// Two migrations have the same version.
    #[error(
        "migrations `{first}` and `{second}` both have version {version}: give one a new version"
    )]
    DuplicateVersion {
        /// The shared version.
        version: String,
        /// The first migration's name.
        first: &'static str,
        /// The second migration's name.
        second: &'static str,
    },
    /// A registered version is not semver (only possible without the macro).
    #[error("migration `{name}` has version {version:?}, which is not semver")]
    InvalidVersion {
        /// The migration.
        name: &'static str,
        /// The version as registered.
        version: &'static str,
    },
    /// Any other failure of a migration's own code.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An error of a migration's own, from a message.
    pub fn msg(message: impl std::fmt::Display) -> Self {
        Self::Other(message.to_string().into())
    }
}

/// `Result` of migrations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
