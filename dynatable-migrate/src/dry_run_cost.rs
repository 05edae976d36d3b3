//! What a dry run's migration would cost the table: items read and written, and the read and
//! write capacity units DynamoDB would charge for them, computed from the sizes of the items as
//! DynamoDB counts them.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// Bytes per read capacity unit (a strongly consistent read of up to 4 KB).
const READ_UNIT_BYTES: u64 = 4096;
/// Bytes per write capacity unit (a write of up to 1 KB).
const WRITE_UNIT_BYTES: u64 = 1024;

/// What a migration would read and write, as a dry run counted it.
///
/// Reads are counted from the responses DynamoDB sent: a scan or query page is charged for every
/// item it read (`ScannedCount`), the ones its filter left out included, at the average size of
/// the items it returned (or of every item returned so far, for a page that returned none). Writes are counted from the requests the
/// dry run kept: a put's size is its item's; an update's or a delete's is estimated as the average
/// size of the items read so far (plus the update's values), since the item is not at hand;
/// transactional writes count twice, as DynamoDB charges them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DryRunCost {
    /// Items read (by a scan or query: every item it read, before its filter).
    pub items_read: u64,
    /// Their size, as DynamoDB counts item sizes (estimated for items a filter left out).
    pub bytes_read: u64,
    /// Read capacity units (eventually consistent reads count half).
    pub read_units: f64,
    /// Items the run would write (puts, updates, deletes; condition checks are not writes).
    pub items_written: u64,
    /// Write capacity units.
    pub write_units: f64,
    /// Items returned by reads, and their size: what the average item size is taken from.
    #[serde(skip)]
    returned: u64,
    #[serde(skip)]
    returned_bytes: u64,
}

impl DryRunCost {
    fn count_returned(&mut self, bytes: u64) {
        self.items_read += 1;
        self.bytes_read += bytes;
        self.returned += 1;
        self.returned_bytes += bytes;
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Self) {
        self.returned += other.returned;
        self.returned_bytes += other.returned_bytes;
        self.items_read += other.items_read;
        self.bytes_read += other.bytes_read;
        self.read_units += other.read_units;
        self.items_written += other.items_written;
        self.write_units += other.write_units;
    }

    /// How long the writes take at `items_per_second` (`--max-rate`).
    pub fn time_at(&self, items_per_second: u32) -> Duration {
        Duration::from_secs_f64(self.items_written as f64 / f64::from(items_per_second.max(1)))
    }

    /// How long the run takes within a budget of `write_units` per second (and `read_units`
    /// per second for its reads, when budgeted): the longer of its writes and its reads.
    pub fn time_within(&self, write_units: f64, read_units: Option<f64>) -> Duration {
        let writes = self.write_units / write_units.max(f64::MIN_POSITIVE);
        let reads = read_units.map_or(0.0, |units| self.read_units / units.max(f64::MIN_POSITIVE));
        Duration::from_secs_f64(writes.max(reads).min(1e12))
    }

    /// Counts a read response of `operation` (`Scan`, `Query`, `GetItem`, `BatchGetItem`) to
    /// `request`.
    pub(crate) fn read(&mut self, operation: &str, request: &Value, response: &Value) {
        let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
        let factor = if consistent { 1.0 } else { 0.5 };
        let units = |bytes: u64| bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64 * factor;
        match operation {
            // A page is charged on the total size of the items it read, rounded up once.
            "Scan" | "Query" => {
                let returned_bytes: u64 = items(&response["Items"]).map(map_size).sum();
                let returned = items(&response["Items"]).count() as u64;
                let scanned = response["ScannedCount"].as_u64().unwrap_or(returned);
                let average = match returned {
                    0 => self.returned_bytes.checked_div(self.returned).unwrap_or(0),
                    n => returned_bytes / n,
                };
                let bytes = returned_bytes + scanned.saturating_sub(returned) * average;
                self.returned += returned;
                self.returned_bytes += returned_bytes;
                self.items_read += scanned;
                self.bytes_read += bytes;
                if scanned > 0 {
                    self.read_units += units(bytes);
                }
            }
            "GetItem" => {
                if let Some(item) = response["Item"].as_object() {
                    let bytes = map_size(item);
                    self.count_returned(bytes);
                    self.read_units += units(bytes);
                }
            }
            "BatchGetItem" => {
                let responses = response["Responses"].as_object().into_iter().flatten();
                for item in responses.flat_map(|(_, items_of)| items(items_of)) {
                    let bytes = map_size(item);
                    self.count_returned(bytes);
                    self.read_units += units(bytes);
                }
            }
            _ => {}
        }
    }

