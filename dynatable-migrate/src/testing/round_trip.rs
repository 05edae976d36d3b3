//! The round trip of one migration: up, down and up again, with the table compared at each step.

use super::error::TestKitError;
use super::table_dump::TableDump;
use super::test_table::TestTable;
use crate::migrator::DownTarget;

/// The round trip of one migration on a [`TestTable`], built by [`TestTable::round_trip`]:
///
/// 1. applies every earlier migration still pending (the table as the migration will find it);
/// 2. dumps the table (`before`), applies the migration, dumps it again (`after`);
/// 3. when the migration is reversible, rolls it back and checks the table equals `before`,
///    then applies it again and checks the table equals `after`.
///
/// A step whose table differs fails with [`TestKitError::Mismatch`], listing the items missing,
/// extra or changed. Leave out attributes whose value depends on when the migration ran with
/// [`ignoring`](Self::ignoring).
///
/// ```no_run
/// # async fn demo() -> Result<(), dynatable_migrate::testing::TestKitError> {
/// use dynatable_migrate::testing::TestTable;
///
/// let table = TestTable::new().await?;
/// // ... write items in the shape migration 0.2.0 expects ...
/// let report = table.round_trip("0.2.0").ignoring(&["updatedAt"]).run().await?;
/// assert_eq!(report.after.len(), report.before.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a RoundTrip does nothing until run"]
pub struct RoundTrip<'t> {
    table: &'t TestTable,
    version: String,
    ignored: Vec<String>,
}

/// What a [`RoundTrip`] saw.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RoundTripReport {
    /// The table before the migration (every attribute, the ignored ones included).
    pub before: TableDump,
    /// The table after it.
    pub after: TableDump,
    /// Whether it was rolled back and applied again (irreversible migrations are not).
    pub reversed: bool,
}

impl TestTable {
    /// The round trip of migration `version`: see [`RoundTrip`].
    pub fn round_trip(&self, version: &str) -> RoundTrip<'_> {
        RoundTrip::new(self, version)
    }
}

impl<'t> RoundTrip<'t> {
    fn new(table: &'t TestTable, version: &str) -> Self {
        Self {
            table,
            version: version.to_owned(),
            ignored: Vec::new(),
        }
    }

    /// Leaves attributes `names` out of every comparison (times set to "now", say).
    pub fn ignoring(mut self, names: &[&str]) -> Self {
        self.ignored.extend(names.iter().map(|n| (*n).to_owned()));
        self
    }

    /// Runs the round trip.
    ///
    /// # Errors
    /// [`TestKitError::NoSuchVersion`]; a migration's failure; [`TestKitError::Mismatch`] when
    /// rolling back does not give back the table from before, or applying again does not give
    /// the table from the first time.
    pub async fn run(self) -> Result<RoundTripReport, TestKitError> {
        if !crate::registry::anything_linked() {
            return Err(TestKitError::NothingLinked);
        }
        let migrations = crate::registry::migrations()?;
        let Some(index) = migrations.iter().position(|m| m.version == self.version) else {
            let known: Vec<&str> = migrations.iter().map(|m| m.version).collect();
            return Err(TestKitError::NoSuchVersion(self.version, known.join(", ")));
        };
        let migration = migrations[index];
        let migrator = self.table.migrator()?;
        if let Some(earlier) = index.checked_sub(1).map(|i| migrations[i]) {
            migrator.up(Some(earlier.version)).await?;
        }
        let before = self.dump().await?;
        migrator.up(Some(migration.version)).await?;
        let after = self.dump().await?;
        if migration.irreversible.is_some() {
            return Ok(RoundTripReport {
                before,
                after,
                reversed: false,
            });
        }
        migrator.down(DownTarget::Steps(1)).await?;
        self.compare(&before, "after down, compared with the table before up")
            .await?;
        migrator.up(Some(migration.version)).await?;
        self.compare(&after, "after up again, compared with the first up")
            .await?;
        Ok(RoundTripReport {
            before,
            after,
            reversed: true,
        })
    }

    async fn dump(&self) -> Result<TableDump, TestKitError> {
        self.table.dump().await
    }

    /// Compares the table with `expected`, the ignored attributes left out of both.
    async fn compare(&self, expected: &TableDump, step: &'static str) -> Result<(), TestKitError> {
        let ignored: Vec<&str> = self.ignored.iter().map(String::as_str).collect();
        let found = self.dump().await?.without(&ignored);
        let diff = found.diff(&expected.clone().without(&ignored));
        if diff.is_empty() {
            return Ok(());
        }
        Err(TestKitError::Mismatch {
            version: self.version.clone(),
            step,
            diff,
        })
    }
}
