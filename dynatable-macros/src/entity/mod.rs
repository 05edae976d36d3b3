//! `#[entity]`: parse ([`attr`], [`template`]) → model ([`ast`], its [`key_history`]) → [`check`]
//! → [`expand`], or, on errors, [`fallback`].

mod ast;
mod attr;
mod check;
mod expand;
mod fallback;
mod key_history;
mod template;
mod ty;

pub(crate) use ty::option_inner;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput};

use crate::ctxt::Ctxt;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.into_compile_error(),
    };
    let cx = Ctxt::default();
    let container = attr::Container::parse(&cx, args);
    let crate_path = container.crate_path.clone();
    let model = ast::build(&cx, &input, container);
    if let Some(model) = &model {
        check::check(&cx, model);
    }
    strip_entity_attributes(&mut input);
    match model {
        Some(model) if !cx.has_errors() => {
            let generated = expand::generate(&model);
            quote!(#input #generated)
        }
        _ => fallback::fallback(&input, crate_path, cx),
    }
}

/// Removes `#[entity(...)]` from the fields (they are this macro's options, not attributes the
/// compiler knows) and any repeated `#[entity]` on the struct (already reported).
fn strip_entity_attributes(input: &mut DeriveInput) {
    let is_entity = |a: &syn::Attribute| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "entity")
    };
    input.attrs.retain(|a| !is_entity(a));
    if let Data::Struct(data) = &mut input.data {
        for field in data.fields.iter_mut() {
            field.attrs.retain(|a| !a.path().is_ident("entity"));
        }
    }
}
