//! What a command that talks to DynamoDB works with: the table, the endpoint, the stream client,
//! how progress is shown, and the migrator built from them.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use dynatable_core::client::ClientConfig;
use dynatable_core::{DirectRequests, RateLimit, Table};

use super::args::{DEFAULT_FAILOVER, GlobalOptions, JoinArguments, SafetyArguments};
use super::failure::Failure;
use super::render::progress::{BarReporter, LineReporter};
use crate::capacity::{CapacityCoordinator, CapacitySettings, TableCapacity};
use crate::migrator::Migrator;
use crate::reporter::{LogReporter, Reporter};

/// What a command that talks to DynamoDB works with.
pub(super) struct Session {
    pub(super) config: ClientConfig,
    pub(super) table: Table,
    pub(super) endpoint: String,
    pub(super) reporter: Arc<dyn Reporter>,
    pub(super) bars: Option<Arc<BarReporter>>,
    pub(super) lock_wait: Option<Duration>,
    pub(super) streams: aws_sdk_dynamodbstreams::Client,
    /// The run's share of the table's capacity (`--capacity`), when the command runs or
    /// estimates one.
    pub(super) capacity: Option<CapacitySettings>,
    /// Keeps this process's part of that share in step with the run's other processes and
    /// `migrate throttle`, while the command runs.
    coordinator: Option<CapacityCoordinator>,
}

/// What a command does with the table's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Draw {
    /// Nothing: it reads a few records.
    Nothing,
    /// It estimates what a run would take (a dry run).
    Estimate,
    /// It runs migrations or a validation, drawing on `--capacity`.
    Run,
}

impl Session {
    pub(super) async fn open(
        global: &GlobalOptions,
        default_table: Option<&str>,
        draw: Draw,
    ) -> Result<Self, Failure> {
        let table_name = global
            .table
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| default_table.map(str::to_owned))
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
        let client = dynatable_core::aws_sdk_dynamodb::Client::new(&sdk);
        reachable(&client, &table_name, &endpoint).await?;
        let mut table = Table::new(client, table_name);
        if !(global.no_direct_requests || global.no_direct_writes_env) {
            // Without a region or credentials the SDK's path gives its own, familiar errors.
            if let Ok(direct) = DirectRequests::new(&sdk).await {
                table = table.with_direct_requests(direct);
            }
        }
        if let Some(concurrency) = global.concurrency {
            table = table.with_concurrency(usize::from(concurrency));
        }
        if let Some(rate) = global.max_rate {
            table = table.with_rate_limit(RateLimit::ItemsPerSecond(f64::from(rate)));
        }
        let capacity = match (global.capacity, draw) {
            (Some(percent), Draw::Estimate | Draw::Run) => Some(CapacitySettings {
                percent,
                capacity: TableCapacity::of(&table, global.capacity_units, percent)
                    .await
                    .map_err(|e| Failure::migrate(e, &endpoint))?,
            }),
            _ => None,
        };
        let coordinator = match capacity {
            Some(settings) if draw == Draw::Run => {
                let holder = format!("{} pid {}", crate::ledger::who(), std::process::id());
                let coordinator = CapacityCoordinator::start(&table, settings, &holder)
                    .await
                    .map_err(|e| Failure::migrate(e, &endpoint))?;
                table = coordinator.apply(&table);
                Some(coordinator)
            }
            _ => None,
        };
        let writes = coordinator.as_ref().map(|c| c.writes().clone());
        let (reporter, bars): (Arc<dyn Reporter>, _) = if global.json {
            (Arc::new(LogReporter), None)
        } else if std::io::stdout().is_terminal() {
            let bars = Arc::new(BarReporter::new(writes));
            (bars.clone(), Some(bars))
        } else {
            (Arc::new(LineReporter::new(writes)), None)
        };
        Ok(Self {
            config,
            table,
            endpoint,
            reporter,
            bars,
            lock_wait: global.lock_wait,
            streams: crate::stream_client(&sdk),
            capacity,
            coordinator,
        })
    }

    /// Ends the command's draw on the capacity: this process's share record is deleted, so the
    /// run's other processes take its part at once.
    pub(super) async fn close(self) {
        if let Some(coordinator) = self.coordinator
            && let Err(error) = coordinator.stop().await
        {
            tracing::warn!(%error, "could not delete this process's capacity share record");
        }
    }

    pub(super) fn migrator(&self) -> Result<Migrator, Failure> {
        let migrator = Migrator::new(self.table.clone())
            .map_err(|e| self.failure(e))?
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

    /// `error` as a command's failure, naming the endpoint.
    pub(super) fn failure(&self, error: crate::Error) -> Failure {
        Failure::migrate(error, &self.endpoint)
    }

    /// `migrator` with the checks before a run: point-in-time recovery required but against a
    /// loopback endpoint or with `--no-backup-check`; a global table with
    /// `--global-table-writer` only.
    pub(super) fn guarded(&self, migrator: Migrator, arguments: &SafetyArguments) -> Migrator {
        migrator
            .require_backup(!arguments.no_backup_check && !self.config.is_local())
            .global_table_writer(arguments.global_table_writer)
    }

    /// `migrator`, set up to share a run (`--join`) as `arguments` say.
    pub(super) fn sharing(&self, migrator: Migrator, arguments: &JoinArguments) -> Migrator {
        let migrator = migrator.lock_ttl(arguments.failover.unwrap_or(DEFAULT_FAILOVER));
        match arguments.segments {
            Some(segments) => migrator.segments(segments),
            None => migrator,
        }
    }
}

/// Fails at once when nothing answers at the endpoint (a wrong `--endpoint-url`, DynamoDB Local
/// not started), where the table's own retries would take half a minute to give up. Any answer,
/// an error included, means something is there: the command then says what is wrong with it.
async fn reachable(
    client: &dynatable_core::aws_sdk_dynamodb::Client,
    table: &str,
    endpoint: &str,
) -> Result<(), Failure> {
    use dynatable_core::aws_sdk_dynamodb::error::SdkError;
    let Err(SdkError::DispatchFailure(failure)) =
        client.describe_table().table_name(table).send().await
    else {
        return Ok(());
    };
    match failure.as_connector_error() {
        Some(connector) if connector.is_io() || connector.is_timeout() => {
            Err(Failure::Unreachable {
                endpoint: endpoint.to_owned(),
                cause: innermost(connector),
            })
        }
        _ => Ok(()),
    }
}

/// The innermost source of `error` ("Connection refused (os error 111)"), as text.
fn innermost(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |e| e.source())
        .last()
        .map_or_else(|| error.to_string(), ToString::to_string)
}
