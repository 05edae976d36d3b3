//! The typed options of `#[entity(...)]` on the struct and on its fields, each kept with its
//! tokens so that errors point at them.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Expr, Field, LitStr, Path, Token};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::meta_option::{
    key_of, parse_options, set_crate_path, set_once, set_string, skip_value, string_value,
    unknown_key,
};
use crate::suggest::did_you_mean;

const CONTAINER_KEYS: &[&str] = &[
    "pk",
    "sk",
    "index",
    "name",
    "rename_all",
    "constructor",
    "since",
    "previous_key",
    "crate",
];
const INDEX_KEYS: &[&str] = &["name", "pk", "sk", "pk_attribute", "sk_attribute", "since"];
const PREVIOUS_KEY_KEYS: &[&str] = &["until", "pk", "sk", "index"];
const PREVIOUS_INDEX_KEYS: &[&str] = &["name", "pk", "sk"];
const FIELD_KEYS: &[&str] = &[
    "rename",
    "default",
    "generate",
    "serde",
    "since",
    "version",
    "created_at",
    "updated_at",
    "ttl",
];

/// The options on the struct.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
    pub(crate) indexes: Vec<IndexAttr>,
    /// Every `previous_key(...)`, in the order written.
    pub(crate) previous_keys: Vec<PreviousKeyAttr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) rename_all: Option<RenameRule>,
    pub(crate) constructor: Option<syn::Ident>,
    pub(crate) crate_path: Option<Path>,
    /// `since = "0.4.0"`: the migration version that introduced the entity.
    pub(crate) since: Option<LitStr>,
    /// Keys given with a value of the wrong kind (already reported).
    pub(crate) invalid: BTreeSet<String>,
}

/// One `index(...)`.
pub(crate) struct IndexAttr {
    /// The `index` keyword, for errors about the whole index.
    pub(crate) keyword: Path,
    pub(crate) name: Option<LitStr>,
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
    pub(crate) pk_attribute: Option<LitStr>,
    pub(crate) sk_attribute: Option<LitStr>,
    /// `since = "0.3.0"`: the migration version that created the index.
    pub(crate) since: Option<LitStr>,
}

/// One `previous_key(until = "...", pk = "...", sk = "...", index(...))`.
pub(crate) struct PreviousKeyAttr {
    /// The `previous_key` keyword, for errors about the whole option.
    pub(crate) keyword: Path,
    pub(crate) until: Option<LitStr>,
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
    /// `index(name = "...", pk = "...", sk = "...")`: an index's keys before `until`.
    pub(crate) indexes: Vec<PreviousIndexAttr>,
}

/// One `index(...)` inside a `previous_key(...)`.
pub(crate) struct PreviousIndexAttr {
    pub(crate) keyword: Path,
    pub(crate) name: Option<LitStr>,
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
}

/// The options on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) rename: Option<LitStr>,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) generate: Option<LitStr>,
    pub(crate) serde: Option<Path>,
    /// `since = "0.1.0"`: the migration version that introduced the attribute.
    pub(crate) since: Option<LitStr>,
    /// `version`: the field is the entity's optimistic-locking version.
    pub(crate) version: Option<Path>,
    /// `created_at`: set to now by the constructor, and by updates where missing.
    pub(crate) created_at: Option<Path>,
    /// `updated_at`: set to now by every put and update.
    pub(crate) updated_at: Option<Path>,
    /// `ttl`: the time to live, stored as epoch seconds.
    pub(crate) ttl: Option<Path>,
}

/// `default = expr`, or `default` alone for `Default::default()`.
pub(crate) enum DefaultValue {
    Expr(Expr),
    Trait(Path),
}

