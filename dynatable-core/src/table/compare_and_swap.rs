//! The bulk drivers for writes made from items they read: each write is conditioned on its item
//! being as it was read, and when another writer changed it meanwhile, the item is read again and
//! planned anew. No concurrent application write is overwritten with a value computed from an
//! older state.

use std::sync::{Mutex, PoisonError};

use futures::{Stream, TryStreamExt};

use super::bulk_report::{BulkError, BulkReport, Counters};
use super::concurrent::run_concurrent;
use super::error::{Error, ErrorKind, Operation, Result};
use super::handle::Table;
use super::snapshot::{Effect, Origin, Snapshot};
use super::transaction::UnitSent;
use super::write::Write;

/// How many times one item is read again because it kept changing, before the driver gives up.
pub const MAX_REREADS: u32 = 8;

impl Table {
    /// [`apply`](Self::apply) for items read from the table ([`Scan::snapshots`](super::Scan::snapshots)),
    /// safe while other writers change them: each item's write is conditioned on the item being
    /// as it was read (see [`Snapshot`]), besides the write's own condition.
    ///
    /// When that condition fails, the item is read again (strongly consistent):
    /// - deleted meanwhile: skipped (a migration does not bring it back);
    /// - unchanged: the write's own condition failed (already migrated, for an idempotent
    ///   migration): skipped;
    /// - changed: `plan` is called again with the new state, and may now write something else or
    ///   nothing. At most [`MAX_REREADS`] times per item, with backoff, then an error.
    ///
    /// The report counts the re-reads ([`BulkReport::reread`]). A write declared
    /// [`blind`](Write::blind) carries no such guard.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::BulkError> {
    /// use dynatable_core::{entity, Entity};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
    /// pub struct User {
    ///     pub user_id: String,
    ///     pub username: String,
    /// }
    ///
    /// let f = User::fields();
    /// let users = table.scan::<User>().parallel().snapshots();
    /// let report = table
    ///     .apply_snapshots(users, |user: User| {
    ///         let lower = user.username.to_lowercase();
    ///         (lower != user.username)
    ///             .then(|| table.update::<User>(user.primary_key()).set(f.username, lower).into())
    ///     })
    ///     .await?;
    /// println!("{} renamed, {} read again after a concurrent change", report.written, report.reread);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A [`BulkError`] with the report: a read or write error, an item that no longer decodes, or
    /// one that kept changing ([`ErrorKind::ItemKeptChanging`]). The writes in flight finish
    /// first.
    pub async fn apply_snapshots<T, S, F>(
        &self,
        items: S,
        mut plan: F,
    ) -> Result<BulkReport, BulkError>
    where
        T: Send,
        S: Stream<Item = Result<Snapshot<T>>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
    {
        self.transact_snapshots_tagged(
            items.map_ok(|snapshot| ((), snapshot)),
            move |value| plan(value).map(|write| vec![write]),
            |()| {},
        )
        .await
    }

