//! The entity as the macro understands it: the struct, its options and its parsed templates.

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path, Type, Visibility};

use super::attr::{Container, DefaultValue, FieldAttrs, IndexAttr, PreviousKeyAttr};
use super::template::Template;
use super::ty;
use crate::ctxt::Ctxt;

pub(crate) struct Model {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    /// The entity type name (stored in `_type`).
    pub(crate) name: String,
    pub(crate) krate: Path,
    pub(crate) constructor: Ident,
    pub(crate) pk: Template,
    pub(crate) sk: Template,
    pub(crate) indexes: Vec<Index>,
    /// The keys before the current ones, as written (oldest first when the versions increase).
    pub(crate) previous_keys: Vec<PreviousKey>,
    pub(crate) fields: Vec<FieldModel>,
    /// The migration version that introduced the entity.
    pub(crate) since: Option<LitStr>,
}

pub(crate) struct Index {
    pub(crate) name: LitStr,
    pub(crate) pk_attribute: String,
    pub(crate) sk_attribute: Option<String>,
    pub(crate) pk: Template,
    pub(crate) sk: Option<Template>,
    /// The migration version that created the index.
    pub(crate) since: Option<LitStr>,
}

/// One `previous_key(...)`: the templates it gives, the rest being the next shape's.
pub(crate) struct PreviousKey {
    pub(crate) until: LitStr,
    pub(crate) pk: Option<Template>,
    pub(crate) sk: Option<Template>,
    pub(crate) indexes: Vec<PreviousIndex>,
}

/// An index's templates before a `previous_key`'s version.
pub(crate) struct PreviousIndex {
    pub(crate) name: LitStr,
    pub(crate) pk: Template,
    pub(crate) sk: Option<Template>,
}

pub(crate) struct FieldModel {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// The attribute name in the table.
    pub(crate) attribute: String,
    /// Where the attribute name comes from: the `rename` literal, or the field.
    pub(crate) attribute_span: Span,
    /// `T` when the field is an `Option<T>`.
    pub(crate) optional: Option<Type>,
    pub(crate) serde: bool,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) generate: Option<LitStr>,
    /// The migration version that introduced the attribute.
    pub(crate) since: Option<LitStr>,
    /// `#[entity(version)]`: the optimistic-locking version (the keyword, for errors).
    pub(crate) version: Option<Path>,
    /// `#[entity(created_at)]`, `#[entity(updated_at)]` or `#[entity(ttl)]` (the keyword).
    pub(crate) managed: Vec<(Managed, Path)>,
}

/// An attribute the typed writes manage.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Managed {
    /// Set to now by the constructor, and by updates where missing.
    CreatedAt,
    /// Set to now by every put and update.
    UpdatedAt,
    /// The time to live, stored as epoch seconds.
    Ttl,
}

impl Managed {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Ttl => "ttl",
        }
    }
}

impl FieldModel {
    /// The type the codec handles: `T` for `Option<T>`, else the field's type.
    pub(crate) fn value_type(&self) -> &Type {
        self.optional.as_ref().unwrap_or(&self.ty)
    }

    /// A non-`Option` field without `default`, `generate` or `version`: the constructor
    /// takes it.
    pub(crate) fn is_required(&self) -> bool {
        self.optional.is_none()
            && self.default.is_none()
            && self.generate.is_none()
            && self.version.is_none()
            && !self.is_managed(Managed::CreatedAt)
            && !self.is_managed(Managed::UpdatedAt)
    }

    /// Whether the field is the entity's `managed` attribute.
    pub(crate) fn is_managed(&self, managed: Managed) -> bool {
        self.managed.iter().any(|(m, _)| *m == managed)
    }
}

/// Builds the model; `None` when errors (already reported) leave nothing to build from.
pub(crate) fn build(cx: &Ctxt, input: &DeriveInput, container: Container) -> Option<Model> {
    let fields = struct_fields(cx, input)?;
    if input.generics.lt_token.is_some() || input.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &input.generics,
            "generic entities are not supported: an entity's schema and key templates are static, \
             one per stored type; declare an entity for each concrete type",
        );
    }
    for attr in input.attrs.iter().filter(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "entity")
    }) {
        cx.error_spanned_by(
            attr,
            "duplicate #[entity] attribute: put every option in one #[entity(...)]",
        );
    }

    let fields: Vec<FieldModel> = fields
        .named
        .iter()
        .filter_map(|field| {
            let attrs = FieldAttrs::parse(cx, field);
            let ident = field.ident.clone()?;
            let (attribute, attribute_span) = match &attrs.rename {
                Some(lit) => (lit.value(), lit.span()),
                None => {
                    let name = ident.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                    let name = container
                        .rename_all
                        .map_or_else(|| name.clone(), |rule| rule.apply(&name));
                    (name, ident.span())
                }
            };
            Some(FieldModel {
                optional: ty::option_inner(&field.ty).cloned(),
                ty: field.ty.clone(),
                ident,
                attribute,
                attribute_span,
                serde: attrs.serde.is_some(),
                default: attrs.default,
                generate: attrs.generate,
                since: attrs.since,
                version: attrs.version,
                managed: [
                    (Managed::CreatedAt, attrs.created_at),
                    (Managed::UpdatedAt, attrs.updated_at),
                    (Managed::Ttl, attrs.ttl),
                ]
                .into_iter()
                .filter_map(|(managed, keyword)| Some((managed, keyword?)))
                .collect(),
            })
        })
        .collect();

    let pk = required_template(cx, &container, container.pk.as_ref(), "pk");
    let sk = required_template(cx, &container, container.sk.as_ref(), "sk");
    let indexes: Vec<Index> = container
        .indexes
        .iter()
        .filter_map(|index| build_index(cx, index))
        .collect();
    let previous_keys: Vec<PreviousKey> = container
        .previous_keys
        .iter()
        .filter_map(|previous| build_previous_key(cx, previous))
        .collect();

    let name = container
        .name
        .as_ref()
        .map_or_else(|| input.ident.to_string(), LitStr::value);
    if let Some(lit) = container.name.as_ref().filter(|_| name.is_empty()) {
        cx.error_spanned_by(lit, "the entity name cannot be empty");
    }
    Some(Model {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        name,
        krate: container
            .crate_path
            .unwrap_or_else(|| syn::parse_quote!(::dynatable_core)),
        constructor: container
            .constructor
            .unwrap_or_else(|| Ident::new("new", Span::call_site())),
        pk,
        sk,
        indexes,
        previous_keys,
        fields,
        since: container.since,
    })
}

