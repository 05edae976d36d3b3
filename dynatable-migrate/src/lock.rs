//! The migration lock: one item holding its owner, an expiry and a counter, taken with a
//! conditional put, renewed by a heartbeat while migrations run, and checked by every ledger
//! write (fencing). A run takes over an expired lock; the processes of a joined run take over one
//! whose counter they saw stand still for its time to live, by their own clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dynatable_core::{Condition, PARTITION_KEY_ATTRIBUTE, Table, entity};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::lease::Clock;
use crate::ledger::{now, now_ms};

/// The lock item.
#[entity(
    pk = "_SCHEMA#LOCK",
    sk = "LOCK",
    name = "_MigrationLock",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct LockRecord {
    /// A token unique to the run holding it.
    pub owner: String,
    /// Who holds it (`user@host`).
    pub holder: String,
    /// When it was taken (RFC 3339).
    pub acquired_at: String,
    /// When it expires unless renewed (ms since the Unix epoch).
    pub expires_at_ms: u64,
    /// Raised by every renewal: the processes of a joined run take the lock over once it stood
    /// still for [`ttl_ms`](Self::ttl_ms) by their own clock, whatever the holder's clock says.
    #[entity(default)]
    pub counter: u64,
    /// The holder's time to live in ms (0 in a lock written by an earlier version, which only
    /// expires).
    #[entity(default)]
    pub ttl_ms: u64,
}

