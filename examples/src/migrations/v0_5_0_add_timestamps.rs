//! Pattern 5, touch every item: `createdAt` where missing and `updatedAt` on every entity item
//! that has none (the ledger's items are never scanned).

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Item, PrimaryKey};
use dynatable_migrate::{Context, Migration, Result, migration};

use crate::Timestamp;

/// Sets `createdAt = if_not_exists(createdAt, now)` and `updatedAt = now` on every item without
/// `updatedAt` (an item with one was written in the new shape, or converted already).
/// `down` removes `updatedAt` only: the `createdAt` values it added stay, since nothing tells
/// them apart from the ones that were there before (the one-way part of this migration).
pub struct AddTimestamps;

#[migration(version = "0.5.0")]
impl Migration for AddTimestamps {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        let now = AttributeValue::S(Timestamp::now().to_string());
        ctx.backfill("items", t.scan_items(), |item: Item| {
            if item.contains_key("updatedAt") {
                return None;
            }
            let update = t
                .update_item(PrimaryKey::of_item(&item)?)
                .set_attribute_if_not_exists("createdAt", now.clone())
                .set_attribute("updatedAt", now.clone());
            Some(update.into())
        })
        .await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        let t = ctx.table();
        ctx.backfill("items", t.scan_items(), |item: Item| {
            if !item.contains_key("updatedAt") {
                return None;
            }
            let update = t.update_item(PrimaryKey::of_item(&item)?);
            Some(update.remove_attribute("updatedAt").into())
        })
        .await?;
        Ok(())
    }
}
