//! Validation of a whole table against the entities of the binary: which entity each item
//! belongs to, and whether it is what that entity writes. `migrate validate` runs it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::registry::EntityRegistration;
use dynatable_core::{
    Conformance, DEFAULT_SEGMENTS, Item, LEDGER_PARTITION_PREFIX, MAX_SEGMENTS,
    PARTITION_KEY_ATTRIBUTE, PrimaryKey, SORT_KEY_ATTRIBUTE, Table,
};
use futures::{StreamExt as _, TryStreamExt as _};
use serde::Serialize;

use crate::error::Result;
use crate::reporter::{LogReporter, Reporter};

/// How many example keys a [`ValidationReport`] keeps per entity and class, by default.
pub const DEFAULT_EXAMPLES: usize = 3;

/// What [`Validator`] found wrong with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingClass {
    /// It belongs to an entity but does not decode as it.
    Malformed,
    /// It decodes, but its stored keys differ from what its entity's templates render from its
    /// attributes.
    StaleKeys,
    /// No entity of the binary claims it: its `_type` names none, or (without `_type`) no
    /// entity's key templates parse its keys.
    UnknownEntity,
    /// It decodes and has the keys of an earlier key shape of its entity
    /// (`previous_key(until = ...)`), and the migration that re-keys it is not applied yet:
    /// expected, and not counted as non-conforming.
    PendingRekey,
    /// It decodes and has the keys of an earlier key shape, but the migration that re-keys it
    /// is applied: the re-key left it behind.
    LeftBehind,
}

impl FindingClass {
    /// The class's name, as `--json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::StaleKeys => "stale_keys",
            Self::UnknownEntity => "unknown_entity",
            Self::PendingRekey => "pending_rekey",
            Self::LeftBehind => "left_behind",
        }
    }
}

/// One item that does not conform, as [`Validator::on_finding`] receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What is wrong.
    pub class: FindingClass,
    /// The entity the item belongs to; `None` for [`FindingClass::UnknownEntity`].
    pub entity: Option<&'static str>,
    /// The item's `PK`, when it has a string one.
    pub pk: Option<String>,
    /// The item's `SK`, when it has a string one.
    pub sk: Option<String>,
    /// Why: the decode error, the stale key attributes, or what the item's `_type` says.
    pub reason: String,
}

/// How the items of one entity compare with what it writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EntityCounts {
    /// Items that decode and whose keys are the rendered ones.
    pub conforming: u64,
    /// Items that do not decode.
    pub malformed: u64,
    /// Items that decode but whose stored keys differ from the rendered ones.
    pub stale_keys: u64,
    /// Items in an earlier key shape whose re-key is not applied yet.
    pub pending_rekey: u64,
    /// Items in an earlier key shape whose re-key is applied.
    pub left_behind: u64,
}

/// What [`Validator::run`] found in the whole table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Every item read, ledger items included.
    pub items: u64,
    /// Counts per entity, by name (every entity of the binary, with zeros for those without
    /// items).
    pub entities: BTreeMap<&'static str, EntityCounts>,
    /// Items of no known entity.
    pub unknown_entity: u64,
    /// The migration ledger's items (`_SCHEMA#...`): records, checkpoints, the lock.
    pub ledger: u64,
    /// A few findings per entity and class (see [`Validator::examples`]), in the order found.
    pub examples: Vec<Finding>,
}

impl ValidationReport {
    /// Whether every item conforms: each belongs to an entity, decodes as it and has the keys it
    /// renders.
    pub fn conforms(&self) -> bool {
        self.unknown_entity == 0
            && self
                .entities
                .values()
                .all(|c| c.malformed == 0 && c.stale_keys == 0 && c.left_behind == 0)
    }

    /// How many items do not conform.
    pub fn non_conforming(&self) -> u64 {
        self.unknown_entity
            + self
                .entities
                .values()
                .map(|c| c.malformed + c.stale_keys + c.left_behind)
                .sum::<u64>()
    }
}

/// Called with every item that does not conform, as it is found.
type FindingSink = Box<dyn FnMut(&Finding) + Send>;

/// Reads a whole table with a parallel scan and classifies every item against the entities of
/// the binary (or those given): the entity it belongs to (by `_type`, else by key templates),
/// and whether it decodes and has the keys its attributes render. Memory stays flat whatever the
/// table's size: only counts and a few examples are kept, and every finding goes to
/// [`on_finding`](Self::on_finding) as it is found.
///
/// ```no_run
/// # async fn demo(table: dynatable_core::Table) -> dynatable_migrate::Result<()> {
/// use dynatable_migrate::Validator;
///
/// let report = Validator::new(table).run().await?;
/// assert!(report.conforms(), "{} items do not conform", report.non_conforming());
/// # Ok(())
/// # }
/// ```
pub struct Validator {
    table: Table,
    entities: Vec<&'static EntityRegistration>,
    segments: u32,
    max_rate: Option<f64>,
    examples: usize,
    on_finding: Option<FindingSink>,
    reporter: Arc<dyn Reporter>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("table", &self.table.name())
            .field("entities", &self.entities.len())
            .field("segments", &self.segments)
            .field("max_rate", &self.max_rate)
            .field("examples", &self.examples)
            .finish_non_exhaustive()
    }
}

