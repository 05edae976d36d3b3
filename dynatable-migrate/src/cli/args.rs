//! The command line's arguments, as clap parses them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::ledger::MigrationStatus;

/// Runs, rolls back and inspects the data migrations of a single-table DynamoDB design.
#[derive(Debug, Parser)]
#[command(name = "migrate", version, max_term_width = 100)]
pub(crate) struct Arguments {
    #[command(flatten)]
    pub(crate) global: GlobalOptions,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalOptions {
    /// The table to migrate.
    #[arg(long, global = true, env = "DYNATABLE_TABLE", value_name = "NAME")]
    pub(crate) table: Option<String>,
    /// An endpoint instead of AWS's (DynamoDB Local, LocalStack).
    #[arg(long, global = true, env = "DYNATABLE_ENDPOINT", value_name = "URL", value_parser = parse_endpoint_url)]
    pub(crate) endpoint_url: Option<String>,
    /// The AWS region (default: the AWS configuration chain's).
    #[arg(long, global = true, env = "AWS_REGION", value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// The profile of ~/.aws/config to use.
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// Print one JSON document on stdout and nothing else (see the crate docs for its shape).
    #[arg(long, global = true, env = "DYNATABLE_JSON", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) json: bool,
    /// Do not ask for confirmation (`down`; `up` against a non-local endpoint from a terminal).
    #[arg(long, short = 'y', global = true, env = "DYNATABLE_YES", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) yes: bool,
    /// How many requests a migration's bulk work keeps in flight.
    #[arg(long, global = true, env = "DYNATABLE_CONCURRENCY", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: Option<u16>,
    /// At most this many items written per second by a migration's bulk work.
    #[arg(long, global = true, env = "DYNATABLE_MAX_RATE", value_name = "ITEMS_PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_rate: Option<u32>,
    /// The share of the table's capacity a run may consume (e.g. 50 or 50%), all processes of a
    /// `--join` run together, writes against write capacity and reads against read capacity:
    /// the table's provisioned units, an on-demand table's maximum, else --capacity-units. The
    /// run yields when DynamoDB throttles; `migrate throttle` retunes it while it runs. With
    /// `throttle`: the new share.
    #[arg(long, global = true, env = "DYNATABLE_CAPACITY", value_name = "PERCENT", value_parser = parse_percent)]
    pub(crate) capacity: Option<f64>,
    /// The table's capacity in units per second, for --capacity (required for an on-demand
    /// table without a maximum throughput; for reads and writes alike; wins over what the table
    /// says).
    #[arg(long, global = true, env = "DYNATABLE_CAPACITY_UNITS", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) capacity_units: Option<u64>,
    /// Send the migrations' single-item writes and reads through the AWS SDK's full request
    /// path instead of dynatable's direct requests (the same signed requests at about half the
    /// client CPU, answers decoded straight from their bodies; see `DirectRequests`): for
    /// clients whose SDK configuration the direct path leaves out. `--no-direct-writes` and
    /// `DYNATABLE_NO_DIRECT_WRITES`, the former names, still work.
    #[arg(long, global = true, visible_alias = "no-direct-writes", env = "DYNATABLE_NO_DIRECT_REQUESTS", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_direct_requests: bool,
    /// `DYNATABLE_NO_DIRECT_WRITES`, the former name of `DYNATABLE_NO_DIRECT_REQUESTS`.
    #[arg(long = "no-direct-writes-from-env", hide = true, global = true, env = "DYNATABLE_NO_DIRECT_WRITES", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_direct_writes_env: bool,
    /// How long to wait for the migration lock another run holds (e.g. 30s, 5m; default: fail
    /// at once).
    #[arg(long, global = true, env = "DYNATABLE_LOCK_WAIT", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) lock_wait: Option<Duration>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Where every migration stands, the lock, schema drift, and how the table differs from
    /// what the entities need.
    Status {
        #[command(flatten)]
        catch_up: CatchUpArgument,
    },
    /// Apply pending migrations, in version order.
    Up(UpArguments),
    /// Roll back applied migrations, newest first (default: one).
    Down(DownArguments),
    /// Exit non-zero on schema or table drift, changed checksums, failed, interrupted or unknown
    /// recorded versions (for CI).
    Check {
        #[command(flatten)]
        catch_up: CatchUpArgument,
    },
    /// Read the whole table (a parallel scan: --concurrency segments read at once, of 8 times as
    /// many; --max-rate items read per second) and classify every item: conforming, malformed,
    /// stale keys, pending re-key or left behind (in an earlier key shape), of no known entity,
    /// ledger; exits 5 when an item does not conform. With --json, every non-conforming key as a
    /// JSON line, then a summary line.
    Validate,
    /// Record a version's status without running it (repair after a failure).
    Mark {
        /// The version.
        version: String,
        /// The status to record.
        status: MarkStatus,
    },
    /// Remove the migration lock (only an expired one unless --force).
    Unlock {
        /// Remove it even though it has not expired.
        #[arg(long)]
        force: bool,
    },
    /// The entity schemas in this binary, and with --history the changes recorded per version.
    Schema {
        /// Also list the schema changes each recorded migration made.
        #[arg(long)]
        history: bool,
    },
    /// Create the table from the entities' keys and indexes (on-demand capacity, with a
    /// KEYS_ONLY stream).
    CreateTable {
        /// Create it without a stream (then `up` and `down` need --no-catch-up).
        #[arg(long, env = "DYNATABLE_NO_STREAM", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
        no_stream: bool,
    },
    /// Print the table the entities need, for the tool that keeps your tables: a
    /// CloudFormation resource, a Terraform block, or the CreateTable input. No AWS call.
    TableDefinition {
        /// The language to write it in.
        #[arg(long, value_enum)]
        format: DefinitionFormat,
        /// The table's name in it (default: --table).
        #[arg(long, value_name = "NAME")]
        table_name: Option<String>,
    },
    /// Turn on a KEYS_ONLY stream on the table (or accept the one it has), which `up` and
    /// `down` follow to convert the items written during a run.
    EnableStream,
    /// Retune the run in progress, every process of it, within about two seconds: a new share
    /// of the capacity (--capacity PERCENT), or a pause and a resume. Only a run started with
    /// --capacity can be throttled; `status` shows the throttle.
    Throttle(ThrottleArguments),
    /// Write a new migration file with the next version.
    New {
        /// The migration's name, in snake_case (e.g. add_user_avatar).
        name: String,
        /// Its version (default: the newest version with the minor number raised).
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Where to write it (default: the app's migrations folder).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// The arguments of `throttle` (the new share is the global `--capacity`).
#[derive(Debug, Args)]
#[group(id = "throttle", required = false, multiple = false)]
pub(crate) struct ThrottleArguments {
    /// Stop the run's writes and reads (requests in flight finish; the run keeps its lock).
    #[arg(long, group = "throttle")]
    pub(crate) pause: bool,
    /// Let a paused run go on.
    #[arg(long, group = "throttle")]
    pub(crate) resume: bool,
}

/// Whether the table's runs catch up with its stream, for `status` and `check` (a table without
/// a stream is drift unless they do not).
#[derive(Debug, Args)]
pub(crate) struct CatchUpArgument {
    /// The runs of this table do not follow its stream (`up --no-catch-up`): a table without
    /// one is not drift.
    #[arg(long, env = "DYNATABLE_NO_CATCH_UP", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_catch_up: bool,
}

/// The languages `table-definition` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DefinitionFormat {
    /// A CloudFormation template (YAML) with an `AWS::DynamoDB::Table` resource.
    Cloudformation,
    /// A Terraform `aws_dynamodb_table` resource block.
    Terraform,
    /// The `CreateTable` input (JSON).
    Json,
}

impl DefinitionFormat {
    /// The name the command line takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Cloudformation => "cloudformation",
            Self::Terraform => "terraform",
            Self::Json => "json",
        }
    }
}

/// The arguments of `up`.
#[derive(Debug, Args)]
pub(crate) struct UpArguments {
    /// Stop once this version is applied.
    #[arg(long, value_name = "VERSION")]
    pub(crate) to: Option<String>,
    /// Run the migrations on a client that cannot write; list what they would write and what
    /// that would cost the table.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Run even though applied migrations' code changed since they ran.
    #[arg(long)]
    pub(crate) allow_changed_checksums: bool,
    /// Skip the items that do not decode instead of failing with the first: each is counted
    /// and the first 100 listed (key and reason) in the ledger, which `status` shows.
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) skip_malformed: bool,
    /// Do not follow the table's stream: items written behind a backfill's scan are left in
    /// the old shape. Only for tables nothing writes to during the run.
    #[arg(long, env = "DYNATABLE_NO_CATCH_UP", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_catch_up: bool,
    /// After the last migration, keep converting the items that change (old application
    /// instances still writing the old shape) for DURATION (default 15m), or until Ctrl-C or
    /// SIGTERM; every item written before it stops is converted.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "15m", value_parser = parse_duration, conflicts_with_all = ["dry_run", "no_catch_up", "join"])]
    pub(crate) follow: Option<Duration>,
    #[command(flatten)]
    pub(crate) sharing: JoinArguments,
    #[command(flatten)]
    pub(crate) safety: SafetyArguments,
}

