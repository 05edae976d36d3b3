//! Migrating a table in use: an application writes (creates in the old and the new shape,
//! renames, deletes) at more than 100 writes/s while `up` applies the five migrations in one run,
//! and while `down` rolls three of them back, through 2 ms of latency per request. Afterwards
//! every item is in the target shape, every application write survives, no deleted item is back
//! and no photo is under two keys. Each test has a DynamoDB Local of its own: one instance copes
//! with one stream-enabled table.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Item, PrimaryKey, Table};
use dynatable_example::Timestamp;
use dynatable_migrate::{DownTarget, MigrationStatus, Migrator, Reporter};
use dynatable_tests::{Endpoint, Faults, Proxy, dedicated_endpoint};
use support::{App, Row};

const USERS: usize = 100;
const PHOTOS: usize = 3;
const WRITERS: usize = 24;
/// Each writer's pause between writes: 24 writers at most 960 writes/s together.
const PAUSE: Duration = Duration::from_millis(25);

/// What the application wrote, and so what the table must show afterwards.
#[derive(Debug, Default, Clone)]
struct Expected {
    /// User id to the username it last wrote (before any migration's rule).
    usernames: BTreeMap<String, String>,
    deleted: BTreeSet<String>,
    /// Photo ids the application created, with the user they belong to and their time.
    photos: BTreeMap<String, (String, u64)>,
    writes: usize,
}

/// The application's shape: before the migrations, or after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Old,
    New,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn user_item(id: &str, username: &str, shape: Shape) -> Item {
    let now = Timestamp::now().to_string();
    let mut item: Item = [
        ("PK", s(&format!("USER#{id}"))),
        ("SK", s("PROFILE")),
        ("userId", s(id)),
        ("username", s(username)),
        (
            "email",
            s(&format!("{}@example.com", username.to_lowercase())),
        ),
        ("createdAt", s(&now)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if shape == Shape::New {
        item.insert("bio".into(), s(""));
        item.insert("updatedAt".into(), s(&now));
        item.insert("_type".into(), s("User"));
    }
    item
}

fn photo_item(user: &str, photo: &str, at: u64, shape: Shape) -> Item {
    let created = Timestamp::from_millis(at).to_string();
    let sk = match shape {
        Shape::Old => format!("PHOTO#{photo}"),
        Shape::New => format!("PHOTO#{at}#{photo}"),
    };
    let mut item: Item = [
        ("PK", s(&format!("USER#{user}"))),
        ("SK", s(&sk)),
        ("userId", s(user)),
        ("photoId", s(photo)),
        ("url", s(&format!("https://photos.example.com/{photo}.jpg"))),
        ("createdAt", s(&created)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if shape == Shape::New {
        item.insert("updatedAt".into(), s(&created));
        item.insert("_type".into(), s("Photo"));
    }
    item
}

/// One application write, chosen at random, recorded in `expected` once DynamoDB acknowledged it.
async fn write_once(
    table: &Table,
    rng: &mut fastrand::Rng,
    seeded: &[String],
    shape: Shape,
    expected: &Mutex<Expected>,
    writer: usize,
    n: usize,
) {
    let client = table.client();
    match rng.u8(..10) {
        // Create a user (the old shape has capitals in the name).
        0 => {
            let id = format!("app-{writer}-{n}");
            let name = match shape {
                Shape::Old => format!("NewUser{writer}x{n}"),
                Shape::New => format!("newuser{writer}x{n}"),
            };
            table
                .put_item(user_item(&id, &name, shape))
                .send()
                .await
                .unwrap();
            expected.lock().unwrap().usernames.insert(id, name);
        }
        // Rename a seeded user (new names are lowercase).
        1..=6 => {
            let id = mine(rng, seeded, writer);
            if expected.lock().unwrap().deleted.contains(id) {
                return;
            }
            let name = format!("renamed{writer}x{n}");
            let renamed = client
                .update_item()
                .table_name(table.name())
                .set_key(Some(
                    PrimaryKey::new(format!("USER#{id}"), "PROFILE").to_key_item(),
                ))
                .update_expression("SET username = :n")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":n", s(&name))
                .send()
                .await;
            let mut expected = expected.lock().unwrap();
            if renamed.is_ok() && !expected.deleted.contains(id) {
                expected.usernames.insert(id.clone(), name);
            }
        }
        // Delete a seeded user.
        7 => {
            let id = mine(rng, seeded, writer).clone();
            table
                .delete_item(PrimaryKey::new(format!("USER#{id}"), "PROFILE"))
                .send()
                .await
                .unwrap();
            let mut expected = expected.lock().unwrap();
            expected.usernames.remove(&id);
            expected.deleted.insert(id);
        }
        // Upload a photo.
        _ => {
            let user = seeded[rng.usize(..seeded.len())].clone();
            let at = 1_750_000_000_000 + rng.u64(..1_000_000_000);
            let photo = format!("app{writer}x{n}");
            table
                .put_item(photo_item(&user, &photo, at, shape))
                .send()
                .await
                .unwrap();
            expected.lock().unwrap().photos.insert(photo, (user, at));
        }
    }
    expected.lock().unwrap().writes += 1;
}

/// A seeded user only writer `writer` renames or deletes, so that each user's writes are made,
/// and recorded, in one order.
fn mine<'a>(rng: &mut fastrand::Rng, seeded: &'a [String], writer: usize) -> &'a String {
    let slots = seeded.len() / WRITERS;
    &seeded[rng.usize(..slots) * WRITERS + writer]
}

/// Writers until `stop`; returns the writes per second they made.
fn application(
    table: Table,
    seeded: Arc<Vec<String>>,
    shape: Shape,
    expected: Arc<Mutex<Expected>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let started = Instant::now();
        let before = expected.lock().unwrap().writes;
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let (table, seeded, expected, stop) = (
                table.clone(),
                seeded.clone(),
                expected.clone(),
                stop.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(writer as u64 + 1);
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let tag = n + if shape == Shape::New { 1_000_000 } else { 0 };
                    write_once(&table, &mut rng, &seeded, shape, &expected, writer, tag).await;
                    tokio::time::sleep(PAUSE).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let writes = expected.lock().unwrap().writes - before;
        #[allow(clippy::cast_precision_loss)]
        let rate = writes as f64 / started.elapsed().as_secs_f64();
        rate
    })
}

