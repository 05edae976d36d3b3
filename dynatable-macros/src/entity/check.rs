//! Checks across options and fields: templates name real fields of key-able types, defaults and
//! generators fit their fields, attribute names are distinct and not reserved.

use std::collections::BTreeMap;

use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, UnOp};

use super::ast::{FieldModel, Managed, Model};
use super::attr::DefaultValue;
use super::key_history;
use super::template::Template;
use super::ty::{self, Primitive};
use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;

const GENERATORS: &[&str] = &["ulid"];
const PARTITION_KEY: &str = "PK";
const SORT_KEY: &str = "SK";
const ENTITY_TYPE: &str = "_type";

pub(crate) fn check(cx: &Ctxt, model: &Model) {
    check_template(cx, model, &model.pk, KeyKind::Primary);
    check_template(cx, model, &model.sk, KeyKind::Primary);
    for index in &model.indexes {
        check_template(cx, model, &index.pk, KeyKind::Index);
        if let Some(sk) = &index.sk {
            check_template(cx, model, sk, KeyKind::Index);
        }
        if let Some(since) = &index.since {
            check_version(cx, "since", since);
        }
    }
    for previous in &model.previous_keys {
        check_version(cx, "until", &previous.until);
        for template in previous.pk.iter().chain(&previous.sk) {
            check_template(cx, model, template, KeyKind::Primary);
        }
        for index in &previous.indexes {
            for template in std::iter::once(&index.pk).chain(&index.sk) {
                check_template(cx, model, template, KeyKind::Index);
            }
        }
    }
    key_history::check(cx, model);
    for field in &model.fields {
        check_generate(cx, field);
        check_default(cx, field);
        check_field_since(cx, field);
    }
    if let Some(since) = &model.since {
        check_version(cx, "since", since);
    }
    check_version_field(cx, model);
    check_managed_fields(cx, model);
    check_attribute_names(cx, model);
}

/// `#[entity(version)]`: one integer field, outside every key template, counting from 0.
fn check_version_field(cx: &Ctxt, model: &Model) {
    let mut first: Option<&FieldModel> = None;
    for field in &model.fields {
        let Some(keyword) = &field.version else {
            continue;
        };
        if let Some(first) = first {
            cx.error_spanned_by(
                keyword,
                format!(
                    "`{}` is already the version field of `{}`: an entity has one",
                    first.ident, model.ident
                ),
            );
            continue;
        }
        first = Some(field);
        if field.optional.is_some() || ty::primitive(&field.ty) != Some(Primitive::Integer) {
            cx.error_spanned_by(
                &field.ty,
                format!(
                    "the version field `{}` is a `{}`: a version counts writes, so it must be an \
                     integer such as `u64`",
                    field.ident,
                    ty::display(&field.ty)
                ),
            );
        }
        let name = field.ident.to_string();
        if let Some(template) = template_naming(model, &name) {
            cx.error_spanned_by(
                keyword,
                format!(
                    "the version field `{name}` is a placeholder of the key template {:?}: every \
                     write changes the version, so it cannot be part of a key",
                    template.lit.value()
                ),
            );
        }
        if let Some(default) = &field.default {
            let tokens: &dyn quote::ToTokens = match default {
                DefaultValue::Expr(expr) => expr,
                DefaultValue::Trait(path) => path,
            };
            cx.error_spanned_by(
                tokens,
                "a version field takes no `default`: new values and items stored without the \
                 attribute both count as version 0",
            );
        }
    }
}