/// The checks before a run writes the table (`up` and `down`).
#[derive(Debug, Args)]
pub(crate) struct SafetyArguments {
    /// Run on a table without point-in-time recovery (checked before each migration against
    /// every endpoint but a loopback one: without it, a migration that deletes or re-keys items
    /// cannot be undone).
    #[arg(long, env = "DYNATABLE_NO_BACKUP_CHECK", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_backup_check: bool,
    /// Run on a global table (replicas in other regions): say so once the other regions'
    /// writers are stopped, since writes in two regions at once can both pass a condition.
    #[arg(long)]
    pub(crate) global_table_writer: bool,
}

/// How a process shares a run with the others started with the same command (`up` and `down`).
#[derive(Debug, Args)]
pub(crate) struct JoinArguments {
    /// Share the run with every process running the same command: the first leads, the others
    /// work on its backfills (claiming scan segments through leases) and take over when a
    /// process dies. Each exits 0 once the run is complete.
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) join: bool,
    /// How many segments each shared backfill's scan has (default 64): at least 4 per process
    /// for an even share; more lose less to a killed process.
    #[arg(long, value_name = "N", requires = "join", value_parser = clap::value_parser!(u32).range(1..=i64::from(dynatable_core::MAX_SEGMENTS)))]
    pub(crate) segments: Option<u32>,
    /// How long a dead process's lock or lease stands still before another process takes it
    /// over (default 30s, at least 1s).
    #[arg(long, value_name = "DURATION", requires = "join", value_parser = parse_failover)]
    pub(crate) failover: Option<Duration>,
}

