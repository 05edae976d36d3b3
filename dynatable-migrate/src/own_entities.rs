//! Which registered entities are the migrator's own records (the ledger, the lock, leases,
//! checkpoints), not the app's: their names start with `_`.

use dynatable_core::EntitySchema;

/// Whether `entity` is one of the migrator's own records rather than an entity of the app.
pub(crate) fn is_own(entity: &EntitySchema) -> bool {
    entity.name.starts_with('_')
}
