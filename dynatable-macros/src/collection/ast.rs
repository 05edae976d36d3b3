//! The collection as the expansion sees it, built from the enum with every shape error reported
//! at its token.

use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path, Type};

use super::attr::{self, Container};
use crate::ctxt::Ctxt;

pub(crate) struct Collection {
    pub(crate) ident: Ident,
    pub(crate) members: Vec<Member>,
    /// The variant that takes the items of no member (`#[collection(other)]`).
    pub(crate) other: Option<Ident>,
    pub(crate) index: Option<LitStr>,
    pub(crate) krate: Path,
}

/// A variant holding one entity.
pub(crate) struct Member {
    pub(crate) variant: Ident,
    pub(crate) ty: Type,
}

pub(crate) fn build(cx: &Ctxt, input: &DeriveInput, container: Container) -> Option<Collection> {
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[collection] goes on an enum whose variants each hold one entity, \
             e.g. `enum UserPage { User(User), Photo(Photo) }`",
        );
        return None;
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a collection cannot be generic");
    }
    let mut members: Vec<Member> = Vec::new();
    let mut other: Option<Ident> = None;
    for variant in &data.variants {
        let is_other = attr::is_other(cx, &variant.attrs);
        let ty = match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => fields.unnamed[0].ty.clone(),
            _ => {
                let holds = if is_other {
                    "dynatable_core::Item"
                } else {
                    "Entity"
                };
                cx.error_spanned_by(
                    variant,
                    format!(
                        "each variant of a collection holds one value, as `{}({holds})`",
                        variant.ident
                    ),
                );
                continue;
            }
        };
        if is_other {
            if other.is_some() {
                cx.error_spanned_by(
                    &variant.ident,
                    "only one variant may take the items of no member (`#[collection(other)]`)",
                );
            }
            other = Some(variant.ident.clone());
            continue;
        }
        let written = quote::quote!(#ty).to_string();
        if let Some(first) = members.iter().find(|m| {
            let m_ty = &m.ty;
            quote::quote!(#m_ty).to_string() == written
        }) {
            cx.error_spanned_by(
                &ty,
                format!(
                    "`{written}` is already the member of variant `{}`",
                    first.variant
                ),
            );
            continue;
        }
        members.push(Member {
            variant: variant.ident.clone(),
            ty,
        });
    }
    if members.is_empty() && !cx.has_errors() {
        cx.error_spanned_by(
            &input.ident,
            "a collection needs at least one member variant, e.g. `User(User)`",
        );
    }
    Some(Collection {
        ident: input.ident.clone(),
        members,
        other,
        index: container.index,
        krate: container
            .crate_path
            .unwrap_or_else(|| syn::parse_quote!(::dynatable_core)),
    })
}
