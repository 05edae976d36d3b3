use crate::error::ValueError;

/// A type that can fill a `{placeholder}` of a key template.
///
/// Implemented for `str`, `String`, the integer types, `bool` and `char`. Implement it (with
/// [`ParseKeySegment`]) for an id newtype to use the newtype in templates.
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

parse_with_from_str!(
    bool, char, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

macro_rules! integer_segment {
    ($($ty:ty),*) => {$(
        impl KeySegment for $ty {
            fn write_key_segment(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
        }
    )*};
}

integer_segment!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);
