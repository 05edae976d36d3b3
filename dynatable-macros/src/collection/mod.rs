//! `#[collection]` on an enum of entities: parse ([`attr`]) → model and checks ([`ast`]) →
//! [`expand`]. The check that the members share a partition runs at compile time in a constant
//! the expansion generates (templates are known only to each entity's own expansion).

mod ast;
mod attr;
mod expand;

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
    let model = ast::build(&cx, &input, container);
    strip_collection_attributes(&mut input);
    match model {
        Some(model) if !cx.has_errors() => {
            let generated = expand::generate(&model);
            quote!(#input #generated)
        }
        // The enum stays, so the errors are the only ones the user sees.
        _ => {
            let errors = cx.into_compile_errors();
            quote!(#input #errors)
        }
    }
}

/// Removes `#[collection(...)]` from the variants: this macro's options, not attributes the
/// compiler knows.
fn strip_collection_attributes(input: &mut DeriveInput) {
    if let Data::Enum(data) = &mut input.data {
        for variant in &mut data.variants {
            variant.attrs.retain(|a| !a.path().is_ident("collection"));
        }
    }
}
