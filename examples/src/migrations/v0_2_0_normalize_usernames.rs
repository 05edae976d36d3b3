//! Pattern 2, transform data: lowercase usernames.

use dynatable_core::Entity;
use dynatable_migrate::{Context, Migration, Result, migration};

use crate::User;

/// Lowercases every username, writing only the users whose name changes.
pub struct NormalizeUsernames;

#[migration(
    version = "0.2.0",
    irreversible = "usernames are lowercased in place; their original casing is not kept"
)]
impl Migration for NormalizeUsernames {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let (t, f) = (ctx.table(), User::fields());
        ctx.backfill("users", t.scan::<User>(), |user: User| {
            let lower = user.username.to_lowercase();
            (lower != user.username).then(|| {
                t.update::<User>(user.primary_key())
                    .set(f.username, lower)
                    .into()
            })
        })
        .await?;
        Ok(())
    }
}