/// The progress name a validation reports under.
const PROGRESS_NAME: &str = "validate";

impl Validator {
    /// A validation of `table` against every entity linked into the binary (but the ledger's
    /// own), reading [`DEFAULT_SEGMENTS`] segments concurrently.
    pub fn new(table: Table) -> Self {
        let entities = dynatable_core::registry::registrations()
            .into_iter()
            .filter(|r| {
                !r.schema()
                    .key
                    .pk
                    .source
                    .starts_with(LEDGER_PARTITION_PREFIX)
            })
            .collect();
        Self {
            table,
            entities,
            segments: DEFAULT_SEGMENTS,
            max_rate: None,
            examples: DEFAULT_EXAMPLES,
            on_finding: None,
            reporter: Arc::new(LogReporter),
        }
    }

    /// Validates against these entities only (their registrations, from
    /// [`registry::registrations`](dynatable_core::registry::registrations)).
    #[must_use]
    pub fn entities(mut self, entities: Vec<&'static EntityRegistration>) -> Self {
        self.entities = entities;
        self
    }

    /// Reads `segments` scan segments concurrently (at least 1). The table is split into 8
    /// times as many segments, each reader taking the next when its last is read: a segment
    /// that is slow to read leaves the other readers busy, instead of idle while it ends.
    #[must_use]
    pub fn segments(mut self, segments: u32) -> Self {
        self.segments = segments.max(1);
        self
    }

    /// Reads at most `items_per_second` items per second.
    #[must_use]
    pub fn max_rate(mut self, items_per_second: f64) -> Self {
        self.max_rate = Some(items_per_second);
        self
    }

    /// Keeps `examples` findings per entity and class in the report (default
    /// [`DEFAULT_EXAMPLES`]).
    #[must_use]
    pub fn examples(mut self, examples: usize) -> Self {
        self.examples = examples;
        self
    }

    /// Calls `sink` with every item that does not conform, as it is found (`migrate validate
    /// --json` prints each as a JSON line).
    #[must_use]
    pub fn on_finding(mut self, sink: impl FnMut(&Finding) + Send + 'static) -> Self {
        self.on_finding = Some(Box::new(sink));
        self
    }

    /// Where progress goes (default: [`LogReporter`]), reported under the name `validate`.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// Reads the whole table and classifies every item.
    ///
    /// # Errors
    /// A read error of the scan (after the table's retries).
    pub async fn run(mut self) -> Result<ValidationReport> {
        let estimate = estimated_items(&self.table).await;
        let applied = crate::ledger::records(&self.table)
            .await?
            .into_iter()
            .filter(|r| r.status == crate::ledger::MigrationStatus::Applied)
            .map(|r| r.version)
            .collect();
        let mut tally = Tally::new(&self.entities, self.examples, applied);
        let readers = self.segments as usize;
        let mut scan = self.table.scan_items().with_ledger().segments(
            self.segments
                .saturating_mul(SPLIT_PER_READER)
                .min(MAX_SEGMENTS),
        );
        if let Some(rate) = self.max_rate {
            scan = scan.max_rate(rate);
        }
        let segments = futures::stream::iter(scan.segment_pages());
        let mut pages = std::pin::pin!(segments.flatten_unordered(readers));
        let mut reported = 0;
        while let Some(page) = pages.try_next().await? {
            for item in page.items {
                if let Some(finding) = tally.classify(item, &self.entities)
                    && let Some(sink) = &mut self.on_finding
                {
                    sink(&finding);
                }
            }
            if tally.report.items >= reported + PROGRESS_EVERY {
                reported = tally.report.items;
                self.progress(reported, estimate);
            }
        }
        self.progress(tally.report.items, estimate);
        Ok(tally.report)
    }

    fn progress(&self, done: u64, estimate: Option<u64>) {
        match estimate {
            Some(estimate) => self
                .reporter
                .progress_estimated(PROGRESS_NAME, done, estimate),
            None => self.reporter.progress(PROGRESS_NAME, done, None),
        }
    }
}

/// The table's item count as `DescribeTable` reports it (refreshed about every six hours), for
/// progress; `None` when it cannot be read.
async fn estimated_items(table: &Table) -> Option<u64> {
    crate::live_table::describe(table)
        .await
        .ok()?
        .item_count()
        .and_then(|n| u64::try_from(n).ok())
}

