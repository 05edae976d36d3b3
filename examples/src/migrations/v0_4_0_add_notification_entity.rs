//! Pattern 4, add an entity: `Notification`. Nothing to write: the entity is declared
//! `#[entity(since = "0.4.0")]`, so the runner records its schema with this version.

use dynatable_core::Entity;
use dynatable_migrate::{Context, Migration, Result, migration};

use crate::Notification;

/// Introduces notifications; `down` deletes every notification.
pub struct AddNotificationEntity;

#[migration(version = "0.4.0")]
impl Migration for AddNotificationEntity {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.backfill(
            "notifications",
            t.scan::<Notification>(),
            |n: Notification| Some(t.delete::<Notification>(n.primary_key()).into()),
        )
        .await?;
        Ok(())
    }
}
