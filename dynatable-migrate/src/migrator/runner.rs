//! The runner and its settings: which migrations and entities, the lock's times, the reporter,
//! the stream and the joined run it takes part in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dynatable_core::{EntitySchema, Table, registry};
use semver::Version;

use crate::backfill::DEFAULT_SHARED_SEGMENTS;
use crate::error::{Error, Result};
use crate::joined::JoinedProcess;
use crate::lease::{Clock, SystemClock};
use crate::ledger::{self, MigrationRecord, MigrationStatus, who};
use crate::registry::{RegisteredMigration, migrations};
use crate::reporter::{LogReporter, Reporter};
use crate::run_state::Replay;
use crate::schema_snapshot::SchemaSnapshot;
use crate::stream::{ChangeStream, StreamError, aws_stream_client};
use aws_sdk_dynamodbstreams::Client as StreamsClient;

/// How long the lock lives without a heartbeat, unless configured.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(300);
/// How long a run waits for a lock another run holds, unless configured.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(0);

/// The migrations of a run, each with where its backfills' catch-ups stand.
pub(crate) type Replays = Vec<(&'static RegisteredMigration, Arc<Replay>)>;

/// Runs the migrations of a binary against one table.
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> dynatable_migrate::Result<()> {
/// use dynatable_migrate::Migrator;
/// let migrator = Migrator::new(table)?;
/// migrator.up(None).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator {
    pub(crate) table: Table,
    pub(crate) migrations: Vec<&'static RegisteredMigration>,
    pub(crate) entities: Vec<&'static EntitySchema>,
    pub(crate) lock_ttl: Duration,
    pub(crate) lock_wait: Duration,
    allow_changed_checksums: bool,
    pub(crate) who: String,
    pub(crate) reporter: Arc<dyn Reporter>,
    pub(super) catch_up: bool,
    /// Refuse to run on a table without point-in-time recovery.
    pub(super) require_backup: bool,
    /// Run on a global table (its other regions' writers stopped).
    pub(super) global_table_writer: bool,
    pub(crate) skip_malformed: bool,
    stream_client: Option<StreamsClient>,
    /// The segment count of the backfills a joined run shares (`--segments`).
    pub(crate) shared_segments: u32,
    /// This process, when it leads a joined run.
    pub(crate) joined: Option<Arc<JoinedProcess>>,
    /// The clock a joined run measures failover times by.
    pub(crate) clock: Arc<dyn Clock>,
}

impl Migrator {
    /// A runner of every migration registered in this binary, tracking every entity in it.
    ///
    /// # Errors
    /// [`Error::DuplicateVersion`] when two migrations share a version.
    pub fn new(table: Table) -> Result<Self> {
        Ok(Self::of_checked(table, migrations()?))
    }

    /// A runner of `migrations` (say, [`migrations_in`](crate::migrations_in) one module),
    /// tracking every entity registered in this binary.
    ///
    /// # Errors
    /// [`Error::DuplicateVersion`] when two of them share a version.
    pub fn for_migrations(
        table: Table,
        migrations: Vec<&'static RegisteredMigration>,
    ) -> Result<Self> {
        Ok(Self::of_checked(
            table,
            crate::registry::check_versions(migrations)?,
        ))
    }

    /// A runner of `migrations`, already in version order with no version twice.
    fn of_checked(table: Table, migrations: Vec<&'static RegisteredMigration>) -> Self {
        Self {
            table,
            migrations,
            entities: registry::entities(),
            lock_ttl: DEFAULT_LOCK_TTL,
            lock_wait: DEFAULT_LOCK_WAIT,
            allow_changed_checksums: false,
            who: who(),
            reporter: Arc::new(LogReporter),
            catch_up: true,
            require_backup: false,
            global_table_writer: false,
            skip_malformed: false,
            stream_client: None,
            shared_segments: DEFAULT_SHARED_SEGMENTS,
            joined: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Runs these migrations instead of the registered ones.
    ///
    /// # Errors
    /// [`Error::DuplicateVersion`].
    pub fn with_migrations(
        mut self,
        migrations: Vec<&'static RegisteredMigration>,
    ) -> Result<Self> {
        self.migrations = crate::registry::check_versions(migrations)?;
        Ok(self)
    }

    /// Tracks these entities' schemas instead of every registered one.
    #[must_use]
    pub fn with_entities(mut self, entities: Vec<&'static EntitySchema>) -> Self {
        self.entities = entities;
        self
    }

    /// How long the lock lives without a heartbeat (default 5 minutes); the heartbeat renews it
    /// every third of that while migrations run. In a joined run ([`up_joined`](Self::up_joined))
    /// it is also the failover time: how long the leader's lock, or a process's lease on a
    /// segment, stands still before another process takes it over.
    #[must_use]
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl.max(Duration::from_millis(300));
        self
    }

    /// How long to wait for a lock another run holds before failing (default: do not wait).
    #[must_use]
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Runs `up` even though applied migrations' code changed.
    #[must_use]
    pub fn allow_changed_checksums(mut self, allow: bool) -> Self {
        self.allow_changed_checksums = allow;
        self
    }

    /// Sends the runs' messages and progress to `reporter` (default: [`LogReporter`]).
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// Whether backfills catch up with the items written behind their scans, from the table's
    /// stream (default: yes). Without it, a run is safe only while nothing writes to the table:
    /// items written behind a scan are left in the old shape.
    #[must_use]
    pub fn catch_up(mut self, catch_up: bool) -> Self {
        self.catch_up = catch_up;
        self
    }

    /// Before each migration runs, requires point-in-time recovery on the table
    /// (`DescribeContinuousBackups`) and records the earliest time it can be restored to in the
    /// migration's ledger record; refuses with [`Error::NoPointInTimeRecovery`] without it.
    /// Default off; the command line turns it on against every endpoint but a loopback one
    /// (`--no-backup-check` turns it off).
    pub fn require_backup(mut self, require: bool) -> Self {
        self.require_backup = require;
        self
    }

    /// Runs on a global table (one with replicas in other regions), which is refused with
    /// [`Error::GlobalTable`] otherwise: writes in two regions at once can both pass a
    /// condition, so compare-and-swap and version checks hold only once the other regions'
    /// writers are stopped.
    pub fn global_table_writer(mut self, writer: bool) -> Self {
        self.global_table_writer = writer;
        self
    }

    /// Whether backfills skip the items that do not decode instead of failing with the first
    /// (default: fail). Each skipped item is counted, and the first
    /// [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED) are listed (key and reason) in the run's
    /// ledger record, which [`status`](Self::status) shows. The clean items are migrated; fix the
    /// skipped ones and run the migration's backfill again (it is idempotent) when they matter.
    #[must_use]
    pub fn skip_malformed(mut self, skip: bool) -> Self {
        self.skip_malformed = skip;
        self
    }

    /// The DynamoDB Streams client the catch-up reads the table's stream with (default: one on
    /// AWS's streams endpoint, in the DynamoDB client's region; for DynamoDB Local or LocalStack,
    /// give one for that endpoint, e.g. [`stream_client`](crate::stream_client)).
    #[must_use]
    pub fn stream_client(mut self, client: StreamsClient) -> Self {
        self.stream_client = Some(client);
        self
    }

    /// The table's stream, when the runs catch up.
    ///
    /// # Errors
    /// [`StreamError::NotEnabled`] when the table has none; a table error.
    pub(crate) async fn change_stream(&self) -> Result<Option<ChangeStream>> {
        if !self.catch_up {
            return Ok(None);
        }
        let client = match &self.stream_client {
            Some(client) => client.clone(),
            None => aws_stream_client(self.table.client()).await,
        };
        match ChangeStream::of_table(self.table.client(), client, self.table.name()).await? {
            Some(stream) => Ok(Some(stream)),
            None => Err(StreamError::NotEnabled {
                table: self.table.name().to_owned(),
            }
            .into()),
        }
    }

    /// Turns on a `KEYS_ONLY` stream on the table (or accepts the one it has), so that runs can
    /// catch up with the items written behind their scans.
    ///
    /// # Errors
    /// A DynamoDB error: the table is missing, or the caller may not update it.
    pub async fn enable_stream(&self) -> Result<crate::StreamEnabled> {
        ChangeStream::enable(self.table.client(), self.table.name()).await
    }

    /// How many segments the scans of the backfills a joined run shares have (default
    /// [`DEFAULT_SHARED_SEGMENTS`]; `migrate up --join --segments N`). More segments balance the
    /// work better among the processes and lose less to a killed one; each costs a lease item and
    /// a few requests.
    #[must_use]
    pub fn segments(mut self, segments: u32) -> Self {
        self.shared_segments = segments.max(1);
        self
    }

    /// The clock a joined run measures failover times by (default
    /// [`SystemClock`](crate::lease::SystemClock)): how long it saw the leader's lock or a
    /// process's lease stand still. Tests give it one they move.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Records who runs the migrations (default `user@host`).
    #[must_use]
    pub fn run_by(mut self, who: impl Into<String>) -> Self {
        self.who = who.into();
        self
    }

    pub(super) fn find(&self, version: &str) -> Result<&'static RegisteredMigration> {
        let wanted =
            Version::parse(version).map_err(|_| Error::NoSuchVersion(version.to_owned()))?;
        self.migrations
            .iter()
            .copied()
            .find(|m| m.semver().is_ok_and(|v| v == wanted))
            .ok_or_else(|| Error::NoSuchVersion(version.to_owned()))
    }

    pub(crate) async fn ledger(&self) -> Result<BTreeMap<String, MigrationRecord>> {
        Ok(ledger::records(&self.table)
            .await?
            .into_iter()
            .map(|r| (r.version.clone(), r))
            .collect())
    }

    /// Every ledger record, in version order: what ran, when, and the schema changes it recorded.
    ///
    /// # Errors
    /// A table error reading the ledger.
    pub async fn history(&self) -> Result<Vec<MigrationRecord>> {
        let mut records: Vec<(Option<Version>, MigrationRecord)> = self
            .ledger()
            .await?
            .into_values()
            .map(|r| (Version::parse(&r.version).ok(), r))
            .collect();
        records.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(records.into_iter().map(|(_, r)| r).collect())
    }

    /// The migrations this runner knows, in version order.
    pub fn migrations(&self) -> &[&'static RegisteredMigration] {
        &self.migrations
    }

    /// The entities whose schemas this runner tracks.
    pub fn entities(&self) -> &[&'static EntitySchema] {
        &self.entities
    }

    /// The snapshot of the last applied migration that recorded one.
    pub(crate) fn last_snapshot(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
    ) -> Result<SchemaSnapshot> {
        let mut applied: Vec<(&MigrationRecord, Version)> = ledger
            .values()
            .filter(|r| r.status == MigrationStatus::Applied && r.schema_snapshot.is_some())
            .filter_map(|r| Version::parse(&r.version).ok().map(|v| (r, v)))
            .collect();
        applied.sort_by(|a, b| a.1.cmp(&b.1));
        match applied
            .last()
            .and_then(|(r, _)| r.schema_snapshot.as_deref())
        {
            Some(json) => Ok(serde_json::from_str(json)?),
            None => Ok(SchemaSnapshot::default()),
        }
    }

    /// Refuses to migrate over changed or unknown applied code.
    pub(crate) fn verify(&self, ledger: &BTreeMap<String, MigrationRecord>) -> Result<()> {
        let unknown: Vec<String> = ledger
            .values()
            .filter(|r| r.status == MigrationStatus::Applied)
            .filter(|r| !self.migrations.iter().any(|m| m.version == r.version))
            .map(|r| r.version.clone())
            .collect();
        if !unknown.is_empty() {
            return Err(Error::UnknownVersions { versions: unknown });
        }
        self.refuse_changed(ledger, &self.migrations)
    }

    /// Refuses to run code of `migrations` that changed since the ledger recorded it applied,
    /// unless told to ([`allow_changed_checksums`](Self::allow_changed_checksums)): `up` over
    /// every applied migration, `down` over the ones it rolls back.
    pub(super) fn refuse_changed<'m>(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        migrations: impl IntoIterator<Item = &'m &'static RegisteredMigration>,
    ) -> Result<()> {
        let changed: Vec<String> = migrations
            .into_iter()
            .filter(|m| {
                ledger.get(m.version).is_some_and(|r| {
                    r.status == MigrationStatus::Applied && r.checksum != m.checksum
                })
            })
            .map(|m| m.version.to_owned())
            .collect();
        match changed.is_empty() || self.allow_changed_checksums {
            true => Ok(()),
            false => Err(Error::ChecksumChanged { versions: changed }),
        }
    }

    /// The registered migrations the ledger records as applied, in version order.
    pub(super) fn applied<'a>(
        &'a self,
        ledger: &'a BTreeMap<String, MigrationRecord>,
    ) -> impl Iterator<Item = &'static RegisteredMigration> + 'a {
        self.migrations.iter().copied().filter(|m| {
            ledger
                .get(m.version)
                .is_some_and(|r| r.status == MigrationStatus::Applied)
        })
    }
}
