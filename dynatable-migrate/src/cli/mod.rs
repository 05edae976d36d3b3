//! The `migrate` command line: the entry point of an app's `src/bin/migrate.rs`.
//!
//! ```no_run
//! // src/bin/migrate.rs: the migrations and entities of the app's library are linked in.
//! fn main() -> std::process::ExitCode {
//!     dynatable_migrate::cli::Cli::new()
//!         .default_table("photo-app")
//!         .run()
//! }
//! ```
//!
//! `cargo run --bin migrate -- <command>`, commands:
//!
//! | command | what it does |
//! | --- | --- |
//! | `status [--no-catch-up]` | one row per known or recorded version (status, finished at, duration, items read and written, checksum, reversibility), the lock, schema drift, table drift (indexes, time to live, stream against what the entities need) |
//! | `up [--to V] [--dry-run] [--allow-changed-checksums] [--no-catch-up] [--follow [DURATION]] [--skip-malformed]` | applies pending migrations in version order (up to and including `V`); with `--skip-malformed`, backfills skip the items that do not decode instead of failing (each counted, the first 100 listed with key and reason in the ledger, shown by `status`); with `--follow` (default `15m`), then keeps converting the items that change until the duration passes or Ctrl-C / SIGTERM; with nothing to apply, finishes the replay a killed run left, and `--follow` continues the last follow period |
//! | `down [--to V \| --steps N] [--dry-run] [--allow-changed-checksums] [--no-catch-up] [--skip-malformed]` | rolls back applied migrations newest first: one by default, `N`, or every one above `V` (`--to 0.0.0`: every one); refuses a rollback whose migration's code changed since it was applied, unless `--allow-changed-checksums` |
//! | `check [--no-catch-up]` | exits 5 on schema or table drift, changed checksums, failed, interrupted or unknown recorded versions, migrations left out of order (for CI) |
//! | `validate` | reads the whole table (parallel scan, `--concurrency` segments, `--max-rate` items read per second, with progress) and classifies every item against the binary's entities: conforming, malformed (does not decode), stale keys (stored `PK`/`SK`/index keys differ from what the entity renders), pending re-key and left behind (keys of an earlier shape, `previous_key`, whose migration is pending or applied), of no known entity, ledger; prints counts per entity and class with example keys; exits 5 when an item does not conform |
//! | `mark V applied\|rolled-back\|pending` | records a status without running anything (repair), with who and when (`rolled_back`, as `status` prints it, is taken too) |
//! | `unlock [--force]` | removes an expired lock, or with `--force` a live one |
//! | `schema [--history]` | the entity schemas of the binary; with `--history` the changes each version recorded |
//! | `create-table [--no-stream]` | creates the table from the entities' keys and indexes (on-demand capacity, with a `KEYS_ONLY` stream, and time to live on the entities' `#[entity(ttl)]` attribute) |
//! | `table-definition --format cloudformation\|terraform\|json [--table-name NAME]` | prints the table the entities need as a CloudFormation template, a Terraform block or the `CreateTable` input; no AWS call |
//! | `enable-stream` | turns on a `KEYS_ONLY` stream on the table, or accepts the one it has |
//! | `throttle --capacity PERCENT \| --pause \| --resume` | retunes the run in progress (one started with `--capacity`), every process of it, within two seconds; `status` shows it; exit code 1 when no such run is alive |
//! | `new NAME [--version V] [--dir D]` | writes a migration file with the next version |
//!
//! Global options (each with its environment variable): `--table` (`DYNATABLE_TABLE`),
//! `--endpoint-url` (`DYNATABLE_ENDPOINT`), `--region` (`AWS_REGION`), `--profile`
//! (`AWS_PROFILE`), `--json` (`DYNATABLE_JSON`), `--yes` (`DYNATABLE_YES`), `--concurrency`
//! (`DYNATABLE_CONCURRENCY`), `--max-rate` in items per second (`DYNATABLE_MAX_RATE`),
//! `--capacity PERCENT` (`DYNATABLE_CAPACITY`: the share of the table's capacity a run of `up`,
//! `down` or `validate` consumes, all processes of a `--join` run together, yielding when
//! DynamoDB throttles; see [`capacity`](crate::capacity)), `--capacity-units N`
//! (`DYNATABLE_CAPACITY_UNITS`: the table's capacity when it does not say one),
//! `--lock-wait` (`DYNATABLE_LOCK_WAIT`, e.g. `30s`), `--no-direct-requests`
//! (`DYNATABLE_NO_DIRECT_REQUESTS`; `--no-direct-writes` and `DYNATABLE_NO_DIRECT_WRITES`, the
//! former names, still work: the migrations' single-item writes and reads go through the SDK's
//! full request path instead of [`DirectRequests`](dynatable_core::DirectRequests)). Credentials
//! come from the AWS chain.
//!
//! `up` and `down` follow the table's DynamoDB Stream, so that the items written behind a
//! backfill's scan are converted too (see the crate docs of [`Context::backfill`](crate::Context::backfill));
//! on a table without a stream they refuse, saying to run `enable-stream`. `--no-catch-up`
//! (`DYNATABLE_NO_CATCH_UP`) runs without it, for tables nothing writes to during the run;
//! `create-table --no-stream` (`DYNATABLE_NO_STREAM`) creates a table without one.
//!
//! `down` asks for confirmation, and so does `up` against an endpoint that is not on this machine
//! when stdin is a terminal; `--yes` answers. Without a terminal and without `--yes`, `down`
//! refuses (exit code 6).
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | another failure: missing table, unreachable endpoint, no credentials, irreversible rollback |
//! | 2 | bad usage: unknown command, flag or version, bad value; a binary that links no entity and no migration |
//! | 3 | the migration lock is held by another run |
//! | 4 | a migration failed (recorded as failed in the ledger) |
//! | 5 | `check` found problems, `validate` found items that do not conform, or `up` or `down` refused: applied migrations changed or are unknown, or `up` would run one out of order |
//! | 6 | not confirmed: refused at the prompt, or stdin is not a terminal and `--yes` was not given; or refused by a safety rail of `up` and `down`: a table without point-in-time recovery against a non-loopback endpoint (`--no-backup-check`), a global table (`--global-table-writer`) |
//!
//! # Output
//!
//! On a terminal, long steps show progress bars (items, items/s, ETA when the total is known, and with
//! `--capacity` the write units/s consumed of the budget);
//! otherwise plain lines, free of escape codes. `RUST_LOG` (e.g. `RUST_LOG=info`) sends `tracing`
//! logs to stderr.
//!
//! With `--json`, stdout carries one JSON document and nothing else. Its shapes are stable:
//!
//! - `status`: `{"table", "migrations": [{"version", "name", "status", "finished_at",
//!   "duration_ms", "items_read", "items_written", "checksum" ("ok" | "changed" | null),
//!   "known", "irreversible" (reason or null), "error", "skipped_malformed" (count),
//!   "skipped_items": [{"pk", "sk", "reason"}] (the first 100)}], "lock": null | {"holder",
//!   "expires_at"}, "drift": [text], "pending_changes": [text], "shared_backfills": [{"work",
//!   "segments", "done", "processes": [{"holder", "segments": [n]}]}], "unfinished_replays":
//!   [version], "unfinished_rollback_replays": [version], "table_drift": [{"drift" (
//!   "missing_index" | "extra_index" | "index_keys" | "index_projection" | "time_to_live" |
//!   "stream_off"), ...its fields}], "capacity": null | {"write_consumed_per_second",
//!   "write_budget", "processes": [{"holder", "percent", "paused", "write_budget", "write_rate",
//!   "write_consumed_per_second", "write_throttled", "read_budget",
//!   "read_consumed_per_second"}], "throttle": null | {"capacity_percent", "paused", "set_by",
//!   "set_at"}}}` (drift: entity changes no
//!   migration records; pending changes: what the pending migrations will record; unfinished
//!   replays: those a run in progress saved, or a killed one left for the next `up` or `down`);
//!   `status` is one of `pending`, `running`, `applied`, `failed`, `rolled_back`.
//! - `up`, `down`: `{"command", "dry_run": false, "versions": [run, in order], "replayed"}`
//!   (`replayed`: items the replays converted; absent when there was nothing to do;
//!   `"skipped_malformed": {version: count}` for the versions that skipped items), and for
//!   `up --follow` and `down --follow` also `"follow": {"passes", "converted"}`; with `--join` also `"join":
//!   {"led", "joined_backfills", "read", "written"}` (this process's part; `versions` are those
//!   it ran while leading); with
//!   `--dry-run`: `{"command", "dry_run": true, "versions", "writes": {version: [{"operation",
//!   "table", "key", "expression"}]}, "cost": {"total": cost, "versions": {version: cost},
//!   "seconds_at_max_rate" (null without `--max-rate`), "seconds_within_capacity" (null
//!   without `--capacity`)}}`, a cost being `{"items_read",
//!   "bytes_read", "read_units", "items_written", "write_units"}` (see
//!   [`DryRunCost`](crate::DryRunCost)).
//! - `validate` writes JSON lines instead of one document, so that a table of any size fits in
//!   constant memory: one line per non-conforming item, `{"class" ("malformed" | "stale_keys" |
//!   "pending_rekey" | "left_behind" | "unknown_entity"), "entity" (null for unknown_entity), "pk", "sk", "reason"}`, as found,
//!   then `{"summary": {"items", "conforms", "non_conforming", "entities": {name:
//!   {"conforming", "malformed", "stale_keys", "pending_rekey", "left_behind"}},
//!   "unknown_entity", "ledger"}}`, then, when an
//!   item does not conform, the failure line below (`check_failed`, exit code 5).
//! - `check`: `{"ok", "problems": [text]}`, with `"error"` too when problems are found; `mark`: `{"version", "status"}`; `unlock`:
//!   `{"removed"}`; `throttle`: `{"command", "capacity_percent", "paused", "set_by", "set_at"}`;
//!   `create-table`: `{"table", "created", "stream", "ttl" (the time-to-live
//!   attribute it turned on, or null)}`; `enable-stream`:
//!   `{"table", "enabled" (false when it had one), "view_type"}`; `new`: `{"version", "path"}`;
//!   `table-definition`: the `CreateTable` input for `--format json`, else `{"format",
//!   "definition"}` (the text).
//! - `schema`: `{"entities": {name: {"pk", "sk", "indexes", "attributes"}}, "history":
//!   [{"version", "name", "status", "finished_at", "changes": [text]}]}` (history with
//!   `--history` only).
//! - any failure: `{"error": {"kind", "exit_code", "message"}}`, `kind` being the exit code's
//!   name (`failure`, `usage`, `lock_held`, `migration_failed`, `check_failed`,
//!   `not_confirmed`).

