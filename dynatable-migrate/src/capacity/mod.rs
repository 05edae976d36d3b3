//! A run's share of the table's capacity (`--capacity PERCENT`): what the table's capacity is,
//! the records through which every process of a run splits the budget and hears `migrate
//! throttle`, and the coordinator that keeps each process's [`CapacityShare`] in step with them.
//!
//! [`CapacityShare`]: dynatable_core::CapacityShare

mod coordinator;
mod error;
mod run_capacity;
mod share_record;
mod table_capacity;
mod throttle_record;

pub use coordinator::{CapacityCoordinator, CapacitySettings, HEARTBEAT, LIVE_FOR};
pub use error::CapacityError;
pub use run_capacity::RunCapacity;
pub use share_record::CapacityShareRecord;
pub use table_capacity::{CapacitySource, TableCapacity};
pub use throttle_record::{ThrottleRecord, throttle};
