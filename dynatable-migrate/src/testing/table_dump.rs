//! A table's items as a test compares them: every item but the migration ledger's, sorted by key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{Item, PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE, Table};
use futures::TryStreamExt as _;

/// Every item of a table but the migration ledger's, by primary key (read with consistent
/// reads), with the attributes a test chose to ignore left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableDump {
    items: BTreeMap<(String, String), Item>,
}

impl TableDump {
    /// Reads every item of `table` but the ledger's.
    ///
    /// # Errors
    /// A read error.
    pub async fn read(table: &Table) -> Result<Self, dynatable_core::Error> {
        let items: Vec<Item> = table
            .scan_items()
            .consistent()
            .stream()
            .try_collect()
            .await?;
        Ok(Self::from_items(items))
    }

    /// A dump of `items` (items without string `PK` and `SK` are kept under empty keys).
    pub fn from_items(items: impl IntoIterator<Item = Item>) -> Self {
        let items = items
            .into_iter()
            .map(|item| {
                let key = PrimaryKey::of_item(&item).unwrap_or_else(|| PrimaryKey::new("", ""));
                ((key.pk, key.sk), item)
            })
            .collect();
        Self { items }
    }

    /// The same dump without the attributes `names` (times a migration sets to "now", say).
    #[must_use]
    pub fn without(mut self, names: &[&str]) -> Self {
        for item in self.items.values_mut() {
            for name in names {
                item.remove(*name);
            }
        }
        self
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item with this key.
    pub fn get(&self, pk: &str, sk: &str) -> Option<&Item> {
        self.items.get(&(pk.to_owned(), sk.to_owned()))
    }

    /// Every item, in key order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// The differences from `expected`, one line per item missing, extra or changed (with the
    /// attributes that differ); empty when the dumps are equal.
    pub fn diff(&self, expected: &Self) -> String {
        let mut out = String::new();
        let keys: BTreeSet<&(String, String)> =
            self.items.keys().chain(expected.items.keys()).collect();
        for key @ (pk, sk) in keys {
            let label = format!("{PARTITION_KEY_ATTRIBUTE}={pk:?} {SORT_KEY_ATTRIBUTE}={sk:?}");
            match (self.items.get(key), expected.items.get(key)) {
                (None, Some(_)) => {
                    let _ = writeln!(out, "  missing {label}");
                }
                (Some(_), None) => {
                    let _ = writeln!(out, "  extra {label}");
                }
                (Some(found), Some(wanted)) if found != wanted => {
                    let names: BTreeSet<&String> = found.keys().chain(wanted.keys()).collect();
                    let changes: Vec<String> = names
                        .into_iter()
                        .filter(|n| found.get(*n) != wanted.get(*n))
                        .map(|n| {
                            format!(
                                "{n}: {} (expected {})",
                                show(found.get(n)),
                                show(wanted.get(n))
                            )
                        })
                        .collect();
                    let _ = writeln!(out, "  changed {label}: {}", changes.join(", "));
                }
                _ => {}
            }
        }
        out
    }
}

fn show(value: Option<&AttributeValue>) -> String {
    match value {
        None => "absent".to_owned(),
        Some(AttributeValue::S(s)) => format!("{s:?}"),
        Some(AttributeValue::N(n)) => n.clone(),
        Some(AttributeValue::Bool(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
    use dynatable_core::{Item, PrimaryKey};

    use super::TableDump;

    fn item(pk: &str, sk: &str, bio: Option<&str>) -> Item {
        let mut item = PrimaryKey::new(pk, sk).to_key_item();
        if let Some(bio) = bio {
            item.insert("bio".to_owned(), AttributeValue::S(bio.to_owned()));
        }
        item
    }

    #[test]
    fn the_diff_names_missing_extra_and_changed_items_with_their_attributes() {
        let expected = TableDump::from_items([
            item("USER#1", "PROFILE", Some("a")),
            item("USER#2", "PROFILE", None),
        ]);
        let found = TableDump::from_items([
            item("USER#1", "PROFILE", Some("b")),
            item("USER#3", "PROFILE", None),
        ]);
        let diff = found.diff(&expected);
        assert_eq!(
            diff,
            "  changed PK=\"USER#1\" SK=\"PROFILE\": bio: \"b\" (expected \"a\")\n  \
             missing PK=\"USER#2\" SK=\"PROFILE\"\n  extra PK=\"USER#3\" SK=\"PROFILE\"\n"
        );
        assert_eq!(expected.diff(&expected), "");
        assert_eq!(
            found
                .without(&["bio"])
                .diff(&expected.without(&["bio"]))
                .lines()
                .count(),
            2
        );
    }
}
