//! What a command that talks to DynamoDB works with: the table, the endpoint, how progress is
//! shown, and the commands that only read or create (`status`, `check`, `schema`,
//! `create-table`).

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use dynatable_core::client::ClientConfig;
use dynatable_core::{DirectWrites, RateLimit, Table, TableDefinition, registry};
use serde_json::{Value, json};

use super::args::GlobalOptions;
use super::failure::Failure;
use super::printer::Printer;
use super::progress::{BarReporter, LineReporter};
use super::{Cli, emit, render, rfc3339};
use crate::ledger::MigrationStatus;
use crate::migrator::Migrator;
use crate::reporter::{LogReporter, Reporter};
use crate::schema_snapshot::SchemaSnapshot;

/// What a command that talks to DynamoDB works with.
pub(super) struct Session {
    pub(super) config: ClientConfig,
    pub(super) table: Table,
    pub(super) endpoint: String,
    pub(super) reporter: Arc<dyn Reporter>,
    pub(super) bars: Option<Arc<BarReporter>>,
    pub(super) lock_wait: Option<Duration>,
    pub(super) streams: aws_sdk_dynamodbstreams::Client,
}

impl Session {
    pub(super) async fn open(cli: &Cli, global: &GlobalOptions) -> Result<Self, Failure> {
        let table_name = global
            .table
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| cli.default_table.clone())
            .ok_or_else(|| {
                Failure::Usage("no table named: pass --table or set DYNATABLE_TABLE".to_owned())
            })?;
        let mut config = ClientConfig::default();
        if let Some(url) = global
            .endpoint_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            config = config.endpoint_url(url);
        }
        if let Some(region) = global.region.as_deref().filter(|r| !r.trim().is_empty()) {
            config = config.region(region);
        }
        if let Some(profile) = global.profile.as_deref().filter(|p| !p.trim().is_empty()) {
            config = config.profile(profile);
        }
        let sdk = config.load_sdk_config().await;
        let endpoint = match (&config.endpoint_url, sdk.region()) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => format!("AWS {region}"),
            (None, None) => "AWS (no region configured)".to_owned(),
        };
        let mut table = Table::new(
            dynatable_core::aws_sdk_dynamodb::Client::new(&sdk),
            table_name,
        );
        if !global.no_direct_writes {
            // Without a region or credentials the SDK's path gives its own, familiar errors.
            if let Ok(direct) = DirectWrites::new(&sdk).await {
                table = table.with_direct_writes(direct);
            }
        }
        if let Some(concurrency) = global.concurrency {
            table = table.with_concurrency(usize::from(concurrency));
        }
        if let Some(rate) = global.max_rate {
            table = table.with_rate_limit(RateLimit::ItemsPerSecond(f64::from(rate)));
        }
        let (reporter, bars): (Arc<dyn Reporter>, _) = if global.json {
            (Arc::new(LogReporter), None)
        } else if std::io::stdout().is_terminal() {
            let bars = Arc::new(BarReporter::new());
            (bars.clone(), Some(bars))
        } else {
            (Arc::new(LineReporter::default()), None)
        };
        Ok(Self {
            config,
            table,
            endpoint,
            reporter,
            bars,
            lock_wait: global.lock_wait,
            streams: crate::stream_client(&sdk),
        })
    }

    pub(super) fn migrator(&self) -> Result<Migrator, Failure> {
        let migrator = Migrator::new(self.table.clone())
            .map_err(|e| Failure::migrate(e, &self.endpoint))?
            .with_reporter(self.reporter.clone())
            .stream_client(self.streams.clone());
        Ok(match self.lock_wait {
            Some(wait) => migrator.lock_wait(wait),
            None => migrator,
        })
    }

    /// Stops the progress bars once a run is over.
    pub(super) fn finish<T>(&self, result: T) -> T {
        if let Some(bars) = &self.bars {
            bars.finish();
        }
        result
    }

    pub(super) async fn status(&self, out: &Printer) -> Result<Value, Failure> {
        let status = self
            .migrator()?
            .status()
            .await
            .map_err(|e| Failure::migrate(e, &self.endpoint))?;
        let expires_at = status.lock.as_ref().map(|(_, ms)| rfc3339(*ms));
        out.line(&format!(
            "Table {} at {}\n",
            self.table.name(),
            self.endpoint
        ));
        out.text(&render::status(&status, expires_at.as_deref()));
        let migrations: Vec<Value> = status
            .migrations
            .iter()
            .map(|m| {
                json!({
                    "version": m.version,
                    "name": m.name,
                    "status": m.status,
                    "finished_at": m.finished_at,
                    "duration_ms": m.duration_ms,
                    "items_read": m.items_read,
                    "items_written": m.items_written,
                    "checksum": m.checksum_ok.map(|ok| if ok { "ok" } else { "changed" }),
                    "known": m.known,
                    "irreversible": m.irreversible,
                    "error": m.error,
                    "skipped_malformed": m.skipped_malformed,
                    "skipped_items": m.skipped_items,
                })
            })
            .collect();
        Ok(json!({
            "table": self.table.name(),
            "migrations": migrations,
            "lock": status.lock.as_ref().map(|(holder, _)| json!({"holder": holder, "expires_at": expires_at})),
            "drift": status.drift.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "pending_changes": status.pending_changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "shared_backfills": status.shared_backfills,
            "unfinished_replays": status.unfinished_replays,
            "unfinished_rollback_replays": status.unfinished_rollback_replays,
        }))
    }

    pub(super) async fn check(&self, out: &Printer) -> Result<Value, Failure> {
        let status = self
            .migrator()?
            .status()
            .await
            .map_err(|e| Failure::migrate(e, &self.endpoint))?;
        let mut problems: Vec<String> = Vec::new();
        for m in &status.migrations {
            if !m.known {
                problems.push(format!(
                    "{} ({}) is recorded as {} but is not in this binary",
                    m.version, m.name, m.status
                ));
                continue;
            }
            if m.checksum_ok == Some(false) && m.status == MigrationStatus::Applied {
                problems.push(format!(
                    "{} ({}) changed since it was applied",
                    m.version, m.name
                ));
            }
            match m.status {
                MigrationStatus::Failed => problems.push(format!(
                    "{} ({}) failed: {}",
                    m.version,
                    m.name,
                    m.error.as_deref().unwrap_or("no error recorded")
                )),
                MigrationStatus::Running if status.lock.is_none() => problems.push(format!(
                    "{} ({}) was interrupted: run `migrate up` to resume it",
                    m.version, m.name
                )),
                _ => {}
            }
        }
        if status.lock.is_none() {
            problems.extend(status.unfinished().map(|(replay, run)| {
                format!("the replay of {replay} was interrupted: run `migrate {run}` to finish it")
            }));
        }
        problems.extend(
            status
                .drift
                .iter()
                .map(|change| format!("schema drift: {change}")),
        );
        if problems.is_empty() {
            out.line(
                "OK: no drift, no changed, failed, interrupted or unknown migrations, no \
                 interrupted replay.",
            );
            return Ok(json!({"ok": true, "problems": []}));
        }
        if !out.json {
            for problem in &problems {
                emit(&format!("problem: {problem}\n"));
            }
        }
        Err(Failure::CheckFailed(problems))
    }

    pub(super) async fn schema(&self, out: &Printer, with_history: bool) -> Result<Value, Failure> {
        let migrator = self.migrator()?;
        let snapshot = SchemaSnapshot::of(migrator.entities());
        let history = if with_history {
            Some(
                migrator
                    .history()
                    .await
                    .map_err(|e| Failure::migrate(e, &self.endpoint))?,
            )
        } else {
            None
        };
        out.text(&render::schema(&snapshot, history.as_deref()));
        let mut document = json!({ "entities": snapshot.entities });
        if let Some(records) = &history {
            document["history"] = records
                .iter()
                .map(|r| {
                    json!({
                        "version": r.version,
                        "name": r.name,
                        "status": r.status,
                        "finished_at": r.finished_at,
                        "changes": r.schema_changes,
                    })
                })
                .collect();
        }
        Ok(document)
    }

    pub(super) async fn create_table(&self, out: &Printer, stream: bool) -> Result<Value, Failure> {
        let entities = registry::entities();
        if let Err(problems) = registry::check_schemas(&entities) {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(Failure::Other(format!(
                "the entities cannot share one table: {}",
                text.join("; ")
            )));
        }
        let mut definition = TableDefinition::for_entities(self.table.name(), &entities)
            .map_err(|e| Failure::Other(e.to_string()))?;
        if stream {
            definition = definition.with_stream();
        }
        let created = match definition.create(self.table.client()).await {
            Ok(()) => true,
            Err(e) if e.is_already_exists() => false,
            Err(e) => {
                return Err(Failure::Other(format!(
                    "{e} (endpoint {}): check the endpoint, region and credentials",
                    self.endpoint
                )));
            }
        };
        out.line(&if created {
            format!("Created table {} at {}.", self.table.name(), self.endpoint)
        } else {
            format!(
                "Table {} exists at {}; nothing changed.",
                self.table.name(),
                self.endpoint
            )
        });
        Ok(json!({"table": self.table.name(), "created": created, "stream": created && stream}))
    }
}
