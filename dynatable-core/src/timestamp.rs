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
///   and comparable as text. Read back from any RFC 3339 text, with a numeric offset from UTC
///   too (`2026-11-24T07:20:47+01:00`), as other writers of a table may have stored it.
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

    /// Reads RFC 3339 / ISO-8601 text, in UTC (`2026-11-24T06:20:47Z`) or with a numeric offset
    /// from it (`2026-11-24T07:20:47+01:00`, as other writers of a table may store times);
    /// fractions of a second optional, truncated to the millisecond.
    fn from_str(text: &str) -> Result<Self, ValueError> {
        if let Some(millis) = canonical_millis(text) {
            return Ok(Self(millis));
        }
        let invalid = || ValueError::InvalidText {
            text: text.to_owned(),
            target: "ISO-8601 timestamp",
        };
        let time = humantime::parse_rfc3339(text)
            .ok()
            .or_else(|| with_offset(text))
            .ok_or_else(invalid)?;
        if time < UNIX_EPOCH {
            return Err(invalid());
        }
        Ok(Self::from(time))
    }
}

/// The instant `text` names when it ends in a numeric offset from UTC (`+01:00`, `-05:30`), which
/// `humantime` reads only as `+00:00`: the same text read as UTC, moved by the offset.
fn with_offset(text: &str) -> Option<SystemTime> {
    let (local, offset) = text.split_at_checked(text.len().checked_sub(6)?)?;
    let &[sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] = offset.as_bytes() else {
        return None;
    };
    let two_digits = |tens: u8, ones: u8| {
        (tens.is_ascii_digit() && ones.is_ascii_digit())
            .then(|| u64::from(tens - b'0') * 10 + u64::from(ones - b'0'))
    };
    let (hours, minutes) = (two_digits(h0, h1)?, two_digits(m0, m1)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let as_utc = humantime::parse_rfc3339(&format!("{local}Z")).ok()?;
    let offset = Duration::from_secs((hours * 60 + minutes) * 60);
    // Local time is UTC plus the offset.
    if sign == b'+' {
        as_utc.checked_sub(offset)
    } else {
        as_utc.checked_add(offset)
    }
}

/// The milliseconds since the epoch of `text` in the form [`Timestamp`] writes
/// (`YYYY-MM-DDTHH:MM:SS.mmmZ`, from 1970 on); `None` for any other form, which `humantime`
/// reads or refuses. Every timestamp attribute of every item read goes through here, faster than
/// `humantime` and the conversion from `SystemTime`.
fn canonical_millis(text: &str) -> Option<u64> {
    let &[
        y0,
        y1,
        y2,
        y3,
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        b'.',
        f0,
        f1,
        f2,
        b'Z',
    ] = text.as_bytes()
    else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
        })
    };
    let year = number(&[y0, y1, y2, y3])?;
    let month = number(&[m0, m1])?;
    let day = number(&[d0, d1])?;
    let (hour, minute, second) = (number(&[h0, h1])?, number(&[i0, i1])?, number(&[s0, s1])?);
    let millis = number(&[f0, f1, f2])?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if year < 1970 || day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from the epoch to the date, counting years from March so that the leap day ends one
    // (the civil-from-days algorithm of Howard Hinnant, for years from 1969 on).
    let y = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (y / 400, y % 400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some((((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis)
}

impl AttributeCodec for Timestamp {
    const KIND: AttributeKind = AttributeKind::String;

    fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.to_string())))
    }

    #[inline]
    fn decode(value: AttributeValue) -> Result<Self, ValueError> {
        String::decode(value)?.parse()
    }

    #[inline]
    fn decode_wire(value: crate::codec::WireValue<'_>) -> Result<Self, ValueError> {
        match value {
            crate::codec::WireValue::S(text) => text.parse(),
            other => String::decode_wire(other).and_then(|text| text.parse()),
        }
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

    /// `humantime`'s reading of `text`, what [`canonical_millis`] must agree with.
    fn by_humantime(text: &str) -> Option<u64> {
        let time = humantime::parse_rfc3339(text).ok()?;
        Some(Timestamp::from(time).as_millis())
    }

    #[test]
    fn canonical_text_reads_as_humantime_reads_it() {
        // About 80,000 instants from 1970 to 9999, every millisecond digit and time of day.
        let last = 253_402_300_799_999u64;
        let mut checked = 0;
        for millis in (0..=last).step_by(3_156_192_371).chain([0, last]) {
            let text = Timestamp::from_millis(millis).to_string();
            assert_eq!(canonical_millis(&text), Some(millis), "{text}");
            assert_eq!(by_humantime(&text), Some(millis), "{text}");
            checked += 1;
        }
        assert!(checked > 80_000, "{checked}");
        for text in [
            "2000-02-29T12:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2100-03-01T00:00:00.000Z",
            "1970-01-01T00:00:00.000Z",
            "2026-12-31T23:59:59.999Z",
        ] {
            assert_eq!(canonical_millis(text), by_humantime(text), "{text}");
            assert!(canonical_millis(text).is_some(), "{text}");
        }
        // Not a date, or not this form: left to humantime, which reads or refuses it.
        for text in [
            "2100-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-04-31T00:00:00.000Z",
            "2026-11-24T24:00:00.000Z",
            "2026-11-24T06:20:60.000Z",
            "1969-12-31T23:59:59.999Z",
            "2026-11-24T06:20:47Z",
            "2026-11-24T06:20:47.123456Z",
            "2026-11-24 06:20:47.123Z",
            "2026-1a-24T06:20:47.123Z",
            "+026-11-24T06:20:47.123Z",
        ] {
            assert_eq!(canonical_millis(text), None, "{text}");
        }
        let fallback: Timestamp = "2026-11-24T06:20:47Z".parse().unwrap();
        assert_eq!(fallback.as_millis(), 1_795_501_247_000);
        assert!("2100-02-29T00:00:00.000Z".parse::<Timestamp>().is_err());
    }

    #[test]
    fn offsets_from_utc_are_read_as_the_instant_they_name() {
        let utc: Timestamp = "2026-11-24T06:20:47Z".parse().unwrap();
        for same in [
            "2026-11-24T06:20:47+00:00",
            "2026-11-24T07:20:47+01:00",
            "2026-11-24T00:50:47.000-05:30",
            "2026-11-25T05:20:47.000999+23:00",
        ] {
            assert_eq!(same.parse::<Timestamp>().unwrap(), utc, "{same}");
        }
        for refused in [
            "2026-11-24T06:20:47+24:00",
            "2026-11-24T06:20:47+01:60",
            "2026-11-24T06:20:47+0100",
            "2026-11-24T06:20:47 01:00",
            "1970-01-01T00:30:00+01:00",
            "+01:00",
        ] {
            assert!(refused.parse::<Timestamp>().is_err(), "{refused}");
        }
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
