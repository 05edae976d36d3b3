//! The generated code of a projection: its `Projection` and `QueryTarget` implementations, and
//! the constant through which the compiler checks each field against the entity's.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::Projection;

pub(crate) fn generate(projection: &Projection) -> TokenStream {
    let Projection {
        ident,
        of,
        fields,
        krate,
    } = projection;
    let p = quote!(#krate::__private);
    let names: Vec<_> = fields
        .iter()
        .map(|f| format_ident!("__ATTRIBUTE_{}", f.ident.to_string().to_uppercase()))
        .collect();
    let slots: Vec<_> = (0..fields.len())
        .map(|i| format_ident!("__slot{}", i))
        .collect();
    // Each attribute name comes from the entity's typed field: a field the entity lacks, or
    // one of another type, does not compile (the error points at the projection's field).
    let consts = fields.iter().zip(&names).map(|(f, name)| {
        let (field, ty) = (&f.ident, &f.ty);
        quote_spanned! {f.ident.span()=>
            const #name: &'static str = {
                let __field: #p::Field<#of, #ty, _> = <#of>::fields().#field;
                __field.name()
            };
        }
    });
    let decodes = fields.iter().zip(&slots).zip(&names).map(|((f, slot), name)| {
        let field = &f.ident;
        let value_type = f.optional.as_ref().unwrap_or(&f.ty);
        let codec = quote_spanned!(f.ty.span()=> #p::Native<#value_type>);
        let value = if f.optional.is_some() {
            quote!(#p::decode_optional::<#codec, _>(#slot, &__cx, Self::#name)?)
        } else if f.default {
            quote!(#p::decode_or_default::<#codec, _>(#slot, &__cx, Self::#name, ::core::default::Default::default)?)
        } else {
            quote!(#p::decode_required::<#codec, _>(#slot, &__cx, Self::#name)?)
        };
        quote!(#field: #value)
    }).collect::<Vec<_>>();
    quote! {
        const _: () = {
            #[doc(hidden)]
            impl #ident {
                #(#consts)*
            }

            impl #p::Projection for #ident {
                type Entity = #of;
                const ATTRIBUTES: &'static [&'static str] = &[#(Self::#names),*];

                fn from_projected_item(
                    __item: #p::Item,
                ) -> #p::Result<Self, #p::DecodeError> {
                    let mut __cx = #p::DecodeContext::<#p::AttributeValue>::new(
                        <#of as #p::Entity>::SCHEMA.name,
                    );
                    #(let mut #slots: #p::Option<#p::AttributeValue> = #p::Option::None;)*
                    for (__name, __value) in __item {
                        match __name.as_str() {
                            #(Self::#names => #slots = #p::Option::Some(__value),)*
                            #p::PARTITION_KEY_ATTRIBUTE => __cx.set_pk(__value),
                            #p::SORT_KEY_ATTRIBUTE => __cx.set_sk(__value),
                            _ => {}
                        }
                    }
                    #p::Result::Ok(Self { #(#decodes),* })
                }

                fn from_projected_wire(
                    __item: #p::WireItem<'_>,
                ) -> #p::Result<Self, #p::DecodeError> {
                    let mut __cx = #p::DecodeContext::<#p::WireValue<'_>>::new(
                        <#of as #p::Entity>::SCHEMA.name,
                    );
                    #(let mut #slots: #p::Option<#p::WireValue<'_>> = #p::Option::None;)*
                    for (__name, __value) in __item {
                        match &*__name {
                            #(Self::#names => #slots = #p::Option::Some(__value),)*
                            #p::PARTITION_KEY_ATTRIBUTE => __cx.set_pk(__value),
                            #p::SORT_KEY_ATTRIBUTE => __cx.set_sk(__value),
                            _ => {}
                        }
                    }
                    #p::Result::Ok(Self { #(#decodes),* })
                }
            }

            impl #p::CollectionMember for #ident {
                const MEMBER_ENTITY: &'static #p::EntitySchema = <#of as #p::Entity>::SCHEMA;
                const MEMBER_ATTRIBUTES: #p::Option<&'static [&'static str]> =
                    #p::Option::Some(<Self as #p::Projection>::ATTRIBUTES);

                #[inline]
                fn from_member_item(
                    item: #p::Item,
                ) -> #p::Result<Self, #p::DecodeError> {
                    <Self as #p::Projection>::from_projected_item(item)
                }

                #[inline]
                fn from_member_wire(
                    item: #p::WireItem<'_>,
                ) -> #p::Result<Self, #p::DecodeError> {
                    <Self as #p::Projection>::from_projected_wire(item)
                }
            }

            impl #p::QueryTarget for #ident {
                const DEFAULT_INDEX: #p::Option<&'static str> = #p::Option::None;

                fn query_keys(
                    index: #p::Option<&str>,
                ) -> #p::Result<#p::QueryKeys, #p::String> {
                    <#of as #p::QueryTarget>::query_keys(index)
                }

                fn entity_type() -> #p::Option<&'static str> {
                    <#of as #p::QueryTarget>::entity_type()
                }

                fn expiry_attributes() -> ::std::vec::Vec<&'static str> {
                    <#of as #p::QueryTarget>::expiry_attributes()
                }

                fn projection() -> #p::Option<&'static [&'static str]> {
                    #p::Option::Some(<Self as #p::Projection>::ATTRIBUTES)
                }

                fn decode(
                    __item: #p::Item,
                ) -> #p::Result<#p::Option<Self>, #p::DecodeError> {
                    <Self as #p::Projection>::from_projected_item(__item).map(#p::Option::Some)
                }

                fn decode_wire(
                    __item: #p::WireItem<'_>,
                ) -> #p::Result<#p::Option<Self>, #p::DecodeError> {
                    <Self as #p::Projection>::from_projected_wire(__item).map(#p::Option::Some)
                }
            }
        };
    }
}
