//! The table's capacity, in units per second: what `--capacity PERCENT` takes a share of.

use dynatable_core::Table;
use dynatable_core::aws_sdk_dynamodb::types::{BillingMode, TableDescription};

use super::error::CapacityError;
use crate::error::Result;

/// The table's capacity in units per second.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TableCapacity {
    /// Write units per second.
    pub write_units: f64,
    /// Read units per second; `None` when the table does not say (an on-demand table with only
    /// a write maximum): reads then go unbudgeted.
    pub read_units: Option<f64>,
    /// Where the figures come from.
    pub source: CapacitySource,
}

/// Where a [`TableCapacity`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapacitySource {
    /// The table's provisioned throughput.
    Provisioned,
    /// An on-demand table's maximum throughput.
    OnDemandMaximum,
    /// `--capacity-units`.
    Given,
}

impl std::fmt::Display for CapacitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Provisioned => "provisioned",
            Self::OnDemandMaximum => "on-demand maximum",
            Self::Given => "--capacity-units",
        })
    }
}

impl TableCapacity {
    /// The capacity of `table`: `given` units per second (for reads and writes alike) when set,
    /// else the table's provisioned throughput, else an on-demand table's maximum.
    ///
    /// # Errors
    /// `DescribeTable` failed; [`CapacityError::Unknown`] when the table says no write capacity
    /// and none was given (`percent` is named in the message).
    pub async fn of(table: &Table, given: Option<u64>, percent: f64) -> Result<Self> {
        if let Some(units) = given {
            #[allow(clippy::cast_precision_loss)] // units per second, far below 2^52
            let units = units as f64;
            return Ok(Self {
                write_units: units,
                read_units: Some(units),
                source: CapacitySource::Given,
            });
        }
        let description = crate::live_table::describe(table).await?;
        Self::described(&description).ok_or_else(|| {
            CapacityError::Unknown {
                table: table.name().to_owned(),
                percent,
            }
            .into()
        })
    }

    /// What `description` says, if it says a write capacity.
    fn described(description: &TableDescription) -> Option<Self> {
        let on_demand = description
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            == Some(&BillingMode::PayPerRequest);
        let positive = |units: Option<i64>| {
            #[allow(clippy::cast_precision_loss)] // units per second, far below 2^52
            units.filter(|u| *u > 0).map(|u| u as f64)
        };
        if !on_demand
            && let Some(provisioned) = description.provisioned_throughput()
            && let Some(write_units) = positive(provisioned.write_capacity_units())
        {
            return Some(Self {
                write_units,
                read_units: positive(provisioned.read_capacity_units()),
                source: CapacitySource::Provisioned,
            });
        }
        let maximum = description.on_demand_throughput()?;
        Some(Self {
            write_units: positive(maximum.max_write_request_units())?,
            read_units: positive(maximum.max_read_request_units()),
            source: CapacitySource::OnDemandMaximum,
        })
    }
}

#[cfg(test)]
mod tests {
    use dynatable_core::aws_sdk_dynamodb::types::{
        BillingModeSummary, OnDemandThroughput, ProvisionedThroughputDescription,
    };

    use super::*;

    fn on_demand() -> BillingModeSummary {
        BillingModeSummary::builder()
            .billing_mode(BillingMode::PayPerRequest)
            .build()
    }

    #[test]
    fn provisioned_on_demand_maximum_or_nothing() {
        let provisioned = TableDescription::builder()
            .provisioned_throughput(
                ProvisionedThroughputDescription::builder()
                    .write_capacity_units(400)
                    .read_capacity_units(1000)
                    .build(),
            )
            .build();
        let capacity = TableCapacity::described(&provisioned).unwrap();
        assert_eq!(
            (capacity.write_units, capacity.read_units, capacity.source),
            (400.0, Some(1000.0), CapacitySource::Provisioned)
        );

        let maximum = TableDescription::builder()
            .billing_mode_summary(on_demand())
            .provisioned_throughput(
                ProvisionedThroughputDescription::builder()
                    .write_capacity_units(0)
                    .build(),
            )
            .on_demand_throughput(
                OnDemandThroughput::builder()
                    .max_write_request_units(5000)
                    .build(),
            )
            .build();
        let capacity = TableCapacity::described(&maximum).unwrap();
        assert_eq!(
            (capacity.write_units, capacity.read_units, capacity.source),
            (5000.0, None, CapacitySource::OnDemandMaximum)
        );

        let unbounded = TableDescription::builder()
            .billing_mode_summary(on_demand())
            .build();
        assert_eq!(TableCapacity::described(&unbounded), None);
    }
}
