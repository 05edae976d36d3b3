//! What the benchmark binaries print beside their figures: the machine, medians, peak memory.

use std::process::Child;
use std::time::Duration;

/// The machine a bench ran on: cores and CPU model.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores, {model}")
}

/// The middle value (the mean of the two middle ones for an even count; NaN for none).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The bench's numeric arguments (`cargo bench ... -- 20000 100000`), in order; the first
/// `defaults.len()` of them, each defaulting to its place in `defaults`. Other arguments (cargo's
/// `--bench`) are passed over.
pub fn numeric_args<const N: usize>(defaults: [usize; N]) -> [usize; N] {
    let given: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut values = defaults;
    for (value, arg) in values.iter_mut().zip(given) {
        *value = arg;
    }
    values
}

/// The CPU time (user + system) this process has used so far, all its threads together: the
/// client's share of a bench that talks to a server in another process. Read from
/// `/proc/self/stat` (in the kernel's 10 ms ticks); zero where there is none.
pub fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 14th and
    // 15th of the whole line, the 12th and 13th after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Items per second.
pub fn rate(items: u64, took: Duration) -> f64 {
    items as f64 / took.as_secs_f64()
}

/// Waits for `child`, sampling its peak resident set (`VmHWM` in /proc) every 20 ms; returns
/// the peak in KiB.
///
/// # Panics
/// When the child cannot be waited for, or exits with a failure.
pub async fn peak_rss_kib(mut child: Child) -> u64 {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child
        .try_wait()
        .unwrap_or_else(|e| panic!("waiting for the child: {e}"))
        .is_none()
    {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak = peak.max(hwm);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = child
        .wait()
        .unwrap_or_else(|e| panic!("waiting for the child: {e}"));
    assert!(status.success(), "the child failed: {status}");
    peak
}
