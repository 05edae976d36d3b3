//! The projection as the expansion sees it, built from the struct with every shape error
//! reported at its token.

use syn::{Data, DeriveInput, Fields, Ident, Path, Type};

use super::attr::{self, Container};
use crate::ctxt::Ctxt;
use crate::entity::option_inner;

pub(crate) struct Projection {
    pub(crate) ident: Ident,
    pub(crate) of: Type,
    pub(crate) fields: Vec<ProjectedField>,
    pub(crate) krate: Path,
}

pub(crate) struct ProjectedField {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// `T` when the field is an `Option<T>`.
    pub(crate) optional: Option<Type>,
    /// `#[projection(default)]`: absent reads as `Default::default()`.
    pub(crate) default: bool,
}

pub(crate) fn build(cx: &Ctxt, input: &DeriveInput, container: Container) -> Option<Projection> {
    let Some(of) = container.of else {
        cx.error_spanned_by(
            &input.ident,
            "#[projection] needs the entity it projects: #[projection(of = User)]",
        );
        return None;
    };
    let Data::Struct(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[projection] goes on a struct with named fields, each a field of the entity",
        );
        return None;
    };
    let Fields::Named(named) = &data.fields else {
        cx.error_spanned_by(
            &input.ident,
            "#[projection] goes on a struct with named fields, each a field of the entity",
        );
        return None;
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a projection cannot be generic");
    }
    if named.named.is_empty() {
        cx.error_spanned_by(&input.ident, "a projection needs at least one field");
    }
    let fields = named
        .named
        .iter()
        .filter_map(|field| {
            let ident = field.ident.clone()?;
            let default = attr::has_default(cx, &field.attrs);
            let optional = option_inner(&field.ty).cloned();
            if default && optional.is_some() {
                cx.error_spanned_by(
                    &field.ty,
                    "`default` on an `Option` field: an absent attribute already reads as `None`",
                );
            }
            Some(ProjectedField {
                ident,
                ty: field.ty.clone(),
                optional,
                default,
            })
        })
        .collect();
    Some(Projection {
        ident: input.ident.clone(),
        of,
        fields,
        krate: container
            .crate_path
            .unwrap_or_else(|| syn::parse_quote!(::dynatable_core)),
    })
}
