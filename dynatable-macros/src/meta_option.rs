//! Helpers for parsing `key = value` options of the macros' attributes, shared by `#[entity]` and
//! `#[migration]`: unknown keys listed with the valid ones, duplicates, string literals.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;

/// The option's name (`pk` in `pk = "..."`), empty for a path that is not a single name.
pub(crate) fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

pub(crate) fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    what: &str,
    valid: &[&str],
) -> syn::Result<()> {
    let path = &meta.path;
    let key = path.get_ident().map_or_else(
        || quote::quote!(#path).to_string().replace(' ', ""),
        ToString::to_string,
    );
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {what} option `{key}`{}; expected one of: {}",
            did_you_mean(&key, valid.iter().copied()),
            valid.join(", ")
        ),
    );
    skip_value(meta)
}

/// Consumes whatever follows an unknown key, so parsing can go on to the next one.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// Stores `value` in `slot`, or reports a duplicate at the second key.
pub(crate) fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, meta: &ParseNestedMeta<'_>, value: T) {
    if slot.is_some() {
        let key = key_of(meta);
        cx.error_spanned_by(&meta.path, format!("duplicate `{key}` option"));
    } else {
        *slot = Some(value);
    }
}

/// The string literal after `key =`; another expression is reported and skipped.
pub(crate) fn string_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    let key = key_of(meta);
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{key}` takes a string literal, e.g. {key} = \"...\""),
            );
            Ok(None)
        }
    }
}

pub(crate) fn set_string(
    cx: &Ctxt,
    slot: &mut Option<LitStr>,
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<()> {
    if let Some(value) = string_value(cx, meta)? {
        set_once(cx, slot, meta, value);
    }
    Ok(())
}

/// The path after `crate =`, given as a string literal (`crate = "::my::reexport"`).
pub(crate) fn set_crate_path(
    cx: &Ctxt,
    slot: &mut Option<Path>,
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<()> {
    if let Some(lit) = string_value(cx, meta)? {
        match lit.parse::<Path>() {
            Ok(path) => set_once(cx, slot, meta, path),
            Err(_) => cx.error_spanned_by(
                &lit,
                "`crate` must be a path, e.g. crate = \"my_app::dynatable\"",
            ),
        }
    }
    Ok(())
}

/// Parses a macro's `key = value, ...` arguments, handing each option to `option`; a syntax
/// error is collected in `cx` like the options' own errors.
pub(crate) fn parse_options(
    cx: &Ctxt,
    args: TokenStream,
    option: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    if let Err(e) = syn::meta::parser(option).parse2(args) {
        cx.syn_error(e);
    }
}
