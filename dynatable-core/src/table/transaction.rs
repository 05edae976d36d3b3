//! `TransactWriteItems` on one table, and `transact_units` packing units of writes into
//! transactions.

use std::collections::HashSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, TransactWriteItem};
use futures::{Stream, StreamExt, TryStreamExt};

use super::bulk_report::{BulkError, BulkReport, Counters};
use super::capacity_share::{Ticket, partition_of};
use super::concurrent::run_concurrent;
use super::condition::Condition;
use super::error::{CancellationReason, Error, ErrorKind, Operation, Result};
use super::handle::Table;
use super::write::Write;
use super::write_op::{Rendered, WriteOp};
use crate::codec::Item;
use crate::key::PrimaryKey;

/// The most actions DynamoDB accepts in one `TransactWriteItems`.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

/// A `TransactWriteItems` on one table: all its writes happen, or none. Built by
/// [`Table::transaction`].
///
/// More than [`MAX_TRANSACTION_ACTIONS`] actions is an error before anything is sent. Every
/// transaction carries a `ClientRequestToken` (a new ULID unless given), kept across retries, so a
/// retry after a lost response is not applied twice. A canceled transaction's error lists the
/// reason of each failed action.
#[derive(Debug, Clone)]
#[must_use = "a Transaction does nothing until it is sent"]
pub struct Transaction {
    table: Table,
    writes: Vec<Write>,
    token: Option<String>,
}

/// The outcome of sending one transaction.
enum Sent {
    Applied,
    /// Canceled because these actions' conditions failed (and nothing else).
    ConditionsFailed(Vec<CancellationReason>),
}

/// The outcome of sending one unit of writes ([`Table::send_unit`]).
pub(crate) enum UnitSent {
    /// Written; a single update asked to return its item returns it.
    Applied { new_item: Option<Item> },
    /// Refused because conditions failed: nothing was written.
    ConditionFailed,
}

impl Transaction {
    pub(crate) fn new(table: Table) -> Self {
        Self {
            table,
            writes: Vec::new(),
            token: None,
        }
    }

    /// Adds a write (a [`Put`](super::Put), [`Update`](super::Update) or
    /// [`Delete`](super::Delete)).
    pub fn write(mut self, write: impl Into<Write>) -> Self {
        self.writes.push(write.into());
        self
    }

    /// Adds a check that `condition` holds for the item with `key`, without writing it.
    pub fn condition_check<E>(self, key: PrimaryKey, condition: Condition<E>) -> Self {
        self.write(Write::condition_check(key, condition))
    }

