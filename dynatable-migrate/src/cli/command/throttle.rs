//! `migrate throttle --capacity PERCENT | --pause | --resume`: retunes the run in progress.

use serde_json::{Value, json};

use crate::capacity::{HEARTBEAT, throttle};
use crate::cli::args::{GlobalOptions, ThrottleArguments};
use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::cli::session::Session;

/// Sets the run's throttle as `global.capacity` and `arguments` say; returns the `--json`
/// document.
pub(in crate::cli) async fn run(
    session: &Session,
    global: &GlobalOptions,
    out: &Printer,
    arguments: &ThrottleArguments,
) -> Result<Value, Failure> {
    let paused = match (arguments.pause, arguments.resume) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    if global.capacity.is_none() && paused.is_none() {
        return Err(Failure::Usage(
            "say what to change: --capacity PERCENT, --pause or --resume".to_owned(),
        ));
    }
    let record = throttle(&session.table, global.capacity, paused)
        .await
        .map_err(|e| session.failure(e))?;
    let share = record
        .capacity_percent
        .map_or("the share it started with".to_owned(), |p| format!("{p}%"));
    out.line(&format!(
        "The run in progress on table {} {} at {share} of the table's capacity; every process \
         applies it within {} s.",
        session.table.name(),
        if record.paused {
            "is paused,"
        } else {
            "goes on"
        },
        HEARTBEAT.as_secs() * 2,
    ));
    Ok(json!({
        "command": "throttle",
        "capacity_percent": record.capacity_percent,
        "paused": record.paused,
        "set_by": record.set_by,
        "set_at": record.set_at,
    }))
}
