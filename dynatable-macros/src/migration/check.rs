//! What `#[migration]` checks: a semver version, an impl of `Migration` for a plain type, an
//! `up`, and a `down` unless the migration is declared irreversible (and then none).

use heck::ToSnakeCase;
use proc_macro2::Span;
use syn::{ImplItem, ItemImpl, Type};

use super::attr::Args;
use crate::ctxt::Ctxt;

pub(crate) struct Checked {
    pub(crate) version: String,
    pub(crate) name: String,
}

pub(crate) fn check(cx: &Ctxt, args: &Args, item: &ItemImpl) -> Option<Checked> {
    let version = match &args.version {
        Some(lit) => {
            match semver::Version::parse(&lit.value()) {
                Ok(v) => Some(v.to_string()),
                Err(e) => {
                    cx.error_spanned_by(
                    lit,
                    format!("version {:?} is not semver ({e}): write MAJOR.MINOR.PATCH, e.g. \"0.4.0\"", lit.value()),
                );
                    None
                }
            }
        }
        None => {
            cx.syn_error(syn::Error::new(
                Span::call_site(),
                "missing `version`, e.g. #[migration(version = \"0.1.0\")]",
            ));
            None
        }
    };

    let trait_is_migration = item
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == "Migration");
    if !trait_is_migration {
        cx.error_spanned_by(
            &item.self_ty,
            "#[migration] goes on `impl Migration for YourMigration { ... }`",
        );
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &item.generics,
            "a migration cannot be generic: each one is a single, versioned step",
        );
    }
    let type_name = match &*item.self_ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        other => {
            cx.error_spanned_by(
                other,
                "a migration is a unit struct, e.g. `pub struct AddUserBio;`",
            );
            None
        }
    };

    let has = |name: &str| {
        item.items.iter().find_map(|i| match i {
            ImplItem::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
    };
    if has("up").is_none() && trait_is_migration {
        cx.error_spanned_by(
            &item.self_ty,
            "missing `async fn up(&self, ctx: &Context) -> Result<()>`",
        );
    }
    match (has("down"), &args.irreversible) {
        (None, None) if trait_is_migration => cx.error_spanned_by(
            &item.self_ty,
            "missing `down`: write `async fn down(&self, ctx: &Context) -> Result<()>` that undoes `up`, \
             or declare the migration #[migration(..., irreversible = \"why it cannot be undone\")]",
        ),
        (Some(down), Some(_)) => cx.error_spanned_by(
            &down.sig.ident,
            "an irreversible migration has no `down`: remove it, or remove `irreversible`",
        ),
        (None, Some(reason)) if reason.value().trim().is_empty() => {
            cx.error_spanned_by(reason, "say why the migration cannot be undone: it is shown when `down` is refused");
        }
        _ => {}
    }
    if let Some(name) = &args.name {
        let valid = !name.value().is_empty()
            && name
                .value()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            cx.error_spanned_by(name, "a migration name is letters, digits, `_` and `-`");
        }
    }
    let name = args
        .name
        .as_ref()
        .map(|n| n.value())
        .or_else(|| type_name.map(|t| t.to_snake_case()))?;
    Some(Checked {
        version: version?,
        name,
    })
}
