//! The migration runner on DynamoDB Local: targets, the ledger, failures and retries, changed
//! code, the lock (contention, expiry, heartbeat), dry runs and schema tracking.

use std::time::Duration;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, EntitySchema, Table, entity};
use dynatable_migrate::{
    Context, DownTarget, Error, LockRecord, Migration, MigrationStatus, Migrator, Result, migration,
};
use dynatable_tests::entities::User;
use dynatable_tests::{TestTable, control, ledger_record, set_control};
use futures::TryStreamExt;

/// The same entity one version later: one more attribute.
#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    rename_all = "camelCase",
    name = "User"
)]
pub struct UserWithNickname {
    pub user_id: String,
    pub username: String,
    pub bio: Option<String>,
    pub nickname: Option<String>,
}

#[entity(
    pk = "USER#{user_id}",
    sk = "NOTIFICATION#{notification_id}",
    rename_all = "camelCase"
)]
pub struct Notification {
    pub user_id: String,
    #[entity(generate = "ulid")]
    pub notification_id: String,
    pub message: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// Counts the runs of `version` in the table itself (exactly-once checks).
async fn bump(ctx: &Context, version: &str) -> Result<()> {
    ctx.client()
        .update_item()
        .table_name(ctx.table_name())
        .key("PK", s("RUNS"))
        .key("SK", s(version))
        .update_expression("ADD #n :one")
        .expression_attribute_names("#n", "n")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .map_err(|e| Error::msg(dynatable_core::aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    Ok(())
}

pub struct AddBio;

#[migration(version = "0.1.0")]
impl Migration for AddBio {
    async fn up(&self, ctx: &Context) -> Result<()> {
        bump(ctx, "0.1.0").await?;
        ctx.log("filling bios");
        ctx.note_schema_change("User.bio is \"\" for users who never wrote one");
        let t = ctx.table();
        let f = User::fields();
        ctx.apply(t.scan::<User>().stream(), |u: User| {
            Some(
                t.update::<User>(u.primary_key())
                    .set(f.bio, "")
                    .condition(f.bio.not_exists())
                    .into(),
            )
        })
        .await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.apply(t.scan::<User>().stream(), |u: User| {
            Some(
                t.update::<User>(u.primary_key())
                    .remove(User::fields().bio)
                    .into(),
            )
        })
        .await?;
        Ok(())
    }
}

pub struct Lowercase;

#[migration(version = "0.2.0", irreversible = "the original case is not kept")]
impl Migration for Lowercase {
    async fn up(&self, ctx: &Context) -> Result<()> {
        bump(ctx, "0.2.0").await?;
        let t = ctx.table();
        ctx.apply(t.scan::<User>().stream(), |u: User| {
            let lower = u.username.to_lowercase();
            (lower != u.username).then(|| {
                t.update::<User>(u.primary_key())
                    .set(User::fields().username, lower)
                    .into()
            })
        })
        .await?;
        Ok(())
    }
}

pub struct Flaky;

#[migration(version = "0.3.0")]
impl Migration for Flaky {
    async fn up(&self, ctx: &Context) -> Result<()> {
        bump(ctx, "0.3.0").await?;
        if control(ctx.table(), "fail").await.is_some() {
            return Err(Error::msg("told to fail"));
        }
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

pub struct Slow;

#[migration(version = "0.4.0")]
impl Migration for Slow {
    async fn up(&self, ctx: &Context) -> Result<()> {
        bump(ctx, "0.4.0").await?;
        if let Some(ms) = control(ctx.table(), "sleep_ms").await {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        }
        Ok(())
    }

    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

struct Setup {
    /// Keep it bound (`test: _test`, not `..`): dropping it deletes the table on an endpoint
    /// given with `DYNATABLE_ENDPOINT`.
    test: TestTable,
    table: Table,
}

async fn setup() -> Setup {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
    table
        .batch_put((0..25).map(|i| User {
            user_id: format!("u{i}"),
            username: format!("User{i}"),
            bio: None,
        }))
        .await
        .unwrap();
    Setup { test, table }
}

fn entities() -> Vec<&'static EntitySchema> {
    vec![User::SCHEMA]
}

fn migrator(table: &Table) -> Migrator {
    Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(entities())
}

async fn runs(table: &Table, version: &str) -> u64 {
    let item = table
        .client()
        .get_item()
        .table_name(table.name())
        .key("PK", s("RUNS"))
        .key("SK", s(version))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item;
    match item.and_then(|i| i.get("n").cloned()) {
        Some(AttributeValue::N(n)) => n.parse().unwrap(),
        _ => 0,
    }
}

async fn statuses(m: &Migrator) -> Vec<(String, MigrationStatus)> {
    m.status()
        .await
        .unwrap()
        .migrations
        .into_iter()
        .map(|s| (s.version, s.status))
        .collect()
}

fn st(v: &[(&str, MigrationStatus)]) -> Vec<(String, MigrationStatus)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), *b)).collect()
}

use MigrationStatus::{Applied, Failed, Pending, RolledBack};

#[tokio::test]
async fn up_down_and_targets() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    assert_eq!(m.up(Some("0.1.0")).await.unwrap().versions, ["0.1.0"]);
    assert_eq!(
        statuses(&m).await,
        st(&[
            ("0.1.0", Applied),
            ("0.2.0", Pending),
            ("0.3.0", Pending),
            ("0.4.0", Pending)
        ])
    );
    let users: Vec<User> = table.scan::<User>().stream().try_collect().await.unwrap();
    assert!(users.iter().all(|u| u.bio.as_deref() == Some("")));

