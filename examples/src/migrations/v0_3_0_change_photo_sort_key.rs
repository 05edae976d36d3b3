//! Pattern 3, change a key: photos' sort key from `PHOTO#{photoId}` to
//! `PHOTO#{timestampMs}#{photoId}`, by delete + put transactions.

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Entity, Item, PrimaryKey, SORT_KEY_ATTRIBUTE, Write};
use dynatable_migrate::{Context, Migration, Result, migration};
use futures::{StreamExt as _, future};

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
/// photo deletes the old item (if it is still there) and puts a copy of it, every attribute kept,
/// under the new key (if nothing is there). A unit whose condition fails (a concurrent or an
/// earlier, interrupted run moved it) is skipped, so no photo is lost, duplicated, or left
/// under both keys or neither.
async fn rekey(ctx: &Context, sort_key: fn(&Photo) -> String) -> Result<()> {
    let t = ctx.table();
    let units = t.scan::<Photo>().raw().stream().filter_map(|item| {
        future::ready(match item {
            Ok(item) => move_unit(ctx, item, sort_key).transpose(),
            Err(e) => Some(Err(e)),
        })
    });
    ctx.transact_units(units).await?;
    Ok(())
}

/// The delete + put moving `item`, or `None` when it is where it belongs.
fn move_unit(
    ctx: &Context,
    item: Item,
    sort_key: fn(&Photo) -> String,
) -> dynatable_core::Result<Option<Vec<Write>>> {
    let photo: Photo = ctx.table().decode(item.clone())?;
    let Some(old) = PrimaryKey::of_item(&item) else {
        return Ok(None);
    };
    let new_sk = sort_key(&photo);
    if old.sk == new_sk {
        return Ok(None);
    }
    let mut moved = item;
    moved.insert(SORT_KEY_ATTRIBUTE.to_owned(), AttributeValue::S(new_sk));
    let t = ctx.table();
    Ok(Some(vec![
        t.delete_item(old).if_exists().into(),
        t.put_item(moved).if_absent().into(),
    ]))
}
