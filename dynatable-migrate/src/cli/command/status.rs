//! `migrate status`: where every migration stands, the lock, unfinished replays, shared
//! backfills and schema drift.

use serde_json::Value;

use crate::cli::failure::Failure;
use crate::cli::render::{Printer, rfc3339, status};
use crate::cli::session::Session;

/// Prints the status of the table `session` opened; returns the `--json` document.
pub(in crate::cli) async fn run(session: &Session, out: &Printer) -> Result<Value, Failure> {
    let found = session
        .migrator()?
        .status()
        .await
        .map_err(|e| session.failure(e))?;
    let expires_at = found.lock.as_ref().map(|(_, ms)| rfc3339(*ms));
    out.line(&format!(
        "Table {} at {}\n",
        session.table.name(),
        session.endpoint
    ));
    out.text(&status::text(&found, expires_at.as_deref()));
    Ok(status::document(
        session.table.name(),
        &found,
        expires_at.as_deref(),
    ))
}
