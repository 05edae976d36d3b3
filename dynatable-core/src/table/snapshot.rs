//! An item as a read returned it, kept so that a write made from it can be conditioned on the
//! item being unchanged (compare-and-swap).

use std::sync::Arc;

use super::condition::Condition;
use super::version::{VersionCheck, stored_version};
use super::write::Write;
use super::write_op::WriteOp;
use crate::codec::Item;
use crate::error::DecodeError;
use crate::key::{ENTITY_TYPE_ATTRIBUTE, PARTITION_KEY_ATTRIBUTE, PrimaryKey};
use crate::schema::AttributeSchema;

/// An item a scan or a re-read returned: its decoded value, and what the bulk drivers need to
/// make a write from it safe while other writers change the table.
///
/// The drivers ([`Table::apply_snapshots`](super::Table::apply_snapshots),
/// [`Table::transact_snapshots`](super::Table::transact_snapshots)) condition the plan's write
/// of the item on the item being as it was read:
/// - for an entity with a version (`#[entity(version)]`), on the version read;
/// - otherwise on every attribute the read returned holding the value read, and every attribute
///   the write sets that the read lacked (and, for a scan of an entity, every attribute the
///   entity declares that the read lacked) still being absent.
///   This cannot see an attribute the entity does not declare being *added* by another writer
///   between the read and the write (for [`Table::scan_items`](super::Table::scan_items), any
///   added attribute): a write that copies the whole item, such as a re-key's put, would drop
///   it. Give entities written that way a version field.
///
/// When the condition fails because the item changed, the driver reads it again (consistently),
/// decodes it, and hands the new value to the same plan.
#[derive(Debug, Clone)]
pub struct Snapshot<T> {
    value: T,
    origin: Origin<T>,
}

/// What a snapshot keeps besides its value: where the item is, how it looked, and how to decode
/// it again.
#[derive(Debug, Clone)]
pub(crate) struct Origin<T> {
    key: Option<PrimaryKey>,
    seen: Seen,
    decode: fn(Item) -> Result<T, DecodeError>,
    declared: &'static [AttributeSchema],
}

/// How the drivers tell whether a guarded write changed its item (for [`OwnWrites`](super::OwnWrites)).
#[derive(Debug)]
pub(crate) enum Effect {
    /// Known before the write is sent (a delete of an item the guard proved exists, a put).
    Known(bool),
    /// Told by the item the write returns (a single update), knowing the attributes it wrote.
    FromNewItem { written: Vec<String> },
    /// Not known: the write is not counted.
    Unknown,
}

/// How the item looked when read.
#[derive(Debug, Clone)]
enum Seen {
    /// The version of an entity with a version attribute.
    Version {
        entity: &'static str,
        attribute: &'static str,
        version: u64,
    },
    /// Every attribute (shared with the guard's condition), and the declared attributes that
    /// were absent.
    Attributes {
        item: Arc<Item>,
        absent: Vec<&'static str>,
    },
}

/// What a scan decodes a snapshot with: the item's decoder, and the version attribute of the
/// entity scanned for, when it has one.
#[derive(Debug)]
pub(crate) struct SnapshotReader<T> {
    pub(crate) decode: fn(Item) -> Result<T, DecodeError>,
    pub(crate) version: Option<(&'static str, &'static str)>,
    /// The attributes the entity read declares (none for a scan of every item).
    pub(crate) declared: &'static [AttributeSchema],
}

// Copy whatever `T` is: the reader holds a function pointer, not a `T`.
impl<T> Clone for SnapshotReader<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SnapshotReader<T> {}

impl<T> SnapshotReader<T> {
    /// The snapshot of `item`, as read.
    pub(crate) fn read(&self, item: Item) -> Result<Snapshot<T>, DecodeError> {
        let key = PrimaryKey::of_item(&item);
        let (seen, value) = match self.version {
            Some((entity, attribute)) => {
                let version = stored_version(&item, attribute);
                let seen = Seen::Version {
                    entity,
                    attribute,
                    version,
                };
                (seen, (self.decode)(item)?)
            }
            None => {
                let absent = std::iter::once(ENTITY_TYPE_ATTRIBUTE)
                    .filter(|_| !self.declared.is_empty())
                    .chain(self.declared.iter().map(|a| a.name))
                    .filter(|name| !item.contains_key(*name))
                    .collect();
                let seen = Seen::Attributes {
                    item: Arc::new(item.clone()),
                    absent,
                };
                (seen, (self.decode)(item)?)
            }
        };
        Ok(Snapshot {
            value,
            origin: Origin {
                key,
                seen,
                decode: self.decode,
                declared: self.declared,
            },
        })
    }
}

impl<T> Snapshot<T> {
    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, consumed.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The item's key (`None` for an item without string `PK` and `SK`).
    pub fn key(&self) -> Option<&PrimaryKey> {
        self.origin.key.as_ref()
    }

