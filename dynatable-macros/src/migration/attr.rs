//! The options of `#[migration(...)]`, each kept with its literal for error spans.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

use crate::ctxt::Ctxt;
use crate::meta_option::{key_of, parse_options, set_crate_path, set_string, unknown_key};

const KEYS: &[&str] = &["version", "name", "irreversible", "crate"];

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) version: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) irreversible: Option<LitStr>,
    pub(crate) crate_path: Option<Path>,
}

impl Args {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> Self {
        let mut parsed = Self::default();
        parse_options(cx, args, |meta| parsed.parse_option(cx, meta));
        parsed
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "version" => set_string(cx, &mut self.version, &meta),
            "name" => set_string(cx, &mut self.name, &meta),
            "irreversible" => set_string(cx, &mut self.irreversible, &meta),
            "crate" => set_crate_path(cx, &mut self.crate_path, &meta),
            _ => unknown_key(cx, &meta, "migration", KEYS),
        }
    }
}
