use std::fmt;
use std::future::Future;

use crate::context::Context;
use crate::error::{Error, Result};

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Apply it.
    Up,
    /// Roll it back.
    Down,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Up => "up",
            Self::Down => "down",
        })
    }
}

/// A data migration. Implement it with `async fn`s, on a unit struct, under
/// [`#[migration]`](macro@crate::migration). The futures must be `Send` (the runner's tasks can
/// move between threads), which they are unless they hold something like an `Rc` across an
/// `.await`.
pub trait Migration {
    /// Applies the migration.
    fn up(&self, ctx: &Context) -> impl Future<Output = Result<()>>;

    /// Undoes [`up`](Self::up). Required unless the migration is declared `irreversible`, in
    /// which case rolling it back is refused.
    fn down(&self, _ctx: &Context) -> impl Future<Output = Result<()>> {
        async {
            Err(Error::Irreversible {
                reason: "it has no `down`".to_owned(),
            })
        }
    }
}
