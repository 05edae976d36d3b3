//! Text for people: the status table, schemas, dry-run reports.

use std::fmt::Write as _;
use std::time::Duration;

use crate::dry_run_cost::DryRunCost;
use crate::ledger::MigrationRecord;
use crate::migrator::DryRunReport;
use crate::migrator::Status;
use crate::schema_snapshot::SchemaSnapshot;

/// How many planned writes a dry run shows per migration (all are in `--json`).
const SHOWN_WRITES: usize = 5;

/// Left-aligned columns wide enough for every cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (cell, width) in cells.zip(&widths) {
            let _ = write!(text, "{cell:<width$}  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// `status`: one row per migration, then the lock and the drift.
pub(crate) fn status(status: &Status, lock_expires_at: Option<&str>) -> String {
    let dash = || "-".to_owned();
    let rows: Vec<Vec<String>> = status
        .migrations
        .iter()
        .map(|m| {
            let ran = m.finished_at.is_some();
            vec![
                m.version.clone(),
                m.name.clone(),
                m.status.to_string(),
                m.finished_at.clone().unwrap_or_else(dash),
                m.duration_ms
                    .map_or_else(dash, |ms| format!("{:.1}s", ms as f64 / 1000.0)),
                if ran {
                    m.items_read.to_string()
                } else {
                    dash()
                },
                if ran {
                    m.items_written.to_string()
                } else {
                    dash()
                },
                match (m.known, m.checksum_ok) {
                    (false, _) => "not in binary".to_owned(),
                    (true, Some(true)) => "ok".to_owned(),
                    (true, Some(false)) => "CHANGED".to_owned(),
                    (true, None) => dash(),
                },
                if m.irreversible.is_some() {
                    "no".to_owned()
                } else {
                    "yes".to_owned()
                },
            ]
        })
        .collect();
    let mut out = table(
        &[
            "VERSION",
            "NAME",
            "STATUS",
            "FINISHED AT",
            "DURATION",
            "READ",
            "WRITTEN",
            "CHECKSUM",
            "REVERSIBLE",
        ],
        &rows,
    );
    for m in &status.migrations {
        if let Some(error) = &m.error {
            let _ = writeln!(out, "\n{} failed: {error}", m.version);
        }
        if m.skipped_malformed > 0 {
            let _ = writeln!(
                out,
                "\n{} skipped {} malformed items{}:",
                m.version,
                m.skipped_malformed,
                if m.skipped_malformed > m.skipped_items.len() as u64 {
                    format!(" (the first {} listed)", m.skipped_items.len())
                } else {
                    String::new()
                }
            );
            for item in &m.skipped_items {
                let key = match (&item.pk, &item.sk) {
                    (Some(pk), Some(sk)) => format!("PK={pk:?} SK={sk:?}"),
                    _ => "(no string PK/SK)".to_owned(),
                };
                let _ = writeln!(out, "  {key}: {}", item.reason);
            }
        }
    }
    match (&status.lock, lock_expires_at) {
        (Some((holder, _)), Some(until)) => {
            let _ = writeln!(out, "\nLock: held by {holder} until {until}");
        }
        _ => out.push_str("\nLock: free\n"),
    }
    for (replay, run) in status.unfinished() {
        let _ = writeln!(
            out,
            "Replay of {replay} not finished (saved by a `migrate {run}` in progress, or left by one \
             that was killed: the next `migrate {run}` finishes it)"
        );
    }
    for shared in &status.shared_backfills {
        let _ = write!(
            out,
            "Shared backfill {}: {} of {} segments done",
            shared.work, shared.done, shared.segments
        );
        if shared.shards > 0 {
            let _ = write!(
                out,
                ", {} of {} stream shards caught up",
                shared.shards_done, shared.shards
            );
        }
        out.push('\n');
        for process in &shared.processes {
            let mut parts = Vec::new();
            if !process.segments.is_empty() {
                let segments: Vec<String> = process.segments.iter().map(u32::to_string).collect();
                parts.push(format!("works on segments {}", segments.join(", ")));
            }
            if !process.shards.is_empty() {
                parts.push(format!("reads shards {}", process.shards.join(", ")));
            }
            let _ = writeln!(out, "  {} {}", process.holder, parts.join("; "));
        }
    }
    if !status.pending_changes.is_empty() {
        let _ = writeln!(
            out,
            "Schema changes the pending migrations will record: {}",
            status.pending_changes.len()
        );
    }
    if status.drift.is_empty() {
        out.push_str("Schema drift: none\n");
    } else {
        out.push_str("Schema drift (entity changes no migration records):\n");
        for change in &status.drift {
            let _ = writeln!(out, "  {change}");
        }
    }
    out
}

/// `up --dry-run` / `down --dry-run`: per migration, how many writes and the first few.
pub(crate) fn dry_run(report: &DryRunReport) -> String {
    let mut out = String::new();
    if report.writes.is_empty() {
        out.push_str("Nothing to run.\n");
    }
    for ((version, planned), (_, count)) in report.writes.iter().zip(&report.write_counts) {
        let _ = writeln!(out, "{version}: would make {count} writes");
        for write in planned.iter().take(SHOWN_WRITES) {
            let _ = write!(out, "  {}", write.operation);
            if let Some(key) = &write.key {
                let _ = write!(out, " {key}");
            }
            if let Some(expression) = &write.expression {
                let _ = write!(out, " {expression}");
            }
            out.push('\n');
        }
        let shown = planned.len().min(SHOWN_WRITES) as u64;
        if *count > shown {
            let listed = match planned.len() as u64 == *count {
                true => "them all".to_owned(),
                false => format!("the first {}", planned.len()),
            };
            let _ = writeln!(
                out,
                "  ... and {} more (--json lists {listed})",
                count - shown
            );
        }
    }
    out.push_str(
        "Dry run: nothing was written. Each migration read the table as it is now, without the \
         writes of the ones before it.\n",
    );
    out
}

/// `schema`: every entity's keys and attributes; with the history, the changes per version.
pub(crate) fn schema(snapshot: &SchemaSnapshot, history: Option<&[MigrationRecord]>) -> String {
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

/// What the dry run's migrations would cost the table: per version and in all, with the time
/// the writes take at `--max-rate`.
pub(crate) fn dry_run_cost(
    costs: &[(String, DryRunCost)],
    total: &DryRunCost,
    max_rate: Option<u32>,
) -> String {
    let line = |cost: &DryRunCost| {
        format!(
            "reads {} items ({:.1} MB, {:.0} RCU), writes {} items ({:.0} WCU)",
            cost.items_read,
            cost.bytes_read as f64 / 1_000_000.0,
            cost.read_units,
            cost.items_written,
            cost.write_units
        )
    };
    let mut out = String::from("\nCost to the table (capacity units from item sizes):\n");
    for (version, cost) in costs {
        let _ = writeln!(out, "  {version}: {}", line(cost));
    }
    if costs.len() > 1 {
        let _ = writeln!(out, "  in all: {}", line(total));
    }
    match max_rate {
        Some(rate) => {
            let time = total.time_at(rate);
            let _ = writeln!(
                out,
                "At --max-rate {rate} items/s the writes take about {}.",
                humantime::format_duration(Duration::from_secs(time.as_secs().max(1)))
            );
        }
        None => out.push_str(
            "Without --max-rate the run writes as fast as the table takes it; give one to pace it \
             (and to see how long it takes).\n",
        ),
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::migrator::Status;
    use crate::shared_progress::{ProcessSegments, SharedBackfillProgress};

    #[test]
    fn status_tells_of_unfinished_replays_and_which_command_finishes_them() {
        let status = Status {
            migrations: Vec::new(),
            lock: None,
            drift: Vec::new(),
            pending_changes: Vec::new(),
            unfinished_replays: vec!["0.3.0".to_owned()],
            unfinished_rollback_replays: vec!["0.5.0".to_owned(), "0.4.0".to_owned()],
            shared_backfills: Vec::new(),
        };
        let text = super::status(&status, None);
        for told in [
            "Replay of 0.3.0 not finished (saved by a `migrate up` in progress",
            "the next `migrate up` finishes it)",
            "Replay of the rollbacks of 0.5.0, 0.4.0 not finished (",
            "the next `migrate down` finishes it)",
        ] {
            assert!(text.contains(told), "{told}: {text}");
        }
        let quiet = super::status(
            &Status {
                unfinished_replays: Vec::new(),
                unfinished_rollback_replays: Vec::new(),
                ..status
            },
            None,
        );
        assert!(!quiet.contains("Replay of"), "{quiet}");
    }

    #[test]
    fn status_shows_the_processes_of_a_shared_backfill_and_their_segments() {
        let status = Status {
            migrations: Vec::new(),
            lock: Some(("ops@host-a pid 7".to_owned(), 0)),
            drift: Vec::new(),
            pending_changes: Vec::new(),
            unfinished_replays: Vec::new(),
            unfinished_rollback_replays: Vec::new(),
            shared_backfills: vec![SharedBackfillProgress {
                work: "0.3.0#photos".to_owned(),
                segments: 64,
                done: 40,
                shards: 2,
                shards_done: 1,
                processes: vec![
                    ProcessSegments {
                        holder: "ops@host-a pid 7".to_owned(),
                        segments: vec![41],
                        shards: vec!["shardId-0002".to_owned()],
                    },
                    ProcessSegments {
                        holder: "ops@host-b pid 9".to_owned(),
                        segments: vec![42, 43],
                        shards: Vec::new(),
                    },
                ],
            }],
        };
        let text = super::status(&status, Some("2026-11-27T14:00:00.000Z"));
        assert!(
            text.contains("Lock: held by ops@host-a pid 7 until"),
            "{text}"
        );
        assert!(
            text.contains(
                "Shared backfill 0.3.0#photos: 40 of 64 segments done, 1 of 2 stream shards \
                 caught up\n  \
                 ops@host-a pid 7 works on segments 41; reads shards shardId-0002\n  \
                 ops@host-b pid 9 works on segments 42, 43\n"
            ),
            "{text}"
        );
    }
}
