//! One write of any entity (`Write`): what the bulk drivers apply and transactions are made of.

use aws_sdk_dynamodb::types::{self as ddb, ReturnConsumedCapacity};

use super::capacity_share::{Ticket, partition_of, write_units};
use super::condition::Condition;
use super::error::{Error, ErrorKind, Operation, Result};
use super::expression::{Placeholders, within_limit};
use super::handle::Table;
use super::version::VersionCheck;
use super::write_op::{Rendered, WriteOp};
use crate::codec::Item;
use crate::item_size::item_size;
use crate::key::PrimaryKey;
use crate::reserved_names::LEDGER_PARTITION_PREFIX;

/// One write of any entity: what the bulk driver applies and what transactions are made of.
/// Built from [`Put`](super::put::Put), [`Update`](super::update::Update) and
/// [`Delete`](super::delete::Delete) with `into()`, or with
/// [`condition_check`](Self::condition_check).
#[derive(Debug, Clone)]
#[must_use]
pub struct Write {
    pub(crate) key: PrimaryKey,
    pub(crate) op: WriteOp,
    pub(crate) condition: Option<Condition<()>>,
    /// The version this write expects, for a versioned entity's typed write.
    pub(crate) version: Option<VersionCheck>,
    /// Declared independent of what was read: the bulk drivers add no compare-and-swap guard.
    pub(crate) blind: bool,
}

/// `existing AND condition`, or `condition` alone.
pub(crate) fn and<E>(
    existing: Option<Condition<()>>,
    condition: Condition<E>,
) -> Option<Condition<()>> {
    let condition = condition.cast();
    Some(match existing {
        Some(existing) => existing.and(condition),
        None => condition,
    })
}

impl Write {
    /// A transaction action that only checks `condition` on the item with `key`.
    pub fn condition_check<E>(key: PrimaryKey, condition: Condition<E>) -> Self {
        let mut write = Self::new(key, WriteOp::ConditionCheck);
        write.condition = Some(condition.cast());
        write
    }

    /// A write of `op` to `key`, with no condition yet.
    pub(crate) fn new(key: PrimaryKey, op: WriteOp) -> Self {
        Self {
            key,
            op,
            condition: None,
            version: None,
            blind: false,
        }
    }

    /// Declares that this write does not depend on what was read: the bulk drivers that write
    /// from items they read ([`Table::apply_snapshots`], [`Table::transact_snapshots`]) then
    /// send it with its own condition only, instead of conditioning it on the item being
    /// unchanged since the read. For writes such as `updatedAt = now` whose value is the same
    /// whatever the item holds; a concurrent writer's change of another attribute is kept
    /// either way, since an update only touches the attributes it names.
    pub fn blind(mut self) -> Self {
        self.blind = true;
        self
    }

    /// The key of the item written.
    pub fn key(&self) -> &PrimaryKey {
        &self.key
    }

    /// The attributes the write sets, removes or adds to (a put: every attribute of its item).
    pub(crate) fn attributes(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match &self.op {
            WriteOp::Put(Ok(item)) => Box::new(item.keys().map(String::as_str)),
            WriteOp::Update(parts) => Box::new(parts.attributes()),
            WriteOp::Put(Err(_)) | WriteOp::Delete | WriteOp::ConditionCheck => {
                Box::new(std::iter::empty())
            }
        }
    }

    /// AND-s `condition` with the write's condition.
    pub(crate) fn add_condition<E>(&mut self, condition: Condition<E>) {
        self.condition = and(self.condition.take(), condition);
    }

    /// Makes the write check that the stored version is `check.expected`.
    pub(crate) fn check_version(&mut self, check: VersionCheck) {
        self.add_condition(check.condition());
        self.version = Some(check);
    }

    pub(crate) fn operation(&self) -> Operation {
        match self.op {
            WriteOp::Put(_) => Operation::Put,
            WriteOp::Update(_) => Operation::Update,
            WriteOp::Delete => Operation::Delete,
            WriteOp::ConditionCheck => Operation::Transaction,
        }
    }

