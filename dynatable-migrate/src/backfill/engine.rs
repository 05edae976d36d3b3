//! The resumable, live-table-safe backfill (`Context::backfill`): the scan (see
//! `scan_and_write`) and the catch-up with the table's stream beside it, on one process or
//! shared by a joined run.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use dynatable_core::{BulkReport, Scan, Write};

use crate::backfill::catch_up::CatchUp;
use crate::backfill::scan_and_write::Positions;
use crate::context::Context;
use crate::error::{Error, Result};

impl Context {
    /// A resumable backfill, safe on a table in use: applies `plan` to every item of `scan`.
    ///
    /// - **Concurrent writers.** Each write is conditioned on its item being as the scan read it
    ///   (on the version of an entity declared with `#[entity(version)]`, otherwise on every
    ///   attribute read; see [`Snapshot`](dynatable_core::Snapshot)). When an application
    ///   changed the item meanwhile, it is read again and `plan` decides anew from its new
    ///   state; an item deleted meanwhile is left deleted. The report's `reread` counts these.
    ///   A write declared [`blind`](Write::blind) opts out.
    /// - **Resumable.** The scan's segments are read concurrently and their items written with
    ///   the table's concurrency; whenever a page of a segment and every earlier page of it are
    ///   written, the segment's position is saved. The next run of an interrupted or failed
    ///   migration resumes from the saved positions; the pages in flight when it stopped are read
    ///   again, so `plan` must be idempotent (write conditionally, or set values that do not
    ///   depend on the old ones).
    /// - **Malformed items.** An item of the scan that does not decode fails the backfill, unless
    ///   the scan was made with [`Scan::skip_malformed`] or the run skips them
    ///   ([`Migrator::skip_malformed`](crate::Migrator::skip_malformed), `migrate up
    ///   --skip-malformed`): then each is left as it is, counted, and listed (up to
    ///   [`MAX_LISTED_SKIPPED`](crate::MAX_LISTED_SKIPPED)) in the run's ledger record. The
    ///   count is saved with the checkpoints; a page read again after an interruption counts its
    ///   skipped items again (the list holds each key once).
    /// - **No item left behind.** When the run follows the table's stream (the default; see
    ///   [`Migrator::catch_up`](crate::Migrator::catch_up)), the stream's position is recorded
    ///   before the scan, and beside it every item changed since is read again and handed to
    ///   `plan` with the same rules, until the catch-up reaches the moment the scan ended: the
    ///   items the application wrote behind the scan are converted too, and at the scan's end
    ///   only the last moments' changes remain to be read. The catch-up sees the backfill's own
    ///   writes as well, so `plan` must be *convergent*: given an item it already converted, it
    ///   returns `None` (or a write whose condition fails, or that changes nothing), never a
    ///   new change (`updatedAt = now` on every call would rewrite the table
    ///   again).
    ///
    /// `name` tells apart several backfills of one migration. Outside a run of the migrator (a
    /// dry run, a plain [`Context::new`]) nothing is saved and nothing is caught up with.
    ///
    /// # Errors
    /// The first read or write error (an item that kept changing through every re-read among
    /// them); a lost lock.
    pub async fn backfill<T, F>(&self, name: &str, scan: Scan<T>, mut plan: F) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Write> + Send,
    {
        self.backfill_units(name, scan, move |value| {
            plan(value).map(|write| vec![write])
        })
        .await
    }

    /// [`backfill`](Self::backfill) for plans that write a unit of several items per item read,
    /// all or none: a re-key's delete of the old item and put of the new one, say. A unit of one
    /// write is sent alone, a larger one as its own transaction; the compare-and-swap guard goes
    /// on the unit's write to the item read (the delete, for a re-key), so a unit made from an
    /// item another writer changed meanwhile is made again from the item's new state.
    ///
    /// # Errors
    /// As [`backfill`](Self::backfill); a transaction that fails for another reason than its
    /// conditions.
    pub async fn backfill_units<T, F>(
        &self,
        name: &str,
        scan: Scan<T>,
        plan: F,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        // Boxed: a migration awaiting a backfill then holds a pointer to the engine's nested
        // futures instead of their whole type, whose depth passes the compiler's limit in the
        // crate of a migration that calls it from a helper `async fn` of its own.
        let backfill: Pin<Box<dyn Future<Output = Result<BulkReport>> + Send + '_>> =
            Box::pin(self.run_backfill(name, scan, plan));
        backfill.await
    }

