//! Values that can fill a placeholder of a key template, rendered so that keys sort as the values
//! do.

use crate::error::ValueError;

/// A type that can fill a `{placeholder}` of a key template.
///
/// Implemented for `str`, `String`, the integer types, `bool`, `char` and
/// [`Timestamp`](crate::Timestamp). Implement it (with [`ParseKeySegment`]) for an id newtype to
/// use the newtype in templates.
///
/// **Integers sort.** Keys compare as text, so integers are written zero-padded to the width of
/// their type's largest value (`u32`: 10 digits, `u64`: 20, ...), and signed ones offset so
/// that negative numbers come first: an `i32` is written as its value plus 2³¹, padded (so
/// -1 < 0 < 1 in key order too). A template may give an unsigned placeholder a width of its
/// own, `{seq:08}`; a value wider than that is written in full, and sorts out of order.
///
/// ```
/// use dynatable_core::{KeySegment, ParseKeySegment, ValueError};
///
/// #[derive(Debug, Clone, PartialEq)]
/// pub struct UserId(String);
///
/// impl KeySegment for UserId {
///     fn write_key_segment(&self, out: &mut String) {
///         out.push_str(&self.0);
///     }
/// }
///
/// impl ParseKeySegment for UserId {
///     fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
///         Ok(UserId(text.to_owned()))
///     }
/// }
/// ```
pub trait KeySegment {
    /// Appends the value's key text to `out`.
    fn write_key_segment(&self, out: &mut String);
}

/// A type that can be read back from a `{placeholder}` of a key.
pub trait ParseKeySegment: Sized {
    /// Parses the placeholder's text.
    ///
    /// # Errors
    /// [`ValueError::InvalidText`] when the text is not a valid value.
    fn parse_key_segment(text: &str) -> Result<Self, ValueError>;
}

impl KeySegment for str {
    fn write_key_segment(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl KeySegment for String {
    fn write_key_segment(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: KeySegment + ?Sized> KeySegment for &T {
    fn write_key_segment(&self, out: &mut String) {
        (**self).write_key_segment(out);
    }
}

impl ParseKeySegment for String {
    fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }
}

impl KeySegment for bool {
    fn write_key_segment(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl KeySegment for char {
    fn write_key_segment(&self, out: &mut String) {
        out.push(*self);
    }
}

macro_rules! parse_with_from_str {
    ($($ty:ty),*) => {$(
        impl ParseKeySegment for $ty {
            fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
                text.parse().map_err(|_| ValueError::InvalidText {
                    text: text.to_owned(),
                    target: stringify!($ty),
                })
            }
        }
    )*};
}

parse_with_from_str!(bool, char, u8, u16, u32, u64, u128, usize);

/// Appends `digits` zero-padded to `width`.
pub(crate) fn push_padded(out: &mut String, digits: &str, width: usize) {
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// Unsigned integers: zero-padded to the digits of the type's largest value (`usize` as `u64`,
/// so keys do not depend on the platform).
macro_rules! unsigned_segment {
    ($($ty:ty => $width:expr),*) => {$(
        impl KeySegment for $ty {
            fn write_key_segment(&self, out: &mut String) {
                push_padded(out, itoa::Buffer::new().format(*self), $width);
            }
        }

        impl PaddedKeySegment for $ty {
            fn write_padded_key_segment(&self, out: &mut String, width: usize) {
                push_padded(out, itoa::Buffer::new().format(*self), width);
            }
        }
    )*};
}

unsigned_segment!(u8 => 3, u16 => 5, u32 => 10, u64 => 20, u128 => 39, usize => 20);

/// Signed integers: the value plus the type's offset (2³¹ for `i32`) as the unsigned type of the
/// same size, zero-padded, so that key order is numeric order across signs.
macro_rules! signed_segment {
    ($($ty:ty => $unsigned:ty),*) => {$(
        impl KeySegment for $ty {
            fn write_key_segment(&self, out: &mut String) {
                #[allow(clippy::cast_sign_loss, reason = "the bits, offset: the point")]
                let offset = (*self as $unsigned) ^ (1 << (<$unsigned>::BITS - 1));
                offset.write_key_segment(out);
            }
        }

        impl ParseKeySegment for $ty {
            fn parse_key_segment(text: &str) -> Result<Self, ValueError> {
                let offset = <$unsigned>::parse_key_segment(text).map_err(|_| ValueError::InvalidText {
                    text: text.to_owned(),
                    target: stringify!($ty),
                })?;
                #[allow(clippy::cast_possible_wrap, reason = "the bits, offset back")]
                Ok((offset ^ (1 << (<$unsigned>::BITS - 1))) as $ty)
            }
        }
    )*};
}

signed_segment!(i8 => u8, i16 => u16, i32 => u32, i64 => u64, i128 => u128, isize => u64);

/// An unsigned integer a template may give a width of its own (`{seq:08}`).
#[diagnostic::on_unimplemented(
    message = "a placeholder with a width takes an unsigned integer, not `{Self}`",
    note = "signed integers are offset to sort across signs, and take their type's width"
)]
pub trait PaddedKeySegment {
    /// Appends the value zero-padded to at least `width` digits.
    fn write_padded_key_segment(&self, out: &mut String, width: usize);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<T: KeySegment>(value: T) -> String {
        let mut out = String::new();
        value.write_key_segment(&mut out);
        out
    }

    #[test]
    fn integers_sort_as_text_across_signs_and_parse_back() {
        let signed = [i64::MIN, -1_000, -1, 0, 1, 42, i64::MAX];
        let keys: Vec<String> = signed.iter().map(|v| key(*v)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert!(keys.iter().all(|k| k.len() == 20));
        for (value, text) in signed.iter().zip(&keys) {
            assert_eq!(i64::parse_key_segment(text).unwrap(), *value);
        }
        assert_eq!(key(7u32), "0000000007");
        assert_eq!(key(-1i8), "127");
        assert_eq!(i8::parse_key_segment("127").unwrap(), -1);
        assert_eq!(u32::parse_key_segment("0000000007").unwrap(), 7);
        let mut padded = String::new();
        42u64.write_padded_key_segment(&mut padded, 8);
        assert_eq!(padded, "00000042");
        assert!(i32::parse_key_segment("-5").is_err());
    }
}
