//! `migrate validate`: every item of the table classified against the binary's entities.

use serde_json::Value;

use crate::cli::args::GlobalOptions;
use crate::cli::failure::Failure;
use crate::cli::render::{Printer, emit, validation};
use crate::cli::session::Session;
use crate::validate::{Finding, Validator};

/// Runs the validation; with `--json`, prints every finding as a JSON line as it is found, then
/// the summary. Fails (exit code 5) when an item does not conform.
pub(in crate::cli) async fn run(
    session: &Session,
    global: &GlobalOptions,
    out: &Printer,
) -> Result<Value, Failure> {
    let mut validator =
        Validator::new(session.table.clone()).with_reporter(session.reporter.clone());
    if let Some(concurrency) = global.concurrency {
        validator = validator.segments(u32::from(concurrency));
    }
    if let Some(rate) = global.max_rate {
        validator = validator.max_rate(f64::from(rate));
    }
    // A closed stdout (a pipe to `head`) does not stop the scan: `emit` drops the lines.
    if global.json {
        validator = validator.on_finding(move |finding: &Finding| {
            if let Ok(line) = serde_json::to_string(finding) {
                emit(&format!("{line}\n"));
            }
        });
    }
    let report = session
        .finish(validator.run().await)
        .map_err(|e| Failure::migrate(e, &session.endpoint))?;
    out.text(&validation::text(session.table.name(), &report));
    let summary = validation::summary(&report);
    if report.conforms() {
        return Ok(summary);
    }
    if global.json {
        emit(&format!("{summary}\n"));
    }
    Err(Failure::NotConforming(format!(
        "{} of {} items do not conform to the entities (counts above{})",
        report.non_conforming(),
        report.items,
        if global.json {
            ""
        } else {
            "; --json lists every key"
        }
    )))
}
