//! The enum `#[derive(KeySegment)]` is on: its unit variants and the text each is written as.
//! Every error is collected at its token: a struct or union, a variant with fields, an unknown
//! option or rule, two variants written alike.

use std::collections::BTreeMap;

use syn::{Data, DeriveInput, Fields, Ident, LitStr};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// The enum and its variants' texts.
pub(crate) struct Model<'a> {
    pub(crate) input: &'a DeriveInput,
    /// Each variant and the text it is written as in keys and attributes.
    pub(crate) variants: Vec<(&'a Ident, String)>,
}

/// Checks `input` and builds its model; `None` when it is not an enum at all.
pub(crate) fn build<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Model<'a>> {
    let rule = rename_rule(cx, input);
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(KeySegment)] is for enums of unit variants (`enum Status { Cart, Placed }`); \
             for an id newtype, implement `KeySegment` and `ParseKeySegment` by hand",
        );
        return None;
    };
    let mut variants = Vec::new();
    let mut seen: BTreeMap<String, &Ident> = BTreeMap::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                "a #[derive(KeySegment)] variant cannot hold fields: a key segment is one of a \
                 fixed set of words",
            );
            continue;
        }
        let text = rule.map_or_else(
            || variant.ident.to_string(),
            |rule| rule.apply(&variant.ident.to_string()),
        );
        if let Some(first) = seen.insert(text.clone(), &variant.ident) {
            cx.error_spanned_by(
                &variant.ident,
                format!(
                    "variants `{first}` and `{}` are both written {text:?}",
                    variant.ident
                ),
            );
        }
        if text.is_empty() || text.contains('#') {
            cx.error_spanned_by(
                &variant.ident,
                format!("{text:?} cannot be a key segment: it must be non-empty, without `#`"),
            );
        }
        variants.push((&variant.ident, text));
    }
    if variants.is_empty() && !cx.has_errors() {
        cx.error_spanned_by(
            &input.ident,
            "an enum with no variants has no key segment to write",
        );
    }
    Some(Model { input, variants })
}

/// The `#[key_segment(rename_all = "...")]` rule, if given.
fn rename_rule(cx: &Ctxt, input: &DeriveInput) -> Option<RenameRule> {
    let mut rule = None;
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("key_segment"))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("rename_all") {
                return Err(meta.error("unknown option: the one option is `rename_all = \"...\"`"));
            }
            let name: LitStr = meta.value()?.parse()?;
            match RenameRule::from_name(&name.value()) {
                Some(found) => rule = Some(found),
                None => cx.error_spanned_by(
                    &name,
                    format!("unknown rule: use one of {}", RenameRule::NAMES.join(", ")),
                ),
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    rule
}
