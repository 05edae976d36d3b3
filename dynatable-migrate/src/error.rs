//! The error of a migration or of the runner, with the version and what to do.

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
    /// Another run holds the migration lock.
    #[error(
        "Could not acquire migration lock: held by {holder} until {expires_at}. If no migration is \
         running, wait for it to expire or remove it with `migrate unlock --force`"
    )]
    LockHeld {
        /// Who holds it.
        holder: String,
        /// When it expires unless renewed.
        expires_at: String,
    },
    /// The lock expired or was taken over while this run held it: it stopped writing the ledger.
    #[error(
        "the migration lock was lost (expired or forced) while migrating: check `migrate status` before running again"
    )]
    LockLost,
    /// Another process took over this process's lease on a part of a shared backfill (`up
    /// --join`): a segment of its scan or a shard its catch-up reads. This process stopped
    /// working on the part, which the other one finishes.
    #[error("the lease on {lease} of {work} was taken over by another process")]
    LeaseLost {
        /// The backfill (version and name).
        work: String,
        /// The part: `segment 3`, `shard shardId-00000001`.
        lease: String,
    },
    /// A process joined a run (`up --join`) whose leader runs other code for a migration.
    #[error(
        "migration {version} of this binary differs from the one the leading process ({leader}) \
         runs: deploy the same binary to every process of a joined run"
    )]
    CodeDiffers {
        /// The migration's version.
        version: String,
        /// Who leads the run.
        leader: String,
    },
    /// A migration failed; it is recorded as failed and later migrations wait for it.
    #[error("migration {version} ({name}) failed: {source}")]
    MigrationFailed {
        /// Its version.
        version: String,
        /// Its name.
        name: String,
        /// Why.
        source: Box<Error>,
    },
    /// Applied migrations whose code changed since they ran.
    #[error(
        "applied migrations changed since they ran: {}; restore their code, or run them as they \
         are now with --allow-changed-checksums (`Migrator::allow_changed_checksums`)",
        versions.join(", ")
    )]
    ChecksumChanged {
        /// The versions.
        versions: Vec<String>,
    },
    /// Migrations not applied are older than one that is: `up` runs migrations in version
    /// order only (each one's recorded schema change is from the version before it).
    #[error(
        "not applied, but older than {newest}, which is: {}. Migrations run in version order \
         only: give each a version after {newest} (its file name and its \
         #[migration(version)]), or record it as applied without running it (`migrate mark \
         VERSION applied`)",
        versions.join(", ")
    )]
    OutOfOrder {
        /// The versions not applied, older than `newest`.
        versions: Vec<String>,
        /// The newest applied version.
        newest: String,
    },
    /// The ledger records versions this binary does not contain.
    #[error("the ledger records versions this binary does not know: {}; deploy a binary that contains them", versions.join(", "))]
    UnknownVersions {
        /// The versions.
        versions: Vec<String>,
    },
    /// A version given on the command line or to the runner is not one of the migrations.
    #[error("no migration has version {0}: `migrate status` lists the versions")]
    NoSuchVersion(String),
    /// The table's stream could not be followed.
    #[error(transparent)]
    Stream(#[from] crate::stream::StreamError),
    /// `ctx.rekey::<E>()` was called where it cannot know which keys to move between.
    #[error("{0}")]
    Rekey(#[from] crate::backfill::RekeyError),
    /// The table has no point-in-time recovery, and the run was asked to require it (the
    /// command line does against AWS).
    #[error(
        "table {table} has no point-in-time recovery, so a migration that deletes or re-keys \
         items could not be undone: turn it on (aws dynamodb update-continuous-backups \
         --table-name {table} --point-in-time-recovery-specification \
         PointInTimeRecoveryEnabled=true), or run with --no-backup-check"
    )]
    NoPointInTimeRecovery {
        /// The table.
        table: String,
    },
    /// The table is a global table, written in other regions too.
    #[error(
        "table {table} has replicas in {}: writes in two regions at once can both pass a \
         condition, so compare-and-swap and version checks do not hold across them; stop the \
         writers in the other regions, or run with --global-table-writer if they are stopped",
        regions.join(", ")
    )]
    GlobalTable {
        /// The table.
        table: String,
        /// The replicas' regions.
        regions: Vec<String>,
    },
    /// A structural change of the table (an index, time to live) cannot be made (boxed: the
    /// error names indexes, entities and attributes).
    #[error("{0}")]
    TableChange(Box<crate::backfill::TableChangeError>),
    /// A run's capacity budget cannot be set up or changed.
    #[error(transparent)]
    Capacity(#[from] crate::capacity::CapacityError),
    /// Any other failure of a migration's own code.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl From<serde_json::Error> for Error {
    /// A schema snapshot in the ledger that does not parse.
    fn from(e: serde_json::Error) -> Self {
        Error::Other(Box::new(e))
    }
}

impl Error {
    /// An error of a migration's own, from a message.
    pub fn msg(message: impl std::fmt::Display) -> Self {
        Self::Other(message.to_string().into())
    }

    /// Whether this is [`Error::LockLost`], or a migration that failed with it.
    pub fn is_lock_lost(&self) -> bool {
        match self {
            Self::LockLost => true,
            Self::MigrationFailed { source, .. } => source.is_lock_lost(),
            _ => false,
        }
    }
}

/// `Result` of migrations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::backfill::TableChangeError> for Error {
    fn from(error: crate::backfill::TableChangeError) -> Self {
        Self::TableChange(Box::new(error))
    }
}