    assert_eq!(
        m.up(None).await.unwrap().versions,
        ["0.2.0", "0.3.0", "0.4.0"]
    );
    assert!(
        m.up(None).await.unwrap().versions.is_empty(),
        "nothing left to run"
    );
    let record = m
        .status()
        .await
        .unwrap()
        .migrations
        .into_iter()
        .find(|s| s.version == "0.1.0")
        .unwrap();
    assert_eq!((record.items_read, record.items_written), (25, 25));
    assert_eq!(record.checksum_ok, Some(true));

    // Down one step, then down to 0.2.0 (which stays applied).
    assert_eq!(
        m.down(DownTarget::Steps(1)).await.unwrap().versions,
        ["0.4.0"]
    );
    assert_eq!(
        m.down(DownTarget::Version("0.2.0".into()))
            .await
            .unwrap()
            .versions,
        ["0.3.0"]
    );
    assert_eq!(
        statuses(&m).await,
        st(&[
            ("0.1.0", Applied),
            ("0.2.0", Applied),
            ("0.3.0", RolledBack),
            ("0.4.0", RolledBack)
        ])
    );

    // 0.2.0 is irreversible: down past it is refused before anything runs.
    let err = m
        .down(DownTarget::Version("0.1.0".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Irreversible { .. }), "{err}");
    assert!(
        err.to_string().contains("the original case is not kept"),
        "{err}"
    );
    assert_eq!(statuses(&m).await[1], ("0.2.0".to_owned(), Applied));

    let err = m.up(Some("9.9.9")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no migration has version 9.9.9: `migrate status` lists the versions"
    );
}

#[tokio::test]
async fn a_failure_blocks_later_versions_until_retried() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    set_control(&table, "fail", Some("yes")).await;
    let err = m.up(None).await.unwrap_err();
    assert!(
        matches!(err, Error::MigrationFailed { ref version, .. } if version == "0.3.0"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "migration 0.3.0 (flaky) failed: told to fail"
    );
    assert_eq!(
        statuses(&m).await,
        st(&[
            ("0.1.0", Applied),
            ("0.2.0", Applied),
            ("0.3.0", Failed),
            ("0.4.0", Pending)
        ])
    );
    let status = m.status().await.unwrap();
    assert_eq!(status.migrations[2].error.as_deref(), Some("told to fail"));
    assert_eq!(status.lock, None, "the lock is released after a failure");

    // Still failing: 0.4.0 does not run past it.
    assert!(m.up(None).await.is_err());
    assert_eq!(runs(&table, "0.4.0").await, 0);

    // Fixed: `up` retries 0.3.0, then runs 0.4.0.
    set_control(&table, "fail", None).await;
    assert_eq!(m.up(None).await.unwrap().versions, ["0.3.0", "0.4.0"]);
    assert_eq!(runs(&table, "0.3.0").await, 3);
    assert_eq!(runs(&table, "0.1.0").await, 1);
}