/// The failover time of a joined run unless `--failover` says otherwise.
pub(crate) const DEFAULT_FAILOVER: Duration = Duration::from_secs(30);

/// The arguments of `down`.
#[derive(Debug, Args)]
pub(crate) struct DownArguments {
    /// Roll back everything above this version (it stays applied); `0.0.0`, or any version
    /// before the first migration, rolls back every one.
    #[arg(long, value_name = "VERSION", conflicts_with = "steps")]
    pub(crate) to: Option<String>,
    /// Roll back this many migrations.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) steps: Option<u32>,
    /// Run the rollbacks on a client that cannot write; list what they would write and what
    /// that would cost the table.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Run the rollbacks even though their migrations' code changed since they were applied
    /// (the `down` that runs is the code as it is now).
    #[arg(long)]
    pub(crate) allow_changed_checksums: bool,
    /// Do not follow the table's stream (see `up --no-catch-up`).
    #[arg(long, env = "DYNATABLE_NO_CATCH_UP", action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_catch_up: bool,
    /// Skip the items that do not decode (see `up --skip-malformed`).
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) skip_malformed: bool,
    /// After the last rollback, keep converting the items that change (newer application
    /// instances still writing the newer shape) for DURATION (default 15m), or until Ctrl-C or
    /// SIGTERM; every item written before it stops is converted.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "15m", value_parser = parse_duration, conflicts_with_all = ["dry_run", "no_catch_up", "join"])]
    pub(crate) follow: Option<Duration>,
    #[command(flatten)]
    pub(crate) sharing: JoinArguments,
    #[command(flatten)]
    pub(crate) safety: SafetyArguments,
}

