//! `migrate unlock [--force]`: removes an expired migration lock, or with `--force` a live one.

use serde_json::{Value, json};

use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::cli::session::Session;

/// Removes the lock (a live one only when `force`); returns the `--json` document.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    force: bool,
) -> Result<Value, Failure> {
    let removed = session
        .migrator()?
        .unlock(force)
        .await
        .map_err(|e| session.failure(e))?;
    out.line(if removed {
        "Removed the migration lock."
    } else {
        "The migration lock was not held."
    });
    Ok(json!({ "removed": removed }))
}