#[tokio::test]
async fn a_failed_migration_can_be_marked_instead() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    set_control(&table, "fail", Some("yes")).await;
    assert!(m.up(None).await.is_err());
    m.mark("0.3.0", Applied).await.unwrap();
    let record = ledger_record(&table, "0.3.0").await;
    assert_eq!(record.status, Applied);
    assert!(record.note.unwrap().starts_with("marked applied by "));
    assert_eq!(m.up(None).await.unwrap().versions, ["0.4.0"]);
    m.mark("0.4.0", Pending).await.unwrap();
    assert_eq!(statuses(&m).await[3], ("0.4.0".to_owned(), Pending));
}

#[tokio::test]
async fn a_migration_older_than_an_applied_one_is_refused_until_recorded() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    m.up(Some("0.1.0")).await.unwrap();
    // As a deploy from a branch that lacked 0.2.0 would leave the ledger.
    m.mark("0.3.0", Applied).await.unwrap();
    for refused in [
        m.up(None).await.map(|_| ()),
        m.up_plan(None).await.map(|_| ()),
    ] {
        match refused {
            Err(Error::OutOfOrder { versions, newest }) => {
                assert_eq!(
                    (versions.as_slice(), newest.as_str()),
                    (&["0.2.0".to_owned()][..], "0.3.0")
                );
            }
            other => panic!("expected OutOfOrder, got {other:?}"),
        }
    }
    assert_eq!(runs(&table, "0.2.0").await, 0, "nothing ran");
    assert_eq!(runs(&table, "0.4.0").await, 0, "nothing ran");
    m.mark("0.2.0", Applied).await.unwrap();
    assert_eq!(m.up(None).await.unwrap().versions, ["0.4.0"]);
}

/// Records in the ledger another checksum for applied `version`, as if its code had changed since
/// it ran.
async fn code_changed_since_applied(table: &Table, version: &str) {
    let mut record = ledger_record(table, version).await;
    record.checksum = "0".repeat(64);
    table.put(&record).send().await.unwrap();
}

#[tokio::test]
async fn an_edited_applied_migration_blocks_up() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    m.up(Some("0.1.0")).await.unwrap();
    code_changed_since_applied(&table, "0.1.0").await;

    let status = m.status().await.unwrap();
    assert_eq!(status.migrations[0].checksum_ok, Some(false));
    let err = m.up(None).await.unwrap_err();
    assert!(
        matches!(err, Error::ChecksumChanged { ref versions } if versions == &["0.1.0"]),
        "{err}"
    );
    assert_eq!(runs(&table, "0.2.0").await, 0);
    let report = m
        .clone()
        .allow_changed_checksums(true)
        .up(None)
        .await
        .unwrap();
    assert_eq!(report.versions, ["0.2.0", "0.3.0", "0.4.0"]);
}

#[tokio::test]
async fn an_edited_applied_migration_blocks_its_rollback() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    m.up(Some("0.1.0")).await.unwrap();
    // Its `down` changed too.
    code_changed_since_applied(&table, "0.1.0").await;

    let err = m.down(DownTarget::Steps(1)).await.unwrap_err();
    assert!(
        matches!(err, Error::ChecksumChanged { ref versions } if versions == &["0.1.0"]),
        "{err}"
    );
    assert!(
        err.to_string().contains("--allow-changed-checksums"),
        "{err}"
    );
    assert_eq!(statuses(&m).await[0], ("0.1.0".to_owned(), Applied));
    let report = m
        .clone()
        .allow_changed_checksums(true)
        .down(DownTarget::Steps(1))
        .await
        .unwrap();
    assert_eq!(report.versions, ["0.1.0"]);
}

