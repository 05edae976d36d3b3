//! What a process found when it claimed a lease: one taken, every part busy, or all done.

use super::segment_lease::SegmentLease;

/// What [`Leases::claim`](super::Leases::claim) found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<L = SegmentLease> {
    /// This process now holds the lease: work on its part from its position.
    Taken(L),
    /// Every unfinished part is held by a live process (or was just taken by another).
    Busy,
    /// Every part is done.
    AllDone,
}