/// Waits until the ledger records `version` with `status`, or fails with the run's error when
/// the run ends first.
async fn wait_for<T: std::fmt::Debug>(
    migrator: &Migrator,
    version: &str,
    status: MigrationStatus,
    run: &mut tokio::task::JoinHandle<dynatable_migrate::Result<T>>,
) {
    tokio::select! {
        () = recorded(migrator, version, status) => {}
        ended = run => panic!("the run ended before {version} was {status}: {ended:?}"),
    }
}

async fn recorded(migrator: &Migrator, version: &str, status: MigrationStatus) {
    loop {
        let history = migrator.history().await.unwrap();
        if history
            .iter()
            .any(|r| r.version == version && r.status == status)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn user_id(row: &Row) -> String {
    row["PK"].trim_start_matches("USER#").to_owned()
}

/// Held by each test for its whole run: the tests of this file take turns, so that the
/// application of the first one keeps its rate (each test's DynamoDB Local, client and proxy
/// share the machine's cores).
/// (An async mutex: the tests' runtimes differ, and a test that fails releases its turn.)
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_and_down_while_the_application_writes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let endpoint = dedicated_endpoint();
    let app = App::with_streams("live", endpoint.clone());
    app.create_and_seed(USERS, PHOTOS);
    let seeded: Arc<Vec<String>> = Arc::new(
        app.data()
            .await
            .iter()
            .filter(|r| r["SK"] == "PROFILE")
            .map(user_id)
            .collect(),
    );
    let seeded_photos: BTreeSet<String> = app
        .data()
        .await
        .iter()
        .filter(|r| r["SK"].starts_with("PHOTO#"))
        .map(|r| r["photoId"].clone())
        .collect();
    let proxy = Proxy::start(endpoint.url(), Faults::latency(Duration::from_millis(2)))
        .await
        .unwrap();
    let through_proxy = Endpoint::Local(proxy.url().to_owned());
    let table = Table::new(through_proxy.client().await, &app.table).with_concurrency(16);
    // The application's writes go through the SDK, the run as `migrate` makes it.
    let migrator = Migrator::new(support::as_migrate_runs_it(table.clone(), &through_proxy).await)
        .unwrap()
        .stream_client(through_proxy.stream_client().await);
    let expected = Arc::new(Mutex::new(Expected::default()));

    // Up, all five in one run, then following until the application (old shape) has stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = application(
        table.clone(),
        seeded.clone(),
        Shape::Old,
        expected.clone(),
        stop.clone(),
    );
    let (stop_following, following_stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let mut run = {
        let migrator = migrator.clone();
        tokio::spawn(async move {
            migrator
                .up_follow(None, Duration::from_secs(600), async {
                    let _ = following_stopped.await;
                })
                .await
        })
    };
    wait_for(&migrator, "0.5.0", MigrationStatus::Applied, &mut run).await;
    let migrated = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let rate = writer.await.unwrap();
    stop_following.send(()).unwrap();
    let report = run.await.unwrap().unwrap();
    eprintln!(
        "up: 5 migrations in {migrated:.1?} with the application writing {rate:.0} writes/s; \
         following converted {} items in {} passes",
        report.converted, report.passes
    );
    assert_eq!(report.run.versions.len(), 5);
    assert!(
        rate >= 100.0,
        "the application wrote only {rate:.0} writes/s"
    );
    let written = expected.lock().unwrap().clone();
    check(&app, &written, &seeded_photos, Shape::New).await;

    // Down to 0.2.0 while the application (new shape) writes, until 0.4.0 is rolled back.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = application(
        table.clone(),
        seeded.clone(),
        Shape::New,
        expected.clone(),
        stop.clone(),
    );
    let mut run = {
        let migrator = migrator.clone();
        tokio::spawn(async move { migrator.down(DownTarget::Version("0.2.0".into())).await })
    };
    wait_for(&migrator, "0.4.0", MigrationStatus::RolledBack, &mut run).await;
    stop.store(true, Ordering::SeqCst);
    let rate = writer.await.unwrap();
    run.await.unwrap().unwrap();
    eprintln!("down: the application wrote {rate:.0} writes/s");
    assert!(
        rate >= 100.0,
        "the application wrote only {rate:.0} writes/s"
    );
    let written = expected.lock().unwrap().clone();
    check(&app, &written, &seeded_photos, Shape::Old).await;
}

