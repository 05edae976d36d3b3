//! `migrate up` killed with SIGKILL at random moments, then run again, ends with the table a
//! clean run gives, and one applied ledger record per version.
//!
//! CI runs a quick variant (550 items, 3 kills). The full one:
//! `DYNATABLE_CRASH_USERS=5000 DYNATABLE_CRASH_KILLS=10 cargo test --release -p dynatable-example --test it crash::killed_runs -- --nocapture`
//! (55,000 items, 10 kills).

use crate::support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{APPLIED_LEDGER, App, comparable, setting};

/// `migrate up` as a plain child process, to be killed.
fn spawn_up(app: &App) -> std::process::Child {
    app.std_command("migrate")
        .arg("up")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn killed_runs_resume_to_the_same_table() {
    let users = setting("DYNATABLE_CRASH_USERS", 50);
    let kills = setting("DYNATABLE_CRASH_KILLS", 3);
    let clean = App::new("crash-clean");
    // The killed runs follow the table's stream, so kills also land in catch-ups: the table is on
    // a DynamoDB Local of its own, as one instance copes with one stream-enabled table.
    let crashed = App::with_streams("crash", dynatable_tests::dedicated_endpoint());
    clean.create_and_seed(users, 10);
    crashed.create_and_seed(users, 10);

    let started = Instant::now();
    clean
        .migrate(&["up"])
        .timeout(Duration::from_secs(3600))
        .assert()
        .success();
    let clean_run = started.elapsed();
    let expected = comparable(clean.data().await);

    let mut rng = fastrand::Rng::with_seed(u64::try_from(users).unwrap());
    let mut killed_mid_run = 0;
    for round in 0..kills {
        let mut child = spawn_up(&crashed);
        // Each round gets a random share of a whole run's time, the shares adding up to about
        // half of it, so that the kills land while there is work left.
        #[allow(clippy::cast_precision_loss)]
        let at = clean_run.mul_f64(0.02 + rng.f64() / kills as f64);
        std::thread::sleep(at);
        match child.try_wait().unwrap() {
            None => killed_mid_run += 1,
            Some(status) => eprintln!("round {round}: the run had ended ({status})"),
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        eprintln!("round {round}: killed after {at:?}");
        // The dead run's lock stays until it expires; an operator removes it.
        crashed.migrate(&["unlock", "--force"]).assert().success();
    }
    assert!(
        killed_mid_run * 2 >= kills,
        "only {killed_mid_run} of {kills} kills landed mid-run"
    );

    crashed
        .migrate(&["up"])
        .timeout(Duration::from_secs(3600))
        .assert()
        .success();
    assert_eq!(comparable(crashed.data().await), expected);
    let status = crashed.migrate_json(&["status"], 0);
    assert_eq!(support::statuses(&status), ["applied"; 5]);
    let ledger = crashed.ledger().await;
    let keys: Vec<&str> = ledger.iter().map(|row| row["SK"].as_str()).collect();
    assert_eq!(
        keys, APPLIED_LEDGER,
        "one record per version, no checkpoint or lock left"
    );
    eprintln!(
        "{} items, clean run {clean_run:?}, {killed_mid_run} of {kills} kills mid-run",
        expected.len()
    );
}
