//! Pattern 3, change a key: photos' sort key from `PHOTO#{photoId}` to
//! `PHOTO#{timestampMs}#{photoId}`. `Photo` declares its key before 0.3.0
//! (`previous_key(until = "0.3.0", ...)`), so the move is `ctx.rekey`: one transaction per photo
//! deletes the old item if it is still as read and puts a copy, every attribute kept, under the
//! new key if nothing is there.

use dynatable_migrate::{Context, Migration, Result, migration};

use crate::Photo;

/// Re-keys every photo so that a user's photos sort by upload time; `down` restores the old keys.
pub struct ChangePhotoSortKey;

#[migration(version = "0.3.0")]
impl Migration for ChangePhotoSortKey {
    async fn up(&self, ctx: &Context) -> Result<()> {
        ctx.rekey::<Photo>().await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        ctx.rekey::<Photo>().await?;
        Ok(())
    }
}
