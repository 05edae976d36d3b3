//! `rename_all`: attribute names derived from field names.

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the rules' own names
pub(crate) enum RenameRule {
    CamelCase,
    PascalCase,
    SnakeCase,
    ScreamingSnakeCase,
    KebabCase,
    LowerCase,
    UpperCase,
}

impl RenameRule {
    pub(crate) const NAMES: &'static [&'static str] = &[
        "camelCase",
        "PascalCase",
        "snake_case",
        "SCREAMING_SNAKE_CASE",
        "kebab-case",
        "lowercase",
        "UPPERCASE",
    ];

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "camelCase" => Self::CamelCase,
            "PascalCase" => Self::PascalCase,
            "snake_case" => Self::SnakeCase,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnakeCase,
            "kebab-case" => Self::KebabCase,
            "lowercase" => Self::LowerCase,
            "UPPERCASE" => Self::UpperCase,
            _ => return None,
        })
    }

    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            Self::CamelCase => field.to_lower_camel_case(),
            Self::PascalCase => field.to_upper_camel_case(),
            Self::SnakeCase => field.to_snake_case(),
            Self::ScreamingSnakeCase => field.to_shouty_snake_case(),
            Self::KebabCase => field.to_kebab_case(),
            Self::LowerCase => field.to_lowercase(),
            Self::UpperCase => field.to_uppercase(),
        }
    }
}
