//! The code `#[derive(KeySegment)]` generates: `KeySegment`, `ParseKeySegment` and
//! `AttributeCodec` (a string attribute), each through `dynatable_core::__private`.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::Model;

pub(crate) fn generate(model: &Model<'_>) -> TokenStream {
    let name = &model.input.ident;
    let (impl_generics, type_generics, where_clause) = model.input.generics.split_for_impl();
    let idents: Vec<_> = model.variants.iter().map(|(ident, _)| *ident).collect();
    let texts: Vec<_> = model
        .variants
        .iter()
        .map(|(_, text)| text.as_str())
        .collect();
    let type_name = name.to_string();
    quote! {
        impl #impl_generics #name #type_generics #where_clause {
            /// The text this value is written as in keys and attributes.
            pub const fn as_key_segment(&self) -> &'static str {
                match self {
                    #(Self::#idents => #texts,)*
                }
            }
        }

        impl #impl_generics ::dynatable_core::__private::KeySegment for #name #type_generics #where_clause {
            fn write_key_segment(&self, out: &mut ::std::string::String) {
                out.push_str(self.as_key_segment());
            }
        }

        impl #impl_generics ::dynatable_core::__private::ParseKeySegment for #name #type_generics #where_clause {
            fn parse_key_segment(
                text: &str,
            ) -> ::std::result::Result<Self, ::dynatable_core::__private::ValueError> {
                match text {
                    #(#texts => ::std::result::Result::Ok(Self::#idents),)*
                    _ => ::std::result::Result::Err(::dynatable_core::__private::ValueError::InvalidText {
                        text: text.to_owned(),
                        target: #type_name,
                    }),
                }
            }
        }

        impl #impl_generics ::dynatable_core::__private::AttributeCodec for #name #type_generics #where_clause {
            const KIND: ::dynatable_core::__private::AttributeKind =
                ::dynatable_core::__private::AttributeKind::String;

            fn encode(
                &self,
            ) -> ::std::result::Result<
                ::std::option::Option<::dynatable_core::__private::AttributeValue>,
                ::dynatable_core::__private::ValueError,
            > {
                ::std::result::Result::Ok(::std::option::Option::Some(
                    ::dynatable_core::__private::AttributeValue::S(self.as_key_segment().to_owned()),
                ))
            }

            fn decode(
                value: ::dynatable_core::__private::AttributeValue,
            ) -> ::std::result::Result<Self, ::dynatable_core::__private::ValueError> {
                let text = <::std::string::String as ::dynatable_core::__private::AttributeCodec>::decode(value)?;
                <Self as ::dynatable_core::__private::ParseKeySegment>::parse_key_segment(&text)
            }
        }
    }
}
