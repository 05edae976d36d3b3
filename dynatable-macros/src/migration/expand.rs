//! The registration `#[migration]` adds beside the impl: version, name, checksum, and a function
//! the runner calls through a pointer.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use sha2::{Digest, Sha256};
use syn::ItemImpl;
use syn::spanned::Spanned;

use super::attr::Args;
use super::check::Checked;

/// The tokens with every trailing comma before a closing delimiter dropped (rustfmt adds and
/// removes them when it reflows a list).
fn without_trailing_commas(tokens: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let last = tokens.len().checked_sub(1);
    tokens
        .into_iter()
        .enumerate()
        .filter(|(i, t)| {
            !(Some(*i) == last && matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
        })
        .map(|(_, t)| match t {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), without_trailing_commas(g.stream()));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other,
        })
        .collect()
}

/// SHA-256 of the impl block's tokens, without doc comments or trailing commas: formatting and
/// comments do not change it, code does.
fn checksum(item: &ItemImpl) -> String {
    let mut item = item.clone();
    item.attrs.retain(|a| !a.path().is_ident("doc"));
    for member in &mut item.items {
        if let syn::ImplItem::Fn(f) = member {
            f.attrs.retain(|a| !a.path().is_ident("doc"));
        }
    }
    let normalized = without_trailing_commas(item.to_token_stream()).to_string();
    let digest = Sha256::digest(normalized.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn registration(args: &Args, item: &ItemImpl, checked: &Checked) -> TokenStream {
    let krate = args
        .crate_path
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::dynatable_migrate));
    let p = quote!(#krate::__private);
    let ty = &item.self_ty;
    let version = &checked.version;
    let name = &checked.name;
    let checksum = checksum(item);
    let irreversible = match &args.irreversible {
        Some(reason) => quote!(::core::option::Option::Some(#reason)),
        None => quote!(::core::option::Option::None),
    };
    let instance = quote_spanned!(ty.span()=> #ty);
    quote! {
        const _: () = {
            fn __run<'a>(
                direction: #p::Direction,
                ctx: &'a #p::Context,
            ) -> #p::BoxFuture<'a, #p::Result<()>> {
                ::std::boxed::Box::pin(async move {
                    let migration = #instance;
                    match direction {
                        #p::Direction::Up => <#ty as #p::Migration>::up(&migration, ctx).await,
                        #p::Direction::Down => <#ty as #p::Migration>::down(&migration, ctx).await,
                    }
                })
            }
            #p::inventory::submit! {
                #p::MigrationRegistration {
                    version: #version,
                    name: #name,
                    checksum: #checksum,
                    irreversible: #irreversible,
                    module: ::core::module_path!(),
                    run: __run,
                }
            }
        };
    }
}