    /// The value, and what the driver keeps to guard the write made from it.
    pub(crate) fn split(self) -> (T, Origin<T>) {
        (self.value, self.origin)
    }
}

impl<T> Origin<T> {
    /// The item's key.
    pub(crate) fn key(&self) -> Option<&PrimaryKey> {
        self.key.as_ref()
    }

    /// How many attributes the [`guard`](Self::guard) compares: the version alone, or every
    /// attribute read and the declared ones that were absent.
    pub(crate) fn guarded_attributes(&self) -> usize {
        match &self.seen {
            Seen::Version { .. } => 1,
            Seen::Attributes { item, absent } => item.len() + absent.len(),
        }
    }

    /// Conditions the write of `writes` to the item's own key on the item being as read; `false`
    /// when there is none to guard (no write to that key, or it was declared
    /// [blind](Write::blind)).
    pub(crate) fn guard(&self, writes: &mut [Write]) -> bool {
        let Some(key) = &self.key else { return false };
        let Some(write) = writes.iter_mut().find(|w| &w.key == key) else {
            return false;
        };
        if write.blind {
            return false;
        }
        match &self.seen {
            Seen::Version {
                entity,
                attribute,
                version,
            } => {
                let check = VersionCheck {
                    entity,
                    attribute,
                    expected: *version,
                };
                let exists = Condition::<()>::attribute_exists(PARTITION_KEY_ATTRIBUTE);
                write.add_condition(exists.and(check.condition()));
            }
            Seen::Attributes { item, absent } => {
                // Guarded absent too: what the reader saw absent, and what the write adds.
                let written = write
                    .attributes()
                    .filter(|name| !item.contains_key(*name) && !absent.contains(name));
                let absent = absent.iter().copied().chain(written).map(str::to_owned);
                let unchanged = Condition::<()>::unchanged(item, absent.collect());
                write.add_condition(unchanged);
            }
        }
        true
    }

    /// How to tell whether the guarded write of `writes` (see [`guard`](Self::guard)) changed
    /// the item, once it succeeded.
    pub(crate) fn effect(&self, writes: &[Write]) -> Effect {
        let Some(write) = self
            .key
            .as_ref()
            .and_then(|key| writes.iter().find(|w| &w.key == key))
        else {
            return Effect::Unknown;
        };
        match &write.op {
            // The guard made sure the item existed.
            WriteOp::Delete => Effect::Known(true),
            WriteOp::Put(Ok(put)) => Effect::Known(match &self.seen {
                Seen::Version {
                    attribute, version, ..
                } => stored_version(put, attribute) != *version,
                // The guard made sure the item held what was read, and none of the put's other
                // attributes: the put changes it unless it writes back what was read.
                Seen::Attributes { item, .. } => put != &**item,
            }),
            WriteOp::Update(parts) if writes.len() == 1 => Effect::FromNewItem {
                written: parts.attributes().map(str::to_owned).collect(),
            },
            WriteOp::Update(_) | WriteOp::Put(Err(_)) | WriteOp::ConditionCheck => Effect::Unknown,
        }
    }

    /// Whether the guarded write certainly changed the item, by `effect` and the item the
    /// write returned (`new_item`, for [`Effect::FromNewItem`]).
    pub(crate) fn changed(&self, effect: &Effect, new_item: Option<&Item>) -> bool {
        match (effect, new_item) {
            (Effect::Known(changed), _) => *changed,
            (Effect::FromNewItem { written }, Some(new)) => match &self.seen {
                Seen::Version {
                    attribute, version, ..
                } => stored_version(new, attribute) != *version,
                Seen::Attributes { item, absent } => {
                    // Every attribute of the new item is one whose old value the guard proved:
                    // read, declared absent, or written by the update (and absent unless read).
                    // Any other was added by another writer, whose change the plan did not see.
                    let proved = new.keys().all(|name| {
                        item.contains_key(name)
                            || absent.contains(&name.as_str())
                            || written.contains(name)
                    });
                    proved && new != &**item
                }
            },
            (Effect::FromNewItem { .. } | Effect::Unknown, _) => false,
        }
    }

    /// Whether `item` (read again) is the item as it was read: the same version, or the same
    /// attributes.
    pub(crate) fn unchanged_in(&self, item: &Item) -> bool {
        match &self.seen {
            Seen::Version {
                attribute, version, ..
            } => stored_version(item, attribute) == *version,
            Seen::Attributes { item: seen, .. } => **seen == *item,
        }
    }

    /// The snapshot of the item read again.
    pub(crate) fn reread(&self, item: Item) -> Result<Snapshot<T>, DecodeError> {
        let version = match &self.seen {
            Seen::Version {
                entity, attribute, ..
            } => Some((*entity, *attribute)),
            Seen::Attributes { .. } => None,
        };
        SnapshotReader {
            decode: self.decode,
            version,
            declared: self.declared,
        }
        .read(item)
    }
}
