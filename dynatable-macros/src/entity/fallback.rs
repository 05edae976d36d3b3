//! What an `#[entity]` with errors expands to: the struct, the errors, and a stub `Entity` impl,
//! so the user sees the real errors, not follow-on ones about a missing `Entity` implementation.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Path};

use crate::ctxt::Ctxt;

pub(crate) fn fallback(input: &DeriveInput, crate_path: Option<Path>, cx: Ctxt) -> TokenStream {
    let errors = cx.into_compile_errors();
    let is_plain_struct = matches!(&input.data, Data::Struct(s) if matches!(s.fields, Fields::Named(_)))
        && input.generics.params.is_empty()
        && input.generics.where_clause.is_none();
    if !is_plain_struct {
        return quote!(#input #errors);
    }
    let krate = crate_path.unwrap_or_else(|| syn::parse_quote!(::dynatable_core));
    let p = quote!(#krate::__private);
    let ident = &input.ident;
    quote! {
        #input
        #errors
        #[automatically_derived]
        impl #p::Entity for #ident {
            const SCHEMA: &'static #p::EntitySchema = &#p::EntitySchema {
                name: "",
                rust_type: "",
                key: #p::KeySchema {
                    pk: #p::KeyTemplate { source: "", segments: &[] },
                    sk: #p::KeyTemplate { source: "", segments: &[] },
                },
                indexes: &[],
                previous_keys: &[],
                attributes: &[],
                since: ::core::option::Option::None,
                version: ::core::option::Option::None,
                updated_at: ::core::option::Option::None,
                created_at: ::core::option::Option::None,
                ttl: ::core::option::Option::None,
            };
            fn primary_key(&self) -> #p::PrimaryKey {
                loop {}
            }
            fn to_item(&self) -> #p::Result<#p::Item, #p::EncodeError> {
                loop {}
            }
            fn from_item(_: #p::Item) -> #p::Result<Self, #p::DecodeError> {
                loop {}
            }
        }
    }
}