    pub(crate) fn render(&self, table: &Table) -> Result<Rendered<'_>> {
        let fail = |kind| table.error(self.operation(), Some(self.key.clone()), kind);
        let item = match &self.op {
            WriteOp::Put(Ok(item)) => Some(item),
            WriteOp::Put(Err(e)) => return Err(fail(ErrorKind::Encode(e.clone()))),
            _ => None,
        };
        let (update, condition, placeholders) = self.expressions().map_err(fail)?;
        Ok(Rendered {
            key: &self.key,
            item,
            update,
            condition,
            placeholders,
        })
    }

    /// The update and condition expressions, with their placeholders.
    fn expressions(
        &self,
    ) -> std::result::Result<(Option<String>, Option<String>, Placeholders<'_>), ErrorKind> {
        let mut placeholders = Placeholders::default();
        let update = match &self.op {
            WriteOp::Update(parts) => {
                let update = parts
                    .render(&mut placeholders)
                    .map_err(ErrorKind::Expression)?;
                Some(within_limit("update", update)?)
            }
            _ => None,
        };
        let condition = match &self.op {
            WriteOp::Update(parts) => {
                parts.render_condition(self.condition.as_ref(), &mut placeholders)
            }
            _ => self
                .condition
                .as_ref()
                .map(|c| c.render(&mut placeholders))
                .transpose(),
        }
        .map_err(ErrorKind::Expression)?;
        let condition = condition
            .map(|text| within_limit("condition", text))
            .transpose()?;
        Ok((update, condition, placeholders))
    }

    /// About how many bytes the write adds to a request (what DynamoDB's 4 MB limit of a
    /// transaction counts): its key, item, expressions, and their names and values. A write
    /// that does not render counts nothing: sending it fails.
    pub(crate) fn size(&self) -> usize {
        let key = self.key.pk.len() + self.key.sk.len() + 4;
        let item = match &self.op {
            WriteOp::Put(Ok(item)) => item_size(item),
            _ => 0,
        };
        let expressions = self.expressions().map_or(0, |(update, condition, p)| {
            let text = |t: Option<String>| t.map_or(0, |t| t.len());
            text(update) + text(condition) + p.size()
        });
        key + item + expressions
    }

    /// Sends the write as one request, retrying throttling with the table's backoff.
    pub(crate) async fn execute(&self, table: &Table) -> Result<()> {
        self.execute_returning(table, false).await.map(drop)
    }

    /// [`execute`](Self::execute); with `return_new`, an update returns the item as it wrote it
    /// (`ALL_NEW`). Other writes return `None`.
    pub(crate) async fn execute_returning(
        &self,
        table: &Table,
        return_new: bool,
    ) -> Result<Option<Item>> {
        // The migration ledger's own records (the lock, leases, checkpoints) never wait for the
        // budget, so a paused run keeps its lock and leases; what they consume is counted once
        // they are written.
        let ledger = table
            .write_capacity()
            .filter(|_| self.key.pk.starts_with(LEDGER_PARTITION_PREFIX));
        let share = table.write_capacity().filter(|_| ledger.is_none());
        let capacity = table.consumed_capacity_request();
        if let Some(limiter) = table.rate_limiter() {
            limiter.acquire(1.0).await;
        }
        let estimated = self.estimated_units();
        let rendered = self.render(table)?;
        let partition = share.map(|_| partition_of(&self.key.pk));
        let sent = table
            .backoff()
            .retry(|| async {
                // Every attempt takes its units: a throttled write retried at once, outside the
                // budget, is what keeps a throttled table throttled.
                let ticket = match share {
                    Some(share) => share.acquire(estimated).await,
                    None => Ticket::default(),
                };
                let sent = self
                    .send_once(table, &rendered, capacity.clone(), return_new)
                    .await;
                if let (Err(e), Some(share), Some(partition)) = (&sent, share, partition)
                    && e.is_throttled()
                {
                    share.throttled(partition, ticket);
                }
                sent
            })
            .await;
        let (consumed, new_item) = match (sent, &self.version) {
            (Ok(sent), _) => sent,
            // Boxed, as the SDK path is: a read to explain a rare failure.
            (Err(error), Some(check)) => {
                return Err(Box::pin(check.explain(table, &self.key, error)).await);
            }
            (Err(error), None) => return Err(error),
        };
        if let Some(share) = share {
            share.settle(estimated, consumed.unwrap_or(estimated));
        }
        if let Some(ledger) = ledger {
            ledger.settle(0.0, consumed.unwrap_or(estimated));
        }
        if let (Some(limiter), Some(consumed)) = (table.rate_limiter(), consumed) {
            limiter.adjust(consumed - 1.0);
        }
        Ok(new_item)
    }

    /// The write units the write is expected to cost before DynamoDB says: a put by its item's
    /// size, an update or delete one (DynamoDB charges them by the stored item's size, which
    /// only the answer tells).
    pub(crate) fn estimated_units(&self) -> f64 {
        match &self.op {
            WriteOp::Put(Ok(item)) => write_units(item_size(item)),
            _ => 1.0,
        }
    }

    async fn send_once(
        &self,
        table: &Table,
        r: &Rendered<'_>,
        capacity: Option<ReturnConsumedCapacity>,
        return_new: bool,
    ) -> Result<(Option<f64>, Option<Item>)> {
        let key = || Some(self.key.clone());
        if let Some(direct) = table.direct() {
            let sent = direct
                .send(table.name(), &self.op, r, capacity.is_some(), return_new)
                .await
                .map_err(|kind| table.error(self.operation(), key(), kind))?;
            if let Some(sent) = sent {
                return Ok(sent);
            }
        }
        // Boxed: the SDK's request future is several kilobytes, and inline it would make every
        // direct write's future as large (the bulk drivers copy each into their task set).
        Box::pin(self.send_through_sdk(table, r, capacity, return_new)).await
    }

    /// [`send_once`](Self::send_once) through the SDK.
    async fn send_through_sdk(
        &self,
        table: &Table,
        r: &Rendered<'_>,
        capacity: Option<ReturnConsumedCapacity>,
        return_new: bool,
    ) -> Result<(Option<f64>, Option<Item>)> {
        let key = || Some(self.key.clone());
        let client = table.client();
        let (names, values) = (r.placeholders.names(), r.placeholders.values());
        let consumed = |c: Option<&ddb::ConsumedCapacity>| c.and_then(|c| c.capacity_units());
        match &self.op {
            WriteOp::Put(_) => client
                .put_item()
                .table_name(table.name())
                .set_item(r.item.cloned())
                .set_condition_expression(r.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_consumed_capacity(capacity)
                .send()
                .await
                .map(|o| (consumed(o.consumed_capacity()), None))
                .map_err(|e| Error::from_sdk(Operation::Put, table.name(), key(), e)),
            WriteOp::Update(_) => client
                .update_item()
                .table_name(table.name())
                .set_key(Some(r.key.to_key_item()))
                .set_update_expression(r.update.clone())
                .set_condition_expression(r.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_consumed_capacity(capacity)
                .set_return_values(return_new.then_some(ddb::ReturnValue::AllNew))
                .send()
                .await
                .map(|o| (consumed(o.consumed_capacity()), o.attributes))
                .map_err(|e| Error::from_sdk(Operation::Update, table.name(), key(), e)),
            WriteOp::ConditionCheck => Err(table.error(
                Operation::Transaction,
                key(),
                ErrorKind::Expression(
                    "a condition check can only be part of a transaction".to_owned(),
                ),
            )),
            WriteOp::Delete => client
                .delete_item()
                .table_name(table.name())
                .set_key(Some(r.key.to_key_item()))
                .set_condition_expression(r.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_consumed_capacity(capacity)
                .send()
                .await
                .map(|o| (consumed(o.consumed_capacity()), None))
                .map_err(|e| Error::from_sdk(Operation::Delete, table.name(), key(), e)),
        }
    }

    /// The write, rendered as `r`, as one action of the SDK's `TransactWriteItems` request.
    pub(crate) fn transact_item(
        &self,
        table: &Table,
        r: &Rendered<'_>,
    ) -> Result<ddb::TransactWriteItem> {
        let (names, values) = (r.placeholders.names(), r.placeholders.values());
        let build_error = |e: aws_sdk_dynamodb::error::BuildError| {
            table.error(
                Operation::Transaction,
                Some(self.key.clone()),
                ErrorKind::Expression(e.to_string()),
            )
        };
        let item = match &self.op {
            WriteOp::Put(_) => ddb::TransactWriteItem::builder().put(
                ddb::Put::builder()
                    .table_name(table.name())
                    .set_item(r.item.cloned())
                    .set_condition_expression(r.condition.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::Update(_) => ddb::TransactWriteItem::builder().update(
                ddb::Update::builder()
                    .table_name(table.name())
                    .set_key(Some(r.key.to_key_item()))
                    .set_update_expression(r.update.clone())
                    .set_condition_expression(r.condition.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::Delete => ddb::TransactWriteItem::builder().delete(
                ddb::Delete::builder()
                    .table_name(table.name())
                    .set_key(Some(r.key.to_key_item()))
                    .set_condition_expression(r.condition.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::ConditionCheck => ddb::TransactWriteItem::builder().condition_check(
                ddb::ConditionCheck::builder()
                    .table_name(table.name())
                    .set_key(Some(r.key.to_key_item()))
                    .set_condition_expression(r.condition.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
        };
        Ok(item.build())
    }
}
