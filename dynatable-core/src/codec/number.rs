//! Integers and floats, stored as `N` with no precision loss.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{AttributeCodec, WireValue, mismatch, wire_mismatch};
use crate::error::ValueError;
use crate::schema::AttributeKind;

/// Parses the text of an `N` value as the Rust number type `T`.
pub(crate) fn parse_number<T: std::str::FromStr>(
    text: String,
    target: &'static str,
) -> Result<T, ValueError> {
    text.parse()
        .map_err(|_| ValueError::InvalidText { text, target })
}

/// The text of a number, for `N` values and `NS` members.
pub(crate) trait NumberText: Sized {
    fn number_text(&self) -> Result<String, ValueError>;
    fn from_number_text(text: String) -> Result<Self, ValueError>;
}

/// DynamoDB numbers hold at most 38 significant digits.
const MAX_PRECISION: usize = 38;
/// DynamoDB numbers are below 10^126 in magnitude ...
const MAX_MAGNITUDE: f64 = 1e126;
/// ... and, when not zero, at least 10^-130.
const MIN_MAGNITUDE: f64 = 1e-130;

/// Checks an integer's text against DynamoDB's 38 significant digits.
fn within_precision(text: &str) -> Result<(), ValueError> {
    let digits = text.trim_start_matches('-').trim_end_matches('0');
    if digits.len() > MAX_PRECISION {
        Err(ValueError::NotRepresentable {
            reason: format!(
                "{text} has more than {MAX_PRECISION} significant digits, the most a DynamoDB number holds"
            ),
        })
    } else {
        Ok(())
    }
}

macro_rules! integer {
    ($($ty:ty),*) => {$(
        impl NumberText for $ty {
            fn number_text(&self) -> Result<String, ValueError> {
                let text = itoa::Buffer::new().format(*self).to_owned();
                within_precision(&text)?;
                Ok(text)
            }
            fn from_number_text(text: String) -> Result<Self, ValueError> {
                parse_number(text, stringify!($ty))
            }
        }
    )*};
}

integer!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

macro_rules! float {
    ($($ty:ty),*) => {$(
        impl NumberText for $ty {
            fn number_text(&self) -> Result<String, ValueError> {
                let magnitude = f64::from(self.abs());
                if !self.is_finite() {
                    Err(ValueError::NotRepresentable {
                        reason: format!("{self} cannot be stored: DynamoDB numbers are finite"),
                    })
                } else if magnitude >= MAX_MAGNITUDE || (magnitude != 0.0 && magnitude < MIN_MAGNITUDE) {
                    Err(ValueError::NotRepresentable {
                        reason: format!("{self:e} is outside the range of DynamoDB numbers (1e-130 to 1e126)"),
                    })
                } else {
                    Ok(ryu::Buffer::new().format_finite(*self).to_owned())
                }
            }
            fn from_number_text(text: String) -> Result<Self, ValueError> {
                parse_number(text, stringify!($ty))
            }
        }
    )*};
}

float!(f32, f64);

macro_rules! number_codec {
    ($($ty:ty),*) => {$(
        impl AttributeCodec for $ty {
            const KIND: AttributeKind = AttributeKind::Number;

            fn encode(&self) -> Result<Option<AttributeValue>, ValueError> {
                Ok(Some(AttributeValue::N(self.number_text()?)))
            }

            #[inline]
            fn decode(value: AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::N(text) => Self::from_number_text(text),
                    other => Err(mismatch::<Self>(&other)),
                }
            }

            #[inline]
            fn decode_wire(value: WireValue<'_>) -> Result<Self, ValueError> {
                match value {
                    // Parsed from the answer's text: no copy unless it does not fit.
                    WireValue::N(text) => text.parse().map_err(|_| ValueError::InvalidText {
                        text: text.into_owned(),
                        target: stringify!($ty),
                    }),
                    other => Err(wire_mismatch::<Self>(&other)),
                }
            }
        }
    )*};
}

number_codec!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
