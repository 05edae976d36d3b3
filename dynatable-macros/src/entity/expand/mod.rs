//! The code `#[entity]` generates for a checked model: the fields struct and the inherent impl
//! here, key builders in [`keys`], the `Entity` impl (schema and codec) in [`item`].

mod item;
mod keys;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

use super::ast::{FieldModel, Managed, Model};
use super::attr::DefaultValue;
use super::template::Template;
use super::ty::{self};

use self::item::entity_impl;
use self::keys::{index_method_stem, key_fn, key_params, parse_key_fn};

pub(crate) fn generate(model: &Model) -> TokenStream {
    let fields_struct = fields_struct(model);
    let inherent = inherent_impl(model);
    let entity = entity_impl(model);
    let p = private(model);
    let ident = &model.ident;
    // Batch writes cannot carry the version's condition: only entities without one may use them.
    let versioning = if model.fields.iter().any(|f| f.version.is_some()) {
        quote!(#p::Versioned)
    } else {
        quote!(#p::BatchWritable)
    };
    quote! {
        #fields_struct
        #inherent
        #entity
        #[automatically_derived]
        impl #versioning for #ident {}
        #[automatically_derived]
        impl #p::CollectionMember for #ident {
            const MEMBER_ENTITY: &'static #p::EntitySchema = <Self as #p::Entity>::SCHEMA;
            const MEMBER_ATTRIBUTES: #p::Option<&'static [&'static str]> = #p::Option::None;

            #[inline]
            fn from_member_item(item: #p::Item) -> #p::Result<Self, #p::DecodeError> {
                <Self as #p::Entity>::from_item(item)
            }

            #[inline]
            fn from_member_wire(item: #p::WireItem<'_>) -> #p::Result<Self, #p::DecodeError> {
                <Self as #p::Entity>::from_wire(item)
            }
        }
        #p::inventory::submit! {
            #p::EntityRegistration::of::<#ident>()
        }
    }
}

pub(super) fn private(model: &Model) -> TokenStream {
    let krate = &model.krate;
    quote!(#krate::__private)
}

pub(super) fn field<'m>(model: &'m Model, name: &str) -> Option<&'m FieldModel> {
    model.fields.iter().find(|f| f.ident == name)
}

/// The distinct fields named by `templates`, in order of first appearance.
pub(super) fn placeholder_fields<'m>(
    model: &'m Model,
    templates: &[&Template],
) -> Vec<&'m FieldModel> {
    let mut out: Vec<&FieldModel> = Vec::new();
    for name in templates.iter().flat_map(|t| t.fields()) {
        if let Some(f) =
            field(model, name).filter(|f| !out.iter().any(|seen| seen.ident == f.ident))
        {
            out.push(f);
        }
    }
    out
}

