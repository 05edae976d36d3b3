//! Four processes run `migrate up --join` on one table while the test SIGKILLs and restarts them
//! at random moments (the leader among them): the table ends as a clean run leaves it, the ledger
//! holds each version applied exactly once, every segment of every shared backfill was finished,
//! and every process slot did part of the work.
//!
//! CI runs it on 3,300 items with 10 kills. The size (50,000 items):
//! `DYNATABLE_JOINED_USERS=4546 cargo test --release -p dynatable-example --test it joined_crash:: -- --nocapture`
//! (50,006 items).

use crate::support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use support::{APPLIED_LEDGER, App, comparable, setting};

const PROCESSES: usize = 4;

/// One of the four places a process runs in; a killed process is replaced by a new one.
struct Slot {
    child: Child,
    /// Every process this slot ran, by pid, with the file its output went to.
    runs: Vec<(u32, PathBuf)>,
    finished: bool,
}

fn spawn(app: &App, slot: usize, run: usize, segments: usize) -> (Child, PathBuf) {
    let log = std::env::temp_dir().join(format!("{}-slot{slot}-run{run}.log", app.table));
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let child = app
        .std_command("migrate")
        .args(["up", "--join", "--failover", "5s", "--segments"])
        .arg(segments.to_string())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    (child, log)
}

