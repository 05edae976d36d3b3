//! Four processes run `migrate up --join` on one table while the test SIGKILLs and restarts them
//! at random moments (the leader among them), in every migration's shared backfill: the table
//! ends as a clean run leaves it, the ledger holds each version applied exactly once, every
//! segment of every shared backfill was finished, and every process slot did part of the work.
//!
//! CI runs it on 3,300 items with 10 kills. The size (50,000 items):
//! `DYNATABLE_JOINED_USERS=4546 cargo test --release -p dynatable-example --test it joined_crash:: -- --nocapture`
//! (50,006 items).

use crate::support;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dynatable_core::aws_sdk_dynamodb::Client;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use support::{APPLIED_LEDGER, App, comparable, setting};

const PROCESSES: usize = 4;
/// The example's migrations with a backfill, which the processes share (0.4.0 has none).
const BACKFILLED: [&str; 4] = ["0.1.0", "0.2.0", "0.3.0", "0.5.0"];

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

/// The ledger item `pk`/`sk` of `app`'s table, if there is one.
async fn ledger_item(
    client: &Client,
    app: &App,
    pk: &str,
    sk: &str,
) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .ok()?
        .item
}

/// The pid of the process holding the migration lock, if any (`user@host pid N`).
async fn leader_pid(client: &Client, app: &App) -> Option<u32> {
    let item = ledger_item(client, app, "_SCHEMA#LOCK", "LOCK").await?;
    let holder = item.get("holder")?.as_s().ok()?;
    holder.rsplit(" pid ").next()?.parse().ok()
}

/// The version whose backfill the leader announced for the processes to share, if any.
async fn shared_version(client: &Client, app: &App) -> Option<String> {
    let item = ledger_item(client, app, "_SCHEMA#MIGRATIONS", "SHARED").await?;
    item.get("version")?.as_s().ok().cloned()
}

/// The kills to land in the backfill of `BACKFILLED[index]`: `kills` spread over the four, the
/// remainder to the last (the longest: the re-key and the backfill of every item).
fn quota(kills: usize, index: usize) -> usize {
    kills / BACKFILLED.len() + usize::from(index >= BACKFILLED.len() - kills % BACKFILLED.len())
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
    let client = joined.endpoint.client().await;
    let (mut killed, mut leaders_killed) = (0, 0);
    let mut killed_in = [0usize; BACKFILLED.len()];
    // The backfill the last look found shared, and when its next kill is due.
    let (mut phase, mut next_kill) = (None, Instant::now());
    while slots.iter().any(|s| !s.finished) {
        assert!(
            started.elapsed() < Duration::from_secs(3600),
            "the joined run took over an hour"
        );
        // Each migration's share of the kills lands while its backfill is shared, so that they
        // land in every migration: the first within half a second of the backfill's announcement
        // (0.2.0's backfill can be over in two seconds), the others 0.3 to 2 s apart; a share a
        // backfill ended before is not made up later. Then the processes are left to finish.
        tokio::time::sleep(Duration::from_millis(200)).await;
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
        let Some(version) = shared_version(&client, &joined).await else {
            continue;
        };
        let Some(index) = BACKFILLED.iter().position(|v| *v == version) else {
            panic!("a shared backfill of {version}, which has none");
        };
        if phase != Some(index) {
            phase = Some(index);
            next_kill = Instant::now() + Duration::from_millis(rng.u64(0..=500));
        }
        if killed_in[index] >= quota(kills, index) || Instant::now() < next_kill {
            continue;
        }
        // A third of the kills are the leader's: whenever fewer were, and a slot's process leads.
        let leader = leader_pid(&client, &joined).await;
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
        killed_in[index] += 1;
        next_kill = Instant::now() + Duration::from_millis(rng.u64(300..=2000));
        let was_leader = Some(victim) == leading;
        leaders_killed += usize::from(was_leader);
        eprintln!(
            "{:>6.1?}: killed slot {victim} (pid {}) in {version}'s backfill{}",
            started.elapsed(),
            slot.child.id(),
            if was_leader { ", the leader" } else { "" }
        );
        let (child, log) = spawn(&joined, victim, slot.runs.len(), segments);
        slot.runs.push((child.id(), log));
        slot.child = child;
    }
    let run_time = started.elapsed();
    for (index, version) in BACKFILLED.iter().enumerate() {
        assert!(
            killed_in[index] > 0 || quota(kills, index) == 0,
            "no kill landed in {version}'s backfill: {killed_in:?} kills in {BACKFILLED:?}"
        );
    }
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
        "{} items, {PROCESSES} processes, {killed} kills ({leaders_killed} of the leader; \
         {killed_in:?} in {BACKFILLED:?}), \
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
    // The processes' output is kept only when the test fails, to read why.
    for (_, log) in slots.iter().flat_map(|slot| &slot.runs) {
        std::fs::remove_file(log).unwrap();
    }
}
