//! The migration lock: one item holding its owner and an expiry, taken with a conditional put,
//! renewed by a heartbeat while migrations run, and checked by every ledger write (fencing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dynatable_core::{Condition, PARTITION_KEY_ATTRIBUTE, Table, entity};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
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
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let started = Instant::now();
        loop {
            let record = LockRecord {
                owner: owner.clone(),
                holder: holder.to_owned(),
                acquired_at: now(),
                expires_at_ms: now_ms().saturating_add(ttl_ms),
            };
            let free = Condition::attribute_not_exists(PARTITION_KEY_ATTRIBUTE)
                .or(LockRecord::fields().expires_at_ms.lt(now_ms()));
            match table.put(&record).condition(free).send().await {
                Ok(()) => break,
                Err(e) if e.is_conditional_check_failed() => {
                    let current = current(table).await?;
                    // A retry after a lost response finds the lock this very put took.
                    if current.as_ref().is_some_and(|lock| lock.owner == owner) {
                        break;
                    }
                    if started.elapsed() >= wait {
                        return Err(match current {
                            Some(lock) => Error::LockHeld {
                                holder: lock.holder,
                                expires_at: humantime::format_rfc3339_millis(
                                    std::time::UNIX_EPOCH
                                        + Duration::from_millis(lock.expires_at_ms),
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
                Err(e) => return Err(e.into()),
            }
        }
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(table.clone(), owner.clone(), ttl, lost.clone()));
        Ok(Self {
            table: table.clone(),
            owner,
            heartbeat,
            lost,
        })
    }

    /// The token to fence ledger writes with.
    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// Whether a renewal found the lock taken by another run.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
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