impl Container {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> Self {
        let mut container = Self::default();
        parse_options(cx, args, |meta| container.parse_option(cx, meta));
        container
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "pk" | "sk" => {
                match string_value(cx, &meta)? {
                    Some(value) => {
                        let slot = if key == "pk" {
                            &mut self.pk
                        } else {
                            &mut self.sk
                        };
                        set_once(cx, slot, &meta, value);
                    }
                    None => {
                        self.invalid.insert(key);
                    }
                }
                Ok(())
            }
            "name" => set_string(cx, &mut self.name, &meta),
            "since" => set_string(cx, &mut self.since, &meta),
            "rename_all" => {
                if let Some(lit) = string_value(cx, &meta)? {
                    match RenameRule::from_name(&lit.value()) {
                        Some(rule) => set_once(cx, &mut self.rename_all, &meta, rule),
                        None => cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown rename_all rule {:?}{}; expected one of: {}",
                                lit.value(),
                                did_you_mean(&lit.value(), RenameRule::NAMES.iter().copied()),
                                RenameRule::NAMES.join(", ")
                            ),
                        ),
                    }
                }
                Ok(())
            }
            "constructor" => {
                if let Some(lit) = string_value(cx, &meta)? {
                    match lit.parse::<syn::Ident>() {
                        Ok(ident) => set_once(cx, &mut self.constructor, &meta, ident),
                        Err(_) => {
                            cx.error_spanned_by(&lit, "`constructor` must be a function name")
                        }
                    }
                }
                Ok(())
            }
            "crate" => set_crate_path(cx, &mut self.crate_path, &meta),
            "index" => {
                let mut index = IndexAttr {
                    keyword: meta.path.clone(),
                    name: None,
                    pk: None,
                    sk: None,
                    pk_attribute: None,
                    sk_attribute: None,
                    since: None,
                };
                meta.parse_nested_meta(|inner| index.parse_option(cx, inner))?;
                self.indexes.push(index);
                Ok(())
            }
            "previous_key" => {
                let mut previous = PreviousKeyAttr {
                    keyword: meta.path.clone(),
                    until: None,
                    pk: None,
                    sk: None,
                    indexes: Vec::new(),
                };
                meta.parse_nested_meta(|inner| previous.parse_option(cx, inner))?;
                self.previous_keys.push(previous);
                Ok(())
            }
            _ => unknown_key(cx, &meta, "entity", CONTAINER_KEYS),
        }
    }
}

impl IndexAttr {
    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "name" => set_string(cx, &mut self.name, &meta),
            "pk" => set_string(cx, &mut self.pk, &meta),
            "sk" => set_string(cx, &mut self.sk, &meta),
            "pk_attribute" => set_string(cx, &mut self.pk_attribute, &meta),
            "sk_attribute" => set_string(cx, &mut self.sk_attribute, &meta),
            "since" => set_string(cx, &mut self.since, &meta),
            _ => unknown_key(cx, &meta, "index", INDEX_KEYS),
        }
    }
}

impl PreviousKeyAttr {
    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "until" => set_string(cx, &mut self.until, &meta),
            "pk" => set_string(cx, &mut self.pk, &meta),
            "sk" => set_string(cx, &mut self.sk, &meta),
            "index" => {
                let mut index = PreviousIndexAttr {
                    keyword: meta.path.clone(),
                    name: None,
                    pk: None,
                    sk: None,
                };
                meta.parse_nested_meta(|inner| index.parse_option(cx, inner))?;
                self.indexes.push(index);
                Ok(())
            }
            _ => unknown_key(cx, &meta, "previous_key", PREVIOUS_KEY_KEYS),
        }
    }
}

impl PreviousIndexAttr {
    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "name" => set_string(cx, &mut self.name, &meta),
            "pk" => set_string(cx, &mut self.pk, &meta),
            "sk" => set_string(cx, &mut self.sk, &meta),
            _ => unknown_key(cx, &meta, "previous_key index", PREVIOUS_INDEX_KEYS),
        }
    }
}

impl FieldAttrs {
    pub(crate) fn parse(cx: &Ctxt, field: &Field) -> Self {
        let mut attrs = Self::default();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("entity")) {
            if let Err(e) = attr.parse_nested_meta(|meta| attrs.parse_option(cx, meta)) {
                cx.syn_error(e);
            }
        }
        attrs
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = key_of(&meta);
        match key.as_str() {
            "rename" => set_string(cx, &mut self.rename, &meta),
            "generate" => set_string(cx, &mut self.generate, &meta),
            "since" => set_string(cx, &mut self.since, &meta),
            "default" => {
                let value = if meta.input.peek(Token![=]) {
                    DefaultValue::Expr(meta.value()?.parse()?)
                } else {
                    DefaultValue::Trait(meta.path.clone())
                };
                set_once(cx, &mut self.default, &meta, value);
                Ok(())
            }
            "serde" => flag(cx, &mut self.serde, &meta),
            "version" => flag(cx, &mut self.version, &meta),
            "created_at" => flag(cx, &mut self.created_at, &meta),
            "updated_at" => flag(cx, &mut self.updated_at, &meta),
            "ttl" => flag(cx, &mut self.ttl, &meta),
            _ => unknown_key(cx, &meta, "field", FIELD_KEYS),
        }
    }
}

/// A flag option (`serde`, `version`): a bare key, given once.
fn flag(cx: &Ctxt, slot: &mut Option<Path>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let key = key_of(meta);
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes no value: write #[entity({key})]"),
        );
        skip_value(meta)?;
    }
    set_once(cx, slot, meta, meta.path.clone());
    Ok(())
}
