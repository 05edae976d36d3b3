//! The options of `#[migration(...)]`, each kept with its literal for error spans.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Lit, LitStr, Path};

use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;

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
        let parser = syn::meta::parser(|meta| parsed.parse_option(cx, meta));
        if let Err(e) = parser.parse2(args) {
            cx.syn_error(e);
        }
        parsed
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let value: Expr = meta.value()?.parse()?;
        let Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) = value
        else {
            if KEYS.contains(&key.as_str()) {
                cx.error_spanned_by(
                    &value,
                    format!("`{key}` takes a string literal, e.g. {key} = \"...\""),
                );
            } else {
                unknown(cx, &meta.path, &key);
            }
            return Ok(());
        };
        let slot = match key.as_str() {
            "version" => &mut self.version,
            "name" => &mut self.name,
            "irreversible" => &mut self.irreversible,
            "crate" => {
                match lit.parse::<Path>() {
                    Ok(path) if self.crate_path.is_none() => self.crate_path = Some(path),
                    Ok(_) => cx.error_spanned_by(&meta.path, "duplicate `crate` option"),
                    Err(_) => cx.error_spanned_by(&lit, "`crate` must be a path"),
                }
                return Ok(());
            }
            _ => {
                unknown(cx, &meta.path, &key);
                return Ok(());
            }
        };
        if slot.is_some() {
            cx.error_spanned_by(&meta.path, format!("duplicate `{key}` option"));
        } else {
            *slot = Some(lit);
        }
        Ok(())
    }
}

fn unknown(cx: &Ctxt, path: &Path, key: &str) {
    cx.error_spanned_by(
        path,
        format!(
            "unknown migration option `{key}`{}; expected one of: {}",
            did_you_mean(key, KEYS.iter().copied()),
            KEYS.join(", ")
        ),
    );
}
