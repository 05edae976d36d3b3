//! `migrate mark VERSION STATUS`: records a version's status without running it (repair).

use serde_json::{Value, json};

use crate::cli::args::MarkStatus;
use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::cli::session::Session;
use crate::ledger::MigrationStatus;

/// Records `version` as `status`; returns the `--json` document.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    version: &str,
    status: MarkStatus,
) -> Result<Value, Failure> {
    let status = MigrationStatus::from(status);
    session
        .migrator()?
        .mark(version, status)
        .await
        .map_err(|e| session.failure(e))?;
    out.line(&format!("Recorded {version} as {status}."));
    Ok(json!({"version": version, "status": status}))
}
