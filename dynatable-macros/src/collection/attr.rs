//! The options of `#[collection(...)]` and of its variants, each kept with its tokens for error
//! spans.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::ctxt::Ctxt;
use crate::meta_option::{key_of, parse_options, set_crate_path, set_string, unknown_key};

const KEYS: &[&str] = &["index", "crate"];

/// `#[collection(index = "GSI1", crate = "path")]`.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) index: Option<LitStr>,
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
            "index" => set_string(cx, &mut self.index, &meta),
            "crate" => set_crate_path(cx, &mut self.crate_path, &meta),
            _ => unknown_key(cx, &meta, "collection", KEYS),
        }
    }
}

/// Whether a variant is marked `#[collection(other)]`: it takes the items of no member.
pub(crate) fn is_other(cx: &Ctxt, attrs: &[Attribute]) -> bool {
    crate::item_macro::flag(cx, attrs, "collection", "collection variant", "other")
}
