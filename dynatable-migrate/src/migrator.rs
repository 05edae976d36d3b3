//! The runner: lock → read the ledger → refuse on changed or unknown code → apply (or roll back)
//! in version order, recording each run and the schema change it made → unlock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dynatable_core::{EntitySchema, MAX_TRANSACTION_ACTIONS, PrimaryKey, Table, Write, registry};
use semver::Version;
use serde::Serialize;

use crate::checkpoint::{Checkpointer, Saving};
use crate::context::{Context, Replay};
use crate::dry_run::PlannedWrite;
use crate::dry_run_cost::DryRunCost;
use crate::error::{Error, Result};
use crate::join::JoinedProcess;
use crate::lease::{Clock, SystemClock};
use crate::ledger::{self, MigrationRecord, MigrationStatus, now, who};
use crate::lock::{self, Lock, LockRecord};
use crate::migration::Direction;
use crate::registry::{RegisteredMigration, migrations};
use crate::replay_positions::{self, ReplayState};
use crate::reporter::{LogReporter, Reporter};
use crate::schema_snapshot::{SchemaChange, SchemaSnapshot};
use crate::shared_backfill::DEFAULT_SHARED_SEGMENTS;
use crate::stream::{ChangeStream, StreamError, StreamPosition, aws_stream_client};
use aws_sdk_dynamodbstreams::Client as StreamsClient;

/// How long the lock lives without a heartbeat, unless configured.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(300);
/// How long a run waits for a lock another run holds, unless configured.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(0);

/// The migrations of a run, each with where its backfills' catch-ups stand.
pub(crate) type Replays = Vec<(&'static RegisteredMigration, Arc<Replay>)>;

/// Where `down` stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownTarget {
    /// Roll back the newest applied migrations, this many.
    Steps(usize),
    /// Roll back every applied migration above this version (it stays applied).
    Version(String),
}

/// What `up` or `down` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RunReport {
    /// The versions run, in the order they ran.
    pub versions: Vec<String>,
    /// Items converted by replays: the backfills of a run's earlier migrations passed over the
    /// changes made since they ended, and a replay a killed run left unfinished, taken up.
    pub replayed: u64,
    /// Per version, the malformed items its run skipped ([`Migrator::skip_malformed`]); versions
    /// that skipped none are absent. `status` lists them.
    pub skipped_malformed: std::collections::BTreeMap<String, u64>,
}

impl RunReport {
    /// Notes that `version` ran, skipping `skipped` malformed items.
    fn ran(&mut self, version: &str, skipped: u64) {
        self.versions.push(version.to_owned());
        if skipped > 0 {
            self.skipped_malformed.insert(version.to_owned(), skipped);
        }
    }
}

/// What a dry run would write, per version.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DryRunReport {
    /// Version to the writes its migration would make.
    pub writes: Vec<(String, Vec<PlannedWrite>)>,
    /// Version to what its migration would cost the table (see [`DryRunCost`]).
    pub costs: Vec<(String, DryRunCost)>,
}