/// How many scan segments a validation splits the table into per concurrent reader.
///
/// A segment is read to its end before its reader takes the next, so more segments cost no
/// more concurrency, only a last, partial page each. On DynamoDB a finer split evens out the
/// end of the scan; on DynamoDB Local (3.3.1) a page costs CPU in proportion to the items of its
/// whole segment, so a scan of 8 segments of 100,000 items cost it 8 times the CPU of one of 64
/// (measured in `BENCHMARKS.md`).
const SPLIT_PER_READER: u32 = 8;

/// Progress is reported every this many items.
const PROGRESS_EVERY: u64 = 1_000;

/// The counts and examples of a validation so far.
struct Tally {
    report: ValidationReport,
    examples: usize,
    schemas: Vec<&'static dynatable_core::EntitySchema>,
    /// Examples kept per (entity, class).
    kept: BTreeMap<(Option<&'static str>, FindingClass), usize>,
    /// The versions the ledger records as applied: an item in a key shape ended by one of them
    /// was left behind.
    applied: BTreeSet<String>,
}

impl Tally {
    fn new(
        entities: &[&'static EntityRegistration],
        examples: usize,
        applied: BTreeSet<String>,
    ) -> Self {
        let schemas: Vec<_> = entities.iter().map(|r| r.schema()).collect();
        Self {
            report: ValidationReport {
                entities: schemas
                    .iter()
                    .map(|s| (s.name, EntityCounts::default()))
                    .collect(),
                ..ValidationReport::default()
            },
            examples,
            schemas,
            kept: BTreeMap::new(),
            applied,
        }
    }

    /// Counts `item`, returning what is wrong with it, if anything.
    fn classify(
        &mut self,
        item: Item,
        entities: &[&'static EntityRegistration],
    ) -> Option<Finding> {
        self.report.items += 1;
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        let (pk, sk) = (text(PARTITION_KEY_ATTRIBUTE), text(SORT_KEY_ATTRIBUTE));
        if pk
            .as_deref()
            .is_some_and(|pk| pk.starts_with(LEDGER_PARTITION_PREFIX))
        {
            self.report.ledger += 1;
            return None;
        }
        let Some(member) = dynatable_core::registry::entity_of(&item, &self.schemas) else {
            self.report.unknown_entity += 1;
            let reason = match item.get(dynatable_core::ENTITY_TYPE_ATTRIBUTE) {
                Some(AttributeValue::S(name)) => {
                    format!("its _type {name:?} names no entity of this binary")
                }
                _ => "no entity's key templates match its keys, and it has no _type".to_owned(),
            };
            return self.found(FindingClass::UnknownEntity, None, pk, sk, reason);
        };
        let registration = entities[member];
        let entity = registration.schema().name;
        let counts = self.report.entities.entry(entity).or_default();
        match registration.check(item) {
            Conformance::Conforms => {
                counts.conforming += 1;
                None
            }
            Conformance::Malformed(error) => {
                counts.malformed += 1;
                let reason = error.to_string();
                self.found(FindingClass::Malformed, Some(entity), pk, sk, reason)
            }
            Conformance::Unencodable(error) => {
                counts.malformed += 1;
                let reason = error.to_string();
                self.found(FindingClass::Malformed, Some(entity), pk, sk, reason)
            }
            Conformance::StaleKeys(stale) => {
                counts.stale_keys += 1;
                let reason = stale
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                self.found(FindingClass::StaleKeys, Some(entity), pk, sk, reason)
            }
            Conformance::PreviousKey { until } if self.applied.contains(until) => {
                counts.left_behind += 1;
                let reason =
                    format!("{entity} key shape before {until}, left behind: {until} is applied");
                self.found(FindingClass::LeftBehind, Some(entity), pk, sk, reason)
            }
            Conformance::PreviousKey { until } => {
                counts.pending_rekey += 1;
                let reason = format!("{entity} key shape before {until}: {until} pending");
                self.found(FindingClass::PendingRekey, Some(entity), pk, sk, reason)
            }
            // A new outcome of the core check counts as not conforming, never as conforming.
            _ => {
                counts.malformed += 1;
                let reason = "the item does not conform".to_owned();
                self.found(FindingClass::Malformed, Some(entity), pk, sk, reason)
            }
        }
    }

    fn found(
        &mut self,
        class: FindingClass,
        entity: Option<&'static str>,
        pk: Option<String>,
        sk: Option<String>,
        reason: String,
    ) -> Option<Finding> {
        let finding = Finding {
            class,
            entity,
            pk,
            sk,
            reason,
        };
        let kept = self.kept.entry((entity, class)).or_default();
        if *kept < self.examples {
            *kept += 1;
            self.report.examples.push(finding.clone());
        }
        Some(finding)
    }
}

impl Finding {
    /// The item's primary key, when both `PK` and `SK` are strings.
    pub fn key(&self) -> Option<PrimaryKey> {
        Some(PrimaryKey::new(self.pk.clone()?, self.sk.clone()?))
    }
}
