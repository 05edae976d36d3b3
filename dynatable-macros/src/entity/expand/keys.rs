//! Key builders: rendering templates from parameters or fields, and parsing keys back.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::super::ast::{FieldModel, Model};
use super::super::template::{Segment, Template};
use super::super::ty::{self, KeyParam};

use super::{field, placeholder_fields};

/// `name: type` parameters of a key builder.
pub(super) fn key_params(fields: &[&FieldModel]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let ident = &f.ident;
            // An index key builder takes the value of an `Option` field (a sparse index).
            let ty = f.value_type();
            match ty::key_param(ty) {
                KeyParam::Str => quote!(#ident: &str),
                KeyParam::Copy => quote!(#ident: #ty),
                KeyParam::Ref => quote!(#ident: &#ty),
            }
        })
        .collect()
}

/// The arguments that pass `self`'s fields to a key builder.
pub(super) fn self_key_args(fields: &[&FieldModel]) -> Vec<TokenStream> {
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
pub(super) fn render(
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
            match template.width(name) {
                Some(width) => {
                    quote_spanned!(span=> #p::write_padded_segment(&mut __key, #v, #width);)
                }
                None => quote_spanned!(span=> #p::write_segment(&mut __key, #v);),
            }
        }
    });
    quote! {{
        let mut __key = ::std::string::String::with_capacity(#literal_len);
        #(#pushes)*
        __key
    }}
}

/// Renders `template` from the parameters of a key builder.
pub(super) fn render_from_params(
    p: &TokenStream,
    model: &Model,
    template: &Template,
) -> TokenStream {
    render(p, model, template, |ident| {
        match field(model, &ident.to_string()).map(|f| ty::key_param(f.value_type())) {
            Some(KeyParam::Copy) => quote!(&#ident),
            _ => quote!(#ident),
        }
    })
}

/// A documented `pub fn name(params) -> String` rendering `template`.
pub(super) fn key_fn(
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

pub(super) fn index_method_stem(name: &str) -> String {
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

pub(super) fn parse_key_fn(p: &TokenStream, model: &Model) -> TokenStream {
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