fn struct_fields<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<&'a syn::FieldsNamed> {
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(_) => {
                cx.error_spanned_by(
                    &input.ident,
                    "tuple structs are not supported as entities: attributes are named after fields; use named fields",
                );
                None
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    "unit structs are not supported as entities: an entity needs the fields its keys are made of",
                );
                None
            }
        },
        Data::Enum(data) => {
            cx.error_spanned_by(
                data.enum_token,
                "enums are not supported as entities: declare one #[entity] struct per item type \
                 (an enum can be a field, stored with #[entity(serde)])",
            );
            None
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "unions are not supported as entities: use a struct with named fields",
            );
            None
        }
    }
}

fn required_template(
    cx: &Ctxt,
    container: &Container,
    lit: Option<&LitStr>,
    key: &str,
) -> Template {
    match lit {
        Some(lit) => Template::parse(cx, lit),
        None => {
            // `pk = 42` was reported where it stands; "missing" would say it twice.
            if !container.invalid.contains(key) {
                cx.syn_error(syn::Error::new(
                    Span::call_site(),
                    format!(
                        "missing `{key}` key template, e.g. #[entity(pk = \"USER#{{user_id}}\", sk = \"PROFILE\")]"
                    ),
                ));
            }
            Template::missing()
        }
    }
}

fn build_index(cx: &Ctxt, index: &IndexAttr) -> Option<Index> {
    let Some(name) = &index.name else {
        cx.error_spanned_by(
            &index.keyword,
            "index(...) needs a `name`, e.g. index(name = \"GSI1\", pk = \"EMAIL#{email}\")",
        );
        return None;
    };
    if name.value().is_empty() {
        cx.error_spanned_by(name, "an index name cannot be empty");
        return None;
    }
    let Some(pk) = &index.pk else {
        cx.error_spanned_by(
            &index.keyword,
            format!("index {:?} needs a `pk` template", name.value()),
        );
        return None;
    };
    let pk = Template::parse(cx, pk);
    let sk = index.sk.as_ref().map(|sk| Template::parse(cx, sk));
    if let (None, Some(attribute)) = (&index.sk, &index.sk_attribute) {
        cx.error_spanned_by(attribute, "`sk_attribute` without an `sk` template");
    }
    let pk_attribute = index
        .pk_attribute
        .as_ref()
        .map_or_else(|| format!("{}PK", name.value()), LitStr::value);
    let sk_attribute = index.sk.as_ref().map(|_| {
        index
            .sk_attribute
            .as_ref()
            .map_or_else(|| format!("{}SK", name.value()), LitStr::value)
    });
    Some(Index {
        name: name.clone(),
        pk_attribute,
        sk_attribute,
        pk,
        sk,
        since: index.since.clone(),
    })
}

fn build_previous_key(cx: &Ctxt, previous: &PreviousKeyAttr) -> Option<PreviousKey> {
    let Some(until) = &previous.until else {
        cx.error_spanned_by(
            &previous.keyword,
            "previous_key(...) needs `until`, the migration version that changed the key, e.g. \
             previous_key(until = \"0.2.0\", sk = \"ORDER#{order_id}\")",
        );
        return None;
    };
    if previous.pk.is_none() && previous.sk.is_none() && previous.indexes.is_empty() {
        cx.error_spanned_by(
            &previous.keyword,
            "previous_key(...) names no key: give the `pk`, the `sk` or an `index(...)` the \
             entity had before this version",
        );
        return None;
    }
    let indexes = previous
        .indexes
        .iter()
        .filter_map(|index| {
            let Some(name) = &index.name else {
                cx.error_spanned_by(&index.keyword, "index(...) needs the `name` of the index");
                return None;
            };
            let Some(pk) = &index.pk else {
                cx.error_spanned_by(
                    &index.keyword,
                    format!(
                        "index {:?} needs the `pk` template it had before this version",
                        name.value()
                    ),
                );
                return None;
            };
            Some(PreviousIndex {
                name: name.clone(),
                pk: Template::parse(cx, pk),
                sk: index.sk.as_ref().map(|sk| Template::parse(cx, sk)),
            })
        })
        .collect();
    Some(PreviousKey {
        until: until.clone(),
        pk: previous.pk.as_ref().map(|pk| Template::parse(cx, pk)),
        sk: previous.sk.as_ref().map(|sk| Template::parse(cx, sk)),
        indexes,
    })
}