    /// The idempotency token (default: a new ULID).
    pub fn client_request_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The number of actions.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Whether there is no action.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Sends the transaction (nothing when empty), retrying conflicts and throttling.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyActions`] before sending anything; [`ErrorKind::TransactionCanceled`]
    /// with one reason per failed action.
    pub async fn send(self) -> Result<()> {
        match self.send_checked().await? {
            Sent::Applied => Ok(()),
            Sent::ConditionsFailed(reasons) => Err(self.canceled(reasons)),
        }
    }

    fn canceled(&self, reasons: Vec<CancellationReason>) -> Error {
        self.table.error(
            Operation::Transaction,
            None,
            ErrorKind::TransactionCanceled { reasons },
        )
    }

    async fn send_checked(&self) -> Result<Sent> {
        if self.writes.len() > MAX_TRANSACTION_ACTIONS {
            return Err(self.table.error(
                Operation::Transaction,
                None,
                ErrorKind::TooManyActions {
                    actions: self.writes.len(),
                    max: MAX_TRANSACTION_ACTIONS,
                },
            ));
        }
        if self.writes.is_empty() {
            return Ok(Sent::Applied);
        }
        let rendered = self
            .writes
            .iter()
            .map(|w| w.render(&self.table))
            .collect::<Result<Vec<Rendered<'_>>>>()?;
        let token = self
            .token
            .clone()
            .unwrap_or_else(|| ulid::Ulid::new().to_string());
        if let Some(limiter) = self.table.rate_limiter() {
            limiter.acquire(2.0 * rendered.len() as f64).await;
        }
        let table = &self.table;
        let share = table.write_capacity();
        // A transaction costs each of its writes twice.
        let estimated: f64 = 2.0 * self.writes.iter().map(Write::estimated_units).sum::<f64>();
        let result = table
            .backoff()
            .retry(|| async {
                // Every attempt takes its units, as a single write's do.
                let ticket = match share {
                    Some(share) => share.acquire(estimated).await,
                    None => Ticket::default(),
                };
                let sent = self.send_once(&rendered, &token, share.is_some()).await;
                if let (Err(e), Some(share)) = (&sent, share)
                    && e.is_throttled()
                {
                    for write in &self.writes {
                        share.throttled(partition_of(&write.key.pk), ticket);
                    }
                }
                sent
            })
            .await;
        if let (Some(share), Ok(consumed)) = (share, &result) {
            share.settle(estimated, consumed.unwrap_or(0.0));
        }
        match result {
            Ok(_) => Ok(Sent::Applied),
            Err(e) => match e.kind() {
                ErrorKind::TransactionCanceled { reasons }
                    if !reasons.is_empty()
                        && reasons.iter().all(|r| r.code == "ConditionalCheckFailed") =>
                {
                    Ok(Sent::ConditionsFailed(reasons.clone()))
                }
                _ => Err(e),
            },
        }
    }

    /// One attempt: the transaction of the writes as `rendered`, directly when the table has
    /// direct requests, else through the SDK. The capacity it consumed, when `capacity`.
    async fn send_once(
        &self,
        rendered: &[Rendered<'_>],
        token: &str,
        capacity: bool,
    ) -> Result<Option<f64>> {
        let table = &self.table;
        if let Some(direct) = table.direct() {
            let actions: Vec<(&WriteOp, &Rendered<'_>)> =
                self.writes.iter().map(|w| &w.op).zip(rendered).collect();
            let sent = direct
                .transact(table.name(), &actions, token, capacity)
                .await
                .map_err(|kind| table.error(Operation::Transaction, None, kind))?;
            if let Some(consumed) = sent {
                return Ok(consumed);
            }
        }
        let items = self
            .writes
            .iter()
            .zip(rendered)
            .map(|(w, r)| w.transact_item(table, r))
            .collect::<Result<Vec<TransactWriteItem>>>()?;
        let output = table
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .set_return_consumed_capacity(capacity.then_some(ReturnConsumedCapacity::Indexes))
            .send()
            .await
            .map_err(|e| transaction_error(table, e))?;
        Ok(capacity.then(|| {
            output
                .consumed_capacity()
                .iter()
                .filter_map(|c| c.capacity_units())
                .sum()
        }))
    }
}

fn transaction_error(
    table: &Table,
    error: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Error {
    if let SdkError::ServiceError(service) = &error
        && let TransactWriteItemsError::TransactionCanceledException(canceled) = service.err()
    {
        let reasons = canceled
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter_map(|(index, r)| CancellationReason::of_action(index, r.code(), r.message()))
            .collect();
        return table.error(
            Operation::Transaction,
            None,
            ErrorKind::TransactionCanceled { reasons },
        );
    }
    Error::from_sdk(Operation::Transaction, table.name(), None, error)
}

impl Table {
    /// Sends `writes` as one request: a single write alone, several as a transaction.
    /// [`UnitSent::ConditionFailed`] when it was refused only because conditions failed (nothing
    /// was written). With `return_new`, a single update returns the item it wrote.
    pub(crate) async fn send_unit(&self, writes: Vec<Write>, return_new: bool) -> Result<UnitSent> {
        if let [write] = writes.as_slice() {
            return match write.execute_returning(self, return_new).await {
                Ok(new_item) => Ok(UnitSent::Applied { new_item }),
                Err(e) if e.is_conditional_check_failed() => Ok(UnitSent::ConditionFailed),
                Err(e) => Err(e),
            };
        }
        let transaction = Transaction {
            table: self.clone(),
            writes,
            token: None,
        };
        // Boxed: a transaction's future is several kilobytes, and inline it would make the
        // future of every single write as large (the bulk drivers copy each into their task set).
        match Box::pin(transaction.send_checked()).await? {
            Sent::Applied => Ok(UnitSent::Applied { new_item: None }),
            Sent::ConditionsFailed(_) => Ok(UnitSent::ConditionFailed),
        }
    }

    /// Applies many independent units of writes (say the delete and the put that re-key one
    /// item) in transactions: whole units are packed into transactions of at most
    /// [`MAX_TRANSACTION_ACTIONS`] actions and about 3.6 MB (DynamoDB takes 4 MB), never
    /// splitting a unit nor putting two writes of one item in the same transaction, several
    /// transactions in flight. Each transaction has its own
    /// `ClientRequestToken`. A unit whose condition fails is skipped (the other units of its
    /// transaction are sent again without it), so re-running an idempotent migration is safe.
    ///
    /// # Errors
    /// A [`BulkError`] with the report: a unit larger than one transaction, a read error, or a
    /// transaction that fails for another reason than its units' conditions. No transaction is
    /// sent after the error; the ones in flight finish first, so the report counts them.
    pub async fn transact_units<S>(&self, units: S) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = Result<Vec<Write>>> + Send,
    {
        let counters = Counters::default();
        let packed = pack_units(self, units.inspect_ok(|_| Counters::add(&counters.read, 1)));
        let result = run_concurrent(packed, self.concurrency(), |units| {
            self.send_units(units, &counters)
        })
        .await;
        counters.finish(result)
    }

    /// Sends one packed transaction; units whose conditions fail are dropped and the rest resent.
    async fn send_units(&self, mut units: Vec<Vec<Write>>, counters: &Counters) -> Result<()> {
        loop {
            if units.is_empty() {
                return Ok(());
            }
            let transaction = Transaction {
                table: self.clone(),
                writes: units.iter().flatten().cloned().collect(),
                token: None,
            };
            Counters::add(&counters.requests, 1);
            match transaction.send_checked().await {
                Ok(Sent::Applied) => {
                    Counters::add(&counters.written, units.len());
                    return Ok(());
                }
                Ok(Sent::ConditionsFailed(reasons)) => {
                    let mut failed_units = HashSet::new();
                    let mut start = 0;
                    for (unit, writes) in units.iter().enumerate() {
                        if reasons
                            .iter()
                            .any(|r| (start..start + writes.len()).contains(&r.index))
                        {
                            failed_units.insert(unit);
                        }
                        start += writes.len();
                    }
                    Counters::add(&counters.skipped, failed_units.len());
                    let before = units.len();
                    let mut index = 0;
                    units.retain(|_| {
                        let keep = !failed_units.contains(&index);
                        index += 1;
                        keep
                    });
                    Counters::add(&counters.retried, units.len());
                    if units.len() == before {
                        // No unit could be blamed: report rather than loop.
                        return Err(transaction.canceled(reasons));
                    }
                }
                Err(e) => {
                    Counters::add(&counters.failed, units.len());
                    return Err(e);
                }
            }
        }
    }
}

/// The payload a packed transaction is kept under: DynamoDB refuses transactions over 4 MB
/// ("Transaction payload size cannot exceed 4MB"), and a tenth is left for what its count adds
/// beyond the items, expressions and values [`Write::size`] adds up.
const MAX_PACKED_BYTES: usize = 4 * 1024 * 1024 / 10 * 9;

/// Units being packed into one transaction.
#[derive(Default)]
struct Packing {
    units: Vec<Vec<Write>>,
    actions: usize,
    bytes: usize,
}

impl Packing {
    /// Whether `unit` (of `bytes`) may join the units packed so far.
    fn fits(&self, unit: &[Write], bytes: usize) -> bool {
        let keys: HashSet<&PrimaryKey> = self.units.iter().flatten().map(Write::key).collect();
        let clash = unit.iter().any(|w| keys.contains(w.key()));
        !clash
            && self.actions + unit.len() <= MAX_TRANSACTION_ACTIONS
            && self.bytes + bytes <= MAX_PACKED_BYTES
    }

    fn add(&mut self, unit: Vec<Write>, bytes: usize) {
        self.actions += unit.len();
        self.bytes += bytes;
        self.units.push(unit);
    }
}

/// Packs units into transactions of at most [`MAX_TRANSACTION_ACTIONS`] actions and about
/// 3.6 MB, in order, never splitting a unit nor putting two writes of one key in one
/// transaction (a unit larger than 3.6 MB goes alone).
fn pack_units(
    table: &Table,
    units: impl Stream<Item = Result<Vec<Write>>> + Send,
) -> impl Stream<Item = Result<Vec<Vec<Write>>>> + Send {
    let table = table.clone();
    futures::stream::unfold(
        (Box::pin(units), Packing::default(), false, table),
        |(mut units, mut packing, mut ended, table)| async move {
            loop {
                if ended {
                    if packing.units.is_empty() {
                        return None;
                    }
                    let full = std::mem::take(&mut packing).units;
                    return Some((Ok(full), (units, packing, true, table)));
                }
                match units.next().await {
                    None => ended = true,
                    Some(Err(e)) => {
                        return Some((Err(e), (units, Packing::default(), true, table)));
                    }
                    Some(Ok(unit)) if unit.len() > MAX_TRANSACTION_ACTIONS => {
                        let error = table.error(
                            Operation::Transaction,
                            unit.first().map(|w| w.key().clone()),
                            ErrorKind::UnitTooLarge {
                                actions: unit.len(),
                                max: MAX_TRANSACTION_ACTIONS,
                            },
                        );
                        return Some((Err(error), (units, Packing::default(), true, table)));
                    }
                    Some(Ok(unit)) if unit.is_empty() => {}
                    Some(Ok(unit)) => {
                        let bytes = unit.iter().map(Write::size).sum();
                        if packing.units.is_empty() || packing.fits(&unit, bytes) {
                            packing.add(unit, bytes);
                            continue;
                        }
                        let full = std::mem::take(&mut packing).units;
                        packing.add(unit, bytes);
                        return Some((Ok(full), (units, packing, false, table)));
                    }
                }
            }
        },
    )
}

impl Table {
    /// A transaction on this table.
    pub fn transaction(&self) -> Transaction {
        Transaction::new(self.clone())
    }
}
