//! Key templates as written: `"USER#{user_id}"` → literal text and placeholders.

use syn::LitStr;

use crate::ctxt::Ctxt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Field(String),
}

/// A parsed template and the literal it came from (every error about it points there).
pub(crate) struct Template {
    pub(crate) lit: LitStr,
    pub(crate) segments: Vec<Segment>,
    /// The placeholders given a width of their own (`{seq:08}`), with it.
    pub(crate) widths: Vec<(String, usize)>,
}

impl Template {
    /// Parses `lit`, reporting malformed placeholders; a malformed template has no segments
    /// (its errors keep code from being generated).
    pub(crate) fn parse(cx: &Ctxt, lit: &LitStr) -> Self {
        let text = lit.value();
        let mut segments = Vec::new();
        let mut widths = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars();
        let mut ok = true;
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        cx.error_spanned_by(
                            lit,
                            format!("unclosed `{{` in key template {text:?}: write `{{field}}`"),
                        );
                        ok = false;
                        break;
                    }
                    let (name, width) = match name.split_once(':') {
                        Some((name, width)) => (name.to_owned(), Some(width.trim().to_owned())),
                        None => (name, None),
                    };
                    let trimmed = name.trim();
                    if let Some(width) = width {
                        match width.parse::<usize>() {
                            Ok(digits) if (1..=39).contains(&digits) => {
                                widths.push((trimmed.to_owned(), digits));
                            }
                            _ => {
                                cx.error_spanned_by(lit, format!("placeholder `{{{trimmed}:{width}}}` in key template {text:?}: a width is a number of digits from 1 to 39, e.g. `{{{trimmed}:08}}`"));
                                ok = false;
                                continue;
                            }
                        }
                    }
                    if trimmed.is_empty() {
                        cx.error_spanned_by(lit, format!("empty placeholder `{{}}` in key template {text:?}: name a field, e.g. `{{user_id}}`"));
                        ok = false;
                        continue;
                    }
                    if syn::parse_str::<syn::Ident>(trimmed).is_err() {
                        cx.error_spanned_by(lit, format!("placeholder `{{{name}}}` in key template {text:?} is not a field name"));
                        ok = false;
                        continue;
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    if let Some(Segment::Field(previous)) = segments.last() {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "placeholders `{{{previous}}}` and `{{{trimmed}}}` in key template {text:?} must be separated by literal text (e.g. `#`), or the key cannot be parsed back"
                            ),
                        );
                        ok = false;
                    }
                    segments.push(Segment::Field(trimmed.to_owned()));
                }
                '}' => {
                    cx.error_spanned_by(lit, format!("unmatched `}}` in key template {text:?}"));
                    ok = false;
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        if ok && segments.is_empty() {
            cx.error_spanned_by(
                lit,
                "a key template cannot be empty: DynamoDB keys are non-empty strings",
            );
            ok = false;
        }
        Self {
            lit: lit.clone(),
            segments: if ok { segments } else { Vec::new() },
            widths,
        }
    }

    /// The width given to placeholder `field` (`{seq:08}`), if any.
    pub(crate) fn width(&self, field: &str) -> Option<usize> {
        self.widths
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, width)| *width)
    }

    /// A stand-in for a template that is missing (already reported).
    pub(crate) fn missing() -> Self {
        Self {
            lit: LitStr::new("", proc_macro2::Span::call_site()),
            segments: Vec::new(),
            widths: Vec::new(),
        }
    }

    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Field(f) => Some(f.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The literal text before the first placeholder.
    pub(crate) fn prefix(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }
}
