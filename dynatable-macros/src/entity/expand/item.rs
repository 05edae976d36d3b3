//! The `Entity` impl: the static schema, `to_item`/`into_item` and `from_item`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::super::ast::{FieldModel, Index, Managed, Model};
use super::super::attr::DefaultValue;
use super::super::key_history::{self, Shape};
use super::super::template::{Segment, Template};
use super::super::ty::{self};

use super::keys::{render, self_key_args};
use super::{default_expr, placeholder_fields, private};

pub(super) fn codec(p: &TokenStream, field: &FieldModel) -> TokenStream {
    let ty = field.value_type();
    if field.is_managed(Managed::Ttl) {
        quote_spanned!(ty.span()=> #p::EpochSeconds)
    } else if field.serde {
        quote_spanned!(ty.span()=> #p::Serde<#ty>)
    } else {
        quote_spanned!(ty.span()=> #p::Native<#ty>)
    }
}

pub(super) fn template_tokens(p: &TokenStream, template: &Template) -> TokenStream {
    let source = template.lit.value();
    let segments = template.segments.iter().map(|s| match s {
        Segment::Literal(text) => quote!(#p::Segment::Literal(#text)),
        Segment::Field(name) => quote!(#p::Segment::Field(#name)),
    });
    quote!(#p::KeyTemplate { source: #source, segments: &[#(#segments),*] })
}

pub(super) fn option_tokens<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// An `IndexSchema` of `index` with the templates `pk` and `sk` (its own, or an earlier shape's).
fn index_schema(
    p: &TokenStream,
    index: &Index,
    pk: &Template,
    sk: Option<&Template>,
) -> TokenStream {
    let name = index.name.value();
    let pk_attribute = &index.pk_attribute;
    let sk_attribute = option_tokens(index.sk_attribute.as_ref());
    let pk = template_tokens(p, pk);
    let sk = option_tokens(sk.map(|t| template_tokens(p, t)));
    let since = option_tokens(index.since.as_ref());
    quote! {
        #p::IndexSchema { name: #name, pk_attribute: #pk_attribute, sk_attribute: #sk_attribute, pk: #pk, sk: #sk, since: #since }
    }
}

/// The `PreviousKey` of an earlier shape; `None` for the current one.
fn previous_key_schema(p: &TokenStream, shape: &Shape<'_>) -> Option<TokenStream> {
    let until = shape.until?;
    let pk = template_tokens(p, shape.pk);
    let sk = template_tokens(p, shape.sk);
    let indexes = shape
        .indexes
        .iter()
        .map(|i| index_schema(p, i.index, i.pk, i.sk));
    Some(quote! {
        #p::PreviousKey {
            until: #until,
            key: #p::KeySchema { pk: #pk, sk: #sk },
            indexes: &[#(#indexes),*],
        }
    })
}

pub(super) fn schema(p: &TokenStream, model: &Model) -> TokenStream {
    let name = &model.name;
    let ident_str = model.ident.to_string();
    let pk = template_tokens(p, &model.pk);
    let sk = template_tokens(p, &model.sk);
    let since = option_tokens(model.since.as_ref());
    let version = option_tokens(
        model
            .fields
            .iter()
            .find(|f| f.version.is_some())
            .map(|f| &f.attribute),
    );
    let managed = |managed: Managed| {
        option_tokens(
            model
                .fields
                .iter()
                .find(|f| f.is_managed(managed))
                .map(|f| &f.attribute),
        )
    };
    let (updated_at, created_at, ttl) = (
        managed(Managed::UpdatedAt),
        managed(Managed::CreatedAt),
        managed(Managed::Ttl),
    );
    let indexes = model
        .indexes
        .iter()
        .map(|index| index_schema(p, index, &index.pk, index.sk.as_ref()));
    let previous_keys = key_history::shapes(model)
        .into_iter()
        .filter_map(|shape| previous_key_schema(p, &shape));
    let attributes = model.fields.iter().map(|f| {
        let field = f.ident.to_string();
        let attribute = &f.attribute;
        let rust_type = ty::display(&f.ty);
        let codec = codec(p, f);
        let required = f.is_required();
        let default = option_tokens(f.default.as_ref().map(|d| match d {
            DefaultValue::Expr(expr) => quote!(#expr).to_string(),
            DefaultValue::Trait(_) => "Default::default()".to_owned(),
        }));
        let generated = option_tokens(f.generate.as_ref().map(|_| quote!(#p::Generator::Ulid)));
        let since = option_tokens(f.since.as_ref());
        quote! {
            #p::AttributeSchema {
                field: #field,
                name: #attribute,
                rust_type: #rust_type,
                kind: <#codec as #p::FieldCodec>::KIND,
                required: #required,
                default: #default,
                generated: #generated,
                since: #since,
            }
        }
    });
    quote! {
        &#p::EntitySchema {
            name: #name,
            rust_type: ::core::concat!(::core::module_path!(), "::", #ident_str),
            key: #p::KeySchema { pk: #pk, sk: #sk },
            indexes: &[#(#indexes),*],
            previous_keys: &[#(#previous_keys),*],
            attributes: &[#(#attributes),*],
            since: #since,
            version: #version,
            updated_at: #updated_at,
            created_at: #created_at,
            ttl: #ttl,
        }
    }
}

/// Statements inserting one index's key attributes into `__item`, rendered from `self`: only
/// when every `Option` placeholder of a sparse index has a value.
fn index_key_inserts(
    p: &TokenStream,
    model: &Model,
    pk_attribute: &str,
    sk_attribute: Option<&String>,
    pk: &Template,
    sk: Option<&Template>,
) -> TokenStream {
    // The `Option` placeholders of a sparse index: its key is written only when each has a
    // value, rendered from the values (bound by reference).
    let templates: Vec<&Template> = std::iter::once(pk).chain(sk).collect();
    let sparse: Vec<&FieldModel> = placeholder_fields(model, &templates)
        .into_iter()
        .filter(|f| f.optional.is_some())
        .collect();
    let binding = |ident: &Ident| format_ident!("__sparse_{}", ident);
    let value = |ident: &Ident| {
        if sparse.iter().any(|f| &f.ident == ident) {
            let bound = binding(ident);
            quote!(#bound)
        } else {
            quote!(&self.#ident)
        }
    };
    let pk = render(p, model, pk, value);
    let sk = sk.zip(sk_attribute).map(|(template, attribute)| {
        let rendered = render(p, model, template, value);
        quote!(__item.insert(::std::string::String::from(#attribute), #p::AttributeValue::S(#rendered));)
    });
    let inserts = quote! {
        __item.insert(::std::string::String::from(#pk_attribute), #p::AttributeValue::S(#pk));
        #sk
    };
    if sparse.is_empty() {
        return inserts;
    }
    let bindings = sparse.iter().map(|f| binding(&f.ident));
    let fields = sparse.iter().map(|f| &f.ident);
    quote! {
        if let (#(#p::Option::Some(#bindings),)*) = (#(self.#fields.as_ref(),)*) {
            #inserts
        }
    }
}

/// `Entity::key_attributes` for an entity with a key history: one arm per shape, oldest first,
/// each building the key attributes that shape writes. `None` without a history (the trait's
/// default serves the current keys).
fn key_attributes_fn(p: &TokenStream, model: &Model) -> Option<TokenStream> {
    if model.previous_keys.is_empty() {
        return None;
    }
    let arms = key_history::shapes(model).into_iter().enumerate().map(|(i, shape)| {
        let self_value = |ident: &Ident| quote!(&self.#ident);
        let pk = render(p, model, shape.pk, self_value);
        let sk = render(p, model, shape.sk, self_value);
        let indexes = shape.indexes.iter().map(|index| {
            index_key_inserts(
                p,
                model,
                &index.index.pk_attribute,
                index.index.sk_attribute.as_ref(),
                index.pk,
                index.sk,
            )
        });
        let capacity = 2 + shape.indexes.len() * 2;
        quote! {
            #i => {
                let mut __item = #p::Item::with_capacity(#capacity);
                __item.insert(::std::string::String::from(#p::PARTITION_KEY_ATTRIBUTE), #p::AttributeValue::S(#pk));
                __item.insert(::std::string::String::from(#p::SORT_KEY_ATTRIBUTE), #p::AttributeValue::S(#sk));
                #(#indexes)*
                #p::Option::Some(__item)
            }
        }
    });
    Some(quote! {
        fn key_attributes(&self, shape: usize) -> #p::Option<#p::Item> {
            match shape {
                #(#arms)*
                _ => #p::Option::None,
            }
        }
    })
}

pub(super) fn entity_impl(model: &Model) -> TokenStream {
    let p = private(model);
    let ident = &model.ident;
    let name = &model.name;
    let schema = schema(&p, model);
    let key_fields = placeholder_fields(model, &[&model.pk, &model.sk]);
    let self_args = self_key_args(&key_fields);
    let capacity = model.fields.len() + 3 + model.indexes.len() * 2;
    let key_attributes = key_attributes_fn(&p, model);

    let index_keys = model.indexes.iter().map(|index| {
        index_key_inserts(
            &p,
            model,
            &index.pk_attribute,
            index.sk_attribute.as_ref(),
            &index.pk,
            index.sk.as_ref(),
        )
    });
    let encodes = model.fields.iter().map(|f| {
        let field = &f.ident;
        let attribute = &f.attribute;
        let codec = codec(&p, f);
        if f.optional.is_some() {
            quote!(#p::encode_optional_field::<#codec>(&mut __item, #name, #attribute, &self.#field)?;)
        } else {
            quote!(#p::encode_field::<#codec>(&mut __item, #name, #attribute, &self.#field)?;)
        }
    });
    let field_idents: Vec<&Ident> = model.fields.iter().map(|f| &f.ident).collect();
    let owned_encodes = model.fields.iter().map(|f| {
        let field = &f.ident;
        let attribute = &f.attribute;
        let codec = codec(&p, f);
        if f.optional.is_some() {
            quote!(#p::encode_optional_field_owned::<#codec>(&mut __item, #name, #attribute, #field)?;)
        } else {
            quote!(#p::encode_field_owned::<#codec>(&mut __item, #name, #attribute, #field)?;)
        }
    });

    let slots: Vec<Ident> = (0..model.fields.len())
        .map(|i| format_ident!("__slot{}", i))
        .collect();
    let arms = model
        .fields
        .iter()
        .zip(&slots)
        .map(|(f, slot)| {
            let attribute = &f.attribute;
            quote!(#attribute => #slot = ::core::option::Option::Some(__value),)
        })
        .collect::<Vec<_>>();
    // The fields read from slots of `value_type` (the SDK's values or the answer's), spelled out
    // so that a field type without a codec is reported once, not once per decoder.
    let decodes = |value_type: TokenStream| -> Vec<TokenStream> {
        model
            .fields
            .iter()
            .zip(&slots)
            .map(|(f, slot)| {
                let field = &f.ident;
                let attribute = &f.attribute;
                let codec = codec(&p, f);
                let value = if f.optional.is_some() {
                    quote!(#p::decode_optional::<#codec, #value_type>(#slot, &__cx, #attribute)?)
                } else if let Some(default) = default_expr(f) {
                    quote!(#p::decode_or_default::<#codec, #value_type>(#slot, &__cx, #attribute, || #default)?)
                } else {
                    quote!(#p::decode_required::<#codec, #value_type>(#slot, &__cx, #attribute)?)
                };
                quote!(#field: #value)
            })
            .collect()
    };
    let item_decodes = decodes(quote!(#p::AttributeValue));
    let wire_decodes = decodes(quote!(#p::WireValue<'_>));

    // `__item` with the key attributes, the entity type and the index keys, rendered from `self`.
    let item_with_keys = quote! {
        let mut __item = #p::Item::with_capacity(#capacity);
        let __key = <Self as #p::Entity>::primary_key(&self);
        __item.insert(::std::string::String::from(#p::PARTITION_KEY_ATTRIBUTE), #p::AttributeValue::S(__key.pk));
        __item.insert(::std::string::String::from(#p::SORT_KEY_ATTRIBUTE), #p::AttributeValue::S(__key.sk));
        __item.insert(
            ::std::string::String::from(#p::ENTITY_TYPE_ATTRIBUTE),
            #p::AttributeValue::S(::std::string::String::from(#name)),
        );
        #(#index_keys)*
    };
    quote! {
        #[automatically_derived]
        impl #p::Entity for #ident {
            const SCHEMA: &'static #p::EntitySchema = #schema;

            fn primary_key(&self) -> #p::PrimaryKey {
                Self::key(#(#self_args),*)
            }

            fn to_item(&self) -> #p::Result<#p::Item, #p::EncodeError> {
                #item_with_keys
                #(#encodes)*
                #p::Result::Ok(__item)
            }

            fn into_item(self) -> #p::Result<#p::Item, #p::EncodeError> {
                #item_with_keys
                let Self { #(#field_idents),* } = self;
                #(#owned_encodes)*
                #p::Result::Ok(__item)
            }

            #key_attributes

            fn from_item(__item: #p::Item) -> #p::Result<Self, #p::DecodeError> {
                let mut __cx = #p::DecodeContext::<#p::AttributeValue>::new(#name);
                #(let mut #slots: #p::Option<#p::AttributeValue> = #p::Option::None;)*
                for (__name, __value) in __item {
                    match __name.as_str() {
                        #(#arms)*
                        #p::PARTITION_KEY_ATTRIBUTE => __cx.set_pk(__value),
                        #p::SORT_KEY_ATTRIBUTE => __cx.set_sk(__value),
                        _ => {}
                    }
                }
                #p::Result::Ok(Self { #(#item_decodes),* })
            }

            fn from_wire(__item: #p::WireItem<'_>) -> #p::Result<Self, #p::DecodeError> {
                let mut __cx = #p::DecodeContext::<#p::WireValue<'_>>::new(#name);
                #(let mut #slots: #p::Option<#p::WireValue<'_>> = #p::Option::None;)*
                for (__name, __value) in __item {
                    match &*__name {
                        #(#arms)*
                        #p::PARTITION_KEY_ATTRIBUTE => __cx.set_pk(__value),
                        #p::SORT_KEY_ATTRIBUTE => __cx.set_sk(__value),
                        _ => {}
                    }
                }
                #p::Result::Ok(Self { #(#wire_decodes),* })
            }
        }
    }
}
