//! The shards of a stream and their lineage: a shard splits into children when DynamoDB
//! repartitions, and a child's records come after its parent's, so a parent is read to its end
//! before its children.

use std::collections::BTreeMap;

use aws_sdk_dynamodbstreams::Client;

use super::error::StreamError;
use super::retry::with_retries;

/// One shard, as `DescribeStream` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    /// Still written to (it has no ending sequence number).
    pub(crate) open: bool,
}

/// Every shard of the stream, following `LastEvaluatedShardId` to the end.
pub(crate) async fn list_shards(
    client: &Client,
    arn: &str,
    table: &str,
) -> Result<Vec<Shard>, StreamError> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let output = with_retries("DescribeStream", table, || {
            client
                .describe_stream()
                .stream_arn(arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
        })
        .await?;
        let Some(description) = output.stream_description else {
            return Ok(shards);
        };
        for shard in description.shards.unwrap_or_default() {
            let Some(id) = shard.shard_id else { continue };
            let open = shard
                .sequence_number_range
                .as_ref()
                .is_none_or(|range| range.ending_sequence_number.is_none());
            shards.push(Shard {
                id,
                parent: shard.parent_shard_id,
                open,
            });
        }
        match description.last_evaluated_shard_id {
            Some(last) if start.as_deref() != Some(last.as_str()) => start = Some(last),
            _ => return Ok(shards),
        }
    }
}

/// The shards of `selected` that may be read now: not finished, and whose parent is finished or
/// not among the selected shards (its records all came before the catch-up's start, or were
/// trimmed).
pub(crate) fn ready(selected: &[Shard], finished: impl Fn(&str) -> bool) -> Vec<&Shard> {
    let by_id: BTreeMap<&str, &Shard> = selected.iter().map(|s| (s.id.as_str(), s)).collect();
    selected
        .iter()
        .filter(|shard| !finished(&shard.id))
        .filter(|shard| {
            shard
                .parent
                .as_deref()
                .is_none_or(|parent| !by_id.contains_key(parent) || finished(parent))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A shard as `DescribeStream` would list it.
    pub(crate) fn shard(id: &str, parent: Option<&str>, open: bool) -> Shard {
        Shard {
            id: id.to_owned(),
            parent: parent.map(str::to_owned),
            open,
        }
    }

    #[test]
    fn parents_are_read_before_their_children() {
        let shards = vec![
            shard("a", None, false),
            shard("b", Some("a"), false),
            shard("c", Some("a"), true),
            shard("d", Some("b"), true),
            shard("e", Some("gone"), true),
        ];
        let ids = |finished: &[&str]| {
            ready(&shards, |id| finished.contains(&id))
                .into_iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&[]),
            ["a", "e"],
            "a parent not listed does not hold its child back"
        );
        assert_eq!(ids(&["a"]), ["b", "c", "e"]);
        assert_eq!(ids(&["a", "b"]), ["c", "d", "e"]);
        assert_eq!(ids(&["a", "b", "c", "d", "e"]), Vec::<&str>::new());
    }
}