#[tokio::test]
async fn down_to_a_version_before_the_first_rolls_back_every_one_and_a_typo_is_refused() {
    let Setup { table, test: _test } = setup().await;
    let m = migrator(&table);
    m.up(Some("0.1.0")).await.unwrap();
    // Between two migrations: a typo, which would roll back more or less than meant.
    let err = m
        .down(DownTarget::Version("0.1.5".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchVersion(_)), "{err}");
    let report = m.down(DownTarget::Version("0.0.0".into())).await.unwrap();
    assert_eq!(report.versions, ["0.1.0"]);
    assert_eq!(statuses(&m).await[0], ("0.1.0".to_owned(), RolledBack));
}

#[tokio::test]
async fn eight_concurrent_runners_apply_each_migration_exactly_once() {
    let Setup { table, test: _test } = setup().await;
    let runners: Vec<_> = (0..8)
        .map(|i| {
            let m = migrator(&table)
                .lock_wait(Duration::from_secs(60))
                .run_by(format!("runner-{i}"));
            tokio::spawn(async move { m.up(None).await.map(|r| r.versions) })
        })
        .collect();
    let mut applied = Vec::new();
    for runner in runners {
        applied.extend(runner.await.unwrap().unwrap());
    }
    applied.sort();
    assert_eq!(
        applied,
        ["0.1.0", "0.2.0", "0.3.0", "0.4.0"],
        "each version ran in exactly one runner"
    );
    for version in ["0.1.0", "0.2.0", "0.3.0", "0.4.0"] {
        assert_eq!(runs(&table, version).await, 1, "{version}");
    }
}

#[tokio::test]
async fn a_held_lock_is_refused_an_expired_one_is_taken_over() {
    let Setup { table, test: _test } = setup().await;
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let held = LockRecord {
        owner: "other".into(),
        holder: "ci@deploy-7".into(),
        acquired_at: "then".into(),
        expires_at_ms: now_ms + 60_000,
        counter: 0,
        ttl_ms: 60_000,
    };
    table.put(&held).send().await.unwrap();
    let m = migrator(&table);
    let err = m.up(None).await.unwrap_err();
    assert!(matches!(err, Error::LockHeld { .. }));
    assert!(
        err.to_string()
            .starts_with("Could not acquire migration lock: held by ci@deploy-7 until 20"),
        "{err}"
    );
    assert!(
        m.unlock(false).await.is_err(),
        "a live lock is not removed without force"
    );

    // The holder crashed: its lock expired.
    table
        .put(&LockRecord {
            expires_at_ms: now_ms - 1,
            ..held.clone()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(m.up(Some("0.1.0")).await.unwrap().versions, ["0.1.0"]);

    table.put(&held).send().await.unwrap();
    assert!(m.unlock(true).await.unwrap());
    assert_eq!(m.status().await.unwrap().lock, None);
}

#[tokio::test]
async fn the_heartbeat_keeps_the_lock_through_a_long_migration() {
    let Setup { table, test: _test } = setup().await;
    // A 2 s lock (renewed every third of it) and a migration of 5 s: only the heartbeat can keep
    // it.
    set_control(&table, "sleep_ms", Some("5000")).await;
    let ttl = Duration::from_secs(2);
    let long = migrator(&table).lock_ttl(ttl);
    let running = tokio::spawn(async move { long.up(None).await });
    // Twice the lock's time to live later, the run still holds it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let other = migrator(&table).lock_ttl(ttl);
    let err = other.up(None).await.unwrap_err();
    assert!(matches!(err, Error::LockHeld { .. }), "{err}");
    assert_eq!(
        running.await.unwrap().unwrap().versions,
        ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]
    );
    assert_eq!(other.status().await.unwrap().lock, None);
}

#[tokio::test]
async fn a_dry_run_reports_writes_and_changes_nothing() {
    let Setup { test, table } = setup().await;
    let before = test.scan_all().await.len();
    let m = migrator(&table);
    let report = m.up_dry_run(None).await.unwrap();
    let versions: Vec<&str> = report.writes.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(versions, ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]);
    // 0.1.0: its counter and 25 bios; 0.2.0: its counter and 25 lowercased names.
    assert_eq!(report.writes[0].1.len(), 26);
    assert_eq!(report.writes[1].1.len(), 26);
    assert!(report.writes[0].1.iter().any(|w| w.expression.as_deref()
        == Some("SET bio = :v0 IF (attribute_exists(PK)) AND (attribute_not_exists(bio))")));
    assert_eq!(
        test.scan_all().await.len(),
        before,
        "no ledger record, no lock, no change"
    );
    assert_eq!(
        statuses(&m)
            .await
            .iter()
            .filter(|(_, s)| *s == Pending)
            .count(),
        4
    );
}

