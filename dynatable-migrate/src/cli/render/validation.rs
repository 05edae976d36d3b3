//! `validate`: the counts per entity and class with example keys, and the summary document.

use serde_json::{Value, json};

use crate::validate::{EntityCounts, ValidationReport};

/// The summary document: counts per entity and class.
pub(in crate::cli) fn summary(report: &ValidationReport) -> Value {
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
pub(in crate::cli) fn text(table: &str, report: &ValidationReport) -> String {
    let mut text = format!("Table {table}: {} items read\n\n", report.items);
    let width = report
        .entities
        .keys()
        .map(|name| name.len())
        .chain(["entity", "(no known entity)", "(migration ledger)"].map(str::len))
        .max()
        .unwrap_or_default();
    // The key-history columns only when some item is in an earlier key shape.
    let history = report
        .entities
        .values()
        .any(|c| c.pending_rekey + c.left_behind > 0);
    text.push_str(&format!(
        "{:<width$}  {:>12}  {:>10}  {:>10}",
        "entity", "conforming", "malformed", "stale keys"
    ));
    if history {
        text.push_str(&format!("  {:>13}  {:>11}", "pending rekey", "left behind"));
    }
    text.push('\n');
    for (
        name,
        EntityCounts {
            conforming,
            malformed,
            stale_keys,
            pending_rekey,
            left_behind,
        },
    ) in &report.entities
    {
        text.push_str(&format!(
            "{name:<width$}  {conforming:>12}  {malformed:>10}  {stale_keys:>10}"
        ));
        if history {
            text.push_str(&format!("  {pending_rekey:>13}  {left_behind:>11}"));
        }
        text.push('\n');
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
