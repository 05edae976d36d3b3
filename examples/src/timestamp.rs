use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{AttributeCodec, AttributeKind, KeySegment, ParseKeySegment, ValueError};

/// A point in time, to the millisecond: stored as ISO-8601 text (`2026-11-24T06:20:47.000Z`),
/// written in keys as milliseconds since the Unix epoch (`1795501247000`), so that photos sort
/// by upload time.
///
/// ```
/// use dynatable_example::Timestamp;
///
/// let t: Timestamp = "2026-11-24T06:20:47.000Z".parse().unwrap();
/// assert_eq!(t.as_millis(), 1_795_501_247_000);
/// assert_eq!(t.to_string(), "2026-11-24T06:20:47.000Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// Now, to the millisecond.
    pub fn now() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }

    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = UNIX_EPOCH + Duration::from_millis(self.0);
        write!(f, "{}", humantime::format_rfc3339_millis(time))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Self, ValueError> {
        let invalid = || ValueError::InvalidText {
            text: text.to_owned(),
            target: "ISO-8601 timestamp",
        };
        let time = humantime::parse_rfc3339(text).map_err(|_| invalid())?;
        let millis = time.duration_since(UNIX_EPOCH).map_err(|_| invalid())?;
        Ok(Self(
            u64::try_from(millis.as_millis()).map_err(|_| invalid())?,
        ))
    }
}

impl AttributeCodec for Timestamp {
    const KIND: AttributeKind = AttributeKind::String;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.to_string())))
    }

    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        String::decode(value)?.parse()
    }
}

impl KeySegment for Timestamp {
    fn write_key_segment(&self, out: &mut String) {
        self.0.write_key_segment(out);
    }
}

impl ParseKeySegment for Timestamp {
    fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
        u64::parse_key_segment(text).map(Self)
    }
}
