//! A process's part in a joined run (`migrate up --join`): the process itself, and its role
//! while a migration runs. The run's rounds are in `migrator::join`; the backfill the processes
//! share is in `shared_backfill`.

mod part;
mod process;

pub(crate) use part::{Joined, JoinedRole};
pub(crate) use process::JoinedProcess;