mod args;
mod command;
mod confirm;
mod failure;
mod render;
mod session;
mod stop_signal;

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser as _;
use serde_json::Value;

use self::args::{Arguments, Command};
pub use self::failure::Exit;
use self::failure::Failure;
use self::render::{Printer, emit, report};
use self::session::{Draw, Session};

/// An app's `migrate` command line. See the [module docs](self) for commands, exit codes and
/// output.
#[derive(Debug, Clone, Default)]
pub struct Cli {
    default_table: Option<String>,
    migrations_dir: Option<PathBuf>,
}

impl Cli {
    /// The command line of the migrations and entities linked into this binary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The table used when neither `--table` nor `DYNATABLE_TABLE` names one.
    #[must_use]
    pub fn default_table(mut self, name: impl Into<String>) -> Self {
        self.default_table = Some(name.into());
        self
    }

    /// Where `new` writes migration files unless `--dir` says otherwise (default
    /// `src/migrations`).
    #[must_use]
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.migrations_dir = Some(dir.into());
        self
    }

    /// Parses the process's arguments, runs the command and returns its exit code.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// Parses `args` (the first being the program name), runs the command and returns its exit
    /// code.
    pub fn run_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let arguments = match Arguments::try_parse_from(args) {
            Ok(arguments) => arguments,
            Err(e) => {
                let _ = e.print();
                return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(Exit::Usage.code()));
            }
        };
        init_tracing();
        let json = arguments.global.json;
        if !matches!(arguments.command, Command::New { .. }) && !crate::registry::anything_linked()
        {
            return report(
                json,
                &Failure::Usage(format!(
                    "this `migrate` binary has no entity and no migration: {}",
                    crate::registry::LINK_THE_APP
                )),
            );
        }
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return report(json, &Failure::Other(format!("cannot start tokio: {e}"))),
        };
        // The command runs on a worker of the runtime, beside the connections' tasks, not on this
        // thread: each request would otherwise wake a worker and be woken back.
        let command = runtime.spawn(async move { self.execute(&arguments).await });
        let outcome = runtime
            .block_on(command)
            .unwrap_or_else(|e| Err(Failure::Other(format!("the command stopped: {e}"))));
        match outcome {
            Ok(document) => {
                if json {
                    emit(&format!("{document}\n"));
                }
                Exit::Success.into()
            }
            Err(failure) => report(json, &failure),
        }
    }

    /// Runs the command `arguments` name; returns its `--json` document.
    async fn execute(&self, arguments: &Arguments) -> Result<Value, Failure> {
        let global = &arguments.global;
        let out = Printer { json: global.json };
        if let Command::New { name, version, dir } = &arguments.command {
            let default_dir = self.migrations_dir.as_deref();
            return command::new::run(&out, name, version.as_deref(), dir.as_deref(), default_dir);
        }
        if let Command::TableDefinition { format, table_name } = &arguments.command {
            let name = table_name
                .as_deref()
                .or(global.table.as_deref())
                .or(self.default_table.as_deref())
                .filter(|name| !name.trim().is_empty())
                .ok_or_else(|| {
                    Failure::Usage(
                        "no table name: pass --table-name (or --table, DYNATABLE_TABLE)".to_owned(),
                    )
                })?;
            return command::table_definition::run(&out, name, *format);
        }
        let draw = match &arguments.command {
            Command::Up(up) if up.dry_run => Draw::Estimate,
            Command::Down(down) if down.dry_run => Draw::Estimate,
            Command::Up(_) | Command::Down(_) | Command::Validate => Draw::Run,
            _ => Draw::Nothing,
        };
        let session = Session::open(global, self.default_table.as_deref(), draw).await?;
        let result = self.dispatch(&session, arguments, &out).await;
        session.close().await;
        result
    }

    /// Runs the command `arguments` name on `session`.
    async fn dispatch(
        &self,
        session: &Session,
        arguments: &Arguments,
        out: &Printer,
    ) -> Result<Value, Failure> {
        let global = &arguments.global;
        match &arguments.command {
            Command::Status { catch_up } => {
                command::status::run(session, out, catch_up.no_catch_up).await
            }
            Command::Up(up) => Box::pin(command::up::run(session, global, out, up)).await,
            Command::Down(down) => Box::pin(command::down::run(session, global, out, down)).await,
            Command::Check { catch_up } => {
                command::check::run(session, out, catch_up.no_catch_up).await
            }
            Command::Validate => Box::pin(command::validate::run(session, global, out)).await,
            Command::Mark { version, status } => {
                command::mark::run(session, out, version, *status).await
            }
            Command::Unlock { force } => command::unlock::run(session, out, *force).await,
            Command::Schema { history } => command::schema::run(session, out, *history).await,
            Command::CreateTable { no_stream } => {
                command::create_table::run(session, out, !no_stream).await
            }
            Command::EnableStream => command::enable_stream::run(session, out).await,
            Command::Throttle(throttle) => {
                command::throttle::run(session, global, out, throttle).await
            }
            Command::New { .. } | Command::TableDefinition { .. } => {
                Err(Failure::Usage("this command was handled above".to_owned()))
            }
        }
    }
}

/// `RUST_LOG` sends `tracing` logs to stderr.
fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