/// `#[entity(created_at)]`, `#[entity(updated_at)]`, `#[entity(ttl)]`: each on at most one
/// `Timestamp` field, one per field; `updated_at` and `ttl` outside every key template (they
/// change after the item is written).
fn check_managed_fields(cx: &Ctxt, model: &Model) {
    for managed in [Managed::CreatedAt, Managed::UpdatedAt, Managed::Ttl] {
        let keyword = managed.keyword();
        let mut first: Option<&FieldModel> = None;
        for field in &model.fields {
            let Some((_, path)) = field.managed.iter().find(|(m, _)| *m == managed) else {
                continue;
            };
            if let Some(first) = first {
                cx.error_spanned_by(
                    path,
                    format!(
                        "`{}` is already the {keyword} field of `{}`: an entity has one",
                        first.ident, model.ident
                    ),
                );
                continue;
            }
            first = Some(field);
            if field.managed.len() > 1 || field.version.is_some() {
                cx.error_spanned_by(
                    path,
                    format!(
                        "`{}` has more than one role: {keyword} goes alone",
                        field.ident
                    ),
                );
            }
            let conflicting: Option<&dyn quote::ToTokens> = match (&field.generate, &field.default)
            {
                (Some(generate), _) => Some(generate),
                (None, Some(DefaultValue::Expr(expr))) => Some(expr),
                (None, Some(DefaultValue::Trait(path))) => Some(path),
                (None, None) => None,
            };
            if let Some(tokens) = conflicting {
                cx.error_spanned_by(
                    tokens,
                    format!("the {keyword} field `{}` takes no `default` or `generate`: its value is managed", field.ident),
                );
            }
            if field.serde
                || ty::last_ident(field.value_type()).is_none_or(|name| name != "Timestamp")
            {
                cx.error_spanned_by(
                    &field.ty,
                    format!(
                        "#[entity({keyword})] goes on a `Timestamp` field (`dynatable_core::Timestamp`) or an `Option<Timestamp>`, not a `{}`",
                        ty::display(&field.ty)
                    ),
                );
            }
            if managed != Managed::CreatedAt {
                let name = field.ident.to_string();
                if let Some(template) = template_naming(model, &name) {
                    cx.error_spanned_by(
                        path,
                        format!(
                            "the {keyword} field `{name}` is a placeholder of the key template {:?}: its value changes after the item is written, so it cannot be part of a key",
                            template.lit.value()
                        ),
                    );
                }
            }
        }
    }
}

/// The first key template (primary, then indexes, then earlier keys) with a placeholder for field
/// `name`.
fn template_naming<'m>(model: &'m Model, name: &str) -> Option<&'m Template> {
    std::iter::once(&model.pk)
        .chain(std::iter::once(&model.sk))
        .chain(
            model
                .indexes
                .iter()
                .flat_map(|i| std::iter::once(&i.pk).chain(&i.sk)),
        )
        .chain(model.previous_keys.iter().flat_map(|p| {
            p.pk.iter().chain(&p.sk).chain(
                p.indexes
                    .iter()
                    .flat_map(|i| std::iter::once(&i.pk).chain(&i.sk)),
            )
        }))
        .find(|t| t.fields().any(|f| f == name))
}

/// A `since` or `until` version must be semver.
fn check_version(cx: &Ctxt, key: &str, lit: &LitStr) {
    if let Err(e) = semver::Version::parse(&lit.value()) {
        cx.error_spanned_by(
            lit,
            format!(
                "{key} {:?} is not semver ({e}): name the migration version, e.g. {key} = \"0.4.0\"",
                lit.value()
            ),
        );
    }
}

/// Items written before a field's `since` version have no such attribute, so reading them needs
/// a value for it.
fn check_field_since(cx: &Ctxt, field: &FieldModel) {
    let Some(since) = &field.since else { return };
    check_version(cx, "since", since);
    if field.optional.is_none() && field.default.is_none() {
        cx.error_spanned_by(
            since,
            format!(
                "items written before {} have no `{}`: give the field a `default` or make it an `Option`",
                since.value(),
                field.attribute
            ),
        );
    }
}

/// Which key a template renders: every item has a primary key, while an index key may be
/// missing (a sparse index), so only index templates take `Option` fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Primary,
    Index,
}

fn check_template(cx: &Ctxt, model: &Model, template: &Template, kind: KeyKind) {
    let text = template.lit.value();
    for placeholder in template.fields() {
        let Some(field) = model.fields.iter().find(|f| f.ident == placeholder) else {
            let names = model
                .fields
                .iter()
                .map(|f| f.ident.to_string())
                .collect::<Vec<_>>();
            cx.error_spanned_by(
                &template.lit,
                format!(
                    "key template {text:?} names `{{{placeholder}}}`, but `{}` has no field `{placeholder}`{}",
                    model.ident,
                    did_you_mean(placeholder, names.iter().map(String::as_str)),
                ),
            );
            continue;
        };
        let problem = if field.serde {
            Some(
                "stored with serde: key placeholders take strings, integers, `bool`, `char` or a `KeySegment` type",
            )
        } else if field.optional.is_some() && kind == KeyKind::Index {
            // A sparse index: the index key is written when every placeholder has a value.
            ty::not_a_key_type(field.value_type())
        } else {
            ty::not_a_key_type(&field.ty)
        };
        if let Some(problem) = problem {
            cx.error_spanned_by(
                &template.lit,
                format!("key template {text:?}: placeholder `{{{placeholder}}}` names a field that is {problem}"),
            );
        }
    }
}

