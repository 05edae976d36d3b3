//! `schema`: every entity's keys and attributes, and with `--history` the changes each version
//! recorded, as text and as the `--json` document.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::ledger::MigrationRecord;
use crate::schema_snapshot::SchemaSnapshot;

/// `schema`: every entity's keys and attributes; with the history, the changes per version.
pub(in crate::cli) fn text(
    snapshot: &SchemaSnapshot,
    history: Option<&[MigrationRecord]>,
) -> String {
    let mut out = String::new();
    for (name, entity) in &snapshot.entities {
        let _ = writeln!(out, "{name}\n  PK {}\n  SK {}", entity.pk, entity.sk);
        for (index, keys) in &entity.indexes {
            let _ = writeln!(out, "  index {index}: {keys}");
        }
        for (attribute, description) in &entity.attributes {
            let _ = writeln!(out, "  {attribute}: {description}");
        }
    }
    if let Some(records) = history {
        out.push_str("\nHistory:\n");
        if records.is_empty() {
            out.push_str("  no migration has run\n");
        }
        for record in records {
            let _ = writeln!(
                out,
                "  {} {} ({}{})",
                record.version,
                record.name,
                record.status,
                record
                    .finished_at
                    .as_deref()
                    .map(|at| format!(" {at}"))
                    .unwrap_or_default()
            );
            if record.schema_changes.is_empty() {
                out.push_str("    no schema change\n");
            }
            for change in &record.schema_changes {
                let _ = writeln!(out, "    {change}");
            }
        }
    }
    out
}

/// `schema` as its `--json` document: the entities, and with `--history` the changes per version.
pub(in crate::cli) fn document(
    snapshot: &SchemaSnapshot,
    history: Option<&[MigrationRecord]>,
) -> Value {
    let mut document = json!({ "entities": snapshot.entities });
    if let Some(records) = history {
        document["history"] = records
            .iter()
            .map(|r| {
                json!({
                    "version": r.version,
                    "name": r.name,
                    "status": r.status,
                    "finished_at": r.finished_at,
                    "changes": r.schema_changes,
                })
            })
            .collect();
    }
    document
}
