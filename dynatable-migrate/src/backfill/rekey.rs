//! `ctx.rekey::<E>()`: moving an entity's items between the key shapes its key history
//! (`#[entity(previous_key(until = ...))]`) declares, as a backfill of transaction units.

use dynatable_core::{BulkReport, Entity, Item, PrimaryKey, Table, Write};
use thiserror::Error;

use crate::context::Context;
use crate::direction::Direction;
use crate::error::Result;

/// Why `ctx.rekey::<E>()` cannot know which keys to move between.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RekeyError {
    /// Called outside a migration's run (a plain `Context::new`).
    #[error(
        "ctx.rekey::<{entity}>() moves items between the keys a migration's version separates: \
         call it from a migration's up or down"
    )]
    OutsideMigration {
        /// The entity.
        entity: &'static str,
    },
    /// The running migration's version is not an `until` of the entity's key history.
    #[error(
        "ctx.rekey::<{entity}>() in migration {version}, but {entity} declares no \
         previous_key(until = \"{version}\", ...){}",
        if untils.is_empty() {
            ": declare the key it had before this version".to_owned()
        } else {
            format!(" (its previous keys end at {})", untils.join(", "))
        }
    )]
    NotAnUntil {
        /// The entity.
        entity: &'static str,
        /// The running migration's version.
        version: &'static str,
        /// The versions the entity's previous keys end at.
        untils: Vec<&'static str>,
    },
}

impl Context {
    /// Moves every item of entity `E` between the two key shapes this migration's version
    /// separates: `up` from the keys `E` declared `previous_key(until = "<this version>", ...)`
    /// to the ones after them, `down` back.
    ///
    /// ```no_run
    /// use dynatable_core::entity;
    /// use dynatable_migrate::{Context, Migration, Result, migration};
    ///
    /// #[entity(pk = "USER#{user_id}", sk = "ORDER#{created}#{order_id}",
    ///          previous_key(until = "0.7.0", sk = "ORDER#{order_id}"))]
    /// pub struct Order {
    ///     pub user_id: String,
    ///     pub order_id: String,
    ///     pub created: u64,
    /// }
    ///
    /// pub struct SortOrdersByTime;
    ///
    /// #[migration(version = "0.7.0")]
    /// impl Migration for SortOrdersByTime {
    ///     async fn up(&self, ctx: &Context) -> Result<()> {
    ///         ctx.rekey::<Order>().await?;
    ///         Ok(())
    ///     }
    ///
    ///     async fn down(&self, ctx: &Context) -> Result<()> {
    ///         ctx.rekey::<Order>().await?;
    ///         Ok(())
    ///     }
    /// }
    /// ```
    ///
    /// Each item moves in a transaction of its own: the item at the old key is deleted if it is
    /// still as read, and a copy is put at the new key if nothing is there. The copy keeps every
    /// stored attribute, the ones `E` does not declare and a versioned entity's version
    /// included; its index key attributes are rendered for the keys it moves to. An item
    /// already at its new key whose index keys differ has them rewritten; an item in neither
    /// shape is left alone. It is a [`backfill_units`](Self::backfill_units) named `rekey
    /// <entity>`: live-table safe, resumable, shared by `--join`, with progress and dry runs.
    ///
    /// # Errors
    /// [`RekeyError`] outside a migration's run, or in a migration whose
    /// version is not an `until` of `E`; the backfill's errors.
    pub async fn rekey<E: Entity>(&self) -> Result<BulkReport> {
        let schema = E::SCHEMA;
        let Some((version, direction)) = self.run.headed() else {
            return Err(RekeyError::OutsideMigration {
                entity: schema.name,
            }
            .into());
        };
        let Some(before) = schema.previous_keys.iter().position(|p| p.until == version) else {
            return Err(RekeyError::NotAnUntil {
                entity: schema.name,
                version,
                untils: schema.previous_keys.iter().map(|p| p.until).collect(),
            }
            .into());
        };
        let (from, to) = match direction {
            Direction::Up => (before, before + 1),
            Direction::Down => (before + 1, before),
        };
        let index_attributes = index_key_attributes(schema);
        let table = self.table();
        let name = format!("rekey {}", schema.name);
        let scan = table.scan::<E>().with_items();
        self.backfill_units(&name, scan, move |(value, item)| {
            writes(
                table,
                plan_move(&value, item, (from, to), &index_attributes),
            )
        })
        .await
    }
}

