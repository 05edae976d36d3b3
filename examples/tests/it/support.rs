//! Runs the example's `migrate` and `seed` binaries against a table of the test's own on the
//! tests' DynamoDB (DynamoDB Local, or `DYNATABLE_ENDPOINT`).
#![allow(dead_code)]

use std::collections::BTreeMap;

use assert_cmd::Command;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{DirectRequests, Table};
use dynatable_tests::{Endpoint, endpoint, scan_all};

/// One test's table, not created until `migrate create-table` runs.
pub struct App {
    pub table: String,
    pub endpoint: Endpoint,
    /// Whether `create-table` gives the table a stream and `up`/`down` follow it (tests on a
    /// DynamoDB Local of their own).
    pub streams: bool,
}

/// An item as text: attribute name to its value (strings as they are, other values in Debug form).
pub type Row = BTreeMap<String, String>;

impl App {
    pub fn new(test: &str) -> Self {
        Self {
            table: format!(
                "cli-{test}-{}",
                ulid::Ulid::new().to_string().to_lowercase()
            ),
            endpoint: endpoint(),
            streams: false,
        }
    }

    /// A test's table on `endpoint` (a DynamoDB Local of the test's own), with a stream that
    /// `up` and `down` follow.
    pub fn with_streams(test: &str, endpoint: Endpoint) -> Self {
        Self {
            streams: true,
            endpoint,
            ..Self::new(test)
        }
    }

    /// The example's binary `bin` with this table and endpoint in its environment, stdin not a
    /// terminal, and nothing else from the environment that would change its behaviour.
    pub fn command(&self, bin: &str) -> Command {
        let mut command = Command::from_std(self.std_command(bin));
        command.write_stdin("");
        command
    }

    /// [`command`](Self::command) as a plain process, to spawn and wait for (stdin unset).
    pub fn std_command(&self, bin: &str) -> std::process::Command {
        let mut command = std::process::Command::new(match bin {
            "migrate" => env!("CARGO_BIN_EXE_migrate"),
            "user-page" => env!("CARGO_BIN_EXE_user-page"),
            _ => env!("CARGO_BIN_EXE_seed"),
        });
        command
            .env("DYNATABLE_TABLE", &self.table)
            .env("DYNATABLE_ENDPOINT", self.endpoint.url())
            .env_remove("DYNATABLE_JSON")
            .env_remove("DYNATABLE_YES")
            .env_remove("DYNATABLE_LOCK_WAIT")
            .env_remove("DYNATABLE_CONCURRENCY")
            .env_remove("DYNATABLE_MAX_RATE")
            .env_remove("RUST_LOG")
            .env_remove("DYNATABLE_NO_CATCH_UP")
            .env_remove("DYNATABLE_NO_STREAM");
        if !self.streams {
            // One DynamoDB Local copes with one stream-enabled table: the tests of a shared
            // instance use tables without one, and runs that do not follow it.
            command
                .env("DYNATABLE_NO_CATCH_UP", "true")
                .env("DYNATABLE_NO_STREAM", "true");
        }
        if let Endpoint::Local(_) = self.endpoint {
            command
                .env("AWS_ACCESS_KEY_ID", "local")
                .env("AWS_SECRET_ACCESS_KEY", "local")
                .env("AWS_REGION", "us-east-1")
                .env_remove("AWS_PROFILE");
        }
        command
    }

    pub fn migrate(&self, args: &[&str]) -> Command {
        let mut command = self.command("migrate");
        command.args(args);
        command
    }

    /// Runs `migrate ARGS --json` and parses its stdout, asserting the exit code.
    pub fn migrate_json(&self, args: &[&str], code: i32) -> serde_json::Value {
        let output = self
            .migrate(args)
            .arg("--json")
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&output).unwrap_or_else(|e| {
            panic!(
                "migrate {args:?} --json printed something else than one JSON document ({e}):\n{}",
                String::from_utf8_lossy(&output)
            )
        })
    }

    pub fn create_and_seed(&self, users: usize, photos_per_user: usize) {
        self.migrate(&["create-table"]).assert().success();
        self.command("seed")
            .args([
                "--users",
                &users.to_string(),
                "--photos-per-user",
                &photos_per_user.to_string(),
            ])
            .assert()
            .success();
    }

    pub async fn table(&self) -> Table {
        Table::new(self.endpoint.client().await, &self.table)
    }

    /// The ledger's items (`_SCHEMA#...`), sorted by key.
    pub async fn ledger(&self) -> Vec<Row> {
        self.dump()
            .await
            .into_iter()
            .filter(|row| row["PK"].starts_with("_SCHEMA#"))
            .collect()
    }

    /// Every item, ledger included, sorted by key.
    pub async fn dump(&self) -> Vec<Row> {
        let client = self.endpoint.client().await;
        let mut rows: Vec<Row> = scan_all(&client, &self.table)
            .await
            .into_iter()
            .map(|item| {
                item.into_iter()
                    .map(|(name, value)| {
                        let text = match value {
                            AttributeValue::S(s) => s,
                            other => format!("{other:?}"),
                        };
                        (name, text)
                    })
                    .collect()
            })
            .collect();
        rows.sort_by(|a, b| (&a["PK"], &a["SK"]).cmp(&(&b["PK"], &b["SK"])));
        rows
    }

    /// The items of the app (not the ledger's), sorted by key.
    pub async fn data(&self) -> Vec<Row> {
        self.dump()
            .await
            .into_iter()
            .filter(|row| !row["PK"].starts_with("_SCHEMA#"))
            .collect()
    }
}

/// `table` with direct requests, as the `migrate` command runs: unless
/// `DYNATABLE_NO_DIRECT_REQUESTS` is set to a true value, which turns them off for the command
/// too, so that the suite runs both ways.
pub async fn as_migrate_runs_it(table: Table, endpoint: &Endpoint) -> Table {
    let off = std::env::var("DYNATABLE_NO_DIRECT_REQUESTS").is_ok_and(|value| {
        !matches!(
            value.to_ascii_lowercase().as_str(),
            "" | "0" | "n" | "no" | "f" | "false" | "off"
        )
    });
    if off {
        return table;
    }
    let direct = DirectRequests::new(&endpoint.sdk_config().await)
        .await
        .unwrap_or_else(|e| panic!("direct requests: {e}"));
    table.with_direct_requests(direct)
}

/// The `status` of each migration in a `status --json` document.
pub fn statuses(status: &serde_json::Value) -> Vec<String> {
    status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_owned())
        .collect()
}

/// stdout of a finished command, as text.
pub fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// stderr of a finished command, as text.
pub fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// The ledger's sort keys after every migration was applied and nothing is left over: one record
/// per version, no checkpoint, lease, announcement or lock.
pub const APPLIED_LEDGER: [&str; 5] = [
    "VERSION#0.1.0",
    "VERSION#0.2.0",
    "VERSION#0.3.0",
    "VERSION#0.4.0",
    "VERSION#0.5.0",
];

/// A numeric setting of a test from the environment variable `name`, else `default`.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The items with `updatedAt` (a time of the run) replaced by whether it is there.
pub fn comparable(rows: Vec<Row>) -> Vec<Row> {
    rows.into_iter()
        .map(|mut row| {
            if let Some(updated) = row.get_mut("updatedAt") {
                *updated = "<set>".to_owned();
            }
            row
        })
        .collect()
}
