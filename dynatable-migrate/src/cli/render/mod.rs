//! Everything the command line shows: text for people, the `--json` documents, progress, and
//! where each goes. Commands build their output from here and print nothing themselves.

mod columns;
pub(super) mod dry_run;
mod printer;
pub(super) mod progress;
pub(super) mod run;
pub(super) mod schema;
pub(super) mod status;
pub(super) mod validation;

pub(super) use self::printer::{Printer, emit, report, rfc3339};
