//! `migrate table-definition --format cloudformation|terraform|json [--table-name NAME]`: the
//! table the entities need, in the language a team keeps its tables in. Makes no AWS call.

use dynatable_core::{TableDefinition, registry};
use serde_json::{Value, json};

use crate::cli::args::DefinitionFormat;
use crate::cli::failure::Failure;
use crate::cli::render::Printer;

/// Prints the definition of table `name` in `format`; returns the `--json` document (the
/// `CreateTable` input for `json`, else the text under `definition`).
pub(in crate::cli) fn run(
    out: &Printer,
    name: &str,
    format: DefinitionFormat,
) -> Result<Value, Failure> {
    let entities = registry::entities();
    if let Err(problems) = registry::check_schemas(&entities) {
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure::Other(format!(
            "the entities cannot share one table: {}",
            text.join("; ")
        )));
    }
    let definition = TableDefinition::for_entities(name, &entities)
        .map_err(|e| Failure::Other(e.to_string()))?
        .with_stream();
    let text = match format {
        DefinitionFormat::Json => {
            let input = definition.create_table_input();
            out.text(&format!("{input:#}\n"));
            if let Some(ttl) = &definition.ttl {
                out.note(&format!(
                    "time to live on {ttl} and point-in-time recovery are not part of the \
                     CreateTable input: turn them on with UpdateTimeToLive and \
                     UpdateContinuousBackups once the table is ACTIVE"
                ));
            }
            return Ok(input);
        }
        DefinitionFormat::Cloudformation => definition.cloudformation(),
        DefinitionFormat::Terraform => definition.terraform(),
    };
    out.text(&text);
    Ok(json!({"format": format.name(), "definition": text}))
}