/// The pid of the process holding the migration lock, if any (`user@host pid N`).
async fn leader_pid(app: &App) -> Option<u32> {
    let client = app.endpoint.client().await;
    let item = client
        .get_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S("_SCHEMA#LOCK".to_owned()))
        .key("SK", AttributeValue::S("LOCK".to_owned()))
        .consistent_read(true)
        .send()
        .await
        .ok()?
        .item?;
    let holder = item.get("holder")?.as_s().ok()?;
    holder.rsplit(" pid ").next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_joined_processes_finish_the_run_together() {
    let users = setting("DYNATABLE_JOINED_USERS", 300);
    let kills = setting("DYNATABLE_JOINED_KILLS", 10);
    let segments = setting("DYNATABLE_JOINED_SEGMENTS", 16);
    let clean = App::new("joined-clean");
    // The joined run catches up with the table's stream: the table is on a DynamoDB Local of its
    // own, as one instance copes with one stream-enabled table.
    let joined = App::with_streams("joined", dynatable_tests::dedicated_endpoint());
    clean.create_and_seed(users, 10);
    joined.create_and_seed(users, 10);
    let clean_started = Instant::now();
    clean
        .migrate(&["up"])
        .timeout(Duration::from_secs(3600))
        .assert()
        .success();
    let clean_run = clean_started.elapsed();
    let expected = comparable(clean.data().await);

    let started = Instant::now();
    let mut slots: Vec<Slot> = (0..PROCESSES)
        .map(|slot| {
            let (child, log) = spawn(&joined, slot, 0, segments);
            Slot {
                runs: vec![(child.id(), log)],
                child,
                finished: false,
            }
        })
        .collect();
    let mut rng = fastrand::Rng::with_seed(u64::try_from(users).unwrap());
    let (mut killed, mut leaders_killed) = (0, 0);
    while slots.iter().any(|s| !s.finished) {
        assert!(
            started.elapsed() < Duration::from_secs(3600),
            "the joined run took over an hour"
        );
        // The kills spread over about half a clean run's time, so that they land in every
        // migration; then the processes are left to finish.
        #[allow(clippy::cast_precision_loss)]
        let pause = match killed < kills {
            true => clean_run.mul_f64(rng.f64() / kills as f64),
            false => Duration::ZERO,
        };
        tokio::time::sleep(pause.max(Duration::from_millis(500))).await;
        for (index, slot) in slots.iter_mut().enumerate() {
            if !slot.finished
                && let Some(status) = slot.child.try_wait().unwrap()
            {
                let (_, log) = slot.runs.last().unwrap();
                assert!(
                    status.success(),
                    "slot {index} exited with {status}:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
                slot.finished = true;
            }
        }
        if killed >= kills {
            continue;
        }
        // A third of the kills are the leader's: whenever fewer were, and a slot's process leads.
        let leader = leader_pid(&joined).await;
        let running: Vec<usize> = (0..PROCESSES).filter(|&i| !slots[i].finished).collect();
        if running.is_empty() {
            break;
        }
        let leading = running
            .iter()
            .copied()
            .find(|&i| Some(slots[i].child.id()) == leader);
        let victim = match leading {
            Some(i) if leaders_killed * 3 < killed + 1 => i,
            _ => running[rng.usize(0..running.len())],
        };
        let slot = &mut slots[victim];
        slot.child.kill().unwrap(); // SIGKILL
        slot.child.wait().unwrap();
        killed += 1;
        let was_leader = Some(victim) == leading;
        leaders_killed += usize::from(was_leader);
        eprintln!(
            "{:>6.1?}: killed slot {victim} (pid {}){}",
            started.elapsed(),
            slot.child.id(),
            if was_leader { ", the leader" } else { "" }
        );
        let (child, log) = spawn(&joined, victim, slot.runs.len(), segments);
        slot.runs.push((child.id(), log));
        slot.child = child;
    }
    let run_time = started.elapsed();
    assert!(
        killed >= kills,
        "the run ended after {killed} kills, before {kills}"
    );
    assert!(leaders_killed >= 2, "only {leaders_killed} leaders killed");

    assert_eq!(comparable(joined.data().await), expected);
    let ledger = joined.ledger().await;
    let keys: Vec<&str> = ledger.iter().map(|row| row["SK"].as_str()).collect();
    assert_eq!(
        keys, APPLIED_LEDGER,
        "one record per version; no lease, checkpoint, announcement or lock left"
    );
    assert!(ledger.iter().all(|row| row["status"] == "applied"));

    // Every shared backfill's leader said, from the leases, that all its segments were done and
    // who finished them; the last such line per backfill counts.
    let pid_slot: BTreeMap<u32, usize> = slots
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.runs.iter().map(move |(pid, _)| (*pid, i)))
        .collect();
    let mut finished_by: BTreeMap<String, Vec<(u32, usize)>> = BTreeMap::new();
    for slot in &slots {
        for (_, log) in &slot.runs {
            for line in std::fs::read_to_string(log).unwrap().lines() {
                let Some((backfill, rest)) = line.trim().split_once(": all ") else {
                    continue;
                };
                let Some((count, holders)) = rest.split_once(" segments done; finished by ") else {
                    continue;
                };
                assert_eq!(count, segments.to_string(), "{line}");

                let per_pid: Vec<(u32, usize)> = holders
                    .split(", ")
                    .map(|h| {
                        let (who, n) = h.rsplit_once(": ").unwrap();
                        let (_, pid) = who.rsplit_once(" pid ").unwrap_or_else(|| {
                            panic!("a segment is done without the finish that says who: {line}")
                        });
                        let pid = pid.parse().unwrap();
                        (pid, n.parse().unwrap())
                    })
                    .collect();
                assert_eq!(
                    per_pid.iter().map(|(_, n)| n).sum::<usize>(),
                    segments,
                    "{line}"
                );
                finished_by.insert(backfill.to_owned(), per_pid);
            }
        }
    }
    // 0.4.0 has no backfill; the other four each have one.
    assert_eq!(
        finished_by.len(),
        4,
        "shared backfills seen: {:?}",
        finished_by.keys()
    );
    let mut per_slot = [0usize; PROCESSES];
    for per_pid in finished_by.values() {
        for (pid, n) in per_pid {
            per_slot[pid_slot[pid]] += n;
        }
    }
    eprintln!(
        "{} items, {PROCESSES} processes, {killed} kills ({leaders_killed} of the leader), \
         clean run {clean_run:.1?}, joined run {run_time:.1?}; segments finished per slot: \
         {per_slot:?} of {}",
        expected.len(),
        4 * segments
    );
    for (backfill, per_pid) in &finished_by {
        eprintln!("  {backfill}: {per_pid:?} (pid, segments)");
    }
    assert!(
        per_slot.iter().all(|&n| n > 0),
        "a slot did no part of the work: {per_slot:?}"
    );
}