/// Every item in `shape` (the shape at 0.5.0, or at 0.2.0 after the rollback), every
/// application write kept, no deleted user back, every photo once under the key of `shape`.
async fn check(app: &App, expected: &Expected, seeded_photos: &BTreeSet<String>, shape: Shape) {
    let rows = app.data().await;
    let users: Vec<&Row> = rows.iter().filter(|r| r["SK"] == "PROFILE").collect();
    for user in &users {
        let id = user_id(user);
        assert!(!expected.deleted.contains(&id), "deleted user {id} is back");
        assert!(user.contains_key("bio"), "user {id} has no bio: {user:?}");
        assert_eq!(
            user["username"],
            user["username"].to_lowercase(),
            "user {id} keeps capitals"
        );
        if let Some(name) = expected.usernames.get(&id) {
            assert_eq!(
                user["username"],
                name.to_lowercase(),
                "user {id}'s last write was lost"
            );
        }
        assert_eq!(
            user.contains_key("updatedAt"),
            shape == Shape::New,
            "user {id}: {user:?}"
        );
    }
    for id in expected.usernames.keys() {
        assert!(
            users.iter().any(|u| &user_id(u) == id),
            "user {id} written by the application is missing"
        );
    }
    let mut photos: BTreeMap<String, usize> = BTreeMap::new();
    for photo in rows.iter().filter(|r| r["SK"].starts_with("PHOTO#")) {
        let id = &photo["photoId"];
        let created: Timestamp = photo["createdAt"].parse().unwrap();
        let key = match shape {
            Shape::New => format!("PHOTO#{}#{id}", created.as_millis()),
            Shape::Old => format!("PHOTO#{id}"),
        };
        assert_eq!(
            photo["SK"], key,
            "photo {id} is not under the key of the target shape"
        );
        assert_eq!(
            photo.contains_key("updatedAt"),
            shape == Shape::New,
            "photo {id}: {photo:?}"
        );
        *photos.entry(id.clone()).or_default() += 1;
    }
    for id in seeded_photos.iter().chain(expected.photos.keys()) {
        assert_eq!(
            photos.get(id),
            Some(&1),
            "photo {id} is not under exactly one key"
        );
    }
    eprintln!(
        "checked {} users, {} photos, {} application writes",
        users.len(),
        photos.len(),
        expected.writes
    );
}