    /// [`backfill_units`](Self::backfill_units), unboxed.
    async fn run_backfill<T, F>(&self, name: &str, scan: Scan<T>, plan: F) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send,
    {
        let scan = if self.skips_malformed() {
            scan.skip_malformed()
        } else {
            scan
        };
        let plan = Mutex::new(plan);
        let plan_ref = &plan;
        let call = move |value: T| (plan_ref.lock().unwrap_or_else(PoisonError::into_inner))(value);
        if let Some(joined) = self.run.joined()
            && joined.is_follower()
        {
            return self.follow_shared(joined, name, scan, call).await;
        }
        let catch_up = self.start_catch_up(name, &scan).await?;
        let (scan_ended, ended) = tokio::sync::watch::channel(false);
        let scanned = async {
            let report = self.scan_part(name, scan, call, catch_up.as_ref()).await?;
            scan_ended.send_replace(true);
            Ok::<_, Error>(report)
        };
        let caught_up = async {
            match &catch_up {
                Some(catch_up) => catch_up.run(ended, &plan).await,
                None => Ok(BulkReport::default()),
            }
        };
        // Boxed: both futures are large (a joined run's shared scan and catch-up above all).
        let (mut report, caught_up) =
            futures::future::try_join(Box::pin(scanned), Box::pin(caught_up)).await?;
        report.merge(&caught_up);
        if let Some(catch_up) = &catch_up {
            self.finish_catch_up(name, catch_up, &caught_up).await?;
        }
        if let Some(joined) = self.run.joined() {
            self.withdraw(joined, name).await?;
        }
        Ok(report)
    }

    /// The catch-up with the table's stream that runs beside the scan, when the run follows
    /// the stream (shared with the other processes when this one leads a joined run). A filtered
    /// scan is refused: the catch-up could not apply its filter to the items changed behind it.
    async fn start_catch_up<'a, T>(
        &'a self,
        name: &'a str,
        scan: &Scan<T>,
    ) -> Result<Option<CatchUp<'a, T>>>
    where
        T: Send + 'static,
    {
        let Some(stream) = self.run.change_stream() else {
            return Ok(None);
        };
        if scan.is_filtered() {
            return Err(Error::Other(
                format!(
                    "backfill {name}: its scan has a filter, which the catch-up could not apply \
                     to the items changed behind the scan; test the condition in the plan instead"
                )
                .into(),
            ));
        }
        let catch_up = CatchUp::start(self, stream.clone(), name, scan.item_matcher())
            .await?
            .skipping_malformed(scan.skips_malformed());
        Ok(Some(match self.run.joined() {
            // The leader of a joined run shares the catch-up with the other processes.
            Some(joined) => {
                let leases = joined.leases(self.shared_work(name));
                catch_up.sharing(joined.table(), leases).await?
            }
            None => catch_up,
        }))
    }

    /// The scan half of a backfill, on this process alone or shared with a joined run's others;
    /// nothing in a replay, which only follows the changes since the last catch-up.
    async fn scan_part<T, F>(
        &self,
        name: &str,
        scan: Scan<T>,
        call: F,
        catch_up: Option<&CatchUp<'_, T>>,
    ) -> Result<BulkReport>
    where
        T: Send + 'static,
        F: FnMut(T) -> Option<Vec<Write>> + Send + Copy,
    {
        if self.run.replay().is_some() {
            return Ok(BulkReport::default());
        }
        let table = catch_up.map_or(self.table(), CatchUp::table);
        let report = match self.run.joined() {
            Some(joined) => {
                let catches_up = catch_up.is_some();
                self.scan_shared(joined, table, name, scan, call, catches_up)
                    .await?
            }
            None => {
                self.scan_and_write(table, name, scan, call, Positions::Checkpoint)
                    .await?
            }
        };
        if catch_up.is_some() {
            self.log(format!(
                "{name}: scan done, catching up with the changes made since it started"
            ));
        }
        Ok(report)
    }

    /// Says what the catch-up did, adds the other processes' part of a shared one to the run's
    /// counts, and records where it ended (for a replay, and for a run that resumes).
    async fn finish_catch_up<T: Send>(
        &self,
        name: &str,
        catch_up: &CatchUp<'_, T>,
        caught_up: &BulkReport,
    ) -> Result<()> {
        let (position, shared) = catch_up.ended().await?;
        match shared {
            None => {
                let own = match catch_up.passed_over() {
                    0 => String::new(),
                    n => format!(" ({n} changes were the run's own writes, not read again)"),
                };
                self.log(format!(
                    "{name}: caught up: read {} changed items again, wrote {}{own}",
                    caught_up.read, caught_up.written
                ));
            }
            Some((read, written)) => {
                self.log(format!(
                    "{name}: caught up; the joined processes read {read} changed items \
                     again and wrote {written}"
                ));
                // The others' part, as for the scan's segments; and the position the shard
                // leases add up to, for a run that resumes after this one stops.
                let own_read = u64::try_from(caught_up.read).unwrap_or(u64::MAX);
                let own_written = u64::try_from(caught_up.written).unwrap_or(u64::MAX);
                self.run.add_counts(
                    read.saturating_sub(own_read),
                    written.saturating_sub(own_written),
                );
                self.run.save_stream_position(name, &position).await?;
            }
        }
        self.run.record_caught_up(name, &position);
        Ok(())
    }
}
