//! The renewer: raising the counter of the leases this process holds, fencing its writes on
//! still holding them, and letting go of them.

use std::sync::PoisonError;

use dynatable_core::Condition;

use super::lease_item::LeaseItem;
use super::leases::Leases;
use crate::error::{Error, Result};

impl<L: LeaseItem> Leases<L> {
    /// Raises the counter of the lease on `id`, proving this process alive.
    ///
    /// # Errors
    /// [`Error::LeaseLost`] when another process took it over; a table error.
    pub async fn renew(&self, id: &L::Id) -> Result<()> {
        let renewal = self
            .table
            .update::<L>(L::key_of(&self.work, id))
            .add(L::counter_field(), 1)
            .condition(self.owned());
        self.fenced(id, renewal.send().await)
    }

    /// Renews the lease on `id` three times per failover time until another process takes it
    /// over, and returns that [`Error::LeaseLost`]: run it beside the work on the part, which
    /// stops when it returns. A renewal that fails otherwise is tried again (the lease outlives
    /// one).
    pub(crate) async fn keep_renewed(&self, id: &L::Id) -> Error {
        loop {
            tokio::time::sleep(self.failover / 3).await;
            match self.renew(id).await {
                Ok(()) => {}
                Err(lost @ Error::LeaseLost { .. }) => return lost,
                Err(e) => tracing::warn!(%e, "renewing the lease on {} {id}", L::PART),
            }
        }
    }

    /// Forgets that this process holds the lease on `id` (its worker stopped): the lease stays
    /// this process's until another takes it over, or this process claims it again.
    pub fn release(&self, id: &L::Id) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// The condition "this process holds the lease".
    pub(super) fn owned(&self) -> Condition<L> {
        L::owner_field().eq(self.owner.clone())
    }

    /// A write's outcome, a failed ownership condition as [`Error::LeaseLost`].
    pub(super) fn fenced(&self, id: &L::Id, sent: dynatable_core::Result<()>) -> Result<()> {
        match sent {
            Ok(()) => Ok(()),
            Err(e) if e.is_conditional_check_failed() => {
                self.release(id);
                Err(Error::LeaseLost {
                    work: self.work.clone(),
                    lease: format!("{} {id}", L::PART),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends `update`, which lets go of the lease on `id` (conditioned on this process holding
    /// it); forgets the lease whatever came of it.
    pub(super) async fn let_go(&self, id: &L::Id, update: dynatable_core::Update<L>) -> Result<()> {
        let sent = self.fenced(id, update.send().await);
        self.release(id);
        sent
    }
}
