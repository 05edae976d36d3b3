//! `migrate create-table [--no-stream]`: the table made from the entities' keys and indexes
//! (on-demand capacity, with a `KEYS_ONLY` stream).

use dynatable_core::{TableDefinition, registry};
use serde_json::{Value, json};

use crate::cli::failure::Failure;
use crate::cli::render::Printer;
use crate::cli::session::Session;

/// Creates the table (with a stream when `stream`) unless it exists; returns the `--json`
/// document.
pub(in crate::cli) async fn run(
    session: &Session,
    out: &Printer,
    stream: bool,
) -> Result<Value, Failure> {
    let entities = registry::entities();
    if let Err(problems) = registry::check_schemas(&entities) {
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure::Other(format!(
            "the entities cannot share one table: {}",
            text.join("; ")
        )));
    }
    let mut definition = TableDefinition::for_entities(session.table.name(), &entities)
        .map_err(|e| Failure::Other(e.to_string()))?;
    if stream {
        definition = definition.with_stream();
    }
    let created = match definition.create(session.table.client()).await {
        Ok(()) => true,
        Err(e) if e.is_already_exists() => false,
        Err(e) => {
            return Err(Failure::Other(format!(
                "{e} (endpoint {}): check the endpoint, region and credentials",
                session.endpoint
            )));
        }
    };
    let name = session.table.name();
    let ttl = definition.ttl.as_deref().filter(|_| created);
    out.line(&match (created, ttl) {
        (true, Some(attribute)) => format!(
            "Created table {name} at {}, with time to live on {attribute}.",
            session.endpoint
        ),
        (true, None) => format!("Created table {name} at {}.", session.endpoint),
        (false, _) => format!(
            "Table {name} exists at {}; nothing changed.",
            session.endpoint
        ),
    });
    Ok(json!({"table": name, "created": created, "stream": created && stream, "ttl": ttl}))
}