#[tokio::test]
async fn enable_stream_turns_one_on_and_up_then_follows_it() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::with_streams("enable-stream", dedicated_endpoint());
    let created = app.migrate_json(&["create-table", "--no-stream"], 0);
    assert_eq!(
        (created["created"].as_bool(), created["stream"].as_bool()),
        (Some(true), Some(false))
    );
    app.command("seed")
        .args(["--users", "20", "--photos-per-user", "2"])
        .assert()
        .success();
    let refused = app.migrate(&["up"]).assert().code(1);
    assert!(support::stderr(&refused).contains("migrate enable-stream"));

    let enabled = app.migrate_json(&["enable-stream"], 0);
    assert_eq!(enabled["enabled"].as_bool(), Some(true), "{enabled}");
    assert_eq!(enabled["view_type"], "KEYS_ONLY");
    let again = app.migrate_json(&["enable-stream"], 0);
    assert_eq!(
        again["enabled"].as_bool(),
        Some(false),
        "a stream is accepted as it is"
    );

    app.migrate(&["up"]).assert().success();
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(support::statuses(&status), ["applied"; 5]);
    assert!(
        app.data()
            .await
            .iter()
            .all(|row| row.contains_key("updatedAt")),
        "every item migrated"
    );
}

/// The sort keys of the catch-up, replay and follow positions left in the ledger
/// (`STREAM#{version}{state}#{name}`).
async fn replay_positions(app: &App) -> Vec<String> {
    app.dump()
        .await
        .into_iter()
        .filter(|row| row["PK"] == "_SCHEMA#MIGRATIONS" && row["SK"].starts_with("STREAM#"))
        .map(|row| row["SK"].clone())
        .collect()
}

/// Writes a user in the pre-0.1.0 shape, as an old application instance would.
async fn old_user(app: &App, id: &str) {
    app.table()
        .await
        .put_item(user_item(id, &format!("Late{id}"), Shape::Old))
        .send()
        .await
        .unwrap();
}

/// Whether user `id` is in the shape of 0.5.0 (a bio, a lowercase name, `updatedAt`).
async fn converted(app: &App, id: &str) -> bool {
    let row = app
        .data()
        .await
        .into_iter()
        .find(|row| row["PK"] == format!("USER#{id}") && row["SK"] == "PROFILE")
        .unwrap();
    row.contains_key("bio")
        && row.contains_key("updatedAt")
        && row["username"] == row["username"].to_lowercase()
}

