//! `up --join` and `down --join`: the run shared with every process started with the same
//! command, and what such a process prints when its part is over.

use serde_json::{Value, json};

use super::args::{DEFAULT_FAILOVER, JoinArguments};
use super::printer::Printer;
use super::run_summary::{applied, rolled_back, run_document};
use crate::migrator::JoinedRunReport;
use crate::migrator::Migrator;

/// `migrator`, set up to share a run as `arguments` say.
pub(super) fn sharing(migrator: Migrator, arguments: &JoinArguments) -> Migrator {
    let migrator = migrator.lock_ttl(arguments.failover.unwrap_or(DEFAULT_FAILOVER));
    match arguments.segments {
        Some(segments) => migrator.segments(segments),
        None => migrator,
    }
}

/// Prints what this process of a joined `command` did; returns the `--json` document.
pub(super) fn joined_document(out: &Printer, command: &str, report: &JoinedRunReport) -> Value {
    if report.joined_backfills > 0 {
        out.line(&format!(
            "Worked on {} backfills of another process's run: read {}, wrote {}.",
            report.joined_backfills, report.read, report.written
        ));
    }
    match (report.led, command) {
        (true, "up") => out.line(&applied(&report.run)),
        (true, _) => out.line(&rolled_back(&report.run)),
        (false, _) => {}
    }
    out.line("The joined run is complete.");
    let mut document = run_document(command, &report.run);
    document["join"] = json!({
        "led": report.led,
        "joined_backfills": report.joined_backfills,
        "read": report.read,
        "written": report.written,
    });
    document
}
