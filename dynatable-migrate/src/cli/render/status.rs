//! `status`: the table of migrations, the lock, unfinished replays, shared backfills and drift,
//! as text and as the `--json` document.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::columns::table;
use crate::capacity::RunCapacity;
use crate::migrator::Status;
use crate::table_drift::TableDrift;

/// `status` as text: one row per migration, then what they failed or skipped, the lock,
/// unfinished replays, shared backfills and the schema's drift.
pub(in crate::cli) fn text(status: &Status, lock_expires_at: Option<&str>) -> String {
    let mut out = migrations_table(status);
    notes(&mut out, status);
    lock_and_replays(&mut out, status, lock_expires_at);
    shared_backfills(&mut out, status);
    schema_changes(&mut out, status);
    out
}

/// One row per migration: version, name, status, when, how long, items, checksum, reversible.
fn migrations_table(status: &Status) -> String {
    let dash = || "-".to_owned();
    let rows: Vec<Vec<String>> = status
        .migrations
        .iter()
        .map(|m| {
            let ran = m.finished_at.is_some();
            let count = |n: u64| if ran { n.to_string() } else { dash() };
            vec![
                m.version.clone(),
                m.name.clone(),
                m.status.to_string(),
                m.finished_at.clone().unwrap_or_else(dash),
                m.duration_ms
                    .map_or_else(dash, |ms| format!("{:.1}s", ms as f64 / 1000.0)),
                count(m.items_read),
                count(m.items_written),
                match (m.known, m.checksum_ok) {
                    (false, _) => "not in binary".to_owned(),
                    (true, Some(true)) => "ok".to_owned(),
                    (true, Some(false)) => "CHANGED".to_owned(),
                    (true, None) => dash(),
                },
                if m.irreversible.is_some() {
                    "no"
                } else {
                    "yes"
                }
                .to_owned(),
            ]
        })
        .collect();
    table(
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
    )
}

/// Each migration's recorded error, and the malformed items it skipped.
fn notes(out: &mut String, status: &Status) {
    for m in &status.migrations {
        if let Some(error) = &m.error {
            let _ = writeln!(out, "\n{} failed: {error}", m.version);
        }
        if m.skipped_malformed == 0 {
            continue;
        }
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

/// Who holds the lock, and the replays a run in progress saved or a killed one left.
fn lock_and_replays(out: &mut String, status: &Status, lock_expires_at: Option<&str>) {
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
}

/// Each shared backfill of a joined run: segments and shards done, and who works on which.
fn shared_backfills(out: &mut String, status: &Status) {
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
}

/// What the pending migrations will record, and the drift no migration records.
fn schema_changes(out: &mut String, status: &Status) {
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
}

/// How the table differs from what the entities need, one line each; a line saying it does not.
pub(in crate::cli) fn table_drift(drift: &[TableDrift]) -> String {
    if drift.is_empty() {
        return "Table drift: none\n".to_owned();
    }
    let mut out = String::from("Table drift (the table is not what the entities need):\n");
    for found in drift {
        let _ = writeln!(out, "  {found}");
    }
    out
}

/// The capacity the run in progress draws on (`--capacity`), when one does.
pub(in crate::cli) fn run_capacity(capacity: Option<&RunCapacity>) -> String {
    let Some(capacity) = capacity else {
        return String::new();
    };
    let Some(first) = capacity.shares.first() else {
        return String::new();
    };
    let throttled: u64 = capacity.shares.iter().map(|s| s.write_throttled).sum();
    let mut out = format!(
        "Capacity: the run in progress may use {}% of {:.0} write units/s, {} process(es): \
         {:.0} units/s consumed of a budget of {:.0}, {throttled} write(s) throttled\n",
        first.percent,
        first.table_write_units,
        capacity.shares.len(),
        capacity.write_consumed_per_second(),
        capacity.write_budget(),
    );
    for share in &capacity.shares {
        let _ = writeln!(
            out,
            "  {}: {:.0} of {:.0} units/s{}",
            share.holder,
            share.write_consumed_per_second,
            share.write_budget,
            if share.write_rate < share.write_budget {
                ", yielding to throttling"
            } else {
                ""
            }
        );
    }
    if let Some(throttle) = &capacity.throttle {
        let _ = writeln!(
            out,
            "  Throttled by {} at {}: {}{}",
            throttle.set_by,
            throttle.set_at,
            throttle
                .capacity_percent
                .map_or("the share it started with".to_owned(), |p| format!("{p}%")),
            if throttle.paused {
                ", paused (migrate throttle --resume goes on)"
            } else {
                ""
            }
        );
    }
    out
}

/// The `--json` form of [`run_capacity`]: `null` when no run draws on a capacity.
pub(in crate::cli) fn run_capacity_document(capacity: Option<&RunCapacity>) -> Value {
    capacity.map_or(Value::Null, |c| {
        json!({
            "write_consumed_per_second": c.write_consumed_per_second(),
            "write_budget": c.write_budget(),
            "processes": c.shares.iter().map(|s| json!({
                "holder": s.holder,
                "percent": s.percent,
                "paused": s.paused,
                "write_budget": s.write_budget,
                "write_rate": s.write_rate,
                "write_consumed_per_second": s.write_consumed_per_second,
                "write_throttled": s.write_throttled,
                "read_budget": s.read_budget,
                "read_consumed_per_second": s.read_consumed_per_second,
            })).collect::<Vec<_>>(),
            "throttle": c.throttle.as_ref().map(|t| json!({
                "capacity_percent": t.capacity_percent,
                "paused": t.paused,
                "set_by": t.set_by,
                "set_at": t.set_at,
            })),
        })
    })
}

/// `status` as its `--json` document (shape in the [`cli`](crate::cli) docs).
pub(in crate::cli) fn document(
    table: &str,
    status: &Status,
    lock_expires_at: Option<&str>,
) -> Value {
    let migrations: Vec<Value> = status
        .migrations
        .iter()
        .map(|m| {
            json!({
                "version": m.version,
                "name": m.name,
                "status": m.status,
                "finished_at": m.finished_at,
                "duration_ms": m.duration_ms,
                "items_read": m.items_read,
                "items_written": m.items_written,
                "checksum": m.checksum_ok.map(|ok| if ok { "ok" } else { "changed" }),
                "known": m.known,
                "irreversible": m.irreversible,
                "error": m.error,
                "skipped_malformed": m.skipped_malformed,
                "skipped_items": m.skipped_items,
            })
        })
        .collect();
    json!({
        "table": table,
        "migrations": migrations,
        "lock": status.lock.as_ref().map(|(holder, _)| json!({"holder": holder, "expires_at": lock_expires_at})),
        "drift": status.drift.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "pending_changes": status.pending_changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "shared_backfills": status.shared_backfills,
        "unfinished_replays": status.unfinished_replays,
        "unfinished_rollback_replays": status.unfinished_rollback_replays,
    })
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
        let text = super::text(&status, None);
        for told in [
            "Replay of 0.3.0 not finished (saved by a `migrate up` in progress",
            "the next `migrate up` finishes it)",
            "Replay of the rollbacks of 0.5.0, 0.4.0 not finished (",
            "the next `migrate down` finishes it)",
        ] {
            assert!(text.contains(told), "{told}: {text}");
        }
        let quiet = super::text(
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
        let text = super::text(&status, Some("2026-11-27T14:00:00.000Z"));
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
