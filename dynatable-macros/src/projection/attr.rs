//! The options of `#[projection(...)]` and of its fields.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Path, Type};

use crate::ctxt::Ctxt;
use crate::meta_option::{key_of, parse_options, set_crate_path, set_once, unknown_key};

const KEYS: &[&str] = &["of", "crate"];

/// `#[projection(of = User, crate = "path")]`.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) of: Option<Type>,
    pub(crate) crate_path: Option<Path>,
}

impl Container {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> Self {
        let mut parsed = Self::default();
        parse_options(cx, args, |meta| parsed.parse_option(cx, meta));
        parsed
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        match key_of(&meta).as_str() {
            "of" => {
                let ty: Type = meta.value()?.parse()?;
                set_once(cx, &mut self.of, &meta, ty);
                Ok(())
            }
            "crate" => set_crate_path(cx, &mut self.crate_path, &meta),
            _ => unknown_key(cx, &meta, "projection", KEYS),
        }
    }
}

/// Whether a field is marked `#[projection(default)]`: an item without the attribute reads as
/// `Default::default()`.
pub(crate) fn has_default(cx: &Ctxt, attrs: &[Attribute]) -> bool {
    crate::item_macro::flag(cx, attrs, "projection", "projection field", "default")
}