    /// Counts a write request of `operation` the dry run kept from DynamoDB.
    pub(crate) fn write(&mut self, operation: &str, request: &Value) {
        match operation {
            "PutItem" | "UpdateItem" | "DeleteItem" => self.one_write(operation, request, 1.0),
            "BatchWriteItem" => {
                let tables = request["RequestItems"].as_object().into_iter().flatten();
                for write in tables.flat_map(|(_, writes)| items(writes)) {
                    match (write.get("PutRequest"), write.get("DeleteRequest")) {
                        (Some(put), _) => self.one_write("PutItem", put, 1.0),
                        (None, Some(delete)) => self.one_write("DeleteItem", delete, 1.0),
                        _ => {}
                    }
                }
            }
            "TransactWriteItems" => {
                for action in items(&request["TransactItems"]) {
                    let Some((kind, body)) = action.iter().next() else {
                        continue;
                    };
                    match kind.as_str() {
                        "Put" => self.one_write("PutItem", body, 2.0),
                        "Update" => self.one_write("UpdateItem", body, 2.0),
                        "Delete" => self.one_write("DeleteItem", body, 2.0),
                        // Charged like a write of the item, but writes nothing.
                        _ => self.write_units += 2.0 * self.units_of_average(0),
                    }
                }
            }
            _ => {}
        }
    }

    fn one_write(&mut self, operation: &str, request: &Value, factor: f64) {
        self.items_written += 1;
        let units = match operation {
            "PutItem" => request["Item"]
                .as_object()
                .map_or(1.0, |item| write_units(map_size(item))),
            "UpdateItem" => {
                let values = request["ExpressionAttributeValues"]
                    .as_object()
                    .map_or(0, |values| values.values().map(value_size).sum());
                self.units_of_average(values)
            }
            _ => self.units_of_average(0),
        };
        self.write_units += units * factor;
    }

    /// The write units of an item of the average size read so far, plus `extra` bytes.
    fn units_of_average(&self, extra: u64) -> f64 {
        let average = self.returned_bytes.checked_div(self.returned).unwrap_or(0);
        write_units(average + extra)
    }
}

fn write_units(bytes: u64) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

fn items(value: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// An item's (or a map's) size: every attribute's name and value.
fn map_size(map: &serde_json::Map<String, Value>) -> u64 {
    map.iter()
        .map(|(name, value)| name.len() as u64 + value_size(value))
        .sum()
}

/// A value's size as DynamoDB counts it, from its JSON wire form (`{"S": ...}`, `{"N": ...}`...).
fn value_size(value: &Value) -> u64 {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else {
        return 0;
    };
    let text = || inner.as_str().unwrap_or_default();
    match kind.as_str() {
        "S" => text().len() as u64,
        "N" => number_size(text()),
        // Base64 on the wire: three bytes per four characters.
        "B" => (text().len() as u64) * 3 / 4,
        "BOOL" | "NULL" => 1,
        "SS" => strings(inner).map(|s| s.len() as u64).sum(),
        "NS" => strings(inner).map(number_size).sum(),
        "BS" => strings(inner).map(|s| s.len() as u64 * 3 / 4).sum(),
        "L" => {
            3 + inner
                .as_array()
                .map_or(0, |l| l.iter().map(|v| 1 + value_size(v)).sum())
        }
        "M" => {
            3 + inner
                .as_object()
                .map_or(0, |m| map_size(m) + m.len() as u64)
        }
        _ => 0,
    }
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A number's size: about one byte per two significant digits, plus one.
fn number_size(text: &str) -> u64 {
    let digits = text
        .trim_start_matches(['-', '+'])
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len() as u64;
    significant.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::DryRunCost;

    #[test]
    fn reads_and_writes_are_charged_by_size() {
        let mut cost = DryRunCost::default();
        // Two items of 4 + 2 + 2000 bytes: one page of 4,012 bytes, 1 unit consistent.
        let item = json!({"PK": {"S": "ab"}, "bio": {"S": "x".repeat(2000)}});
        let page = json!({"Items": [item, item]});
        cost.read("Scan", &json!({"ConsistentRead": true}), &page);
        assert_eq!(cost.items_read, 2);
        assert_eq!(cost.bytes_read, 2 * (2 + 2 + 3 + 2000));
        assert_eq!(cost.read_units, 1.0);
        // Eventually consistent: half.
        cost.read("GetItem", &json!({}), &json!({"Item": item}));
        assert_eq!(cost.read_units, 1.5);
        // A filtered page that read 4 items and returned 1: charged for 4 of its size
        // (8,028 bytes: 2 units, 1 eventually consistent).
        cost.read(
            "Scan",
            &json!({}),
            &json!({"Items": [item], "ScannedCount": 4}),
        );
        assert_eq!(cost.items_read, 7);
        assert_eq!(cost.read_units, 2.5);
        // A page that returned none is charged at the average size so far.
        cost.read("Scan", &json!({}), &json!({"Items": [], "ScannedCount": 3}));
        assert_eq!(cost.items_read, 10);
        assert_eq!(cost.bytes_read, 10 * 2007);

        // A 2,007-byte put: 2 units; in a transaction, 4.
        cost.write("PutItem", &json!({"Item": item}));
        cost.write(
            "TransactWriteItems",
            &json!({"TransactItems": [{"Put": {"Item": item}}]}),
        );
        assert_eq!(cost.items_written, 2);
        assert_eq!(cost.write_units, 6.0);
        // An update of an average (2,007-byte) item: 2 units.
        cost.write(
            "UpdateItem",
            &json!({"ExpressionAttributeValues": {":v": {"N": "1"}}}),
        );
        assert_eq!(cost.write_units, 8.0);
        assert_eq!(cost.time_at(2).as_secs(), 1);
    }
}
