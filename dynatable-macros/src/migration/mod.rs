//! `#[migration]` on `impl Migration for T`: parse ([`attr`]) → [`check`] → [`expand`].

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemImpl;

use crate::ctxt::Ctxt;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &input,
                "#[migration] goes on an `impl Migration for YourMigration { ... }` block, so it can \
                 checksum the code of `up` and `down`",
            );
            let error = error.into_compile_error();
            return quote!(#input #error);
        }
    };
    let cx = Ctxt::default();
    let args = attr::Args::parse(&cx, args);
    let checked = check::check(&cx, &args, &item);
    match checked {
        Some(checked) if !cx.has_errors() => {
            let registration = expand::registration(&args, &item, &checked);
            quote!(#item #registration)
        }
        // The impl stays, so the errors above are the only ones the user sees.
        _ => {
            let errors = cx.into_compile_errors();
            quote!(#item #errors)
        }
    }
}