/// Waits until the ledger holds a position whose sort key starts with `saved`.
async fn until_saved(app: &App, saved: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !replay_positions(app)
        .await
        .iter()
        .any(|sk| sk.starts_with(saved))
    {
        assert!(Instant::now() < deadline, "{saved} was never saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Aborts `running` (a run in this process) once the ledger holds a position whose sort key
/// starts with `saved`, as a kill would stop it there.
async fn kill_once_saved(
    app: &App,
    running: tokio::task::JoinHandle<dynatable_migrate::Result<()>>,
    saved: &str,
) {
    until_saved(app, saved).await;
    running.abort();
    let _ = running.await;
}

/// Writes photo `late-photo` of the first user in `shape` (its key: old or new), as an
/// application instance of that shape would; returns its time.
async fn late_photo(app: &App, shape: Shape) -> u64 {
    let user = user_id(
        app.data()
            .await
            .iter()
            .find(|row| row["SK"] == "PROFILE")
            .unwrap(),
    );
    let at = 1_700_000_000_000;
    app.table()
        .await
        .put_item(photo_item(&user, "late-photo", at, shape))
        .send()
        .await
        .unwrap();
    at
}

/// The items of photo `late-photo`, under any key.
async fn late_photo_rows(app: &App) -> Vec<Row> {
    app.data()
        .await
        .into_iter()
        .filter(|row| row.get("photoId").is_some_and(|id| id == "late-photo"))
        .collect()
}

#[tokio::test]
async fn a_stopped_follow_continues_and_an_interrupted_replay_is_finished_by_up() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let endpoint = dedicated_endpoint();
    let app = App::with_streams("follow", endpoint.clone());
    app.create_and_seed(10, 1);

    // A follow period that stops cleanly keeps where it stopped, and only that.
    let followed = app.migrate_json(&["up", "--follow", "1s"], 0);
    assert_eq!(
        followed["versions"].as_array().unwrap().len(),
        5,
        "{followed}"
    );
    let kept = replay_positions(&app).await;
    assert!(!kept.is_empty());
    assert!(
        kept.iter().all(|sk| sk.contains("#followed#")),
        "only stopped positions are left: {kept:?}"
    );

    // Written after it stopped: a plain `up` does not follow, `up --follow` continues.
    old_user(&app, "after-stop").await;
    app.migrate(&["up"]).assert().success();
    assert!(
        !converted(&app, "after-stop").await,
        "plain up follows nothing"
    );
    let continued = app.migrate_json(&["up", "--follow", "1s"], 0);
    assert_eq!(continued["versions"].as_array().unwrap().len(), 0);
    let converted_by = |report: &serde_json::Value| {
        report["replayed"].as_u64().unwrap() + report["follow"]["converted"].as_u64().unwrap()
    };
    assert!(converted_by(&continued) >= 1, "{continued}");
    assert!(converted(&app, "after-stop").await);

    // A run killed after a migration was applied, before the run ended, leaves that
    // migration's replay unfinished; the next `up` takes it up first: a photo an old instance
    // writes under its old key after 0.3.0 moved the photos is moved too.
    app.migrate(&["down", "--to", "0.2.0", "--yes"])
        .assert()
        .success();
    let migrator = Migrator::new(app.table().await)
        .unwrap()
        .stream_client(endpoint.stream_client().await);
    let running = tokio::spawn(async move { migrator.up(None).await.map(drop) });
    kill_once_saved(&app, running, "STREAM#0.3.0#replay#").await;
    let at = late_photo(&app, Shape::Old).await;
    app.migrate(&["unlock", "--force"]).assert().success();
    let status = app.migrate_json(&["status"], 0);
    let unfinished = status["unfinished_replays"].as_array().unwrap();
    assert!(unfinished.contains(&"0.3.0".into()), "{status}");
    let check = app.migrate_json(&["check"], 5).to_string();
    assert!(check.contains("run `migrate up` to finish it"), "{check}");
    app.migrate(&["up"]).assert().success();
    let photo = late_photo_rows(&app).await;
    assert_eq!(photo.len(), 1, "one copy: {photo:?}");
    assert_eq!(photo[0]["SK"], format!("PHOTO#{at}#late-photo"));
    assert!(photo[0].contains_key("updatedAt"));
    let left = replay_positions(&app).await;
    assert!(
        !left.iter().any(|sk| sk.contains("#replay#")),
        "the finished replays' positions are gone: {left:?}"
    );
}

#[tokio::test]
async fn an_interrupted_replay_of_rollbacks_is_finished_by_down() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (app, endpoint) = migrated_app("unwind");

    // A `down` killed once its last rollback (0.3.0, which moves the photos back to their old
    // keys) is recorded, during the replay of the three rollbacks; then an instance of the newer
    // application, still running, writes a photo under the new key. The run goes through 30 ms
    // of latency per request, so that the replay (several stream requests per rollback) is still
    // running when the kill lands, about 50 ms after the position is saved.
    let proxy = Proxy::start(endpoint.url(), Faults::latency(Duration::from_millis(30)))
        .await
        .unwrap();
    let through_proxy = Endpoint::Local(proxy.url().to_owned());
    let migrator = Migrator::new(Table::new(through_proxy.client().await, &app.table))
        .unwrap()
        .stream_client(through_proxy.stream_client().await);
    let running = tokio::spawn(async move {
        migrator
            .down(DownTarget::Version("0.2.0".to_owned()))
            .await
            .map(drop)
    });
    kill_once_saved(&app, running, "STREAM#0.3.0#down-replay#").await;
    late_photo(&app, Shape::New).await;
    app.migrate(&["unlock", "--force"]).assert().success();
    let status = app.migrate_json(&["status"], 0);
    let unfinished = status["unfinished_rollback_replays"].as_array().unwrap();
    assert!(unfinished.contains(&"0.3.0".into()), "{status}");
    let check = app.migrate_json(&["check"], 5).to_string();
    assert!(check.contains("run `migrate down` to finish it"), "{check}");

    // Nothing is left to roll back, but the next `down` finishes the replay: the photo moves to
    // its old key as 0.3.0's rollback moved the others.
    let report = app.migrate_json(&["down", "--to", "0.2.0", "--yes"], 0);
    assert_eq!(report["versions"].as_array().unwrap().len(), 0, "{report}");
    assert!(report["replayed"].as_u64().unwrap() >= 1, "{report}");
    moved_back_and_finished(&app).await;
    let again = app.migrate_json(&["down", "--to", "0.2.0", "--yes"], 0);
    assert_eq!(again["versions"].as_array().unwrap().len(), 0, "{again}");
    assert!(again.get("replayed").is_none(), "nothing left: {again}");
}

/// A table of 10 users with a photo each on a DynamoDB Local of its own, every migration applied.
fn migrated_app(name: &str) -> (App, Endpoint) {
    let endpoint = dedicated_endpoint();
    let app = App::with_streams(name, endpoint.clone());
    app.create_and_seed(10, 1);
    app.migrate(&["up"]).assert().success();
    (app, endpoint)
}

/// Asserts that photo `late-photo` is under its old key only, and that no rollback's replay is
/// left to finish.
async fn moved_back_and_finished(app: &App) {
    let photo = late_photo_rows(app).await;
    assert_eq!(photo.len(), 1, "one copy: {photo:?}");
    assert_eq!(photo[0]["SK"], "PHOTO#late-photo");
    let left = replay_positions(app).await;
    assert!(
        !left.iter().any(|sk| sk.contains("#down-replay#")),
        "the replay's positions are gone: {left:?}"
    );
}

/// Tells when a follow period has made a pass.
#[derive(Debug, Default)]
struct FollowPasses(tokio::sync::Notify);

impl Reporter for FollowPasses {
    fn message(&self, version: &str, _: &str) {
        if version == "follow" {
            self.0.notify_one();
        }
    }

    fn progress(&self, _: &str, _: u64, _: Option<u64>) {}
}

#[tokio::test]
async fn down_follow_converts_what_newer_instances_write_until_it_stops() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (app, endpoint) = migrated_app("downfollow");

    // Rolled back to 0.2.0 and following; after the period's first pass, a newer instance,
    // still running, writes a photo under the new key, and the period is stopped (as Ctrl-C or
    // SIGTERM would): only the follow period can move it.
    let passes = Arc::new(FollowPasses::default());
    let migrator = Migrator::new(app.table().await)
        .unwrap()
        .stream_client(endpoint.stream_client().await)
        .with_reporter(passes.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        migrator
            .down_follow(
                DownTarget::Version("0.2.0".to_owned()),
                Duration::from_secs(300),
                async move {
                    let _ = stopped.await;
                },
            )
            .await
    });
    tokio::time::timeout(Duration::from_secs(120), passes.0.notified())
        .await
        .expect("the follow period made no pass");
    late_photo(&app, Shape::New).await;
    stop.send(()).unwrap();
    let report = running.await.unwrap().unwrap();
    assert_eq!(report.run.versions, ["0.5.0", "0.4.0", "0.3.0"]);
    assert!(report.converted >= 1, "{report:?}");
    moved_back_and_finished(&app).await;
    let periods: Vec<Row> = app
        .dump()
        .await
        .into_iter()
        .filter(|row| row["SK"].starts_with("FOLLOW#"))
        .collect();
    assert_eq!(periods.len(), 1, "{periods:?}");
    assert_eq!(periods[0]["direction"], "down");

    // The command line's flag: the newest migration applied again, rolled back and followed for
    // a second.
    app.migrate(&["up"]).assert().success();
    let followed = app.migrate_json(&["down", "--follow", "1s", "--yes"], 0);
    assert_eq!(followed["versions"], serde_json::json!(["0.5.0"]));
    assert!(
        followed["follow"]["passes"].as_u64().unwrap() >= 1,
        "{followed}"
    );
}
