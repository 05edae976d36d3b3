//! The `Migration` trait a migration's code implements.

use std::future::Future;

use crate::context::Context;
use crate::error::{Error, Result};

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
