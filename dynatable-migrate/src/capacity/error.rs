//! What can go wrong with a run's capacity budget.

/// What can go wrong with a run's capacity budget.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// The table does not say its capacity and none was given.
    #[error(
        "table {table} is on-demand without a maximum throughput, so it has no capacity to take \
         {percent}% of: give it with --capacity-units N (write units per second; DynamoDB serves \
         each partition up to 1,000), or set the table's maximum (aws dynamodb update-table \
         --table-name {table} --on-demand-throughput MaxWriteRequestUnits=N)"
    )]
    Unknown {
        /// The table.
        table: String,
        /// The share asked for.
        percent: f64,
    },
    /// A share outside (0, 100].
    #[error("a capacity share is a percentage above 0 and at most 100, not {0}")]
    Percent(f64),
    /// `migrate throttle` with no run to throttle.
    #[error(
        "no run drawing on a capacity budget is in progress on table {table}: only a run started \
         with --capacity can be throttled"
    )]
    NoRun {
        /// The table.
        table: String,
    },
}

/// Checks that `percent` is a share: above 0 and at most 100.
///
/// # Errors
/// [`CapacityError::Percent`] otherwise.
pub(crate) fn check_percent(percent: f64) -> std::result::Result<(), CapacityError> {
    if percent > 0.0 && percent <= 100.0 {
        Ok(())
    } else {
        Err(CapacityError::Percent(percent))
    }
}
