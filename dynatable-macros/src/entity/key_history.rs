//! An entity's key shapes: its current keys and, from its `previous_key(...)` options, the keys
//! it had before each version, resolved from the newest back (what a `previous_key` leaves out
//! is the next shape's); and the checks of that history.

use syn::LitStr;

use super::ast::{Index, Model, PreviousKey};
use super::template::Template;
use crate::ctxt::Ctxt;

/// The keys an entity wrote during a span of versions.
pub(crate) struct Shape<'m> {
    /// The version that ended the shape; `None` for the current keys.
    pub(crate) until: Option<&'m LitStr>,
    pub(crate) pk: &'m Template,
    pub(crate) sk: &'m Template,
    pub(crate) indexes: Vec<ShapeIndex<'m>>,
}

/// An index key of a shape: the declared index, with the templates it had then.
pub(crate) struct ShapeIndex<'m> {
    pub(crate) index: &'m Index,
    pub(crate) pk: &'m Template,
    pub(crate) sk: Option<&'m Template>,
}

impl Shape<'_> {
    /// The shape's templates as text, to tell whether two shapes differ.
    fn signature(&self) -> Vec<String> {
        let mut text = vec![self.pk.lit.value(), self.sk.lit.value()];
        for index in &self.indexes {
            text.push(format!(
                "{}={}/{}",
                index.index.name.value(),
                index.pk.lit.value(),
                index.sk.map(|t| t.lit.value()).unwrap_or_default()
            ));
        }
        text
    }
}

/// Every shape, oldest first, the current keys last.
pub(crate) fn shapes(model: &Model) -> Vec<Shape<'_>> {
    let mut next = Shape {
        until: None,
        pk: &model.pk,
        sk: &model.sk,
        indexes: model
            .indexes
            .iter()
            .map(|index| ShapeIndex {
                index,
                pk: &index.pk,
                sk: index.sk.as_ref(),
            })
            .collect(),
    };
    let mut older = Vec::with_capacity(model.previous_keys.len());
    for previous in model.previous_keys.iter().rev() {
        let shape = previous_shape(model, previous, &next);
        older.push(std::mem::replace(&mut next, shape));
    }
    older.push(next);
    older.reverse();
    older
}

/// The shape `previous` declares, the rest taken from `next`, the shape after it.
fn previous_shape<'m>(model: &'m Model, previous: &'m PreviousKey, next: &Shape<'m>) -> Shape<'m> {
    let indexes = model
        .indexes
        .iter()
        .filter(|index| existed_before(index, &previous.until))
        .map(|index| {
            let named = previous
                .indexes
                .iter()
                .find(|p| p.name.value() == index.name.value());
            let later = next
                .indexes
                .iter()
                .find(|i| i.index.name.value() == index.name.value());
            match (named, later) {
                (Some(named), _) => ShapeIndex {
                    index,
                    pk: &named.pk,
                    sk: named.sk.as_ref().or(later.and_then(|l| l.sk)),
                },
                (None, Some(later)) => ShapeIndex {
                    index,
                    pk: later.pk,
                    sk: later.sk,
                },
                (None, None) => ShapeIndex {
                    index,
                    pk: &index.pk,
                    sk: index.sk.as_ref(),
                },
            }
        })
        .collect();
    Shape {
        until: Some(&previous.until),
        pk: previous.pk.as_ref().unwrap_or(next.pk),
        sk: previous.sk.as_ref().unwrap_or(next.sk),
        indexes,
    }
}

/// Whether `index` existed before version `until`: it has no `since`, or an earlier one.
fn existed_before(index: &Index, until: &LitStr) -> bool {
    let parse = |lit: &LitStr| semver::Version::parse(&lit.value()).ok();
    match (index.since.as_ref().and_then(parse), parse(until)) {
        (Some(since), Some(until)) => since < until,
        _ => true,
    }
}

/// The checks of the history beyond each template's own: versions that increase, index names
/// that exist, and shapes that each differ from the next.
pub(crate) fn check(cx: &Ctxt, model: &Model) {
    let mut last: Option<(&LitStr, semver::Version)> = None;
    for previous in &model.previous_keys {
        let Ok(version) = semver::Version::parse(&previous.until.value()) else {
            continue;
        };
        if let Some((last_lit, last_version)) = &last
            && version <= *last_version
        {
            cx.error_spanned_by(
                &previous.until,
                format!(
                    "previous_key versions must increase, oldest first: {:?} comes after {:?}",
                    previous.until.value(),
                    last_lit.value()
                ),
            );
        }
        last = Some((&previous.until, version));
        check_indexes(cx, model, previous);
    }
    if cx.has_errors() {
        return;
    }
    let shapes = shapes(model);
    for pair in shapes.windows(2) {
        if let [older, newer] = pair
            && let Some(until) = older.until
            && older.signature() == newer.signature()
        {
            cx.error_spanned_by(
                until,
                format!(
                    "the keys before {:?} are the ones after it: a previous_key must differ from \
                     the keys that followed it in `pk`, `sk` or an index",
                    until.value()
                ),
            );
        }
    }
}

/// A `previous_key`'s `index(...)` names a declared index, with a sort key only if it has one.
fn check_indexes(cx: &Ctxt, model: &Model, previous: &PreviousKey) {
    for named in &previous.indexes {
        let Some(index) = model
            .indexes
            .iter()
            .find(|i| i.name.value() == named.name.value())
        else {
            let declared: Vec<String> = model.indexes.iter().map(|i| i.name.value()).collect();
            cx.error_spanned_by(
                &named.name,
                format!(
                    "previous_key names index {:?}, which `{}` does not declare{}",
                    named.name.value(),
                    model.ident,
                    if declared.is_empty() {
                        String::new()
                    } else {
                        format!(" (declared: {})", declared.join(", "))
                    }
                ),
            );
            continue;
        };
        if let (Some(sk), None) = (&named.sk, &index.sk) {
            cx.error_spanned_by(
                &sk.lit,
                format!(
                    "index {:?} has no sort key, so it had none before either",
                    named.name.value()
                ),
            );
        }
    }
}
