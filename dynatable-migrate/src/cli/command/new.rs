//! `migrate new NAME`: writes a migration file with the next version, ready to fill in, and
//! declares it in the folder's `mod.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use semver::Version;

use serde_json::{Value, json};

use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::registry::RegisteredMigration;

/// Writes the migration `name` with `version` (default: the next one) into `dir` (default: the
/// command line's migrations folder, else `src/migrations`).
pub(in crate::cli) fn run(
    out: &Printer,
    name: &str,
    version: Option<&str>,
    dir: Option<&Path>,
    default_dir: Option<&Path>,
) -> Result<Value, Failure> {
    let migrations = crate::registry::migrations().map_err(|e| Failure::migrate(e, "-"))?;
    let version = match version {
        Some(text) => Version::parse(text).map_err(|e| {
            Failure::Usage(format!(
                "version {text:?} is not semver ({e}): write e.g. 0.6.0"
            ))
        })?,
        None => next_version(&migrations),
    };
    let dir = dir
        .or(default_dir)
        .map_or_else(|| PathBuf::from("src/migrations"), Path::to_path_buf);
    let written = scaffold(&dir, name, &version, &migrations)?;
    out.line(&format!("Created {}", written.path.display()));
    match &written.declared_in {
        Some(mod_rs) => out.line(&format!("Declared it in {}", mod_rs.display())),
        None => out.line("Declare it with a `mod` line where the app's migrations are."),
    }
    Ok(json!({"version": written.version, "path": written.path}))
}

/// What `new` wrote.
#[derive(Debug)]
struct Scaffolded {
    version: String,
    path: PathBuf,
    /// The `mod.rs` the module was declared in, when the folder has one.
    declared_in: Option<PathBuf>,
}

/// The version after the newest one: its minor number raised (`0.5.0` → `0.6.0`).
fn next_version(migrations: &[&'static RegisteredMigration]) -> Version {
    migrations
        .iter()
        .filter_map(|m| m.semver().ok())
        .max()
        .map_or_else(
            || Version::new(0, 1, 0),
            |v| Version::new(v.major, v.minor + 1, 0),
        )
}

/// Writes `dir/v{version}_{name}.rs` and declares it in `dir/mod.rs` when there is one.
fn scaffold(
    dir: &Path,
    name: &str,
    version: &Version,
    migrations: &[&'static RegisteredMigration],
) -> Result<Scaffolded, Failure> {
    let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_name {
        return Err(Failure::Usage(format!(
            "migration name {name:?} is not snake_case: use lowercase letters, digits and _, \
             e.g. add_user_avatar"
        )));
    }
    if let Some(existing) = migrations
        .iter()
        .find(|m| m.semver().is_ok_and(|v| v == *version))
    {
        return Err(Failure::Usage(format!(
            "version {version} is taken by {}: pass another --version",
            existing.name
        )));
    }
    if !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{} is not a folder: create it, or pass --dir",
            dir.display()
        )));
    }
    let module = format!(
        "v{}_{}_{}_{name}",
        version.major, version.minor, version.patch
    );
    let path = dir.join(format!("{module}.rs"));
    let write_error = |path: &Path, e: std::io::Error| {
        Failure::Other(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, source(name, version).as_bytes()))
        .map_err(|e| write_error(&path, e))?;

    let mod_rs = dir.join("mod.rs");
    let declared_in = if mod_rs.is_file() {
        let mut text = std::fs::read_to_string(&mod_rs).map_err(|e| write_error(&mod_rs, e))?;
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        let _ = writeln!(text, "mod {module};");
        std::fs::write(&mod_rs, text).map_err(|e| write_error(&mod_rs, e))?;
        Some(mod_rs)
    } else {
        None
    };
    Ok(Scaffolded {
        version: version.to_string(),
        path,
        declared_in,
    })
}

/// The new file: a migration that refuses to run until its `up` is written.
fn source(name: &str, version: &Version) -> String {
    let type_name: String = name
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    format!(
        r#"//! Migration {version}: {name}.

use dynatable_migrate::{{Context, Error, Migration, Result, migration}};

/// What this migration changes, and why.
pub struct {type_name};

#[migration(version = "{version}", name = "{name}")]
impl Migration for {type_name} {{
    async fn up(&self, ctx: &Context) -> Result<()> {{
        // Read with ctx.table().scan::<Entity>() and write with ctx.backfill(...), ctx.apply(...)
        // or ctx.transact_units(...): every page is read, writes are batched and resumable.
        let _ = ctx.table();
        Err(Error::msg("migration {version} ({name}) has no `up` yet"))
    }}

    async fn down(&self, _ctx: &Context) -> Result<()> {{
        // Undo `up`; or remove `down` and declare #[migration(..., irreversible = "why")].
        Err(Error::msg("migration {version} ({name}) has no `down` yet"))
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_name_is_the_name_in_camel_case() {
        let text = source("add_user_avatar", &Version::new(0, 6, 0));
        assert!(text.contains("pub struct AddUserAvatar;"));
        assert!(text.contains(r#"#[migration(version = "0.6.0", name = "add_user_avatar")]"#));
    }

    #[test]
    fn the_first_version_is_0_1_0() {
        assert_eq!(next_version(&[]), Version::new(0, 1, 0));
    }
}