fn check_generate(cx: &Ctxt, field: &FieldModel) {
    let Some(generate) = &field.generate else {
        return;
    };
    let name = generate.value();
    if !GENERATORS.contains(&name.as_str()) {
        cx.error_spanned_by(
            generate,
            format!(
                "unknown generator {name:?}{}; expected one of: {}",
                did_you_mean(&name, GENERATORS.iter().copied()),
                GENERATORS.join(", ")
            ),
        );
        return;
    }
    if field.optional.is_some() || !ty::is_string(&field.ty) {
        cx.error_spanned_by(
            &field.ty,
            format!(
                "`generate = \"ulid\"` makes a `String`, but `{}` is a `{}`",
                field.ident,
                ty::display(&field.ty)
            ),
        );
    }
    if field.default.is_some() {
        cx.error_spanned_by(
            generate,
            format!(
                "`{}` has both `generate` and `default`: both give a new value its id; keep one",
                field.ident
            ),
        );
    }
}

fn check_default(cx: &Ctxt, field: &FieldModel) {
    let Some(default) = &field.default else {
        return;
    };
    if field.optional.is_some() {
        let tokens: &dyn quote::ToTokens = match default {
            DefaultValue::Expr(expr) => expr,
            DefaultValue::Trait(path) => path,
        };
        cx.error_spanned_by(
            tokens,
            format!(
                "`default` on the `Option` field `{}`: an absent attribute already reads as `None`; \
                 make the field non-optional to give it a default",
                field.ident
            ),
        );
        return;
    }
    let DefaultValue::Expr(expr) = default else {
        return;
    };
    let (Some(expected), Some(found)) = (ty::primitive(&field.ty), literal_kind(expr)) else {
        return;
    };
    let fits = expected == found || (expected == Primitive::Float && found == Primitive::Integer);
    if !fits {
        cx.error_spanned_by(
            expr,
            format!(
                "`default` for the `{}` field `{}` must be {}, found {}",
                ty::display(&field.ty),
                field.ident,
                describe(expected),
                describe(found)
            ),
        );
    }
}

fn literal_kind(expr: &Expr) -> Option<Primitive> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(match lit {
            Lit::Bool(_) => Primitive::Bool,
            Lit::Int(_) => Primitive::Integer,
            Lit::Float(_) => Primitive::Float,
            Lit::Str(_) => Primitive::String,
            Lit::Char(_) => Primitive::Char,
            _ => return None,
        }),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match literal_kind(expr) {
            Some(number @ (Primitive::Integer | Primitive::Float)) => Some(number),
            _ => None,
        },
        _ => None,
    }
}

fn describe(kind: Primitive) -> &'static str {
    match kind {
        Primitive::Bool => "`true` or `false`",
        Primitive::Integer => "an integer literal",
        Primitive::Float => "a number literal",
        Primitive::String => "a string literal",
        Primitive::Char => "a char literal",
    }
}

fn check_attribute_names(cx: &Ctxt, model: &Model) {
    let mut reserved: BTreeMap<String, String> = BTreeMap::new();
    reserved.insert(
        PARTITION_KEY.to_owned(),
        "the table's partition key".to_owned(),
    );
    reserved.insert(SORT_KEY.to_owned(), "the table's sort key".to_owned());
    reserved.insert(
        ENTITY_TYPE.to_owned(),
        "the entity-type attribute".to_owned(),
    );
    let mut index_names = BTreeMap::new();
    for index in &model.indexes {
        if index_names.insert(index.name.value(), ()).is_some() {
            cx.error_spanned_by(
                &index.name,
                format!("duplicate index {:?}", index.name.value()),
            );
        }
        let keys = std::iter::once(&index.pk_attribute).chain(index.sk_attribute.as_ref());
        for attribute in keys {
            if let Some(owner) = reserved.get(attribute) {
                cx.error_spanned_by(
                    &index.name,
                    format!(
                        "index {:?} stores its key in {attribute:?}, which is {owner}",
                        index.name.value()
                    ),
                );
            } else {
                reserved.insert(
                    attribute.clone(),
                    format!("a key of index {:?}", index.name.value()),
                );
            }
        }
    }
    let mut seen: BTreeMap<&str, &FieldModel> = BTreeMap::new();
    for field in &model.fields {
        if field.attribute.is_empty() {
            cx.syn_error(syn::Error::new(
                field.attribute_span,
                "an attribute name cannot be empty",
            ));
        } else if let Some(owner) = reserved.get(&field.attribute) {
            cx.syn_error(syn::Error::new(
                field.attribute_span,
                format!(
                    "field `{}` would be stored in {:?}, which is {owner}; rename it with #[entity(rename = \"...\")]",
                    field.ident, field.attribute
                ),
            ));
        } else if let Some(first) = seen.insert(&field.attribute, field) {
            cx.syn_error(syn::Error::new(
                field.attribute_span,
                format!(
                    "fields `{}` and `{}` are both stored in the attribute {:?}",
                    first.ident, field.ident, field.attribute
                ),
            ));
        }
    }
}
