//! What the macro can tell about a field's type from its tokens alone.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];
const FLOATS: &[&str] = &["f32", "f64"];
const NOT_SCALAR: &[&str] = &[
    "Vec", "VecDeque", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "Bytes", "Blob",
];

/// The last path segment's name: `String` for `std::string::String`.
pub(crate) fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_ident(&g.elem),
        Type::Paren(p) => last_ident(&p.elem),
        _ => None,
    }
}

/// `T` for `Option<T>`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let segment = p.path.segments.last()?;
    if segment.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

pub(crate) fn is_string(ty: &Type) -> bool {
    last_ident(ty).as_deref() == Some("String")
}

/// The kinds of field types the macro checks literals against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    Bool,
    Integer,
    Float,
    String,
    Char,
}

pub(crate) fn primitive(ty: &Type) -> Option<Primitive> {
    let name = last_ident(ty)?;
    Some(match name.as_str() {
        "bool" => Primitive::Bool,
        "String" => Primitive::String,
        "char" => Primitive::Char,
        n if INTEGERS.contains(&n) => Primitive::Integer,
        n if FLOATS.contains(&n) => Primitive::Float,
        _ => return None,
    })
}

/// How a key builder takes a placeholder's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyParam {
    /// `&str` for a `String` field.
    Str,
    /// By value: integers, `bool`, `char`.
    Copy,
    /// By reference: any other type implementing `KeySegment`.
    Ref,
}

pub(crate) fn key_param(ty: &Type) -> KeyParam {
    match primitive(ty) {
        Some(Primitive::String) => KeyParam::Str,
        Some(Primitive::Bool | Primitive::Integer | Primitive::Char) => KeyParam::Copy,
        _ => KeyParam::Ref,
    }
}

/// Why a type cannot fill a key placeholder, when the tokens show it.
pub(crate) fn not_a_key_type(ty: &Type) -> Option<&'static str> {
    if option_inner(ty).is_some() {
        return Some(
            "an `Option` field: every item needs a primary key, so the field must always have a \
             value (index key templates take `Option` fields: the index is then sparse)",
        );
    }
    match ty {
        Type::Array(_) | Type::Slice(_) | Type::Tuple(_) => {
            return Some(
                "not a scalar: key placeholders take strings, integers, `bool`, `char` or a `KeySegment` type",
            );
        }
        Type::Reference(_) => {
            return Some("a reference: entities own their values; use `String`");
        }
        _ => {}
    }
    let name = last_ident(ty)?;
    if FLOATS.contains(&name.as_str()) {
        return Some(
            "a float: floats do not render to one stable key text; use an integer or a string",
        );
    }
    NOT_SCALAR
        .contains(&name.as_str())
        .then_some("not a scalar: key placeholders take strings, integers, `bool`, `char` or a `KeySegment` type")
}

/// The type as written, without the spaces the token printer puts around punctuation.
pub(crate) fn display(ty: &Type) -> String {
    let mut out = ty.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        out = out.replace(from, to);
    }
    out
}
