//! The code `#[entity]` generates for a checked model.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit};

use super::ast::{FieldModel, Model};
use super::attr::DefaultValue;
use super::template::{Segment, Template};
use super::ty::{self, KeyParam};

pub(crate) fn generate(model: &Model) -> TokenStream {
    let fields_struct = fields_struct(model);
    let inherent = inherent_impl(model);
    let entity = entity_impl(model);
    let p = private(model);
    let ident = &model.ident;
    quote! {
        #fields_struct
        #inherent
        #entity
        #p::inventory::submit! {
            #p::EntityRegistration::new(<#ident as #p::Entity>::SCHEMA)
        }
    }
}

fn private(model: &Model) -> TokenStream {
    let krate = &model.krate;
    quote!(#krate::__private)
}

fn field<'m>(model: &'m Model, name: &str) -> Option<&'m FieldModel> {
    model.fields.iter().find(|f| f.ident == name)
}

/// The distinct fields named by `templates`, in order of first appearance.
fn placeholder_fields<'m>(model: &'m Model, templates: &[&Template]) -> Vec<&'m FieldModel> {
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

/// `name: type` parameters of a key builder.
fn key_params(fields: &[&FieldModel]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let ident = &f.ident;
            let ty = &f.ty;
            match ty::key_param(ty) {
                KeyParam::Str => quote!(#ident: &str),
                KeyParam::Copy => quote!(#ident: #ty),
                KeyParam::Ref => quote!(#ident: &#ty),
            }
        })
        .collect()
}

/// The arguments that pass `self`'s fields to a key builder.
fn self_key_args(fields: &[&FieldModel]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let ident = &f.ident;
            match ty::key_param(&f.ty) {
                KeyParam::Copy => quote!(self.#ident),
                KeyParam::Str | KeyParam::Ref => quote!(&self.#ident),
            }
        })
        .collect()
}

/// An expression rendering `template`; `value(field)` gives a reference to the field's value.
fn render(
    p: &TokenStream,
    model: &Model,
    template: &Template,
    value: impl Fn(&Ident) -> TokenStream,
) -> TokenStream {
    if let [Segment::Literal(text)] = template.segments.as_slice() {
        return quote!(::std::string::String::from(#text));
    }
    let literal_len: usize = template
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(text) => text.len(),
            Segment::Field(_) => 26,
        })
        .sum();
    let pushes = template.segments.iter().map(|segment| match segment {
        Segment::Literal(text) => quote!(__key.push_str(#text);),
        Segment::Field(name) => {
            let v = value(&format_ident!("{}", name));
            // A type without `KeySegment` is reported at the field's type.
            let span =
                field(model, name).map_or_else(proc_macro2::Span::call_site, |f| f.ty.span());
            quote_spanned!(span=> #p::write_segment(&mut __key, #v);)
        }
    });
    quote! {{
        let mut __key = ::std::string::String::with_capacity(#literal_len);
        #(#pushes)*
        __key
    }}
}

/// Renders `template` from the parameters of a key builder.
fn render_from_params(p: &TokenStream, model: &Model, template: &Template) -> TokenStream {
    render(p, model, template, |ident| {
        match field(model, &ident.to_string()).map(|f| ty::key_param(&f.ty)) {
            Some(KeyParam::Copy) => quote!(&#ident),
            _ => quote!(#ident),
        }
    })
}

/// A documented `pub fn name(params) -> String` rendering `template`.
fn key_fn(
    p: &TokenStream,
    model: &Model,
    name: &Ident,
    template: &Template,
    doc: &str,
) -> TokenStream {
    let fields = placeholder_fields(model, &[template]);
    let params = key_params(&fields);
    let body = render_from_params(p, model, template);
    let doc = format!("{doc} `{}`.", template.lit.value());
    quote! {
        #[doc = #doc]
        pub fn #name(#(#params),*) -> ::std::string::String {
            #body
        }
    }
}

fn index_method_stem(name: &str) -> String {
    let stem: String = name
        .to_snake_case()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if stem.starts_with(|c: char| c.is_ascii_digit()) {
        format!("index_{stem}")
    } else {
        stem
    }
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

fn parse_key_fn(p: &TokenStream, model: &Model) -> TokenStream {
    let fields = placeholder_fields(model, &[&model.pk, &model.sk]);
    let types = fields.iter().map(|f| &f.ty);
    let bindings = |template: &Template, slot: &str| -> Vec<Ident> {
        (0..template.fields().count())
            .map(|i| format_ident!("__{}{}", slot, i))
            .collect()
    };
    let pk_bindings = bindings(&model.pk, "pk");
    let sk_bindings = bindings(&model.sk, "sk");
    let pk_count = pk_bindings.len();
    let sk_count = sk_bindings.len();
    let values = fields.iter().map(|f| {
        let ty = &f.ty;
        let name = f.ident.to_string();
        let (slot, position) = match model.pk.fields().position(|n| n == name) {
            Some(i) => ("pk", i),
            None => ("sk", model.sk.fields().position(|n| n == name).unwrap_or_default()),
        };
        let slot_ident = format_ident!("{}", slot);
        let binding = format_ident!("__{}{}", slot, position);
        quote!(#p::parse_segment::<#ty>(&__schema.key.#slot_ident, &key.#slot_ident, #name, #binding)?)
    });
    let doc = format!(
        "Reads the key fields back from a primary key (`{}`, `{}`): the values of {}, in that order.",
        model.pk.lit.value(),
        model.sk.lit.value(),
        if fields.is_empty() {
            "no field".to_owned()
        } else {
            fields
                .iter()
                .map(|f| format!("`{}`", f.ident))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    quote! {
        #[doc = #doc]
        #[doc = ""]
        #[doc = "# Errors"]
        #[doc = "A `KeyError` when the key does not fit the templates or a value does not parse."]
        #[allow(unused_variables)]
        pub fn parse_key(key: &#p::PrimaryKey) -> #p::Result<(#(#types,)*), #p::KeyError> {
            let __schema = <Self as #p::Entity>::SCHEMA;
            let [#(#pk_bindings),*] = #p::split_key::<#pk_count>(&__schema.key.pk, &key.pk)?;
            let [#(#sk_bindings),*] = #p::split_key::<#sk_count>(&__schema.key.sk, &key.sk)?;
            #p::Result::Ok((#(#values,)*))
        }
    }
}

fn default_expr(field: &FieldModel) -> Option<TokenStream> {
    let ty = &field.ty;
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
        let value = if f.optional.is_some() {
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

fn fields_struct(model: &Model) -> TokenStream {
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
        let (role, note) = if in_key.contains(&field_name.as_str()) {
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

fn codec(p: &TokenStream, field: &FieldModel) -> TokenStream {
    let ty = field.value_type();
    if field.serde {
        quote_spanned!(ty.span()=> #p::Serde<#ty>)
    } else {
        quote_spanned!(ty.span()=> #p::Native<#ty>)
    }
}

fn template_tokens(p: &TokenStream, template: &Template) -> TokenStream {
    let source = template.lit.value();
    let segments = template.segments.iter().map(|s| match s {
        Segment::Literal(text) => quote!(#p::Segment::Literal(#text)),
        Segment::Field(name) => quote!(#p::Segment::Field(#name)),
    });
    quote!(#p::KeyTemplate { source: #source, segments: &[#(#segments),*] })
}

fn option_tokens<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn schema(p: &TokenStream, model: &Model) -> TokenStream {
    let name = &model.name;
    let ident_str = model.ident.to_string();
    let pk = template_tokens(p, &model.pk);
    let sk = template_tokens(p, &model.sk);
    let indexes = model.indexes.iter().map(|index| {
        let name = index.name.value();
        let pk_attribute = &index.pk_attribute;
        let sk_attribute = option_tokens(index.sk_attribute.as_ref());
        let pk = template_tokens(p, &index.pk);
        let sk = option_tokens(index.sk.as_ref().map(|t| template_tokens(p, t)));
        quote! {
            #p::IndexSchema { name: #name, pk_attribute: #pk_attribute, sk_attribute: #sk_attribute, pk: #pk, sk: #sk }
        }
    });
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
        quote! {
            #p::AttributeSchema {
                field: #field,
                name: #attribute,
                rust_type: #rust_type,
                kind: <#codec as #p::FieldCodec>::KIND,
                required: #required,
                default: #default,
                generated: #generated,
            }
        }
    });
    quote! {
        &#p::EntitySchema {
            name: #name,
            rust_type: ::core::concat!(::core::module_path!(), "::", #ident_str),
            key: #p::KeySchema { pk: #pk, sk: #sk },
            indexes: &[#(#indexes),*],
            attributes: &[#(#attributes),*],
        }
    }
}

fn entity_impl(model: &Model) -> TokenStream {
    let p = private(model);
    let ident = &model.ident;
    let name = &model.name;
    let schema = schema(&p, model);
    let key_fields = placeholder_fields(model, &[&model.pk, &model.sk]);
    let self_args = self_key_args(&key_fields);
    let capacity = model.fields.len() + 3 + model.indexes.len() * 2;

    let index_keys = model.indexes.iter().map(|index| {
        let self_value = |ident: &Ident| quote!(&self.#ident);
        let pk_attribute = &index.pk_attribute;
        let pk = render(&p, model, &index.pk, self_value);
        let sk = index.sk.as_ref().zip(index.sk_attribute.as_ref()).map(|(template, attribute)| {
            let value = render(&p, model, template, self_value);
            quote!(__item.insert(::std::string::String::from(#attribute), #p::AttributeValue::S(#value));)
        });
        quote! {
            __item.insert(::std::string::String::from(#pk_attribute), #p::AttributeValue::S(#pk));
            #sk
        }
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
    let arms = model.fields.iter().zip(&slots).map(|(f, slot)| {
        let attribute = &f.attribute;
        quote!(#attribute => #slot = ::core::option::Option::Some(__value),)
    });
    let decodes = model.fields.iter().zip(&slots).map(|(f, slot)| {
        let field = &f.ident;
        let attribute = &f.attribute;
        let codec = codec(&p, f);
        let value = if f.optional.is_some() {
            quote!(#p::decode_optional::<#codec>(#slot, &__cx, #attribute)?)
        } else if let Some(default) = default_expr(f) {
            quote!(#p::decode_or_default::<#codec>(#slot, &__cx, #attribute, || #default)?)
        } else {
            quote!(#p::decode_required::<#codec>(#slot, &__cx, #attribute)?)
        };
        quote!(#field: #value)
    });

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

            fn from_item(__item: #p::Item) -> #p::Result<Self, #p::DecodeError> {
                let mut __cx = #p::DecodeContext::new(#name);
                #(let mut #slots: #p::Option<#p::AttributeValue> = #p::Option::None;)*
                for (__name, __value) in __item {
                    match __name.as_str() {
                        #(#arms)*
                        #p::PARTITION_KEY_ATTRIBUTE => __cx.set_pk(__value),
                        #p::SORT_KEY_ATTRIBUTE => __cx.set_sk(__value),
                        _ => {}
                    }
                }
                #p::Result::Ok(Self { #(#decodes),* })
            }
        }
    }
}
