//! Pattern 3, change a key: photos' sort key from `PHOTO#{photoId}` to
//! `PHOTO#{timestampMs}#{photoId}`, by delete + put transactions.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Item, PrimaryKey, SORT_KEY_ATTRIBUTE, Table, Write};
use dynatable_migrate::{Context, Migration, Result, migration};

use crate::Photo;

/// Re-keys every photo so that a user's photos sort by upload time; `down` restores the old keys.
pub struct ChangePhotoSortKey;

#[migration(version = "0.3.0")]
impl Migration for ChangePhotoSortKey {
    async fn up(&self, ctx: &Context) -> Result<()> {
        // The entity declares only the current key, so the snapshots cannot see the old one.
        ctx.note_schema_change(
            "Photo sk: \"PHOTO#{photo_id}\" -> \"PHOTO#{created_at}#{photo_id}\"",
        );
        rekey(ctx, |photo| photo.primary_key().sk).await
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        rekey(ctx, |photo| format!("PHOTO#{}", photo.photo_id)).await
    }
}

/// Moves every photo whose sort key is not `sort_key(photo)` there: one transaction unit per
/// photo deletes the old item (if it is still as read) and puts a copy of it, every attribute
/// kept, under the new key (if nothing is there). A photo the app changed meanwhile is read again
/// and moved with its change; one it deleted stays deleted; a unit whose own condition fails (an
/// earlier, interrupted run moved it) is skipped. No photo is lost, duplicated, or left under
/// both keys or neither.
async fn rekey(ctx: &Context, sort_key: fn(&Photo) -> String) -> Result<()> {
    let t = ctx.table();
    ctx.backfill_units("photos", t.scan::<Photo>().with_items(), |(photo, item)| {
        move_unit(t, item, sort_key(&photo))
    })
    .await?;
    Ok(())
}

/// The delete + put moving `item` to `new_sk`, or `None` when it is there already.
fn move_unit(t: &Table, item: Item, new_sk: String) -> Option<Vec<Write>> {
    let old = PrimaryKey::of_item(&item)?;
    if old.sk == new_sk {
        return None;
    }
    let mut moved = item;
    moved.insert(SORT_KEY_ATTRIBUTE.to_owned(), AttributeValue::S(new_sk));
    Some(vec![
        t.delete_item(old).if_exists().into(),
        t.put_item(moved).if_absent().into(),
    ])
}
