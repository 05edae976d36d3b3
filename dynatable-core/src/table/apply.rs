//! `Table::apply`: one write per item of a stream, many in flight, failed conditions counted as
//! skipped.

use futures::{Stream, TryStreamExt};

use super::bulk_report::{BulkError, BulkReport, Counters};
use super::concurrent::run_concurrent;
use super::error::Result;
use super::handle::Table;
use super::write::Write;

impl Table {
    /// The bulk driver: for every item of `items`, `plan` decides the write (or `None` to leave
    /// the item alone), and the writes are sent with at most the table's
    /// [concurrency](Table::with_concurrency) in flight, sharing its rate limit. A write whose
    /// condition fails counts as skipped (already done, for an idempotent migration); any other
    /// error stops the run: no new item is taken, the writes in flight finish, and the error
    /// carries the report of what was done.
    ///
    /// ```no_run
    /// # async fn demo(table: dynatable_core::Table) -> Result<(), dynatable_core::BulkError> {
    /// use dynatable_core::{entity, Entity};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "PROFILE")]
    /// pub struct User {
    ///     pub user_id: String,
    ///     pub bio: Option<String>,
    /// }
    ///
    /// let users = table.scan::<User>().parallel().stream();
    /// let report = table
    ///     .apply(users, |user: User| {
    ///         let f = User::fields();
    ///         Some(table.update::<User>(user.primary_key()).set(f.bio, "").condition(f.bio.not_exists()).into())
    ///     })
    ///     .await?;
    /// println!("{} users updated", report.written);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A [`BulkError`]: the first read or write error, with the report of what was done.
    pub async fn apply<T, S, F>(&self, items: S, plan: F) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = Result<T>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
    {
        self.apply_tagged(items.map_ok(|item| ((), item)), plan, |()| {})
            .await
    }

    /// [`apply`](Self::apply) over items that carry a tag, calling `done(tag)` once the item's
    /// write succeeded or was skipped: what a resumable driver needs to know which pages are
    /// finished while later ones are still being written.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub async fn apply_tagged<K, T, S, F, D>(
        &self,
        items: S,
        mut plan: F,
        done: D,
    ) -> Result<BulkReport, BulkError>
    where
        K: Send,
        S: Stream<Item = Result<(K, T)>> + Send,
        F: FnMut(T) -> Option<Write> + Send,
        D: Fn(K) + Send + Sync,
    {
        let counters = Counters::default();
        let planned = items
            .inspect_ok(|_| Counters::add(&counters.read, 1))
            .map_ok(|(tag, item)| (tag, plan(item)));
        let result = run_concurrent(planned, self.concurrency(), |(tag, write)| {
            let (counters, done) = (&counters, &done);
            async move {
                let Some(write) = write else {
                    Counters::add(&counters.skipped, 1);
                    done(tag);
                    return Ok(());
                };
                Counters::add(&counters.requests, 1);
                match write.execute(self).await {
                    Ok(()) => Counters::add(&counters.written, 1),
                    Err(e) if e.is_conditional_check_failed() => {
                        Counters::add(&counters.skipped, 1)
                    }
                    Err(e) => {
                        Counters::add(&counters.failed, 1);
                        return Err(e);
                    }
                }
                done(tag);
                Ok(())
            }
        })
        .await;
        counters.finish(result)
    }
}
