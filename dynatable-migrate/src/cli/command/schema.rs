//! `migrate schema [--history]`: the binary's entity schemas, and the changes each version
//! recorded.

use serde_json::Value;

use crate::cli::failure::Failure;
use crate::cli::render::{Printer, schema};
use crate::cli::session::Session;
use crate::schema_snapshot::SchemaSnapshot;

/// Prints the schemas (and with `with_history` the recorded changes); returns the `--json`
/// document.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    with_history: bool,
) -> Result<Value, Failure> {
    let migrator = session.migrator()?;
    let snapshot = SchemaSnapshot::of(migrator.entities());
    let history = match with_history {
        true => Some(migrator.history().await.map_err(|e| session.failure(e))?),
        false => None,
    };
    out.text(&schema::text(&snapshot, history.as_deref()));
    Ok(schema::document(&snapshot, history.as_deref()))
}
