//! The `migrate` command line: each command and flag, each documented exit code, `--json`, plain
//! output without a terminal, confirmations.

use crate::support;

use std::time::{SystemTime, UNIX_EPOCH};

use dynatable_core::PrimaryKey;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_migrate::{LockRecord, MigrationRecord};
use dynatable_tests::ledger_record;
use support::{App, stderr, stdout};

const VERSIONS: [&str; 5] = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0"];

fn versions(document: &serde_json::Value) -> Vec<String> {
    document["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_table_and_status_of_a_new_table() {
    let app = App::new("status");
    let created = app.migrate_json(&["create-table"], 0);
    assert_eq!(created["created"], true);
    let again = app.migrate(&["create-table"]).assert().success();
    assert!(stdout(&again).contains("exists"), "{}", stdout(&again));

    let status = app.migrate_json(&["status"], 0);
    assert_eq!(status["table"], app.table.as_str());
    let rows = status["migrations"].as_array().unwrap();
    let listed: Vec<&str> = rows
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, VERSIONS);
    assert!(rows.iter().all(|m| m["status"] == "pending"));
    assert_eq!(rows[1]["name"], "normalize_usernames");
    assert!(
        rows[1]["irreversible"]
            .as_str()
            .unwrap()
            .contains("lowercased")
    );
    assert!(rows[0]["irreversible"].is_null());
    assert!(status["lock"].is_null());
    assert_eq!(status["drift"], serde_json::json!([]));
    assert!(
        status["pending_changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "entity Notification added")
    );

    let text = stdout(&app.migrate(&["status"]).assert().success());
    for header in [
        "VERSION",
        "NAME",
        "STATUS",
        "FINISHED AT",
        "DURATION",
        "READ",
        "WRITTEN",
        "CHECKSUM",
        "REVERSIBLE",
    ] {
        assert!(text.contains(header), "{header} missing from\n{text}");
    }
    assert!(text.contains("Lock: free"));
}

#[tokio::test]
async fn up_to_a_version_then_down_by_steps_and_to_a_version() {
    let app = App::new("targets");
    app.create_and_seed(10, 2);
    assert_eq!(
        versions(&app.migrate_json(&["up", "--to", "0.3.0"], 0)),
        ["0.1.0", "0.2.0", "0.3.0"]
    );
    // Through the SDK's request path, by the flag and by its former name.
    assert_eq!(
        versions(&app.migrate_json(&["up", "--no-direct-requests"], 0)),
        ["0.4.0", "0.5.0"]
    );
    assert_eq!(
        versions(&app.migrate_json(&["up", "--no-direct-writes"], 0)),
        Vec::<String>::new()
    );
    assert_eq!(
        versions(&app.migrate_json(&["down", "--steps", "2", "--yes"], 0)),
        ["0.5.0", "0.4.0"]
    );
    // A dry run of down writes nothing.
    let before = app.dump().await;
    let dry = app.migrate_json(&["down", "--dry-run"], 0);
    assert_eq!(versions(&dry), ["0.3.0"]);
    assert_eq!(dry["writes"]["0.3.0"].as_array().unwrap().len(), 2 * 20);
    assert_eq!(dry["write_counts"]["0.3.0"], 2 * 20);
    assert_eq!(app.dump().await, before);
    // --to keeps the target applied.
    assert_eq!(
        versions(&app.migrate_json(&["down", "--to", "0.2.0", "--yes"], 0)),
        ["0.3.0"]
    );
    let status = app.migrate_json(&["status"], 0);
    let statuses = support::statuses(&status);
    assert_eq!(
        statuses,
        [
            "applied",
            "applied",
            "rolled_back",
            "rolled_back",
            "rolled_back"
        ]
    );
    let row = &status["migrations"][0];
    assert_eq!(row["items_read"], 10);
    assert_eq!(row["items_written"], 10);
    assert_eq!(row["checksum"], "ok");
    assert!(row["finished_at"].is_string() && row["duration_ms"].is_u64());
}

#[tokio::test]
async fn down_needs_confirmation() {
    let app = App::new("confirm");
    app.create_and_seed(3, 1);
    app.migrate(&["up"]).assert().success();
    let before = app.dump().await;
    // stdin is not a terminal and --yes is missing: refused, exit 6, nothing rolled back.
    let refused = app.migrate(&["down"]).assert().code(6);
    assert!(
        stderr(&refused).contains("pass --yes"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(app.dump().await, before);
    let refused = app.migrate_json(&["down"], 6);
    assert_eq!(refused["error"]["kind"], "not_confirmed");
    assert_eq!(refused["error"]["exit_code"], 6);
    // The environment variable answers like the flag.
    app.migrate(&["down"])
        .env("DYNATABLE_YES", "1")
        .assert()
        .success();
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let app = App::new("usage");
    app.migrate(&["create-table"]).assert().success();
    let unknown = app.migrate(&["up", "--to", "9.9.9"]).assert().code(2);
    assert!(stderr(&unknown).contains("no migration has version 9.9.9"));
    assert_eq!(
        app.migrate_json(&["down", "--to", "0.9.0", "--yes"], 2)["error"]["kind"],
        "usage"
    );
    app.migrate(&["frobnicate"]).assert().code(2);
    app.migrate(&["up", "--bogus"]).assert().code(2);
    app.migrate(&["down", "--to", "0.1.0", "--steps", "2"])
        .assert()
        .code(2);
    app.migrate(&["mark", "0.1.0", "done"]).assert().code(2);
    app.migrate(&["--concurrency", "0", "status"])
        .assert()
        .code(2);
    app.migrate(&["--lock-wait", "soon", "status"])
        .assert()
        .code(2);
    let zero_failover = app
        .migrate(&["up", "--join", "--failover", "0s"])
        .assert()
        .code(2);
    assert!(
        stderr(&zero_failover).contains("the failover time must be at least 1s"),
        "{}",
        stderr(&zero_failover)
    );
    // An endpoint that is not a URL, by flag or environment: a usage error, not the SDK's panic
    // at the first request.
    let mut by_environment = app.migrate(&["status"]);
    by_environment.env("DYNATABLE_ENDPOINT", "localhost:8000");
    for mut not_a_url in [
        app.migrate(&["--endpoint-url", "notaurl", "status"]),
        by_environment,
    ] {
        let refused = not_a_url.assert().code(2);
        let text = stderr(&refused);
        assert!(
            text.contains("is not an endpoint URL") && !text.contains("panicked"),
            "{text}"
        );
    }
    app.migrate(&["--help"]).assert().success();
}

#[tokio::test]
async fn a_held_lock_exits_3_until_it_is_removed() {
    let app = App::new("lock");
    app.migrate(&["create-table"]).assert().success();
    let table = app.table().await;
    let now_ms = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    table
        .put(&LockRecord {
            owner: "01TESTOWNER".to_owned(),
            holder: "deploy@ci".to_owned(),
            acquired_at: "2026-11-24T00:00:00.000Z".to_owned(),
            expires_at_ms: now_ms + 600_000,
            counter: 0,
            ttl_ms: 0,
        })
        .send()
        .await
        .unwrap();
    let held = app.migrate(&["up"]).assert().code(3);
    assert!(
        stderr(&held).contains("Could not acquire migration lock: held by deploy@ci"),
        "{}",
        stderr(&held)
    );
    assert_eq!(app.migrate_json(&["up"], 3)["error"]["kind"], "lock_held");
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(status["lock"]["holder"], "deploy@ci");
    assert!(
        stdout(&app.migrate(&["status"]).assert().success()).contains("Lock: held by deploy@ci")
    );
    // A live lock is removed only with --force.
    app.migrate(&["unlock"]).assert().code(3);
    assert_eq!(app.migrate_json(&["unlock", "--force"], 0)["removed"], true);
    assert_eq!(app.migrate_json(&["unlock"], 0)["removed"], false);
    app.migrate(&["up"]).assert().success();
}

#[tokio::test]
async fn a_failed_migration_exits_4_and_check_exits_5_until_repaired() {
    let app = App::new("failed");
    app.create_and_seed(5, 2);
    // A photo whose createdAt is not a timestamp cannot be re-keyed by 0.3.0.
    let table = app.table().await;
    let broken = PrimaryKey::new("USER#broken", "PHOTO#p1");
    let mut item = broken.to_key_item();
    for (name, value) in [
        ("userId", "broken"),
        ("photoId", "p1"),
        ("url", "u"),
        ("createdAt", "yesterday"),
    ] {
        item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
    }
    table.put_item(item).send().await.unwrap();

    let failed = app.migrate(&["up"]).assert().code(4);
    let message = stderr(&failed);
    assert!(
        message.contains("migration 0.3.0 (change_photo_sort_key) failed"),
        "{message}"
    );
    assert!(message.contains("yesterday"), "{message}");
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(status["migrations"][2]["status"], "failed");
    assert!(
        status["migrations"][2]["error"]
            .as_str()
            .unwrap()
            .contains("yesterday")
    );
    assert_eq!(
        status["migrations"][3]["status"], "pending",
        "later versions wait"
    );
    let check = app.migrate_json(&["check"], 5);
    assert_eq!(check["ok"], false);
    assert!(
        check["problems"][0]
            .as_str()
            .unwrap()
            .contains("0.3.0 (change_photo_sort_key) failed")
    );
    app.migrate(&["check"]).assert().code(5);

    // Fix the data; `up` retries the failed migration and goes on.
    table
        .update_item(broken)
        .set_attribute(
            "createdAt",
            AttributeValue::S("2025-03-01T00:00:00.000Z".to_owned()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions(&app.migrate_json(&["up"], 0)),
        ["0.3.0", "0.4.0", "0.5.0"]
    );
    assert_eq!(app.migrate_json(&["check"], 0)["ok"], true);
}

#[tokio::test]
async fn changed_code_exits_5_and_mark_repairs() {
    let app = App::new("checksum");
    app.create_and_seed(3, 1);
    app.migrate(&["up", "--to", "0.1.0"]).assert().success();
    // As if the code of 0.1.0 had been edited after it ran.
    let table = app.table().await;
    table
        .update_item(MigrationRecord::key("0.1.0"))
        .set_attribute("checksum", AttributeValue::S("0000".to_owned()))
        .send()
        .await
        .unwrap();
    let refused = app.migrate_json(&["up"], 5);
    assert_eq!(refused["error"]["kind"], "check_failed");
    assert!(stdout(&app.migrate(&["status"]).assert().success()).contains("CHANGED"));
    let check = app.migrate_json(&["check"], 5);
    assert!(
        check["problems"][0]
            .as_str()
            .unwrap()
            .contains("0.1.0 (add_user_bio) changed")
    );
    // Allowed explicitly, up runs.
    app.migrate(&["up", "--to", "0.2.0", "--allow-changed-checksums"])
        .assert()
        .success();
    // mark records the current code, with who and when.
    assert_eq!(
        app.migrate_json(&["mark", "0.1.0", "applied"], 0)["status"],
        "applied"
    );
    app.migrate(&["check"]).assert().success();
    let record = ledger_record(&table, "0.1.0").await;
    assert!(record.note.unwrap().starts_with("marked applied by "));
    // pending removes the record: the next up runs it again.
    app.migrate(&["mark", "0.5.0", "applied"])
        .assert()
        .success();
    // 0.3.0 and 0.4.0 would now run after 0.5.0: refused, and `check` says so.
    let out_of_order = app.migrate(&["up"]).assert().code(5);
    assert!(
        stderr(&out_of_order).contains("not applied, but older than 0.5.0, which is: 0.3.0, 0.4.0"),
        "{}",
        stderr(&out_of_order)
    );
    let check = app.migrate(&["check"]).assert().code(5);
    assert!(
        stderr(&check).contains("0.3.0, 0.4.0 not applied, but older than 0.5.0"),
        "{}",
        stderr(&check)
    );
    app.migrate(&["mark", "0.5.0", "pending"])
        .assert()
        .success();
    assert_eq!(
        versions(&app.migrate_json(&["up"], 0)),
        ["0.3.0", "0.4.0", "0.5.0"]
    );
}

#[tokio::test]
async fn environment_errors_are_one_sentence_with_exit_1() {
    let app = App::new("environment");
    // The table does not exist.
    let missing = app.migrate(&["status"]).assert().code(1);
    let text = stderr(&missing);
    assert!(
        text.contains(&format!("table {:?} does not exist", app.table))
            && text.contains("migrate create-table"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    // Nothing listens on the endpoint.
    let unreachable = app
        .migrate(&["--endpoint-url", "http://127.0.0.1:9", "status"])
        .assert()
        .code(1);
    let text = stderr(&unreachable);
    assert!(
        text.contains("cannot reach DynamoDB at http://127.0.0.1:9"),
        "{text}"
    );
    assert!(
        !text.contains("panicked") && !text.contains("backtrace"),
        "{text}"
    );
    // No credentials anywhere in the chain, against an endpoint that is not on this machine
    // (against a loopback one, fixed local credentials stand in: see `shop`'s tests).
    let no_credentials = app
        .migrate(&["--endpoint-url", "http://192.0.2.1:8000", "status"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .assert()
        .code(1);
    assert!(
        stderr(&no_credentials).contains("no AWS credentials were found"),
        "{}",
        stderr(&no_credentials)
    );
    // DynamoDB refuses the request: its code and message, not the SDK's dump of the answer.
    let refused = app
        .migrate(&["--table", "t!", "create-table"])
        .assert()
        .code(1);
    let text = stderr(&refused);
    assert!(
        text.contains("creating table \"t!\" failed: ValidationException: "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        !text.contains("ErrorMetadata") && !text.contains("raw"),
        "{text}"
    );
    // An irreversible rollback.
    app.create_and_seed(2, 1);
    app.migrate(&["up", "--to", "0.2.0"]).assert().success();
    let irreversible = app.migrate_json(&["down", "--yes"], 1);
    assert!(
        irreversible["error"]["message"]
            .as_str()
            .unwrap()
            .contains("irreversible")
    );
}

#[tokio::test]
async fn plain_output_has_no_escape_codes_and_json_is_one_document() {
    let app = App::new("output");
    app.create_and_seed(200, 5);
    let run = app
        .migrate(&["--concurrency", "8", "--max-rate", "5000", "up"])
        .assert()
        .success();
    let (out, err) = (stdout(&run), stderr(&run));
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "escape codes in\n{out}{err}"
    );
    assert!(out.contains("0.5.0 add_timestamps up done"), "{out}");
    assert!(
        out.contains("Applied 5: 0.1.0, 0.2.0, 0.3.0, 0.4.0, 0.5.0"),
        "{out}"
    );
    for args in [
        &["status"][..],
        &["check"],
        &["schema"],
        &["schema", "--history"],
        &["create-table"],
        &["unlock"],
        &["up", "--dry-run"],
    ] {
        app.migrate_json(args, 0);
    }
    let schema = app.migrate_json(&["schema", "--history"], 0);
    assert_eq!(
        schema["entities"]["Photo"]["sk"],
        "PHOTO#{created_at}#{photo_id}"
    );
    let history = schema["history"].as_array().unwrap();
    assert_eq!(history[3]["version"], "0.4.0");
    assert!(
        history[3]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "entity Notification added")
    );
    assert!(
        history[2]["changes"][0]
            .as_str()
            .unwrap()
            .starts_with("Photo sk:")
    );
    // Logs go to stderr, never into the JSON.
    let logged = app
        .migrate(&["--json", "status"])
        .env("RUST_LOG", "debug")
        .assert()
        .success();
    serde_json::from_slice::<serde_json::Value>(&logged.get_output().stdout).unwrap();
}

#[tokio::test]
async fn the_table_flag_wins_over_the_environment() {
    let app = App::new("flags");
    let other = App::new("flags-other");
    app.migrate(&["--table", &other.table, "create-table"])
        .assert()
        .success();
    other.migrate(&["status"]).assert().success();
    app.migrate(&["status"]).assert().code(1);
}

#[test]
fn new_writes_the_next_migration() {
    let dir = std::env::temp_dir().join(format!("dynatable-new-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mod.rs"), "mod v0_1_0_first;\n").unwrap();
    let app = App::new("new");
    let dir_arg = dir.to_str().unwrap();
    let made = app.migrate_json(&["new", "add_user_avatar", "--dir", dir_arg], 0);
    assert_eq!(made["version"], "0.6.0");
    let file = dir.join("v0_6_0_add_user_avatar.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(r#"#[migration(version = "0.6.0", name = "add_user_avatar")]"#));
    assert!(text.contains("pub struct AddUserAvatar;"));
    assert_eq!(
        std::fs::read_to_string(dir.join("mod.rs")).unwrap(),
        "mod v0_1_0_first;\nmod v0_6_0_add_user_avatar;\n"
    );
    // Never overwrites; rejects bad names and taken versions.
    app.migrate(&["new", "add_user_avatar", "--dir", dir_arg])
        .assert()
        .code(1);
    app.migrate(&["new", "Add-Avatar", "--dir", dir_arg])
        .assert()
        .code(2);
    app.migrate(&["new", "again", "--version", "0.3.0", "--dir", dir_arg])
        .assert()
        .code(2);
    app.migrate(&["new", "x", "--dir", "/nonexistent/dir"])
        .assert()
        .code(2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_documented_exit_codes_are_the_ones_used() {
    use dynatable_migrate::cli::Exit;
    let codes: Vec<u8> = [
        Exit::Success,
        Exit::Failure,
        Exit::Usage,
        Exit::LockHeld,
        Exit::MigrationFailed,
        Exit::CheckFailed,
        Exit::NotConfirmed,
    ]
    .iter()
    .map(|e| e.code())
    .collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn a_table_without_a_stream_is_refused_with_what_to_do() {
    let app = App::new("no-stream");
    app.create_and_seed(5, 1);
    let refused = app
        .migrate(&["up"])
        .env_remove("DYNATABLE_NO_CATCH_UP")
        .assert()
        .code(1);
    let text = stderr(&refused);
    for part in ["has no stream", "migrate enable-stream", "--no-catch-up"] {
        assert!(text.contains(part), "{text:?} should say {part:?}");
    }
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(support::statuses(&status), ["pending"; 5], "nothing ran");
    assert!(status["lock"].is_null(), "no lock left behind");
}

// Multi-threaded: the proxy serves while the test waits for the CLI's process.
#[tokio::test(flavor = "multi_thread")]
async fn a_global_table_is_refused_with_exit_6_unless_its_only_writer_runs() {
    let app = App::new("global");
    app.create_and_seed(3, 1);
    // DynamoDB Local cannot replicate a table: the proxy adds replicas to DescribeTable.
    let proxy = dynatable_tests::Proxy::start(
        app.endpoint.url(),
        dynatable_tests::Faults {
            replicas: &["us-west-2"],
            ..dynatable_tests::Faults::default()
        },
    )
    .await
    .unwrap();
    let refused = app
        .migrate(&["up"])
        .env("DYNATABLE_ENDPOINT", proxy.url())
        .assert()
        .code(6);
    let text = stderr(&refused);
    for part in [
        "has replicas in us-west-2",
        "can both pass a condition",
        "--global-table-writer",
    ] {
        assert!(text.contains(part), "{text:?} should say {part:?}");
    }
    assert!(
        app.migrate_json(&["status"], 0)["lock"].is_null(),
        "no lock left behind"
    );
    app.migrate(&["up", "--global-table-writer"])
        .env("DYNATABLE_ENDPOINT", proxy.url())
        .assert()
        .success();
}

/// An item written by hand, bypassing the entities.
fn raw_item(pairs: &[(&str, AttributeValue)]) -> dynatable_core::Item {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

/// The JSON lines `validate --json` printed: the findings, then the summary.
fn validate_lines(output: &[u8]) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut lines: Vec<serde_json::Value> = String::from_utf8_lossy(output)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    // A run that found problems ends with the failure line.
    if lines.last().is_some_and(|l| l.get("error").is_some()) {
        let failure = lines.pop().unwrap();
        assert_eq!(failure["error"]["kind"], "check_failed", "{failure}");
        assert_eq!(failure["error"]["exit_code"], 5);
    }
    let summary = lines.pop().expect("a summary line");
    assert!(summary.get("summary").is_some(), "{summary}");
    (lines, summary["summary"].clone())
}

#[tokio::test]
async fn validate_classifies_every_item_and_exits_5_on_the_ones_that_do_not_conform() {
    let app = App::new("validate");
    app.create_and_seed(6, 3);
    // Before the migrations every photo has the pre-0.3.0 sort key and no `_type`: `Photo`'s key
    // history knows that shape, so they are photos awaiting 0.3.0, which is no fault of the table.
    let before = app.migrate(&["validate", "--json"]).assert().success();
    let (findings, summary) = validate_lines(&before.get_output().stdout);
    assert_eq!(summary["unknown_entity"], 0, "{summary}");
    assert_eq!(summary["entities"]["User"]["conforming"], 6, "{summary}");
    assert_eq!(
        summary["entities"]["Photo"]["pending_rekey"], 18,
        "{summary}"
    );
    assert_eq!(findings.len(), 18);
    assert!(findings.iter().all(|f| f["class"] == "pending_rekey"
        && f["entity"] == "Photo"
        && f["reason"] == "Photo key shape before 0.3.0: 0.3.0 pending"));
    // A malformed photo in the old shape is named as one.
    let table = app.table().await;
    let s = |text: &str| AttributeValue::S(text.to_owned());
    let old_photo = [
        ("PK", s("USER#old")),
        ("SK", s("PHOTO#p0")),
        ("userId", s("old")),
        ("photoId", s("p0")),
        ("createdAt", s("yesterday")),
    ];
    table.put_item(raw_item(&old_photo)).send().await.unwrap();
    let text = stdout(&app.migrate(&["validate"]).assert().code(5));
    assert!(
        text.contains("malformed Photo PK=\"USER#old\" SK=\"PHOTO#p0\""),
        "{text}"
    );
    assert!(text.contains("pending rekey"), "{text}");
    table
        .delete_item(dynatable_core::PrimaryKey::new("USER#old", "PHOTO#p0"))
        .send()
        .await
        .unwrap();

    app.migrate(&["up"]).assert().success();
    let clean = app.migrate(&["validate"]).assert().success();
    let text = stdout(&clean);
    assert!(text.contains("Every item conforms"), "{text}");
    let (findings, summary) = validate_lines(
        &app.migrate(&["validate", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(summary["conforms"], true);
    assert_eq!(
        summary["items"],
        6 + 18 + summary["ledger"].as_u64().unwrap()
    );
    assert_eq!(summary["entities"]["User"]["conforming"], 6);
    assert_eq!(summary["entities"]["Photo"]["conforming"], 18);
    assert!(summary["ledger"].as_u64().unwrap() >= 5, "{summary}");

    // Dirty items of every class.
    let put = |pairs: &[(&str, AttributeValue)]| table.put_item(raw_item(pairs)).send();
    let created = s("2025-03-01T00:00:00.000Z");
    // A number where `username` is a string.
    put(&[
        ("PK", s("USER#numeric")),
        ("SK", s("PROFILE")),
        ("_type", s("User")),
        ("userId", s("numeric")),
        ("username", AttributeValue::N("42".to_owned())),
        ("email", s("n@example.com")),
        ("createdAt", created.clone()),
    ])
    .await
    .unwrap();
    // A user with no `username`.
    put(&[
        ("PK", s("USER#nameless")),
        ("SK", s("PROFILE")),
        ("_type", s("User")),
        ("userId", s("nameless")),
        ("email", s("x@example.com")),
        ("createdAt", created.clone()),
    ])
    .await
    .unwrap();
    // A photo whose `createdAt` is not a date.
    put(&[
        ("PK", s("USER#numeric")),
        ("SK", s("PHOTO#1740787200000#p1")),
        ("_type", s("Photo")),
        ("userId", s("numeric")),
        ("photoId", s("p1")),
        ("url", s("u")),
        ("createdAt", s("yesterday")),
    ])
    .await
    .unwrap();
    // A re-key written by hand wrongly: the sort key's time is in seconds, not milliseconds.
    put(&[
        ("PK", s("USER#numeric")),
        ("SK", s("PHOTO#1740787200#p2")),
        ("_type", s("Photo")),
        ("userId", s("numeric")),
        ("photoId", s("p2")),
        ("url", s("u")),
        ("createdAt", created.clone()),
    ])
    .await
    .unwrap();
    // A photo in the pre-0.3.0 shape, after 0.3.0 was applied: left behind.
    put(&[
        ("PK", s("USER#numeric")),
        ("SK", s("PHOTO#p3")),
        ("_type", s("Photo")),
        ("userId", s("numeric")),
        ("photoId", s("p3")),
        ("url", s("u")),
        ("createdAt", created.clone()),
    ])
    .await
    .unwrap();
    // Items of no entity: a `_type` no entity has, and keys no template parses.
    put(&[
        ("PK", s("USER#numeric")),
        ("SK", s("ALBUM#a1")),
        ("_type", s("Album")),
    ])
    .await
    .unwrap();
    put(&[("PK", s("SESSION#s1")), ("SK", s("DATA"))])
        .await
        .unwrap();

    let dirty = app.migrate(&["validate"]).assert().code(5);
    let text = stdout(&dirty);
    assert!(text.contains("7 items do not conform"), "{text}");
    assert!(
        text.contains("stale_keys Photo PK=\"USER#numeric\" SK=\"PHOTO#1740787200#p2\""),
        "{text}"
    );
    assert!(stderr(&dirty).contains("7 of"), "{}", stderr(&dirty));

    let output = app
        .migrate(&["validate", "--json", "--concurrency", "3"])
        .assert()
        .code(5)
        .get_output()
        .stdout
        .clone();
    let (findings, summary) = validate_lines(&output);
    assert_eq!(summary["conforms"], false);
    assert_eq!(summary["non_conforming"], 7);
    assert_eq!(summary["entities"]["User"]["malformed"], 2);
    assert_eq!(summary["entities"]["Photo"]["malformed"], 1);
    assert_eq!(summary["entities"]["Photo"]["stale_keys"], 1);
    assert_eq!(summary["entities"]["Photo"]["left_behind"], 1);
    assert_eq!(summary["unknown_entity"], 2);
    let mut found: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["class"].as_str().unwrap().to_owned(),
                f["pk"].as_str().unwrap().to_owned(),
                f["sk"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    let expected = [
        ("left_behind", "USER#numeric", "PHOTO#p3"),
        ("malformed", "USER#nameless", "PROFILE"),
        ("malformed", "USER#numeric", "PHOTO#1740787200000#p1"),
        ("malformed", "USER#numeric", "PROFILE"),
        ("stale_keys", "USER#numeric", "PHOTO#1740787200#p2"),
        ("unknown_entity", "SESSION#s1", "DATA"),
        ("unknown_entity", "USER#numeric", "ALBUM#a1"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(c, p, s)| ((*c).to_owned(), (*p).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(found, expected);
    let reason = |sk: &str, pk: &str| {
        findings
            .iter()
            .find(|f| f["pk"] == pk && f["sk"] == sk)
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason("PROFILE", "USER#numeric").contains("username"));
    assert!(reason("PROFILE", "USER#nameless").contains("no attribute `username`"));
    assert!(reason("PHOTO#1740787200000#p1", "USER#numeric").contains("yesterday"));
    assert!(
        reason("PHOTO#1740787200#p2", "USER#numeric").contains(
            "SK is \"PHOTO#1740787200#p2\", the entity renders \"PHOTO#1740787200000#p2\""
        ),
        "{}",
        reason("PHOTO#1740787200#p2", "USER#numeric")
    );
    assert!(reason("ALBUM#a1", "USER#numeric").contains("\"Album\""));
}

#[tokio::test]
async fn up_skip_malformed_migrates_the_clean_items_and_status_lists_the_skipped_ones() {
    let app = App::new("skip-malformed");
    app.create_and_seed(5, 2);
    let table = app.table().await;
    let s = |text: &str| AttributeValue::S(text.to_owned());
    let dirty: [Vec<(&str, AttributeValue)>; 3] = [
        // A number where `username` is a string.
        vec![
            ("PK", s("USER#numeric")),
            ("SK", s("PROFILE")),
            ("userId", s("numeric")),
            ("username", AttributeValue::N("42".to_owned())),
            ("email", s("n@example.com")),
            ("createdAt", s("2025-03-01T00:00:00.000Z")),
        ],
        // A user with no `username`.
        vec![
            ("PK", s("USER#nameless")),
            ("SK", s("PROFILE")),
            ("userId", s("nameless")),
            ("email", s("x@example.com")),
            ("createdAt", s("2025-03-01T00:00:00.000Z")),
        ],
        // A photo whose `createdAt` is not a date.
        vec![
            ("PK", s("USER#nameless")),
            ("SK", s("PHOTO#p1")),
            ("userId", s("nameless")),
            ("photoId", s("p1")),
            ("url", s("u")),
            ("createdAt", s("yesterday")),
        ],
    ];
    for pairs in &dirty {
        table.put_item(raw_item(pairs)).send().await.unwrap();
    }
    let dirty_keys = [
        ("USER#nameless", "PHOTO#p1"),
        ("USER#nameless", "PROFILE"),
        ("USER#numeric", "PROFILE"),
    ];

    // Fail-fast stays the default.
    let failed = app.migrate(&["up"]).assert().code(4);
    assert!(stderr(&failed).contains("0.1.0"), "{}", stderr(&failed));

    let up = app.migrate_json(&["up", "--skip-malformed"], 0);
    assert_eq!(versions(&up), VERSIONS);
    let skipped = up["skipped_malformed"].as_object().unwrap();
    assert_eq!(skipped["0.1.0"], 2, "{up}");
    assert!(skipped.values().all(|n| n.as_u64().unwrap() > 0));

    // `status` lists every skipped item with its version, key and reason.
    let status = app.migrate_json(&["status"], 0);
    let mut listed = std::collections::BTreeSet::new();
    for m in status["migrations"].as_array().unwrap() {
        let items = m["skipped_items"].as_array().unwrap();
        assert_eq!(m["skipped_malformed"], items.len(), "{m}");
        assert_eq!(
            m["skipped_malformed"],
            skipped
                .get(m["version"].as_str().unwrap())
                .cloned()
                .unwrap_or(0.into())
        );
        for item in items {
            assert!(!item["reason"].as_str().unwrap().is_empty());
            listed.insert((
                item["pk"].as_str().unwrap().to_owned(),
                item["sk"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let expected: std::collections::BTreeSet<(String, String)> = dirty_keys
        .iter()
        .map(|(pk, sk)| ((*pk).to_owned(), (*sk).to_owned()))
        .collect();
    assert_eq!(listed, expected);
    let text = stdout(&app.migrate(&["status"]).assert().success());
    assert!(text.contains("0.1.0 skipped 2 malformed items:"), "{text}");
    assert!(
        text.contains("PK=\"USER#numeric\" SK=\"PROFILE\""),
        "{text}"
    );

    // Every clean item was migrated: the only items that do not conform are the skipped ones.
    let output = app
        .migrate(&["validate", "--json"])
        .assert()
        .code(5)
        .get_output()
        .stdout
        .clone();
    let (findings, _) = validate_lines(&output);
    let mut found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["pk"].as_str().unwrap(), f["sk"].as_str().unwrap()))
        .collect();
    found.sort();
    assert_eq!(found, dirty_keys);
}

/// `migrate ARGS --json` started now, as a child to wait for.
fn spawn_json(app: &App, args: &[&str]) -> std::process::Child {
    app.std_command("migrate")
        .args(args)
        .arg("--json")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn joined_document(child: std::process::Child) -> serde_json::Value {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn joined_processes_share_up_and_down_and_each_runs_every_version_once() {
    let app = App::new("joined");
    app.create_and_seed(40, 3);
    let args = ["--join", "--segments", "4", "--failover", "3s"];
    let ups: Vec<_> = (0..3)
        .map(|_| spawn_json(&app, &[&["up"][..], &args[..]].concat()))
        .collect();
    let documents: Vec<serde_json::Value> = ups.into_iter().map(joined_document).collect();
    // One process applied every version; the others only worked on its backfills.
    let mut ran: Vec<String> = documents.iter().flat_map(versions).collect();
    ran.sort();
    assert_eq!(ran, VERSIONS);
    assert!(documents.iter().all(|d| d["command"] == "up"));
    assert!(documents.iter().any(|d| d["join"]["led"] == true));
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(support::statuses(&status), ["applied"; 5]);
    assert_eq!(status["shared_backfills"], serde_json::json!([]));
    // Started again with nothing pending, a joined process exits 0 at once.
    let idle = app.migrate_json(&[&["up"][..], &args[..]].concat(), 0);
    assert_eq!(idle["versions"], serde_json::json!([]));

    let downs: Vec<_> = (0..2)
        .map(|_| {
            spawn_json(
                &app,
                &[&["down", "--to", "0.2.0", "--yes"][..], &args[..]].concat(),
            )
        })
        .collect();
    let documents: Vec<serde_json::Value> = downs.into_iter().map(joined_document).collect();
    // The versions to roll back are fixed when a process starts: no process that leads late
    // rolls back more.
    let mut rolled_back: Vec<String> = documents.iter().flat_map(versions).collect();
    rolled_back.sort();
    assert_eq!(rolled_back, ["0.3.0", "0.4.0", "0.5.0"]);
    let status = app.migrate_json(&["status"], 0);
    assert_eq!(
        support::statuses(&status),
        [
            "applied",
            "applied",
            "rolled_back",
            "rolled_back",
            "rolled_back"
        ]
    );
    let ledger: Vec<String> = app
        .dump()
        .await
        .into_iter()
        .filter(|row| row["PK"].starts_with("_SCHEMA#"))
        .map(|row| row["SK"].clone())
        .collect();
    assert!(
        ledger.iter().all(|sk| sk.starts_with("VERSION#")),
        "no lease, checkpoint or announcement left: {ledger:?}"
    );
}
