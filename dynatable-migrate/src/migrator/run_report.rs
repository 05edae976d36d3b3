//! What a run of `up` or `down` did.

use serde::Serialize;

/// What `up` or `down` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RunReport {
    /// The versions run, in the order they ran.
    pub versions: Vec<String>,
    /// Items converted by replays: the backfills of a run's earlier migrations passed over the
    /// changes made since they ended, and a replay a killed run left unfinished, taken up.
    pub replayed: u64,
    /// Per version, the malformed items its run skipped
    /// ([`Migrator::skip_malformed`](crate::Migrator::skip_malformed)); versions that skipped none
    /// are absent. `status` lists them.
    pub skipped_malformed: std::collections::BTreeMap<String, u64>,
}

impl RunReport {
    /// Notes that `version` ran, skipping `skipped` malformed items.
    pub(super) fn ran(&mut self, version: &str, skipped: u64) {
        self.versions.push(version.to_owned());
        if skipped > 0 {
            self.skipped_malformed.insert(version.to_owned(), skipped);
        }
    }
}
