//! How the command line shows a run: progress bars on a terminal, plain lines otherwise, nothing
//! with `--json` (messages then go to `tracing` only).

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use dynatable_core::CapacityShare;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::reporter::{LogReporter, Reporter};

/// How often a plain-line progress report is printed per migration.
const LINE_INTERVAL: Duration = Duration::from_secs(2);

/// Progress bars on the terminal: one per migration, with items, items/s and (when the total is
/// known) an ETA; messages printed above them.
#[derive(Debug)]
pub(crate) struct BarReporter {
    bars: MultiProgress,
    active: Mutex<HashMap<String, ProgressBar>>,
    /// The run's write share, shown on each bar (`--capacity`).
    capacity: Option<CapacityShare>,
}

impl BarReporter {
    /// Bars that show `capacity` when the run draws on one.
    pub(crate) fn new(capacity: Option<CapacityShare>) -> Self {
        Self {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            active: Mutex::default(),
            capacity,
        }
    }

    fn bar(&self, version: &str, total: Total) -> ProgressBar {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = active
            .entry(version.to_owned())
            .or_insert_with(|| {
                let bar = self.bars.add(ProgressBar::no_length());
                bar.set_prefix(version.to_owned());
                bar.enable_steady_tick(Duration::from_millis(200));
                bar
            })
            .clone();
        let template = match total {
            Total::Known(total) => {
                bar.set_length(total);
                "{prefix:>8} [{bar:30}] {human_pos}/{human_len} items, {rate}{capacity}, ETA {eta}"
            }
            Total::Estimated(estimate) => {
                // The estimate may be short of the truth: never let the bar run past its end.
                bar.set_length(estimate.max(bar.position()));
                "{prefix:>8} [{bar:30}] {human_pos}/~{human_len} items (estimated total), {rate}{capacity}, ETA ~{eta}"
            }
            Total::Unknown => {
                "{prefix:>8} {spinner} {human_pos} items, {rate}{capacity}, {elapsed}"
            }
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            let capacity = self.capacity.clone();
            bar.set_style(
                style
                    .with_key(
                        "capacity",
                        move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                            let _ = out.write_str(&capacity_text(capacity.as_ref()));
                        },
                    )
                    .with_key(
                        "rate",
                        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                            let _ = write!(out, "{:.0} items/s", state.per_sec());
                        },
                    )
                    .progress_chars("=> "),
            );
        }
        bar
    }

    /// Stops every bar, leaving its last state on screen.
    pub(crate) fn finish(&self) {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, bar) in active.drain() {
            bar.finish();
        }
    }
}

impl Reporter for BarReporter {
    fn message(&self, version: &str, text: &str) {
        LogReporter.message(version, text);
        if let Some(bar) = self
            .active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(version)
        {
            bar.finish();
        }
        // println on the MultiProgress keeps the line above the bars.
        let _ = self.bars.println(format!("{version:>8} {text}"));
    }

    fn progress(&self, version: &str, done: u64, total: Option<u64>) {
        LogReporter.progress(version, done, total);
        let total = total.map_or(Total::Unknown, Total::Known);
        self.bar(version, total).set_position(done);
    }

    fn progress_estimated(&self, version: &str, done: u64, estimate: u64) {
        LogReporter.progress_estimated(version, done, estimate);
        let bar = self.bar(version, Total::Estimated(estimate.max(done)));
        bar.set_position(done);
    }
}

/// `, 198 of 200 write units/s` (with `, paused` or `, yielding to throttling` when so), or
/// nothing without a capacity share.
fn capacity_text(share: Option<&CapacityShare>) -> String {
    let Some(share) = share else {
        return String::new();
    };
    let reading = share.reading();
    let state = if reading.paused {
        ", paused (migrate throttle --resume)"
    } else if reading.rate < reading.budget {
        ", yielding to throttling"
    } else {
        ""
    };
    format!(
        ", {:.0} of {:.0} write units/s{state}",
        reading.consumed_per_second, reading.budget
    )
}

/// What a bar counts towards.
#[derive(Debug, Clone, Copy)]
enum Total {
    Known(u64),
    /// The table's item count from `DescribeTable`: approximate.
    Estimated(u64),
    Unknown,
}

/// Plain lines on stdout (no escape codes): every message, and progress every few seconds.
#[derive(Debug, Default)]
pub(crate) struct LineReporter {
    /// Per migration: when its progress began, when a line was last printed.
    last: Mutex<HashMap<String, (Instant, Instant)>>,
    /// The run's write share, shown on each line (`--capacity`).
    capacity: Option<CapacityShare>,
}

impl Reporter for LineReporter {
    fn message(&self, version: &str, text: &str) {
        LogReporter.message(version, text);
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(version);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{version:>8} {text}");
    }

    fn progress(&self, version: &str, done: u64, total: Option<u64>) {
        LogReporter.progress(version, done, total);
        self.line(version, done, total.map(|t| format!("/{t}")));
    }

    fn progress_estimated(&self, version: &str, done: u64, estimate: u64) {
        LogReporter.progress_estimated(version, done, estimate);
        self.line(version, done, Some(format!("/~{estimate} (estimated)")));
    }
}

impl LineReporter {
    /// Lines that show `capacity` when the run draws on one.
    pub(crate) fn new(capacity: Option<CapacityShare>) -> Self {
        Self {
            last: Mutex::default(),
            capacity,
        }
    }

    /// Prints a progress line, at most one per [`LINE_INTERVAL`] and migration.
    fn line(&self, version: &str, done: u64, of_total: Option<String>) {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let (started, printed) = last.entry(version.to_owned()).or_insert((now, now));
        if now.duration_since(*printed) < LINE_INTERVAL {
            return;
        }
        *printed = now;
        let seconds = now.duration_since(*started).as_secs_f64().max(0.001);
        #[allow(clippy::cast_precision_loss)] // a rate for people to read
        let rate = done as f64 / seconds;
        let of_total = of_total.unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let capacity = capacity_text(self.capacity.as_ref());
        let _ = writeln!(
            out,
            "{version:>8} {done}{of_total} items, {rate:.0} items/s{capacity}"
        );
    }
}
