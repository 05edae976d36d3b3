//! Client CPU per migrated item of the `migrate` binary (issue 13): the seed's pattern 5 (the
//! example's 0.5.0 `add_timestamps`, an `UpdateItem` per item) over 20,000 items through 5 ms of
//! injected latency per request, the process's user + system seconds over the items it wrote.
//!
//! `cargo bench -p dynatable-example --bench cpu_per_item [-- ITEMS [RUNS]]`. With
//! `DYNATABLE_BENCH_BASELINE=/path/to/migrate` (another build of the example's binary, e.g. of an
//! earlier commit), the two binaries alternate on fresh identical tables, 3 runs each unless
//! RUNS says, and the medians are printed side by side, with the median of the runs' own ratios
//! (each run's two binaries ran back to back, so a host that drifts during the bench moves both). The same runs time, for reference, the hand-tuned loop of
//! the raw SDK (`dynatable_tests::sdk_loops::hand_tuned`: the same updates, no guard, 64 in
//! flight), run by this bench binary as a child process. Starts its own DynamoDB Local unless
//! `DYNATABLE_ENDPOINT` is set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/seeded_table.rs"]
mod seeded_table;

use std::process::{Command, Stdio};
use std::time::Duration;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_tests::bench_figures::{machine, median, numeric_args};
use dynatable_tests::{Endpoint, Faults, Proxy, endpoint};
use seeded_table::{PHOTOS_PER_USER, create_seeded};

/// DynamoDB's default on-demand write quota of a table, per second.
const QUOTA_WCU: f64 = 40_000.0;

/// A table of `items` seeded items with 0.1.0 to 0.4.0 marked applied, so `up` runs 0.5.0 only.
/// Set in the environment of the child process that runs the raw SDK's loop.
const SDK_LOOP_CHILD: &str = "DYNATABLE_BENCH_SDK_LOOP";

async fn prepared(endpoint: &Endpoint, migrate: &str, items: usize) -> String {
    let name = format!(
        "bench-cpu-{items}-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    create_seeded(&endpoint.client().await, &name, items).await;
    for version in ["0.1.0", "0.2.0", "0.3.0", "0.4.0"] {
        let output = command(migrate, endpoint.url(), &name)
            .args(["mark", version, "applied"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    name
}

fn command(migrate: &str, url: &str, table: &str) -> Command {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        // bash's `time` reports the user and system seconds of the child it waited for.
        .arg(r#"TIMEFORMAT="cpu %3U %3S %3R"; time "$0" "$@" >/dev/null"#)
        .arg(migrate)
        .env("DYNATABLE_TABLE", table)
        .env("DYNATABLE_ENDPOINT", url)
        .env("DYNATABLE_NO_CATCH_UP", "true")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env_remove("DYNATABLE_JSON")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

/// User + system seconds and wall seconds of `migrate up` (or, with `sdk_loop`, of this binary
/// running the raw SDK's loop) on `table` through `url`.
fn run_up(migrate: &str, url: &str, table: &str, sdk_loop: bool) -> (f64, f64) {
    let output = if sdk_loop {
        let this = std::env::current_exe().unwrap();
        command(this.to_str().unwrap(), url, table)
            .env(SDK_LOOP_CHILD, "1")
            .output()
            .unwrap()
    } else {
        command(migrate, url, table).arg("up").output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "migrate up failed: {stderr}");
    let times: Vec<f64> = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("cpu "))
        .unwrap_or_else(|| panic!("no timing in {stderr}"))
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    (times[0] + times[1], times[2])
}

/// The child process of the raw SDK's loop: updates every item of `DYNATABLE_TABLE`.
async fn sdk_loop() {
    let table = std::env::var("DYNATABLE_TABLE").unwrap();
    let client = endpoint().client().await;
    let now = AttributeValue::S("2026-11-28T00:00:00.000Z".into());
    let updated = dynatable_tests::sdk_loops::hand_tuned(&client, &table, &now).await;
    assert!(updated > 0);
}

#[tokio::main]
async fn main() {
    if std::env::var_os(SDK_LOOP_CHILD).is_some() {
        return sdk_loop().await;
    }
    let [items, runs] = numeric_args([20_000, 3]);
    let items = items / (PHOTOS_PER_USER + 1) * (PHOTOS_PER_USER + 1);
    let endpoint = endpoint();
    let proxy = Proxy::start(endpoint.url(), Faults::latency(Duration::from_millis(5)))
        .await
        .unwrap();
    let migrate = env!("CARGO_BIN_EXE_migrate");
    let mut binaries = vec![("this build", migrate.to_owned())];
    if let Ok(baseline) = std::env::var("DYNATABLE_BENCH_BASELINE") {
        binaries.push(("baseline", baseline));
    }
    binaries.push(("SDK loop", migrate.to_owned()));
    println!(
        "dynatable CPU per migrated item, {}, {}, release build, DynamoDB Local at {} + 5 ms",
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        machine(),
        endpoint.url()
    );
    println!(
        "\n`migrate up` (0.5.0 add_timestamps) over {items} items, {runs} runs each, alternating"
    );
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); binaries.len()];
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); binaries.len()];
    for run in 0..runs {
        let mut order: Vec<usize> = (0..binaries.len()).collect();
        if run % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (label, path) = &binaries[i];
            let table = prepared(&endpoint, path, items).await;
            let (seconds, took) = run_up(path, proxy.url(), &table, *label == "SDK loop");
            println!(
                "   run {run}: {label:>10}: {seconds:>6.2} CPU-s, {:>5.0} µs/item, {took:>5.1} s wall",
                seconds / items as f64 * 1e6
            );
            cpu[i].push(seconds);
            wall[i].push(took);
        }
    }
    // Each run's own ratio, before the medians below sort the runs.
    let mut ratios: Vec<f64> = match &cpu[..] {
        [now, baseline, _] => now.iter().zip(baseline).map(|(a, b)| a / b).collect(),
        _ => Vec::new(),
    };
    println!(
        "\n   binary     | CPU-s | µs/item | items/s per core | cores for {QUOTA_WCU:.0} WCU/s | wall s"
    );
    let mut per_item = Vec::new();
    for (i, (label, _)) in binaries.iter().enumerate() {
        let seconds = median(&mut cpu[i]);
        let micros = seconds / items as f64 * 1e6;
        per_item.push(micros);
        println!(
            "   {label:<10} | {seconds:>5.2} | {micros:>7.0} | {:>16.0} | {:>21.1} | {:>6.1}",
            1e6 / micros,
            QUOTA_WCU * micros / 1e6,
            median(&mut wall[i])
        );
    }
    let (now, sdk_loop) = (per_item[0], per_item[per_item.len() - 1]);
    println!(
        "\n   this build / SDK loop, CPU per item: {:.2}x",
        now / sdk_loop
    );
    if let [now, baseline, _] = per_item[..] {
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "   this build / baseline, CPU per item: {:.2}x (medians); the runs' own ratios {} (median {:.2}x)",
            now / baseline,
            each.join(", "),
            median(&mut ratios)
        );
    }
}