#[tokio::test]
async fn schema_changes_are_recorded_and_drift_is_reported() {
    let Setup { table, test: _test } = setup().await;
    Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(vec![User::SCHEMA])
        .up(Some("0.1.0"))
        .await
        .unwrap();
    let later = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(vec![UserWithNickname::SCHEMA, Notification::SCHEMA]);
    later.up(Some("0.2.0")).await.unwrap();

    let first = ledger_record(&table, "0.1.0").await;
    assert_eq!(first.schema_changes[0], "entity User added");
    let second = ledger_record(&table, "0.2.0").await;
    assert_eq!(
        second.schema_changes,
        [
            "User.nickname added (Option<String> as S)",
            "entity Notification added",
            "Notification pk: \"\" -> \"USER#{user_id}\"",
            "Notification sk: \"\" -> \"NOTIFICATION#{notification_id}\"",
            "Notification.message added (String as S, required)",
            "Notification.notificationId added (String as S, generated ulid)",
            "Notification.userId added (String as S, required)",
        ]
    );
    assert!(
        later.status().await.unwrap().drift.is_empty(),
        "the binary matches the last snapshot"
    );
    // With migrations pending, the changes are theirs to record, not drift.
    let drifted = Migrator::for_migrations(table.clone(), here!())
        .unwrap()
        .catch_up(false)
        .with_entities(vec![User::SCHEMA]);
    let status = drifted.status().await.unwrap();
    let texts = |changes: &[dynatable_migrate::SchemaChange]| -> Vec<String> {
        changes.iter().map(ToString::to_string).collect()
    };
    assert!(status.drift.is_empty());
    assert_eq!(
        texts(&status.pending_changes),
        ["entity Notification removed", "User.nickname removed"]
    );
    // With every migration applied, they are drift.
    let applied_only: Vec<_> = here!()
        .into_iter()
        .filter(|m| ["0.1.0", "0.2.0"].contains(&m.version))
        .collect();
    let status = drifted
        .with_migrations(applied_only)
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(
        texts(&status.drift),
        ["entity Notification removed", "User.nickname removed"]
    );
    assert!(status.pending_changes.is_empty());
}

#[derive(Debug, Default)]
struct Collect(std::sync::Mutex<Vec<String>>);

impl dynatable_migrate::Reporter for Collect {
    fn message(&self, version: &str, text: &str) {
        self.0.lock().unwrap().push(format!("{version}: {text}"));
    }

    fn progress(&self, version: &str, done: u64, _total: Option<u64>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{version}: {done} done"));
    }
}

#[tokio::test]
async fn messages_and_progress_reach_the_reporter() {
    let Setup { table, test: _test } = setup().await;
    let reporter = std::sync::Arc::new(Collect::default());
    migrator(&table)
        .with_reporter(reporter.clone())
        .up(Some("0.1.0"))
        .await
        .unwrap();
    let lines = reporter.0.lock().unwrap().clone();
    assert_eq!(
        lines[..2],
        ["0.1.0: add_bio up started", "0.1.0: filling bios"]
    );
    assert_eq!(lines[lines.len() - 2], "0.1.0: 25 done");
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("0.1.0: add_bio up done in ") && last.ends_with(": read 25, wrote 25"),
        "{last}"
    );
}
