//! What `up` and `down` print when they are done: the versions run, the items skipped, the
//! follow period, this process's part of a joined run; and the plan they ask to confirm.

use serde_json::{Value, json};

use super::printer::Printer;
use crate::migrator::{FollowReport, JoinedRunReport, RunReport};

/// The line saying which versions `up` applied.
pub(in crate::cli) fn applied(report: &RunReport) -> String {
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
pub(in crate::cli) fn rolled_back(report: &RunReport) -> String {
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
pub(in crate::cli) fn followed_document(
    out: &Printer,
    command: &str,
    report: &FollowReport,
) -> Value {
    out.line(&format!(
        "Followed the table's stream in {} passes: {} items converted.",
        report.passes, report.converted
    ));
    let mut document = run_document(command, &report.run);
    document["follow"] = json!({"passes": report.passes, "converted": report.converted});
    document
}

/// The `--json` document of a run of `command` (`up` or `down`) that `report` describes.
pub(in crate::cli) fn run_document(command: &str, report: &RunReport) -> Value {
    json!({
        "command": command,
        "dry_run": false,
        "versions": report.versions,
        "replayed": report.replayed,
        "skipped_malformed": report.skipped_malformed,
    })
}

/// What a run skipped, for its summary line: empty when nothing.
fn skipped(report: &RunReport) -> String {
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

/// The versions and names of `plan`, for the question that asks to confirm it.
pub(in crate::cli) fn describe_plan(plan: &[&'static crate::RegisteredMigration]) -> String {
    plan.iter()
        .map(|m| format!("{} ({})", m.version, m.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints what this process of a joined `command` did; returns the `--json` document.
pub(in crate::cli) fn joined_document(
    out: &Printer,
    command: &str,
    report: &JoinedRunReport,
) -> Value {
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