/// The lock, held: renewed in the background until released.
pub(crate) struct Lock {
    table: Table,
    owner: String,
    heartbeat: JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

/// The condition "this run still holds the lock", for fenced writes.
pub(crate) fn held_by(owner: &str) -> Condition<LockRecord> {
    let f = LockRecord::fields();
    f.owner.eq(owner).and(f.expires_at_ms.gt(now_ms()))
}

impl Lock {
    /// Takes the lock, waiting up to `wait` while another run holds it.
    pub(crate) async fn acquire(
        table: &Table,
        holder: &str,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Self> {
        let owner = ulid::Ulid::new().to_string();
        let started = Instant::now();
        loop {
            let free = Condition::attribute_not_exists(PARTITION_KEY_ATTRIBUTE)
                .or(LockRecord::fields().expires_at_ms.lt(now_ms()));
            if let Some(lock) = Self::put(table, &owner, holder, ttl, free).await? {
                return Ok(lock);
            }
            if started.elapsed() >= wait {
                return Err(match current(table).await? {
                    Some(lock) => Error::LockHeld {
                        holder: lock.holder,
                        expires_at: humantime::format_rfc3339_millis(
                            std::time::UNIX_EPOCH + Duration::from_millis(lock.expires_at_ms),
                        )
                        .to_string(),
                    },
                    None => Error::LockHeld {
                        holder: "another run".to_owned(),
                        expires_at: "now".to_owned(),
                    },
                });
            }
            tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..200))).await;
        }
    }

    /// Puts the lock for `owner` on `condition`, and starts its heartbeat; `None` when the
    /// condition failed.
    async fn put(
        table: &Table,
        owner: &str,
        holder: &str,
        ttl: Duration,
        condition: Condition<LockRecord>,
    ) -> Result<Option<Self>> {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let record = LockRecord {
            owner: owner.to_owned(),
            holder: holder.to_owned(),
            acquired_at: now(),
            expires_at_ms: now_ms().saturating_add(ttl_ms),
            counter: 0,
            ttl_ms,
        };
        match table.put(&record).condition(condition).send().await {
            Ok(()) => {}
            Err(e) if e.is_conditional_check_failed() => {
                // A retry after a lost response finds the lock this very put took.
                if current(table).await?.is_none_or(|lock| lock.owner != owner) {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e.into()),
        }
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(
            table.clone(),
            owner.to_owned(),
            ttl,
            lost.clone(),
        ));
        Ok(Some(Self {
            table: table.clone(),
            owner: owner.to_owned(),
            heartbeat,
            lost,
        }))
    }

    /// The token to fence ledger writes with.
    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// Whether a renewal found the lock taken by another run.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Releases the lock after work done while holding it, whose `result` is returned: the
    /// work's error before the release's.
    pub(crate) async fn release_after<T>(self, result: Result<T>) -> Result<T> {
        let released = self.release().await;
        let value = result?;
        released?;
        Ok(value)
    }

    /// Stops the heartbeat and deletes the lock, if this run still holds it.
    pub(crate) async fn release(self) -> Result<()> {
        self.heartbeat.abort();
        let f = LockRecord::fields();
        match self
            .table
            .delete::<LockRecord>(LockRecord::key())
            .condition(f.owner.eq(self.owner.clone()))
            .send()
            .await
        {
            Ok(()) => Ok(()),
            // Gone: a retry after a lost response, or an expiry nobody took over.
            Err(e) if e.is_conditional_check_failed() => match current(&self.table).await? {
                None => Ok(()),
                Some(_) => Err(Error::LockLost),
            },
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// Renews the lock every third of its time to live, for as long as the run holds it.
async fn heartbeat(table: Table, owner: String, ttl: Duration, lost: Arc<AtomicBool>) {
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    loop {
        tokio::time::sleep(ttl / 3).await;
        let f = LockRecord::fields();
        let renewed = table
            .update::<LockRecord>(LockRecord::key())
            .set(f.expires_at_ms, now_ms().saturating_add(ttl_ms))
            .add(f.counter, 1)
            .condition(f.owner.eq(owner.clone()))
            .send()
            .await;
        if let Err(e) = renewed
            && e.is_conditional_check_failed()
        {
            lost.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// What a process of a joined run saw of the lock another holds: its owner and counter, and
/// since when (by this process's clock) they stand still.
#[derive(Debug)]
pub(crate) struct LockWatch {
    clock: Arc<dyn Clock>,
    seen: Option<(String, u64, Instant)>,
}

impl LockWatch {
    /// A watch measuring how long the lock stands still with `clock`.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, seen: None }
    }

    /// Takes the lock if it is free, or once its counter stood still for its holder's time to
    /// live as this process's clock measures it (no clock is compared with the holder's); a lock
    /// of an earlier version, which has no counter, once it expired. `None` while it is held.
    pub(crate) async fn take(
        &mut self,
        table: &Table,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lock>> {
        let owner = ulid::Ulid::new().to_string();
        let f = LockRecord::fields();
        let condition = match current(table).await? {
            None => Condition::attribute_not_exists(PARTITION_KEY_ATTRIBUTE),
            Some(lock) if lock.ttl_ms == 0 => f.expires_at_ms.lt(now_ms()),
            Some(lock) if !self.stood_still(&lock) => return Ok(None),
            Some(lock) => f.owner.eq(lock.owner).and(f.counter.eq(lock.counter)),
        };
        Lock::put(table, &owner, holder, ttl, condition).await
    }

    /// Whether the lock is free, or stood still long enough to be taken over (see
    /// [`take`](Self::take)): a process working on another's run stops to take the lead.
    pub(crate) async fn may_take(&mut self, table: &Table) -> Result<bool> {
        Ok(match current(table).await? {
            None => true,
            Some(lock) if lock.ttl_ms == 0 => lock.expires_at_ms < now_ms(),
            Some(lock) => self.stood_still(&lock),
        })
    }

    /// Whether `lock`'s owner and counter stood still for its time to live by this process's
    /// clock, since this watch first saw them.
    fn stood_still(&mut self, lock: &LockRecord) -> bool {
        let now = self.clock.now();
        let since = match &self.seen {
            Some((seen_owner, counter, since))
                if *seen_owner == lock.owner && *counter == lock.counter =>
            {
                *since
            }
            _ => {
                self.seen = Some((lock.owner.clone(), lock.counter, now));
                now
            }
        };
        now.saturating_duration_since(since) >= Duration::from_millis(lock.ttl_ms)
    }
}

/// Deletes the lock whoever holds it.
pub(crate) async fn force_unlock(table: &Table) -> Result<bool> {
    let existed = table
        .get::<LockRecord>(LockRecord::key())
        .consistent()
        .send()
        .await?
        .is_some();
    table.delete::<LockRecord>(LockRecord::key()).send().await?;
    Ok(existed)
}

/// The lock as it stands, if anyone holds it.
pub(crate) async fn current(table: &Table) -> Result<Option<LockRecord>> {
    Ok(table
        .get::<LockRecord>(LockRecord::key())
        .consistent()
        .send()
        .await?)
}
