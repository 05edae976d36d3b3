//! `migrate enable-stream`: turns on the `KEYS_ONLY` stream that `up` and `down` follow, or
//! accepts the one the table has.

use serde_json::{Value, json};

use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::cli::session::Session;
use crate::stream::StreamEnabled;

/// Turns the stream on; returns the `--json` document.
pub(in crate::cli) async fn run(session: &Session, out: &Printer) -> Result<Value, Failure> {
    let table = session.table.name();
    let enabled = session
        .migrator()?
        .enable_stream()
        .await
        .map_err(|e| session.failure(e))?;
    let view_type = match &enabled {
        StreamEnabled::AlreadyEnabled { view_type } => {
            out.line(&format!(
                "Table {table} already has a {view_type} stream; `up` and `down` follow it."
            ));
            view_type.clone()
        }
        _ => {
            out.line(&format!("Turned on a KEYS_ONLY stream on table {table}."));
            "KEYS_ONLY".to_owned()
        }
    };
    Ok(json!({
        "table": table,
        "enabled": enabled == StreamEnabled::Enabled,
        "view_type": view_type,
    }))
}
