//! `migrate check`: exits 5 on schema drift, table drift (indexes, time to live, stream),
//! changed checksums, failed, interrupted or unknown
//! recorded versions, migrations left out of order, and interrupted replays (for CI).

use serde_json::{Value, json};

use crate::cli::failure::Failure;
use crate::cli::render::{Printer, emit};
use crate::cli::session::Session;
use crate::error::Error;
use crate::ledger::MigrationStatus;

/// Prints the problems found, or that there are none; fails (exit code 5) when there are.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    no_catch_up: bool,
) -> Result<Value, Failure> {
    let migrator = session.migrator()?.catch_up(!no_catch_up);
    let status = migrator.status().await.map_err(|e| session.failure(e))?;
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
    // The rule `up` refuses by; its other refusals (changed or unknown code) are listed above.
    if let Err(Error::OutOfOrder { versions, newest }) = migrator.up_plan(None).await {
        problems.push(format!(
            "{} not applied, but older than {newest}, which is: `migrate up` will not run them \
             out of order",
            versions.join(", ")
        ));
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
    let table = migrator
        .table_drift()
        .await
        .map_err(|e| session.failure(e))?;
    problems.extend(table.iter().map(|found| format!("table drift: {found}")));
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
