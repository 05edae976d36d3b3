//! The test proxy's capacity mode: a table's provisioned write and read units enforced as
//! DynamoDB enforces them, and what each client consumed and how often it was throttled, per
//! second.
//!
//! Each direction is a token bucket refilled at its units per second and holding at most one
//! second of them. A write takes its units before it is forwarded: one per KB started of the item
//! it puts (an update or a delete one), per item in a `BatchWriteItem` (items that do not fit come
//! back as `UnprocessedItems`; none fitting is a throttle), twice per action in a transaction. A
//! read is refused while the bucket is empty and charged afterwards, one unit per 4 KB of its
//! answer (half for an eventually consistent read). A refused request is answered with
//! `ProvisionedThroughputExceededException`. Clients are told apart by the access key their
//! requests are signed with.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde_json::Value;

/// The capacity a proxy in capacity mode enforces.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Capacity {
    /// Write units per second.
    pub write_units: f64,
    /// Read units per second.
    pub read_units: f64,
    /// A hot partition: the first `.1` writes to the partition key `.0` are throttled whatever
    /// the bucket holds (a partition over its own limit).
    pub hot_partition: Option<(&'static str, u32)>,
}

/// What one client did in one second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClientSecond {
    /// Write units consumed, but by writes to the migration ledger (`_SCHEMA#…` partitions).
    pub write_units: f64,
    /// Write units consumed by writes to the migration ledger.
    pub ledger_write_units: f64,
    /// Write requests answered (throttled ones included).
    pub writes: u64,
    /// Write requests (or batch items) throttled.
    pub writes_throttled: u64,
    /// Read units consumed.
    pub read_units: f64,
    /// Read requests throttled.
    pub reads_throttled: u64,
}

impl ClientSecond {
    /// Every write unit consumed, the ledger's included.
    pub fn all_write_units(&self) -> f64 {
        self.write_units + self.ledger_write_units
    }

    fn add(&mut self, other: &Self) {
        self.write_units += other.write_units;
        self.ledger_write_units += other.ledger_write_units;
        self.writes += other.writes;
        self.writes_throttled += other.writes_throttled;
        self.read_units += other.read_units;
        self.reads_throttled += other.reads_throttled;
    }
}

/// Per-client, per-second accounting, from the proxy's start.
#[derive(Debug, Clone, Default)]
pub struct CapacityStats {
    /// Per client (access key) and second since the proxy started.
    pub seconds: BTreeMap<(String, u64), ClientSecond>,
}

impl CapacityStats {
    /// The sum over `[from, to)` seconds of the clients whose access key `client` accepts.
    pub fn total(&self, client: impl Fn(&str) -> bool, from: u64, to: u64) -> ClientSecond {
        let mut total = ClientSecond::default();
        for ((key, second), counts) in &self.seconds {
            if client(key) && (from..to).contains(second) {
                total.add(counts);
            }
        }
        total
    }
}

/// A write request's cost and the partitions it writes.
struct WriteCost {
    units: f64,
    partitions: Vec<String>,
}

/// The buckets and the accounting.
#[derive(Debug)]
pub(crate) struct CapacityMeter {
    capacity: Capacity,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    write: Bucket,
    read: Bucket,
    hot_throttled: u32,
    stats: CapacityStats,
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    available: f64,
    refilled: Instant,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Self {
        Self {
            rate,
            available: rate,
            refilled: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.available = (self.available + elapsed * self.rate).min(self.rate);
        self.refilled = now;
    }
}

/// What the proxy does with a request in capacity mode.
pub(crate) enum Admission {
    /// Forward it as it is.
    Forward,
    /// Refuse it with `ProvisionedThroughputExceededException`.
    Throttle,
    /// Forward `body` instead (a batch with the items that fit), and answer `unprocessed` items
    /// of table `.0` as unprocessed.
    Partial {
        body: Vec<u8>,
        table: String,
        unprocessed: Vec<Value>,
    },
}

impl CapacityMeter {
    pub(crate) fn new(capacity: Capacity) -> Self {
        let now = Instant::now();
        Self {
            capacity,
            started: now,
            state: Mutex::new(State {
                write: Bucket::new(capacity.write_units, now),
                read: Bucket::new(capacity.read_units, now),
                hot_throttled: 0,
                stats: CapacityStats::default(),
            }),
        }
    }

    pub(crate) fn stats(&self) -> CapacityStats {
        self.lock().stats.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn second(&self, now: Instant) -> u64 {
        now.duration_since(self.started).as_secs()
    }

    /// The second of the accounting now.
    pub(crate) fn second_now(&self) -> u64 {
        self.second(Instant::now())
    }

    /// Decides on a request of `operation` with `body` from `client`.
    pub(crate) fn admit(&self, client: &str, operation: &str, body: &[u8]) -> Admission {
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return Admission::Forward;
        };
        match operation {
            "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" => {
                let cost = write_cost(operation, &request);
                self.take_write(client, &[cost])
                    .map_or(Admission::Throttle, |_| Admission::Forward)
            }
            "BatchWriteItem" => self.admit_batch(client, &request),
            "GetItem" | "Query" | "Scan" | "BatchGetItem" | "TransactGetItems" => {
                let now = Instant::now();
                let mut state = self.lock();
                state.read.refill(now);
                if state.read.available > 0.0 {
                    Admission::Forward
                } else {
                    let second = self.second(now);
                    entry(&mut state.stats, client, second).reads_throttled += 1;
                    Admission::Throttle
                }
            }
            _ => Admission::Forward,
        }
    }

