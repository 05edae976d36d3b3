//! `migrate validate`: every item of the table classified against the binary's entities.

use serde_json::{Value, json};

use super::args::GlobalOptions;
use super::emit;
use super::failure::Failure;
use super::printer::Printer;
use super::session::Session;
use crate::validate::{EntityCounts, Finding, ValidationReport, Validator};

/// Runs the validation; with `--json`, prints every finding as a JSON line as it is found, then
/// the summary. Fails (exit code 5) when an item does not conform.
pub(super) async fn validate(
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
    out.text(&render(session.table.name(), &report));
    let summary = summary(&report);
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

/// The summary document: counts per entity and class.
fn summary(report: &ValidationReport) -> Value {
    json!({
        "summary": {
            "items": report.items,
            "conforms": report.conforms(),
            "non_conforming": report.non_conforming(),
            "entities": report.entities,
            "unknown_entity": report.unknown_entity,
            "ledger": report.ledger,
        }
    })
}

/// The human report: a row per entity, then the other classes, then example keys.
fn render(table: &str, report: &ValidationReport) -> String {
    let mut text = format!("Table {table}: {} items read\n\n", report.items);
    let width = report
        .entities
        .keys()
        .map(|name| name.len())
        .chain(["entity", "(no known entity)", "(migration ledger)"].map(str::len))
        .max()
        .unwrap_or_default();
    text.push_str(&format!(
        "{:<width$}  {:>12}  {:>10}  {:>10}\n",
        "entity", "conforming", "malformed", "stale keys"
    ));
    for (
        name,
        EntityCounts {
            conforming,
            malformed,
            stale_keys,
        },
    ) in &report.entities
    {
        text.push_str(&format!(
            "{name:<width$}  {conforming:>12}  {malformed:>10}  {stale_keys:>10}\n"
        ));
    }
    text.push_str(&format!(
        "{:<width$}  {:>12}\n{:<width$}  {:>12}\n",
        "(no known entity)", report.unknown_entity, "(migration ledger)", report.ledger
    ));
    if !report.examples.is_empty() {
        text.push_str("\nExamples:\n");
        for finding in &report.examples {
            let key = match finding.key() {
                Some(key) => key.to_string(),
                None => "(no string PK/SK)".to_owned(),
            };
            text.push_str(&format!(
                "  {} {}{}: {}\n",
                finding.class.as_str(),
                finding.entity.map(|e| format!("{e} ")).unwrap_or_default(),
                key,
                finding.reason
            ));
        }
    }
    text.push('\n');
    text.push_str(&if report.conforms() {
        "Every item conforms to its entity.\n".to_owned()
    } else {
        format!("{} items do not conform.\n", report.non_conforming())
    });
    text
}
