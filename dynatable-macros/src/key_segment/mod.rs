//! `#[derive(KeySegment)]` on an enum of unit variants: parse and check ([`ast`]) → [`expand`].
//! The enum then fills key template placeholders and is stored as a string attribute, each
//! variant as its name (or as `rename_all` writes it).

mod ast;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.into_compile_error(),
    };
    let cx = Ctxt::default();
    let model = ast::build(&cx, &input);
    match model {
        Some(model) if !cx.has_errors() => expand::generate(&model),
        _ => cx.into_compile_errors(),
    }
}
