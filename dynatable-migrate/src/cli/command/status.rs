//! `migrate status`: where every migration stands, the lock, unfinished replays, shared
//! backfills, schema drift and how the table differs from what the entities need.

use serde_json::Value;

use crate::capacity::RunCapacity;
use crate::cli::failure::Failure;
use crate::cli::render::{Printer, rfc3339, status};
use crate::cli::session::Session;

/// Prints the status of the table `session` opened, with how the table differs from the entities
/// (its stream counted unless `no_catch_up`); returns the `--json` document.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    no_catch_up: bool,
) -> Result<Value, Failure> {
    let migrator = session.migrator()?.catch_up(!no_catch_up);
    let found = migrator.status().await.map_err(|e| session.failure(e))?;
    let drift = migrator
        .table_drift()
        .await
        .map_err(|e| session.failure(e))?;
    let capacity = RunCapacity::of(&session.table)
        .await
        .map_err(|e| session.failure(e))?;
    let expires_at = found.lock.as_ref().map(|(_, ms)| rfc3339(*ms));
    out.line(&format!(
        "Table {} at {}\n",
        session.table.name(),
        session.endpoint
    ));
    out.text(&status::text(&found, expires_at.as_deref()));
    out.text(&status::table_drift(&drift));
    out.text(&status::run_capacity(capacity.as_ref()));
    let mut document = status::document(session.table.name(), &found, expires_at.as_deref());
    document["table_drift"] = serde_json::json!(drift);
    document["capacity"] = status::run_capacity_document(capacity.as_ref());
    Ok(document)
}