/// The statuses `mark` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MarkStatus {
    /// As if it had run.
    Applied,
    /// As if it had been rolled back (`rolled_back`, as `status` shows it, is taken too).
    #[value(alias = "rolled_back")]
    RolledBack,
    /// Remove its record: it runs with the next `up`.
    Pending,
}

impl From<MarkStatus> for MigrationStatus {
    fn from(status: MarkStatus) -> Self {
        match status {
            MarkStatus::Applied => Self::Applied,
            MarkStatus::RolledBack => Self::RolledBack,
            MarkStatus::Pending => Self::Pending,
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (write e.g. 30s or 5m)"))
}

/// The shortest `--failover`: a process renews its lock and leases every third of it, and a
/// renewal is a request to DynamoDB that must arrive in time.
const MIN_FAILOVER: Duration = Duration::from_secs(1);

fn parse_failover(text: &str) -> Result<Duration, String> {
    let failover = parse_duration(text)?;
    if failover < MIN_FAILOVER {
        return Err(format!(
            "the failover time must be at least {} (a process renews its lock and leases every \
             third of it)",
            humantime::format_duration(MIN_FAILOVER)
        ));
    }
    Ok(failover)
}

/// An endpoint URL the SDK can send to (`http` or `https`, with a host): the SDK does not check
/// it, and fails on its first request. Empty, as an empty `DYNATABLE_ENDPOINT`, it means none.
fn parse_endpoint_url(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    dynatable_core::client::check_endpoint_url(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

/// A share of capacity: a percentage above 0 and at most 100, with or without `%`.
fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    let percent: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a percentage (e.g. 50 or 50%)"))?;
    if percent > 0.0 && percent <= 100.0 {
        Ok(percent)
    } else {
        Err(format!(
            "a share of capacity is above 0% and at most 100%, not {text}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_arguments_are_consistent() {
        super::Arguments::command().debug_assert();
    }

    #[test]
    fn mark_takes_the_status_as_status_prints_it_too() {
        use clap::Parser as _;
        for spelling in ["rolled-back", "rolled_back"] {
            let parsed = super::Arguments::try_parse_from(["migrate", "mark", "0.1.0", spelling]);
            assert!(
                matches!(
                    parsed.map(|a| a.command),
                    Ok(super::Command::Mark {
                        status: super::MarkStatus::RolledBack,
                        ..
                    })
                ),
                "{spelling}"
            );
        }
    }

    #[test]
    fn an_endpoint_is_a_url_or_empty_for_none() {
        assert_eq!(
            super::parse_endpoint_url("http://localhost:8000"),
            Ok("http://localhost:8000".to_owned())
        );
        for none in ["", "  "] {
            assert_eq!(super::parse_endpoint_url(none), Ok(String::new()));
        }
        assert!(super::parse_endpoint_url("localhost:8000").is_err());
    }

    #[test]
    fn a_capacity_is_a_percentage_with_or_without_its_sign() {
        assert_eq!(super::parse_percent("50"), Ok(50.0));
        assert_eq!(super::parse_percent(" 12.5% "), Ok(12.5));
        assert_eq!(super::parse_percent("100%"), Ok(100.0));
        for refused in ["0", "0%", "101", "-5", "half", ""] {
            assert!(super::parse_percent(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn throttle_takes_one_change_at_a_time() {
        use clap::Parser as _;
        let parse = |args: &[&str]| super::Arguments::try_parse_from(args).map(|a| a.command);
        assert!(parse(&["migrate", "throttle", "--pause"]).is_ok());
        assert!(parse(&["migrate", "throttle", "--capacity", "20"]).is_ok());
        assert!(parse(&["migrate", "throttle", "--pause", "--resume"]).is_err());
    }
}
