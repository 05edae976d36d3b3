//! Dry runs: the migrations run on a client that cannot write, reporting what they would write
//! and cost.

use serde::Serialize;

use crate::context::Context;
use crate::direction::Direction;
use crate::dry_run::PlannedWrite;
use crate::dry_run_cost::DryRunCost;
use crate::error::Result;
use crate::registry::RegisteredMigration;
use crate::run_state::RunState;

use super::down::DownTarget;
use super::runner::Migrator;

/// What a dry run would write, per version.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DryRunReport {
    /// Version to the writes its migration would make: the first
    /// [`MAX_LISTED_WRITES`](crate::MAX_LISTED_WRITES).
    pub writes: Vec<(String, Vec<PlannedWrite>)>,
    /// Version to how many writes its migration would make, listed or not.
    pub write_counts: Vec<(String, u64)>,
    /// Version to what its migration would cost the table (see [`DryRunCost`]).
    pub costs: Vec<(String, DryRunCost)>,
}

impl DryRunReport {
    /// What every migration of the run would cost together.
    pub fn total_cost(&self) -> DryRunCost {
        let mut total = DryRunCost::default();
        for (_, cost) in &self.costs {
            total.add(cost);
        }
        total
    }
}

impl Migrator {
    /// Runs the pending migrations' `up` on a client that cannot write, and reports what they
    /// would write. Takes no lock and leaves the ledger unchanged.
    ///
    /// # Errors
    /// As [`up`](Self::up), but nothing is recorded.
    pub async fn up_dry_run(&self, target: Option<&str>) -> Result<DryRunReport> {
        let plan = self.up_plan(target).await?;
        self.dry_run(plan, Direction::Up).await
    }

    /// Runs the `down` of the migrations [`down`](Self::down) would roll back on a client that
    /// cannot write, and reports what they would write. Takes no lock and leaves the ledger
    /// unchanged.
    ///
    /// # Errors
    /// As [`down`](Self::down), but nothing is recorded.
    pub async fn down_dry_run(&self, target: &DownTarget) -> Result<DryRunReport> {
        let plan = self.down_plan(target).await?;
        self.dry_run(plan, Direction::Down).await
    }

    async fn dry_run(
        &self,
        plan: Vec<&'static RegisteredMigration>,
        direction: Direction,
    ) -> Result<DryRunReport> {
        let mut report = DryRunReport::default();
        for migration in plan {
            let (ctx, log) = Context::dry_run(&self.table);
            let ctx = ctx.in_run(
                RunState::default()
                    .reporting(migration.version, self.reporter.clone())
                    .over(&self.entities),
            );
            self.reporter.message(
                migration.version,
                &format!("{} {direction} (dry run) started", migration.name),
            );
            migration
                .run(direction, &ctx)
                .await
                .map_err(|e| migration.failed(e))?;
            let count = log.count();
            self.reporter.message(
                migration.version,
                &format!(
                    "{} {direction} (dry run) would make {count} writes",
                    migration.name
                ),
            );
            report
                .writes
                .push((migration.version.to_owned(), log.writes()));
            report
                .write_counts
                .push((migration.version.to_owned(), count));
            report
                .costs
                .push((migration.version.to_owned(), log.cost()));
        }
        Ok(report)
    }
}
