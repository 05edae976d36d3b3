//! [`Timestamp`]: a point in time to the millisecond, stored as ISO-8601 text, written in keys
//! so that string order is time order, and as epoch seconds in a TTL attribute.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::codec::AttributeCodec;
use crate::error::ValueError;
use crate::key_segment::{KeySegment, ParseKeySegment};
use crate::schema::AttributeKind;

/// The digits of a timestamp in a key: milliseconds since the Unix epoch, zero-padded, so keys
/// sort by time from 1970 to the year 2286.
const KEY_DIGITS: usize = 13;

/// A point in time, to the millisecond (from the Unix epoch on).
///
/// - As an attribute: ISO-8601 text in UTC (`2026-11-24T06:20:47.000Z`), readable in the console
///   and comparable as text.
/// - In a key template: milliseconds since the epoch, zero-padded to 13 digits
///   (`1795501247000`), so that items sort by time (`PHOTO#{created_at}#{photo_id}`).
/// - As an entity's TTL (`#[entity(ttl)]`): epoch seconds (`N`), what DynamoDB's time to live
///   reads.
///
/// ```
/// use dynatable_core::Timestamp;
///
/// let t: Timestamp = "2026-11-24T06:20:47.000Z".parse().unwrap();
/// assert_eq!(t.as_millis(), 1_795_501_247_000);
/// assert_eq!(t.to_string(), "2026-11-24T06:20:47.000Z");
/// assert!(Timestamp::from_millis(5) < t);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// Now, to the millisecond (the Unix epoch if the clock is set before it).
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// The time `seconds` seconds after the Unix epoch.
    pub const fn from_epoch_seconds(seconds: u64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (what a TTL attribute holds).
    pub const fn as_epoch_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// `duration` later (saturating at the largest timestamp).
    #[must_use]
    pub fn after(self, duration: Duration) -> Self {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(millis))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        Self(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }
}

impl From<Timestamp> for SystemTime {
    fn from(time: Timestamp) -> Self {
        UNIX_EPOCH + Duration::from_millis(time.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            humantime::format_rfc3339_millis(SystemTime::from(*self))
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ValueError;

    /// Reads RFC 3339 / ISO-8601 text in UTC (`2026-11-24T06:20:47Z`, fractions optional).
    fn from_str(text: &str) -> Result<Self, ValueError> {
        let invalid = || ValueError::InvalidText {
            text: text.to_owned(),
            target: "ISO-8601 timestamp",
        };
        let time = humantime::parse_rfc3339(text).map_err(|_| invalid())?;
        if time < UNIX_EPOCH {
            return Err(invalid());
        }
        Ok(Self::from(time))
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
        crate::key_segment::push_padded(out, itoa::Buffer::new().format(self.0), KEY_DIGITS);
    }
}

impl ParseKeySegment for Timestamp {
    /// Reads the digits back, padded or not.
    fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
        u64::parse_key_segment(text).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: Timestamp) -> String {
        let mut out = String::new();
        t.write_key_segment(&mut out);
        out
    }

    #[test]
    fn keys_sort_by_time_and_parse_back() {
        let times = [0, 5, 999_999_999_999, 1_795_501_247_000].map(Timestamp::from_millis);
        let keys = times.map(key);
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(keys[1], "0000000000005");
        for (t, k) in times.iter().zip(&keys) {
            assert_eq!(Timestamp::parse_key_segment(k).unwrap(), *t);
        }
        assert_eq!(
            Timestamp::parse_key_segment("1795501247000").unwrap(),
            times[3]
        );
    }

    #[test]
    fn iso_text_round_trips_and_bad_text_is_an_error() {
        let t = Timestamp::from_millis(1_795_501_247_123);
        let text = t.to_string();
        assert_eq!(text, "2026-11-24T06:20:47.123Z");
        assert_eq!(text.parse::<Timestamp>().unwrap(), t);
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert_eq!(t.as_epoch_seconds(), 1_795_501_247);
        assert_eq!(Timestamp::from_epoch_seconds(2).as_millis(), 2000);
    }
}
