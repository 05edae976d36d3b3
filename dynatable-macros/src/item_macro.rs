//! The driver shared by the attribute macros on a struct or an enum whose helper options sit on
//! its fields or variants (`#[collection]`, `#[projection]`): parse the options, build the
//! model (collecting every error), strip the helper attributes, expand.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Data, DeriveInput};

use crate::ctxt::Ctxt;
use crate::meta_option::{key_of, unknown_key};

/// Runs `parse` → `build` → `generate` over `input`; `name` is the macro's, whose attributes
/// on fields and variants are its own options and are removed from the output. On errors the
/// item stays as written, so the errors are the only ones the user sees.
pub(crate) fn expand<C, M>(
    name: &str,
    args: TokenStream,
    input: TokenStream,
    parse: impl FnOnce(&Ctxt, TokenStream) -> C,
    build: impl FnOnce(&Ctxt, &DeriveInput, C) -> Option<M>,
    generate: impl FnOnce(&M) -> TokenStream,
) -> TokenStream {
    let mut input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.into_compile_error(),
    };
    let cx = Ctxt::default();
    let options = parse(&cx, args);
    let model = build(&cx, &input, options);
    strip(&mut input, name);
    match model {
        Some(model) if !cx.has_errors() => {
            let generated = generate(&model);
            quote!(#input #generated)
        }
        _ => {
            let errors = cx.into_compile_errors();
            quote!(#input #errors)
        }
    }
}

/// Removes `#[name(...)]` from the fields and variants.
fn strip(input: &mut DeriveInput, name: &str) {
    let own = |a: &Attribute| a.path().is_ident(name);
    match &mut input.data {
        Data::Struct(data) => {
            for field in data.fields.iter_mut() {
                field.attrs.retain(|a| !own(a));
            }
        }
        Data::Enum(data) => {
            for variant in &mut data.variants {
                variant.attrs.retain(|a| !own(a));
                for field in variant.fields.iter_mut() {
                    field.attrs.retain(|a| !own(a));
                }
            }
        }
        Data::Union(_) => {}
    }
}

/// Whether the `#[name(...)]` attributes among `attrs` set the option `flag` (a bare word; the
/// only one `what` takes): duplicates and unknown words are reported.
pub(crate) fn flag(cx: &Ctxt, attrs: &[Attribute], name: &str, what: &str, flag: &str) -> bool {
    let mut set = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        let parsed = attr.parse_nested_meta(|meta| {
            if key_of(&meta) != flag {
                return unknown_key(cx, &meta, what, &[flag]);
            }
            if set {
                cx.error_spanned_by(&meta.path, format!("duplicate `{flag}` option"));
            }
            set = true;
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    set
}