    /// [`apply_snapshots`](Self::apply_snapshots) for plans that write a unit of several items
    /// per item read (a re-key's delete and put): a unit of one write is sent alone, a larger one
    /// as its own transaction (at most [`MAX_TRANSACTION_ACTIONS`](super::MAX_TRANSACTION_ACTIONS)
    /// actions), so an application's write to one item cancels that item's unit only. The guard
    /// goes on the unit's write to the item read.
    ///
    /// # Errors
    /// As [`apply_snapshots`](Self::apply_snapshots); a transaction that fails for another reason
    /// than its conditions.
    pub async fn transact_snapshots<T, S, F>(
        &self,
        items: S,
        plan: F,
    ) -> Result<BulkReport, BulkError>
    where
        T: Send,
        S: Stream<Item = Result<Snapshot<T>>> + Send,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        self.transact_snapshots_tagged(items.map_ok(|snapshot| ((), snapshot)), plan, |()| {})
            .await
    }

    /// [`transact_snapshots`](Self::transact_snapshots) over items that carry a tag, calling
    /// `done(tag)` once the item's unit was written or skipped: what a resumable driver needs to
    /// know which pages are finished.
    ///
    /// # Errors
    /// As [`transact_snapshots`](Self::transact_snapshots).
    pub async fn transact_snapshots_tagged<K, T, S, F, D>(
        &self,
        items: S,
        plan: F,
        done: D,
    ) -> Result<BulkReport, BulkError>
    where
        K: Send,
        T: Send,
        S: Stream<Item = Result<(K, Snapshot<T>)>> + Send,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
        D: Fn(K) + Send + Sync,
    {
        let counters = Counters::default();
        let plan = Mutex::new(plan);
        let planned = items
            .inspect_ok(|_| Counters::add(&counters.read, 1))
            .map_ok(|(tag, snapshot)| {
                let (value, origin) = snapshot.split();
                (tag, origin, call(&plan, value))
            });
        let result = run_concurrent(planned, self.concurrency(), |(tag, origin, unit)| {
            let (counters, done, plan) = (&counters, &done, &plan);
            async move {
                self.settle(origin, unit, plan, counters).await?;
                done(tag);
                Ok(())
            }
        })
        .await;
        counters.finish(result)
    }

    /// `error`, told as the guard's when it is the guarded write's condition that is too large
    /// for DynamoDB (too long, or too many operators): the item has too many attributes to
    /// compare, and the user has two ways out.
    fn guard_explained<T>(&self, error: Error, origin: &Origin<T>, guarded: bool) -> Error {
        // A transaction's error names no key; the unit's other writes are the plan's own. A
        // version's guard is one comparison: a limit passed is the plan's.
        if !guarded
            || origin.guarded_attributes() <= 1
            || error.key().is_some_and(|key| Some(key) != origin.key())
        {
            return error;
        }
        let limit = match error.kind() {
            ErrorKind::ExpressionTooLong {
                clause: "condition",
                length,
                max,
            } => format!("a condition of {length} bytes, where DynamoDB accepts {max}"),
            ErrorKind::Service { code, message }
                if code == "ValidationException"
                    && message.contains("ConditionExpression")
                    && message.contains("too many operators") =>
            {
                message.clone()
            }
            _ => return error,
        };
        self.error(
            error.operation(),
            origin.key().cloned(),
            ErrorKind::GuardTooLarge {
                attributes: origin.guarded_attributes(),
                limit,
            },
        )
    }

    /// Writes `unit`, planned from the item `origin` describes, until it is written or there is
    /// nothing left to write.
    async fn settle<T, F>(
        &self,
        mut origin: Origin<T>,
        mut unit: Option<Vec<Write>>,
        plan: &Mutex<F>,
        counters: &Counters,
    ) -> Result<()>
    where
        F: FnMut(T) -> Option<Vec<Write>>,
    {
        let mut rereads = 0;
        loop {
            let Some(mut writes) = unit.take().filter(|writes| !writes.is_empty()) else {
                Counters::add(&counters.skipped, 1);
                return Ok(());
            };
            let guarded = origin.guard(&mut writes);
            // Counting the run's own writes: only guarded ones, whose effect the guard proves.
            let counting = match (self.own_writes(), origin.key()) {
                (Some(own), Some(key)) if guarded => {
                    Some((own.sending(key), origin.effect(&writes)))
                }
                _ => None,
            };
            let return_new = matches!(counting, Some((_, Effect::FromNewItem { .. })));
            Counters::add(&counters.requests, 1);
            match self.send_unit(writes, return_new).await {
                Ok(UnitSent::Applied { new_item }) => {
                    if let Some((in_flight, effect)) = counting {
                        in_flight.finish(origin.changed(&effect, new_item.as_ref()));
                    }
                    Counters::add(&counters.written, 1);
                    return Ok(());
                }
                Ok(UnitSent::ConditionFailed) => {}
                Err(e) => {
                    Counters::add(&counters.failed, 1);
                    return Err(self.guard_explained(e, &origin, guarded));
                }
            }
            // A condition failed: the guard's (the item changed) or the plan's own.
            let key = match origin.key() {
                Some(key) if guarded => key.clone(),
                _ => {
                    Counters::add(&counters.skipped, 1);
                    return Ok(());
                }
            };
            // Boxed: the read's future is large, and inline it would make every item's future
            // as large, though few items are read again.
            let item = match Box::pin(self.read_item(&key, true)).await {
                Ok(Some(item)) if !origin.unchanged_in(&item) => item,
                // Deleted meanwhile, or unchanged: the plan's own condition failed.
                Ok(_) => {
                    Counters::add(&counters.skipped, 1);
                    return Ok(());
                }
                Err(e) => {
                    Counters::add(&counters.failed, 1);
                    return Err(e);
                }
            };
            rereads += 1;
            Counters::add(&counters.reread, 1);
            if rereads > MAX_REREADS {
                Counters::add(&counters.failed, 1);
                return Err(self.error(
                    Operation::Get,
                    Some(key),
                    ErrorKind::ItemKeptChanging {
                        rereads: MAX_REREADS,
                    },
                ));
            }
            tokio::time::sleep(self.backoff().delay(rereads - 1)).await;
            let snapshot = origin.reread(item).map_err(|e| {
                Counters::add(&counters.failed, 1);
                self.error(Operation::Get, Some(key.clone()), ErrorKind::Decode(e))
            })?;
            let (value, next) = snapshot.split();
            origin = next;
            unit = call(plan, value);
        }
    }
}

/// Calls the plan shared by the concurrent writes (a plain call: the lock is held only while it
/// decides).
fn call<T, F>(plan: &Mutex<F>, value: T) -> Option<Vec<Write>>
where
    F: FnMut(T) -> Option<Vec<Write>>,
{
    (plan.lock().unwrap_or_else(PoisonError::into_inner))(value)
}