impl DryRunReport {
    /// What every migration of the run would cost together.
    pub fn total_cost(&self) -> DryRunCost {
        let mut total = DryRunCost::default();
        for (_, cost) in &self.costs {
            total.add(cost);
        }
        total
    }
}

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
    catch_up: bool,
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
        Ok(Self {
            table,
            migrations: migrations()?,
            entities: registry::entities(),
            lock_ttl: DEFAULT_LOCK_TTL,
            lock_wait: DEFAULT_LOCK_WAIT,
            allow_changed_checksums: false,
            who: who(),
            reporter: Arc::new(LogReporter),
            catch_up: true,
            skip_malformed: false,
            stream_client: None,
            shared_segments: DEFAULT_SHARED_SEGMENTS,
            joined: None,
            clock: Arc::new(SystemClock),
        })
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
    async fn change_stream(&self) -> Result<Option<ChangeStream>> {
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

    /// The clock a joined run measures failover times by (default [`SystemClock`](crate::lease::SystemClock)): how long it
    /// saw the leader's lock or a process's lease stand still. Tests give it one they move.
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

    fn find(&self, version: &str) -> Result<&'static RegisteredMigration> {
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
        let changed: Vec<String> = self
            .migrations
            .iter()
            .filter(|m| {
                ledger.get(m.version).is_some_and(|r| {
                    r.status == MigrationStatus::Applied && r.checksum != m.checksum
                })
            })
            .map(|m| m.version.to_owned())
            .collect();
        if !changed.is_empty() && !self.allow_changed_checksums {
            return Err(Error::ChecksumChanged { versions: changed });
        }
        Ok(())
    }

    /// The migrations `up` would run: not applied, up to `target`, in version order.
    fn pending(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        target: Option<&str>,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        let limit = match target {
            Some(version) => Some(self.find(version)?.semver()?),
            None => None,
        };
        let mut pending = Vec::new();
        for m in &self.migrations {
            if limit
                .as_ref()
                .is_some_and(|l| m.semver().is_ok_and(|v| v > *l))
            {
                break;
            }
            let applied = ledger
                .get(m.version)
                .is_some_and(|r| r.status == MigrationStatus::Applied);
            if !applied {
                pending.push(*m);
            }
        }
        Ok(pending)
    }

    /// Writes `record`, only while this run holds the lock.
    async fn record(&self, lock: &Lock, record: &MigrationRecord) -> Result<()> {
        self.record_deleting(lock, record, Vec::new(), Vec::new())
            .await
    }

    /// Puts `record` and `puts`, and deletes `keys`, in one transaction, while the run holds
    /// the lock.
    async fn record_deleting(
        &self,
        lock: &Lock,
        record: &MigrationRecord,
        puts: Vec<Write>,
        keys: Vec<PrimaryKey>,
    ) -> Result<()> {
        if lock.is_lost() {
            return Err(Error::LockLost);
        }
        let transaction = self
            .table
            .transaction()
            .condition_check(LockRecord::key(), lock::held_by(lock.owner()))
            .write(self.table.put(record));
        let transaction = puts
            .into_iter()
            .fold(transaction, |transaction, put| transaction.write(put));
        let transaction = keys.into_iter().fold(transaction, |transaction, key| {
            transaction.write(self.table.delete_item(key))
        });
        match transaction.send().await {
            Err(e) if e.is_conditional_check_failed() => Err(Error::LockLost),
            other => Ok(other?),
        }
    }

    /// Records a finished run, deletes the version's checkpoints and saves where its catch-ups
    /// ended as the start of its replay, in one transaction: a run killed at any moment leaves
    /// either an unfinished version with its checkpoints, or a finished one whose replay the
    /// next `up` takes up (see [`replay_positions`]). Checkpoints beyond one transaction's room
    /// go first: losing those only makes a rerun start over, which plans allow.
    async fn record_finished(
        &self,
        lock: &Lock,
        record: &MigrationRecord,
        checkpoints: &Checkpointer,
        caught_up: &HashMap<String, StreamPosition>,
    ) -> Result<()> {
        let replay = Checkpointer {
            saving: Saving::Replay,
            ..checkpoints.clone()
        };
        let puts: Vec<Write> = caught_up
            .iter()
            .map(|(name, position)| replay.stream_write(name, position))
            .collect();
        let put_keys: HashSet<&PrimaryKey> = puts.iter().map(|put| put.key()).collect();
        let mut keys: Vec<PrimaryKey> = checkpoints
            .saved_keys()
            .await?
            .into_iter()
            .filter(|key| !put_keys.contains(key))
            .collect();
        // The lock check and the record take two actions.
        let room = MAX_TRANSACTION_ACTIONS.saturating_sub(2 + puts.len());
        while keys.len() > room {
            if let Some(key) = keys.pop() {
                self.table.delete_item(key).send().await?;
            }
        }
        self.record_deleting(lock, record, puts, keys).await
    }

    /// Applies the pending migrations up to `target` (all when `None`), in version order. A
    /// failed or interrupted migration runs again first; later ones never run past a failure.
    /// A replay an earlier run left unfinished (killed after its migrations were applied) is
    /// finished before anything else.
    ///
    /// # Errors
    /// [`Error::LockHeld`], [`Error::ChecksumChanged`], [`Error::UnknownVersions`],
    /// [`Error::NoSuchVersion`], [`Error::MigrationFailed`] (recorded as failed in the ledger).
    pub async fn up(&self, target: Option<&str>) -> Result<RunReport> {
        self.verify(&self.ledger().await?)?;
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        self.up_holding(lock, target).await
    }

    /// [`up`](Self::up) with the lock taken; releases it.
    pub(crate) async fn up_holding(&self, lock: Lock, target: Option<&str>) -> Result<RunReport> {
        let result = async {
            let (report, followed) = self.up_locked(&lock, target, false).await?;
            // The run's replays are over: none is left to finish.
            if followed.is_some() {
                replay_positions::forget(&self.table, ReplayState::Unfinished).await?;
            }
            Ok::<_, Error>(report)
        }
        .await;
        let released = lock.release().await;
        let report = result?;
        released?;
        Ok(report)
    }

    /// Applies the pending migrations under `lock`, after finishing the replays an earlier run
    /// left unfinished (and, with `resume_stopped` when nothing is pending, taking up those of
    /// the last follow period, which a run that applies migrations forgets). Returns what a
    /// follow period replays: the table's stream and, per migration applied or taken up, where
    /// its catch-ups stand; `None` without a stream to follow, or when there was nothing to do.
    pub(crate) async fn up_locked(
        &self,
        lock: &Lock,
        target: Option<&str>,
        resume_stopped: bool,
    ) -> Result<(RunReport, Option<(ChangeStream, Replays)>)> {
        // Another run may have applied migrations while this one waited for the lock.
        let ledger = self.ledger().await?;
        self.verify(&ledger)?;
        let mut snapshot = self.last_snapshot(&ledger)?;
        let mut report = RunReport::default();
        let pending = self.pending(&ledger, target)?;
        let resumed = match self.catch_up {
            true => {
                self.saved_replays(&ledger, resume_stopped && pending.is_empty())
                    .await?
            }
            false => Vec::new(),
        };
        let stream = match pending.is_empty() && resumed.is_empty() {
            true => None,
            false => self.change_stream().await?,
        };
        let mut replays = resumed;
        if let Some(stream) = &stream
            && !replays.is_empty()
        {
            let versions: Vec<&str> = replays.iter().map(|(m, _)| m.version).collect();
            self.reporter.message(
                "replay",
                &format!(
                    "taking up the replay of {} where it stopped",
                    versions.join(", ")
                ),
            );
            report.replayed += self
                .replay(stream, Direction::Up, &replays, Some(lock))
                .await?;
        }
        let taken_up = replays.len();
        for migration in pending {
            let next = SchemaSnapshot::at(&self.entities, &migration.semver()?);
            let changes = snapshot.diff(&next);
            let (caught_up, skipped) = self
                .run(
                    lock,
                    migration,
                    Direction::Up,
                    Some((&next, &changes)),
                    stream.as_ref(),
                )
                .await?;
            replays.push((migration, Arc::new(Replay::from(caught_up))));
            snapshot = next;
            report.ran(migration.version, skipped);
        }
        if !report.versions.is_empty() {
            // A follow period of older migrations cannot continue past these.
            replay_positions::forget(&self.table, ReplayState::Stopped).await?;
        }
        if let Some(stream) = &stream
            && replays.len() > 1
            && replays.len() > taken_up
        {
            report.replayed += self
                .replay(stream, Direction::Up, &replays, Some(lock))
                .await?;
        }
        Ok((report, stream.map(|stream| (stream, replays))))
    }

    /// The versions whose replay a killed run left unfinished, which the next [`up`](Self::up)
    /// finishes first (none without [catch-up](Self::catch_up)).
    ///
    /// # Errors
    /// A table error.
    pub async fn unfinished_replays(&self) -> Result<Vec<String>> {
        if !self.catch_up {
            return Ok(Vec::new());
        }
        let ledger = self.ledger().await?;
        Ok(self
            .saved_replays(&ledger, false)
            .await?
            .into_iter()
            .map(|(m, _)| m.version.to_owned())
            .collect())
    }

    /// The registered migrations the ledger records as applied, in version order.
    fn applied<'a>(
        &'a self,
        ledger: &'a BTreeMap<String, MigrationRecord>,
    ) -> impl Iterator<Item = &'static RegisteredMigration> + 'a {
        self.migrations.iter().copied().filter(|m| {
            ledger
                .get(m.version)
                .is_some_and(|r| r.status == MigrationStatus::Applied)
        })
    }

    /// The replays whose positions the ledger keeps (the unfinished ones, and with `stopped`
    /// those of the last follow period), for the migrations still applied, in version order.
    async fn saved_replays(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        stopped: bool,
    ) -> Result<Replays> {
        // An unfinished replay of a version is never older than its stopped follow (it moved
        // on from there, or was saved with the same positions just before the stop): it wins.
        let states: &[ReplayState] = match stopped {
            true => &[ReplayState::Stopped, ReplayState::Unfinished],
            false => &[ReplayState::Unfinished],
        };
        let mut saved = replay_positions::saved(&self.table, states).await?;
        Ok(self
            .applied(ledger)
            .filter_map(|m| {
                let positions = saved.remove(m.version)?;
                Some((m, Arc::new(Replay::from(positions))))
            })
            .collect())
    }

    /// Runs the backfills of migrations applied in this run again over the changes made since
    /// their catch-up ended, in version order, each from where it stands: an item an old
    /// application instance wrote after an earlier migration finished passes through every plan
    /// of the run, in order, and ends in the run's target shape.
    ///
    /// With `lock`, the replays' positions are saved in the ledger as they move (their start was
    /// saved when each migration finished), so that a run killed during a replay leaves it for
    /// the next `up` to finish.
    pub(crate) async fn replay(
        &self,
        stream: &ChangeStream,
        direction: Direction,
        replays: &[(&'static RegisteredMigration, Arc<Replay>)],
        lock: Option<&Lock>,
    ) -> Result<u64> {
        let mut converted = 0;
        for (migration, replay) in replays {
            let checkpoints = lock.map(|lock| Checkpointer {
                table: self.table.clone(),
                version: migration.version.to_owned(),
                saving: Saving::Replay,
                lock_owner: lock.owner().to_owned(),
            });
            let ctx = Context::for_replay(
                self.table.clone(),
                migration.version,
                self.reporter.clone(),
                stream.clone(),
                replay.clone(),
                checkpoints,
            )
            .skipping_malformed(self.skip_malformed);
            migration
                .run(direction, &ctx)
                .await
                .map_err(|error| migration.failed(error))?;
            let (_, written) = ctx.counts();
            converted += written;
            if written > 0 {
                self.reporter.message(
                    migration.version,
                    &format!(
                        "{} converted {written} items changed since it was applied",
                        migration.name
                    ),
                );
            }
        }
        Ok(converted)
    }

    /// Runs one migration one way, recording it as running, then as applied (or rolled back) or
    /// failed. Returns where its backfills' catch-ups ended, and how many malformed items it
    /// skipped.
    async fn run(
        &self,
        lock: &Lock,
        migration: &'static RegisteredMigration,
        direction: Direction,
        schema: Option<(&SchemaSnapshot, &[SchemaChange])>,
        stream: Option<&ChangeStream>,
    ) -> Result<(HashMap<String, StreamPosition>, u64)> {
        // A rollback's record keeps the schema changes its `up` recorded, for the history.
        let previous = match direction {
            Direction::Down => self.ledger().await?.remove(migration.version),
            Direction::Up => None,
        };
        let (schema_snapshot, schema_changes) = previous.map_or((None, Vec::new()), |p| {
            (p.schema_snapshot, p.schema_changes)
        });
        let mut record = MigrationRecord {
            version: migration.version.to_owned(),
            name: migration.name.to_owned(),
            status: MigrationStatus::Running,
            checksum: migration.checksum.to_owned(),
            run_by: self.who.clone(),
            started_at: now(),
            finished_at: None,
            duration_ms: None,
            items_read: 0,
            items_written: 0,
            error: None,
            note: None,
            schema_snapshot,
            schema_changes,
            skipped_malformed: 0,
            skipped_items: Vec::new(),
        };
        self.record(lock, &record).await?;
        let checkpoints = Checkpointer {
            table: self.table.clone(),
            version: migration.version.to_owned(),
            saving: Saving::Run(direction),
            lock_owner: lock.owner().to_owned(),
        };
        let ctx = Context::for_run(
            self.table.clone(),
            checkpoints.clone(),
            self.reporter.clone(),
            stream.cloned(),
        )
        .skipping_malformed(self.skip_malformed)
        .joining(
            self.joined
                .as_ref()
                .map(|process| process.leading(migration, direction)),
        );
        self.reporter.message(
            migration.version,
            &format!("{} {direction} started", migration.name),
        );
        let started = Instant::now();
        let outcome = migration.run(direction, &ctx).await;
        let (read, written) = ctx.counts();
        record.items_read = read;
        record.items_written = written;
        let skipped = ctx.skipped_summary();
        if skipped.total > 0 {
            self.reporter.message(
                migration.version,
                &format!(
                    "{} skipped {} malformed items (`migrate status` lists them)",
                    migration.name, skipped.total
                ),
            );
        }
        let skipped_total = skipped.total;
        record.skipped_malformed = skipped.total;
        record.skipped_items = skipped.listed;
        record.finished_at = Some(now());
        record.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        match outcome {
            Ok(()) => {
                self.reporter.message(
                    migration.version,
                    &format!(
                        "{} {direction} done in {:.1?}: read {read}, wrote {written}",
                        migration.name,
                        started.elapsed()
                    ),
                );
                record.status = match direction {
                    Direction::Up => MigrationStatus::Applied,
                    Direction::Down => MigrationStatus::RolledBack,
                };
                if let Some((snapshot, changes)) = schema {
                    record.schema_snapshot = Some(serde_json::to_string(snapshot)?);
                    record.schema_changes = changes.iter().map(ToString::to_string).collect();
                }
                record.schema_changes.extend(ctx.noted_changes());
                let caught_up = ctx.caught_up();
                let replay_from = match direction {
                    Direction::Up => caught_up.clone(),
                    // Only the replays of `up` are taken up after a kill.
                    Direction::Down => HashMap::new(),
                };
                self.record_finished(lock, &record, &checkpoints, &replay_from)
                    .await?;
                Ok((caught_up, skipped_total))
            }
            Err(error) => {
                record.status = MigrationStatus::Failed;
                record.error = Some(error.to_string());
                self.record(lock, &record).await?;
                Err(migration.failed(error))
            }
        }
    }

    /// Rolls back applied migrations, newest first: `target` steps, or everything above a version.
    /// Refuses before running anything when one of them is irreversible.
    ///
    /// # Errors
    /// [`Error::Irreversible`], [`Error::LockHeld`], [`Error::NoSuchVersion`],
    /// [`Error::MigrationFailed`].
    pub async fn down(&self, target: DownTarget) -> Result<RunReport> {
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = async {
            let to_undo = self.rollbacks(&self.ledger().await?, &target)?;
            self.undo(&lock, to_undo).await
        }
        .await;
        let released = lock.release().await;
        let report = result?;
        released?;
        Ok(report)
    }

    /// Rolls back `to_undo`, in that order, under `lock`.
    pub(crate) async fn undo(
        &self,
        lock: &Lock,
        to_undo: Vec<&'static RegisteredMigration>,
    ) -> Result<RunReport> {
        let stream = match to_undo.is_empty() {
            true => None,
            false => self.change_stream().await?,
        };
        let mut report = RunReport::default();
        let mut replays = Vec::new();
        for migration in to_undo {
            let (caught_up, skipped) = self
                .run(lock, migration, Direction::Down, None, stream.as_ref())
                .await?;
            replays.push((migration, Arc::new(Replay::from(caught_up))));
            report.ran(migration.version, skipped);
        }
        if let Some(stream) = &stream
            && replays.len() > 1
        {
            report.replayed += self.replay(stream, Direction::Down, &replays, None).await?;
        }
        Ok(report)
    }

    /// The applied migrations `down` to `target` rolls back, newest first; refused as a whole when
    /// one of them is irreversible.
    fn rollbacks(
        &self,
        ledger: &BTreeMap<String, MigrationRecord>,
        target: &DownTarget,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        let mut applied: Vec<&'static RegisteredMigration> = self.applied(ledger).collect();
        applied.reverse();
        let to_undo: Vec<&'static RegisteredMigration> = match target {
            DownTarget::Steps(n) => applied.into_iter().take(*n).collect(),
            DownTarget::Version(version) => {
                let floor = self.find(version)?.semver()?;
                applied
                    .into_iter()
                    .filter(|m| m.semver().is_ok_and(|v| v > floor))
                    .collect()
            }
        };
        if let Some(m) = to_undo.iter().find(|m| m.irreversible.is_some()) {
            return Err(Error::Irreversible {
                reason: format!(
                    "{} ({}) is irreversible: {}",
                    m.version,
                    m.name,
                    m.irreversible.unwrap_or_default()
                ),
            });
        }
        Ok(to_undo)
    }

    /// The migrations [`up`](Self::up) to `target` would run now, in order (nothing is run).
    ///
    /// # Errors
    /// As [`up`](Self::up) before it takes the lock: changed or unknown applied code, an unknown
    /// target, a table error.
    pub async fn up_plan(&self, target: Option<&str>) -> Result<Vec<&'static RegisteredMigration>> {
        let ledger = self.ledger().await?;
        self.verify(&ledger)?;
        self.pending(&ledger, target)
    }

    /// The migrations [`down`](Self::down) to `target` would roll back now, newest first
    /// (nothing is run).
    ///
    /// # Errors
    /// [`Error::Irreversible`], [`Error::NoSuchVersion`], a table error.
    pub async fn down_plan(
        &self,
        target: &DownTarget,
    ) -> Result<Vec<&'static RegisteredMigration>> {
        self.rollbacks(&self.ledger().await?, target)
    }

    /// Runs the pending migrations' `up` on a client that cannot write, and reports what they
    /// would write. Takes no lock and leaves the ledger unchanged.
    ///
    /// # Errors
    /// As [`up`](Self::up), but nothing is recorded.
    pub async fn up_dry_run(&self, target: Option<&str>) -> Result<DryRunReport> {
        let plan = self.up_plan(target).await?;
        self.dry_run(plan, Direction::Up).await
    }

    /// Runs the `down` of the migrations [`down`](Self::down) would roll back on a client that
    /// cannot write, and reports what they would write. Takes no lock and leaves the ledger
    /// unchanged.
    ///
    /// # Errors
    /// As [`down`](Self::down), but nothing is recorded.
    pub async fn down_dry_run(&self, target: &DownTarget) -> Result<DryRunReport> {
        let plan = self.down_plan(target).await?;
        self.dry_run(plan, Direction::Down).await
    }

    async fn dry_run(
        &self,
        plan: Vec<&'static RegisteredMigration>,
        direction: Direction,
    ) -> Result<DryRunReport> {
        let mut report = DryRunReport::default();
        for migration in plan {
            let (ctx, log) = Context::dry_run(&self.table);
            let ctx = ctx.reporting(migration.version, self.reporter.clone());
            self.reporter.message(
                migration.version,
                &format!("{} {direction} (dry run) started", migration.name),
            );
            migration
                .run(direction, &ctx)
                .await
                .map_err(|e| migration.failed(e))?;
            let writes = log.writes();
            self.reporter.message(
                migration.version,
                &format!(
                    "{} {direction} (dry run) would make {} writes",
                    migration.name,
                    writes.len()
                ),
            );
            report.writes.push((migration.version.to_owned(), writes));
            report
                .costs
                .push((migration.version.to_owned(), log.cost()));
        }
        Ok(report)
    }

    /// Records `version` as `status` without running it (repair after a failure), with who and
    /// when; `Pending` removes its record.
    ///
    /// # Errors
    /// [`Error::NoSuchVersion`], [`Error::LockHeld`].
    pub async fn mark(&self, version: &str, status: MigrationStatus) -> Result<()> {
        let migration = self.find(version)?;
        let lock = Lock::acquire(&self.table, &self.who, self.lock_ttl, self.lock_wait).await?;
        let result = async {
            if status == MigrationStatus::Pending {
                self.table
                    .delete::<MigrationRecord>(MigrationRecord::key(migration.version))
                    .send()
                    .await?;
                return Ok(());
            }
            let previous = self.ledger().await?.remove(migration.version);
            let now = now();
            let record = MigrationRecord {
                version: migration.version.to_owned(),
                name: migration.name.to_owned(),
                status,
                checksum: migration.checksum.to_owned(),
                run_by: self.who.clone(),
                started_at: previous
                    .as_ref()
                    .map_or_else(|| now.clone(), |p| p.started_at.clone()),
                finished_at: Some(now),
                duration_ms: previous.as_ref().and_then(|p| p.duration_ms),
                items_read: previous.as_ref().map_or(0, |p| p.items_read),
                items_written: previous.as_ref().map_or(0, |p| p.items_written),
                error: None,
                note: Some(format!("marked {status} by {}", self.who)),
                schema_snapshot: previous.as_ref().and_then(|p| p.schema_snapshot.clone()),
                skipped_malformed: previous.as_ref().map_or(0, |p| p.skipped_malformed),
                skipped_items: previous
                    .as_ref()
                    .map(|p| p.skipped_items.clone())
                    .unwrap_or_default(),
                schema_changes: previous.map(|p| p.schema_changes).unwrap_or_default(),
            };
            self.record(&lock, &record).await
        }
        .await;
        let released = lock.release().await;
        result?;
        released
    }

    /// Removes the lock. Without `force` only an expired lock is removed.
    ///
    /// # Errors
    /// [`Error::LockHeld`] when the lock is live and `force` is false.
    pub async fn unlock(&self, force: bool) -> Result<bool> {
        match lock::current(&self.table).await? {
            None => Ok(false),
            Some(l) if !force && l.expires_at_ms > ledger::now_ms() => Err(Error::LockHeld {
                holder: l.holder,
                expires_at: humantime::format_rfc3339_millis(
                    std::time::UNIX_EPOCH + Duration::from_millis(l.expires_at_ms),
                )
                .to_string(),
            }),
            Some(_) => lock::force_unlock(&self.table).await,
        }
    }
}
