//! The generated code of a collection: its [`Collection`] and `QueryTarget` implementations, a
//! `MemberOf` and a `From` implementation per member, and the constant that checks at compile
//! time that the members share a partition.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::ast::Collection;

pub(crate) fn generate(collection: &Collection) -> TokenStream {
    let Collection {
        ident,
        members,
        other,
        index,
        krate,
    } = collection;
    let dt = quote!(#krate::__private);
    let index = match index {
        Some(index) => quote!(#dt::Option::Some(#index)),
        None => quote!(#dt::Option::None),
    };
    let types: Vec<_> = members.iter().map(|m| &m.ty).collect();
    let decode_arms = members.iter().enumerate().map(|(position, member)| {
        let (variant, ty) = (&member.variant, &member.ty);
        quote! {
            #dt::Option::Some(#position) => <#ty as #dt::CollectionMember>::from_member_item(item)
                .map(|value| #dt::Option::Some(Self::#variant(value))),
        }
    });
    let wire_arms = members.iter().enumerate().map(|(position, member)| {
        let (variant, ty) = (&member.variant, &member.ty);
        quote! {
            #dt::Option::Some(#position) => <#ty as #dt::CollectionMember>::from_member_wire(item)
                .map(|value| #dt::Option::Some(Self::#variant(value))),
        }
    });
    let no_member_wire = match other {
        Some(other) => quote!(#dt::Result::Ok(#dt::Option::Some(Self::#other(item.into_item())))),
        None => quote!(#dt::Result::Ok(#dt::Option::None)),
    };
    let no_member = match other {
        Some(other) => quote!(#dt::Result::Ok(#dt::Option::Some(Self::#other(item)))),
        None => quote!(#dt::Result::Ok(#dt::Option::None)),
    };
    let froms = members.iter().map(|member| {
        let (variant, ty) = (&member.variant, &member.ty);
        quote! {
            impl #dt::MemberOf<#ident> for #ty {}

            impl ::core::convert::From<#ty> for #ident {
                fn from(value: #ty) -> Self {
                    Self::#variant(value)
                }
            }
        }
    });
    let name = ident.to_string();
    // One check per member, spanned at its variant: the compile error of a mismatch points at
    // the member whose partition differs (or that lacks the index), and says why.
    let checks = members.iter().enumerate().map(|(at, member)| {
        quote_spanned! {member.variant.span()=>
            #[allow(clippy::panic)]
            const _: () = if let #dt::Option::Some(problem) = &#dt::collection_member_problem(
                #name,
                <#ident as #dt::Collection>::MEMBERS,
                <#ident as #dt::Collection>::INDEX,
                #at,
            ) {
                ::core::panic!("{}", problem.as_str())
            };
        }
    });
    let check = quote!(#(#checks)*);
    quote! {
        const _: () = {
            impl #dt::Collection for #ident {
                const MEMBERS: &'static [&'static #dt::EntitySchema] =
                    &[#(<#types as #dt::CollectionMember>::MEMBER_ENTITY),*];
                const INDEX: #dt::Option<&'static str> = #index;
            }

            impl #dt::QueryTarget for #ident {
                const DEFAULT_INDEX: #dt::Option<&'static str> = #index;

                fn query_keys(
                    index: #dt::Option<&str>,
                ) -> #dt::Result<#dt::QueryKeys, #dt::String> {
                    #dt::collection_query_keys(<Self as #dt::Collection>::MEMBERS, index)
                }

                fn entity_type() -> #dt::Option<&'static str> {
                    #dt::Option::None
                }

                fn expiry_attributes() -> ::std::vec::Vec<&'static str> {
                    #dt::collection_expiry_attributes(<Self as #dt::Collection>::MEMBERS)
                }

                fn projection() -> #dt::Option<&'static [&'static str]> {
                    static NAMES: #dt::OnceLock<::std::vec::Vec<&'static str>> =
                        #dt::OnceLock::new();
                    #dt::collection_projection(
                        &[#(<#types as #dt::CollectionMember>::MEMBER_ATTRIBUTES),*],
                        &NAMES,
                    )
                }

                #[inline]
                fn decode(
                    item: #dt::Item,
                ) -> #dt::Result<#dt::Option<Self>, #dt::DecodeError> {
                    match #dt::collection_member(&item, <Self as #dt::Collection>::MEMBERS) {
                        #(#decode_arms)*
                        _ => #no_member,
                    }
                }

                #[inline]
                fn decode_wire(
                    item: #dt::WireItem<'_>,
                ) -> #dt::Result<#dt::Option<Self>, #dt::DecodeError> {
                    match #dt::collection_member_wire(&item, <Self as #dt::Collection>::MEMBERS) {
                        #(#wire_arms)*
                        _ => #no_member_wire,
                    }
                }
            }

            #(#froms)*

            #check
        };
    }
}