/// Every index key attribute of every shape of the entity (each once).
fn index_key_attributes(schema: &dynatable_core::EntitySchema) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for shape in schema.key_shapes() {
        for name in shape.key_attributes().skip(2) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// What a re-key does with one item.
#[derive(Debug, PartialEq)]
enum Move {
    /// Converted already, or in a shape this re-key does not move from.
    Nothing,
    /// At its new key already, with other index keys: rewrite it with the new ones.
    Rewrite(Item),
    /// At the old key: delete it there, put this copy at the new key.
    Rekey {
        /// The key it is stored at.
        old: PrimaryKey,
        /// The copy, every stored attribute kept, with the new key attributes.
        moved: Item,
    },
}

/// What moving `item` (as read, decoded as `value`) from shape `from` to shape `to` takes.
fn plan_move<E: Entity>(
    value: &E,
    item: Item,
    (from, to): (usize, usize),
    index_attributes: &[&'static str],
) -> Move {
    let (Some(target), Some(stored)) = (value.key_attributes(to), PrimaryKey::of_item(&item))
    else {
        return Move::Nothing;
    };
    let Some(new_key) = PrimaryKey::of_item(&target) else {
        return Move::Nothing;
    };
    if stored == new_key {
        let same = index_attributes
            .iter()
            .all(|name| item.get(*name) == target.get(*name));
        return if same {
            Move::Nothing
        } else {
            Move::Rewrite(with_keys(item, target, index_attributes))
        };
    }
    let old_key = value
        .key_attributes(from)
        .as_ref()
        .and_then(PrimaryKey::of_item);
    if old_key.as_ref() != Some(&stored) {
        return Move::Nothing;
    }
    Move::Rekey {
        old: stored,
        moved: with_keys(item, target, index_attributes),
    }
}

/// `item` with the key attributes `keys` (every index key attribute of any shape removed first,
/// so a sparse index's absent key stays absent).
fn with_keys(mut item: Item, keys: Item, index_attributes: &[&'static str]) -> Item {
    for name in index_attributes {
        item.remove(*name);
    }
    item.extend(keys);
    item
}

/// The writes of `plan`: the delete (if the item is still as read: the backfill's guard) and
/// the put (if nothing is at the new key) of a move, in one transaction.
fn writes(table: &Table, plan: Move) -> Option<Vec<Write>> {
    match plan {
        Move::Nothing => None,
        Move::Rewrite(item) => Some(vec![table.put_item(item).into()]),
        Move::Rekey { old, moved } => Some(vec![
            table.delete_item(old).if_exists().into(),
            table.put_item(moved).if_absent().into(),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;

    #[dynatable_core::entity(
        pk = "USER#{user_id}",
        sk = "PHOTO#{taken}#{photo_id}",
        index(name = "GSI1", pk = "PHOTO#{photo_id}", sk = "{taken}"),
        previous_key(
            until = "0.2.0",
            sk = "PHOTO#{photo_id}",
            index(name = "GSI1", pk = "P#{photo_id}")
        )
    )]
    struct Photo {
        user_id: String,
        photo_id: String,
        taken: u64,
    }

    fn photo() -> Photo {
        Photo {
            user_id: "u".into(),
            photo_id: "p".into(),
            taken: 5,
        }
    }

    fn stored_in(shape: usize) -> Item {
        let mut item = photo().to_item().unwrap_or_default();
        item.extend(photo().key_attributes(shape).unwrap_or_default());
        item.insert("extra".into(), AttributeValue::S("kept".into()));
        item
    }

    #[test]
    fn an_item_at_the_old_key_moves_whole_with_the_new_index_keys() {
        let attrs = index_key_attributes(Photo::SCHEMA);
        let Move::Rekey { old, moved } = plan_move(&photo(), stored_in(0), (0, 1), &attrs) else {
            panic!("expected a move");
        };
        assert_eq!(old.sk, "PHOTO#p");
        assert_eq!(
            moved["SK"],
            AttributeValue::S("PHOTO#00000000000000000005#p".into())
        );
        assert_eq!(moved["GSI1PK"], AttributeValue::S("PHOTO#p".into()));
        assert_eq!(moved["extra"], AttributeValue::S("kept".into()));
    }

    #[test]
    fn down_moves_back_and_a_converted_item_is_left() {
        let attrs = index_key_attributes(Photo::SCHEMA);
        let back = plan_move(&photo(), stored_in(1), (1, 0), &attrs);
        let Move::Rekey { moved, .. } = back else {
            panic!("expected a move back, got {back:?}");
        };
        assert_eq!(moved["GSI1PK"], AttributeValue::S("P#p".into()));
        assert_eq!(
            plan_move(&photo(), stored_in(1), (0, 1), &attrs),
            Move::Nothing
        );
    }

    #[test]
    fn an_item_at_its_new_key_with_old_index_keys_is_rewritten() {
        let attrs = index_key_attributes(Photo::SCHEMA);
        let mut item = stored_in(1);
        item.insert("GSI1PK".into(), AttributeValue::S("P#p".into()));
        let Move::Rewrite(fixed) = plan_move(&photo(), item, (0, 1), &attrs) else {
            panic!("expected a rewrite");
        };
        assert_eq!(fixed["GSI1PK"], AttributeValue::S("PHOTO#p".into()));
    }
}
