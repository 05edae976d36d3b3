//! Pattern 1, add a field: `bio = ""` on every user.

use dynatable_core::Entity;
use dynatable_migrate::{Context, Migration, Result, migration};

use crate::User;

/// Gives every user an empty `bio`; `down` removes it.
pub struct AddUserBio;

#[migration(version = "0.1.0")]
impl Migration for AddUserBio {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let (t, f) = (ctx.table(), User::fields());
        ctx.backfill("users", t.scan::<User>(), |user: User| {
            let update = t.update::<User>(user.primary_key()).set(f.bio, "");
            Some(update.condition(f.bio.not_exists()).into())
        })
        .await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        // `bio` is a required field of `User` now, so the typed API refuses to remove it: the
        // raw attribute API does.
        let t = ctx.table();
        ctx.backfill("users", t.scan::<User>(), |user: User| {
            Some(
                t.update_item(user.primary_key())
                    .remove_attribute("bio")
                    .into(),
            )
        })
        .await?;
        Ok(())
    }
}