fn inherent_impl(model: &Model) -> TokenStream {
    let p = private(model);
    let ident = &model.ident;
    let key_fields = placeholder_fields(model, &[&model.pk, &model.sk]);
    let key_params = key_params(&key_fields);
    let pk_args: Vec<_> = placeholder_fields(model, &[&model.pk])
        .iter()
        .map(|f| f.ident.clone())
        .collect();
    let sk_args: Vec<_> = placeholder_fields(model, &[&model.sk])
        .iter()
        .map(|f| f.ident.clone())
        .collect();
    let partition_key = key_fn(
        &p,
        model,
        &format_ident!("partition_key"),
        &model.pk,
        "The partition key (`PK`) from its template",
    );
    let sort_key = key_fn(
        &p,
        model,
        &format_ident!("sort_key"),
        &model.sk,
        "The sort key (`SK`) from its template",
    );
    let pk_prefix = model.pk.prefix();
    let sk_prefix = model.sk.prefix();
    let key_doc = format!(
        "The primary key of the `{}` with these key fields: `PK` = `{}`, `SK` = `{}`.",
        model.name,
        model.pk.lit.value(),
        model.sk.lit.value()
    );
    let index_fns = model.indexes.iter().map(|index| {
        let stem = index_method_stem(&index.name.value());
        let pk = key_fn(
            &p,
            model,
            &format_ident!("{}_partition_key", stem),
            &index.pk,
            &format!(
                "The partition key of index `{}` (`{}`) from its template",
                index.name.value(),
                index.pk_attribute
            ),
        );
        let sk = index.sk.as_ref().map(|sk| {
            key_fn(
                &p,
                model,
                &format_ident!("{}_sort_key", stem),
                sk,
                &format!(
                    "The sort key of index `{}` from its template",
                    index.name.value()
                ),
            )
        });
        quote!(#pk #sk)
    });
    let parse_key = parse_key_fn(&p, model);
    let constructor = constructor(&p, model);
    let fields_ident = format_ident!("{}Fields", ident);
    let field_inits = model.fields.iter().map(|f| {
        let name = &f.ident;
        let attribute = &f.attribute;
        quote!(#name: #p::Field::new(#attribute))
    });
    let fields_doc = format!(
        "Typed references to the attributes of `{}`, for updates and conditions.",
        model.name
    );
    quote! {
        impl #ident {
            #[doc = "The literal start of every partition key of this entity, for `begins_with`."]
            pub const PARTITION_KEY_PREFIX: &'static str = #pk_prefix;
            #[doc = "The literal start of every sort key of this entity, for `begins_with`."]
            pub const SORT_KEY_PREFIX: &'static str = #sk_prefix;

            #[doc = #key_doc]
            pub fn key(#(#key_params),*) -> #p::PrimaryKey {
                #p::PrimaryKey {
                    pk: Self::partition_key(#(#pk_args),*),
                    sk: Self::sort_key(#(#sk_args),*),
                }
            }

            #partition_key
            #sort_key
            #(#index_fns)*
            #parse_key
            #constructor

            #[doc = #fields_doc]
            pub const fn fields() -> #fields_ident {
                #fields_ident { #(#field_inits),* }
            }
        }
    }
}

pub(super) fn default_expr(field: &FieldModel) -> Option<TokenStream> {
    let ty = &field.ty;
    if let Some(keyword) = &field.version {
        // New values, and items stored before the field existed, are version 0.
        return Some(quote_spanned!(keyword.span()=> ::core::default::Default::default()));
    }
    Some(match field.default.as_ref()? {
        DefaultValue::Trait(path) => {
            quote_spanned!(path.span()=> ::core::default::Default::default())
        }
        DefaultValue::Expr(Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        })) => {
            quote_spanned!(lit.span()=> ::core::convert::Into::<#ty>::into(#lit))
        }
        DefaultValue::Expr(expr) => quote!(#expr),
    })
}

fn constructor(p: &TokenStream, model: &Model) -> TokenStream {
    let name = &model.constructor;
    let required: Vec<&FieldModel> = model.fields.iter().filter(|f| f.is_required()).collect();
    let params = required.iter().map(|f| {
        let ident = &f.ident;
        let ty = &f.ty;
        if ty::is_string(ty) {
            quote!(#ident: impl ::core::convert::Into<::std::string::String>)
        } else {
            quote!(#ident: #ty)
        }
    });
    let inits = model.fields.iter().map(|f| {
        let ident = &f.ident;
        let now = f.is_managed(Managed::CreatedAt) || f.is_managed(Managed::UpdatedAt);
        let value = if now && f.optional.is_some() {
            quote!(::core::option::Option::Some(#p::Timestamp::now()))
        } else if now {
            quote!(#p::Timestamp::now())
        } else if f.optional.is_some() {
            quote!(::core::option::Option::None)
        } else if f.generate.is_some() {
            quote!(#p::generate_ulid())
        } else if let Some(default) = default_expr(f) {
            default
        } else if ty::is_string(&f.ty) {
            quote!(::core::convert::Into::into(#ident))
        } else {
            quote!(#ident)
        };
        quote!(#ident: #value)
    });
    let doc = format!(
        "A new `{}` from its required fields ({}); defaults applied, ids generated, options `None`.",
        model.name,
        if required.is_empty() {
            "none".to_owned()
        } else {
            required
                .iter()
                .map(|f| format!("`{}`", f.ident))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        pub fn #name(#(#params),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

pub(super) fn fields_struct(model: &Model) -> TokenStream {
    let p = private(model);
    let ident = &model.ident;
    let vis = &model.vis;
    let fields_ident = format_ident!("{}Fields", ident);
    let in_key: Vec<&str> = model.pk.fields().chain(model.sk.fields()).collect();
    let in_index: Vec<&str> = model
        .indexes
        .iter()
        .flat_map(|i| i.pk.fields().chain(i.sk.iter().flat_map(Template::fields)))
        .collect();
    let members = model.fields.iter().map(|f| {
        let name = &f.ident;
        let ty = &f.ty;
        let field_name = f.ident.to_string();
        let (role, note) = if f.version.is_some() {
            (
                quote!(#p::role::Version),
                " The optimistic-locking version: every typed write checks and increments it.",
            )
        } else if in_key.contains(&field_name.as_str()) {
            (
                quote!(#p::role::Key),
                " Part of the primary key: updates cannot change it.",
            )
        } else if in_index.contains(&field_name.as_str()) {
            (
                quote!(#p::role::Indexed),
                " Part of an index key: updates cannot change it.",
            )
        } else {
            (quote!(#p::role::Plain), "")
        };
        let doc = format!("The attribute `{}`.{note}", f.attribute);
        quote! {
            #[doc = #doc]
            pub #name: #p::Field<#ident, #ty, #role>
        }
    });
    let doc = format!("Typed attribute references of [`{ident}`], from `{ident}::fields()`.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy)]
        #vis struct #fields_ident {
            #(#members,)*
        }
    }
}
