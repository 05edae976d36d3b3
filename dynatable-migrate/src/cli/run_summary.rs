//! What `up` and `down` print when they are done: the versions run, the items skipped, and for a
//! dry run the planned writes and their cost.

use serde_json::{Value, json};

use super::failure::Failure;
use super::printer::Printer;
use super::render;
use crate::migrator::FollowReport;
use crate::migrator::{DryRunReport, RunReport};

pub(super) fn dry_run_document(
    out: &Printer,
    command: &str,
    report: DryRunReport,
    max_rate: Option<u32>,
) -> Result<Value, Failure> {
    out.text(&render::dry_run(&report));
    let total = report.total_cost();
    out.text(&render::dry_run_cost(&report.costs, &total, max_rate));
    let costs: serde_json::Map<String, Value> = report
        .costs
        .iter()
        .map(|(version, cost)| (version.clone(), json!(cost)))
        .collect();
    let seconds_at_max_rate = max_rate.map(|rate| total.time_at(rate).as_secs_f64());
    let versions: Vec<&String> = report.writes.iter().map(|(v, _)| v).collect();
    let writes: serde_json::Map<String, Value> = report
        .writes
        .iter()
        .map(|(version, planned)| (version.clone(), json!(planned)))
        .collect();
    let write_counts: serde_json::Map<String, Value> = report
        .write_counts
        .iter()
        .map(|(version, count)| (version.clone(), json!(count)))
        .collect();
    Ok(json!({
        "command": command,
        "dry_run": true,
        "versions": versions,
        "writes": writes,
        "write_counts": write_counts,
        "cost": {"total": total, "versions": costs, "seconds_at_max_rate": seconds_at_max_rate},
    }))
}

/// The line saying which versions `up` applied.
pub(super) fn applied(report: &RunReport) -> String {
    let versions = &report.versions;
    let applied = match versions.len() {
        0 => "Nothing was applied.".to_owned(),
        n => format!("Applied {n}: {}{}", versions.join(", "), skipped(report)),
    };
    match report.replayed {
        0 => applied,
        n => format!(
            "{applied} Replays converted {n} items changed after their migrations were applied."
        ),
    }
}

/// The line saying which versions `down` rolled back.
pub(super) fn rolled_back(report: &RunReport) -> String {
    let rolled_back = match report.versions.len() {
        0 => "Nothing was rolled back.".to_owned(),
        n => format!(
            "Rolled back {n}: {}{}",
            report.versions.join(", "),
            skipped(report)
        ),
    };
    match report.replayed {
        0 => rolled_back,
        n => format!(
            "{rolled_back} Replays converted {n} items changed after their migrations were \
             rolled back."
        ),
    }
}

/// Prints what `up --follow` or `down --follow` (`command`) did while following; returns its
/// `--json` document.
pub(super) fn followed_document(out: &Printer, command: &str, report: &FollowReport) -> Value {
    out.line(&format!(
        "Followed the table's stream in {} passes: {} items converted.",
        report.passes, report.converted
    ));
    let mut document = run_document(command, &report.run);
    document["follow"] = json!({"passes": report.passes, "converted": report.converted});
    document
}

/// The `--json` document of a run of `command` (`up` or `down`) that `report` describes.
pub(super) fn run_document(command: &str, report: &RunReport) -> Value {
    json!({
        "command": command,
        "dry_run": false,
        "versions": report.versions,
        "replayed": report.replayed,
        "skipped_malformed": report.skipped_malformed,
    })
}

/// What a run skipped, for its summary line: empty when nothing.
pub(super) fn skipped(report: &RunReport) -> String {
    if report.skipped_malformed.is_empty() {
        return String::new();
    }
    let total: u64 = report.skipped_malformed.values().sum();
    let per_version: Vec<String> = report
        .skipped_malformed
        .iter()
        .map(|(version, n)| format!("{version}: {n}"))
        .collect();
    format!(
        ". Skipped {total} malformed items ({}); `migrate status` lists them",
        per_version.join(", ")
    )
}

pub(super) fn describe_plan(plan: &[&'static crate::RegisteredMigration]) -> String {
    plan.iter()
        .map(|m| format!("{} ({})", m.version, m.name))
        .collect::<Vec<_>>()
        .join(", ")
}
