//! The taker: sorting out which leases this process may take (free ones, and those whose
//! counter stood still for the failover time by this process's clock) and taking one with a
//! write conditioned on the owner and counter it saw.

use std::sync::PoisonError;
use std::time::Duration;

use super::lease_item::LeaseItem;
use super::leases::{Leases, Seen};
use crate::error::Result;

/// The leases one process may take now, sorted out by [`Leases::sort_out`].
#[derive(Debug)]
pub(super) struct Claimable<L> {
    /// Held by nobody (or left by a stopped worker of this process).
    pub(super) free: Vec<(L, Duration)>,
    /// Held by a process whose counter stood still for the failover time.
    pub(super) expired: Vec<L>,
}

impl<L: LeaseItem> Leases<L> {
    /// Sorts `candidates` (leases of unfinished parts) into those this process may take: free
    /// ones (with how long each has stood free, by this process's clock), and those whose
    /// counter stood still for the failover time. Leases this process holds are left out.
    pub(super) fn sort_out(&self, candidates: Vec<L>) -> Claimable<L> {
        let now = self.clock.now();
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut claimable = Claimable {
            free: Vec::new(),
            expired: Vec::new(),
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        for lease in candidates {
            let id = lease.id();
            if held.contains(&id) {
                continue;
            }
            let still = seen.get(&id).is_some_and(|s| {
                s.owner.as_deref() == lease.owner() && s.counter == lease.counter()
            });
            if !still {
                seen.insert(
                    id.clone(),
                    Seen {
                        owner: lease.owner().map(str::to_owned),
                        counter: lease.counter(),
                        since: now,
                    },
                );
            }
            let stood_still = seen
                .get(&id)
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s.since));
            match lease.owner() {
                None => claimable.free.push((lease, stood_still)),
                // A lease of this process no worker holds: left by a worker that stopped.
                Some(owner) if owner == self.owner => claimable.free.push((lease, stood_still)),
                Some(_) if stood_still >= self.failover => claimable.expired.push(lease),
                Some(_) => {}
            }
        }
        claimable
    }

    /// Takes the first of `leases` no other process moves first.
    pub(super) async fn take_first(
        &self,
        leases: impl IntoIterator<Item = L>,
    ) -> Result<Option<L>> {
        for lease in leases {
            if let Some(taken) = self.take(lease).await? {
                return Ok(Some(taken));
            }
        }
        Ok(None)
    }

    /// Takes `lease` as it was seen; `None` when another process moved it first.
    pub(super) async fn take(&self, lease: L) -> Result<Option<L>> {
        let as_seen = match lease.owner() {
            Some(owner) => L::owner_field().eq(owner.to_owned()),
            None => L::owner_field().not_exists(),
        }
        .and(L::counter_field().eq(lease.counter()));
        let counter = lease.counter().saturating_add(1);
        let id = lease.id();
        let taken = self
            .table
            .update::<L>(L::key_of(&self.work, &id))
            .set(L::owner_field(), self.owner.clone())
            .set(L::holder_field(), self.holder.clone())
            .set(L::counter_field(), counter)
            .condition(as_seen)
            .send()
            .await;
        match taken {
            Ok(()) => {
                if let Some(previous) = lease.holder()
                    && lease.owner() != Some(self.owner.as_str())
                {
                    tracing::info!("{}: took {} {id} over from {previous}", self.work, L::PART);
                }
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id);
                Ok(Some(lease.taken(
                    self.owner.clone(),
                    self.holder.clone(),
                    counter,
                )))
            }
            Err(e) if e.is_conditional_check_failed() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
