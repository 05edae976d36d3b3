//! `up --dry-run` and `down --dry-run`: the planned writes, their cost to the table, and the
//! `--json` document.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::printer::Printer;
use crate::capacity::CapacitySettings;
use crate::dry_run_cost::DryRunCost;
use crate::migrator::DryRunReport;

/// How many planned writes a dry run shows per migration (all are in `--json`).
const SHOWN_WRITES: usize = 5;

/// `up --dry-run` / `down --dry-run`: per migration, how many writes and the first few.
fn text(report: &DryRunReport) -> String {
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

/// What the dry run's migrations would cost the table: per version and in all, with the time
/// they take within the `--capacity` budget or at `--max-rate`.
fn cost_text(
    costs: &[(String, DryRunCost)],
    total: &DryRunCost,
    max_rate: Option<u32>,
    capacity: Option<&CapacitySettings>,
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
    if let Some(settings) = capacity {
        let (writes, reads) = budget(settings);
        let time = total.time_within(writes, reads);
        let _ = writeln!(
            out,
            "Within --capacity {}% ({writes:.0} of {:.0} write units/s) the run takes about {}, \
             longer while the application's own load makes DynamoDB throttle it.",
            settings.percent,
            settings.capacity.write_units,
            humantime::format_duration(Duration::from_secs(time.as_secs().max(1)))
        );
    }
    match max_rate {
        _ if capacity.is_some() && max_rate.is_none() => {}
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

/// The write and read budgets, in units per second, of a run at `settings`.
fn budget(settings: &CapacitySettings) -> (f64, Option<f64>) {
    let fraction = settings.percent / 100.0;
    (
        settings.capacity.write_units * fraction,
        settings.capacity.read_units.map(|units| units * fraction),
    )
}

/// Prints the dry run of `command` (`up` or `down`) and its cost at `max_rate` or within
/// `capacity`; returns its `--json` document.
pub(in crate::cli) fn document(
    out: &Printer,
    command: &str,
    report: DryRunReport,
    max_rate: Option<u32>,
    capacity: Option<&CapacitySettings>,
) -> Value {
    out.text(&text(&report));
    let total = report.total_cost();
    out.text(&cost_text(&report.costs, &total, max_rate, capacity));
    let seconds_within_capacity = capacity.map(|settings| {
        let (writes, reads) = budget(settings);
        total.time_within(writes, reads).as_secs_f64()
    });
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
    json!({
        "command": command,
        "dry_run": true,
        "versions": versions,
        "writes": writes,
        "write_counts": write_counts,
        "cost": {"total": total, "versions": costs, "seconds_at_max_rate": seconds_at_max_rate, "seconds_within_capacity": seconds_within_capacity},
    })
}