    /// Charges a read's answer of `bytes` to `client`.
    pub(crate) fn charge_read(&self, client: &str, operation: &str, request: &[u8], bytes: usize) {
        if !matches!(
            operation,
            "GetItem" | "Query" | "Scan" | "BatchGetItem" | "TransactGetItems"
        ) {
            return;
        }
        let consistent = serde_json::from_slice::<Value>(request)
            .ok()
            .and_then(|r| r["ConsistentRead"].as_bool())
            .unwrap_or(false);
        #[allow(clippy::cast_precision_loss)]
        let units = bytes.div_ceil(4096).max(1) as f64 * if consistent { 1.0 } else { 0.5 };
        let now = Instant::now();
        let mut state = self.lock();
        state.read.refill(now);
        state.read.available -= units;
        let second = self.second(now);
        entry(&mut state.stats, client, second).read_units += units;
    }

    /// Takes the writes of `costs` from the bucket, all or none; `None` when throttled.
    fn take_write(&self, client: &str, costs: &[WriteCost]) -> Option<()> {
        let now = Instant::now();
        let mut state = self.lock();
        state.write.refill(now);
        let second = self.second(now);
        let units: f64 = costs.iter().map(|c| c.units).sum();
        let hot = self.hot(&mut state, costs);
        let throttled = hot || state.write.available < units;
        if !throttled {
            state.write.available -= units;
        }
        let counts = entry(&mut state.stats, client, second);
        counts.writes += 1;
        if throttled {
            counts.writes_throttled += 1;
            return None;
        }
        let ledger = costs
            .iter()
            .flat_map(|c| &c.partitions)
            .all(|p| p.starts_with("_SCHEMA#"));
        if ledger {
            counts.ledger_write_units += units;
        } else {
            counts.write_units += units;
        }
        Some(())
    }

    /// Whether `costs` write the hot partition while it is still throttled.
    fn hot(&self, state: &mut State, costs: &[WriteCost]) -> bool {
        let Some((partition, throttles)) = self.capacity.hot_partition else {
            return false;
        };
        let writes_it = costs
            .iter()
            .any(|c| c.partitions.iter().any(|p| p == partition));
        if writes_it && state.hot_throttled < throttles {
            state.hot_throttled += 1;
            return true;
        }
        false
    }

    /// A `BatchWriteItem`: the items that fit go on, the rest come back unprocessed.
    fn admit_batch(&self, client: &str, request: &Value) -> Admission {
        let Some((table, items)) = request["RequestItems"]
            .as_object()
            .and_then(|tables| tables.iter().next())
            .and_then(|(table, items)| Some((table.clone(), items.as_array()?.clone())))
        else {
            return Admission::Forward;
        };
        let mut accepted = Vec::new();
        let mut unprocessed = Vec::new();
        for item in items {
            let cost = batch_item_cost(&item);
            if unprocessed.is_empty() && self.take_write(client, &[cost]).is_some() {
                accepted.push(item);
            } else {
                unprocessed.push(item);
            }
        }
        if accepted.is_empty() {
            return Admission::Throttle;
        }
        if unprocessed.is_empty() {
            return Admission::Forward;
        }
        let mut body = request.clone();
        body["RequestItems"] = serde_json::json!({ table.clone(): accepted });
        Admission::Partial {
            body: serde_json::to_vec(&body).unwrap_or_default(),
            table,
            unprocessed,
        }
    }
}

fn entry<'a>(stats: &'a mut CapacityStats, client: &str, second: u64) -> &'a mut ClientSecond {
    stats
        .seconds
        .entry((client.to_owned(), second))
        .or_default()
}

/// A single write's or a transaction's cost.
fn write_cost(operation: &str, request: &Value) -> WriteCost {
    if operation == "TransactWriteItems" {
        let mut cost = WriteCost {
            units: 0.0,
            partitions: Vec::new(),
        };
        for action in request["TransactItems"].as_array().into_iter().flatten() {
            for (kind, body) in action.as_object().into_iter().flatten() {
                let single = write_cost(kind, body);
                cost.units += 2.0 * single.units;
                cost.partitions.extend(single.partitions);
            }
        }
        return cost;
    }
    let item = &request["Item"];
    let key = if item.is_object() {
        item
    } else {
        &request["Key"]
    };
    WriteCost {
        units: if item.is_object() {
            units_of(item_size(item))
        } else {
            1.0
        },
        partitions: partition(key).into_iter().collect(),
    }
}

/// One item of a `BatchWriteItem`'s cost.
fn batch_item_cost(item: &Value) -> WriteCost {
    if let Some(put) = item.get("PutRequest") {
        write_cost("Put", put)
    } else {
        write_cost("Delete", item.get("DeleteRequest").unwrap_or(&Value::Null))
    }
}

fn partition(key: &Value) -> Option<String> {
    key["PK"]["S"].as_str().map(str::to_owned)
}

#[allow(clippy::cast_precision_loss)]
fn units_of(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// An item's size as DynamoDB counts it: attribute names and values.
fn item_size(item: &Value) -> usize {
    item.as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => inner.as_str().map_or(0, |n| n.len().div_ceil(2) + 1),
        // Base64: three bytes per four characters.
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" | "NS" | "BS" => inner
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().map_or(0, str::len))
            .sum(),
        "M" => 3 + item_size(inner),
        "L" => {
            3 + inner
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| 1 + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// The access key a request is signed with, from its `Authorization` header: how the proxy tells
/// clients apart.
pub(crate) fn access_key(authorization: Option<&str>) -> String {
    authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or("unsigned")
        .to_owned()
}
