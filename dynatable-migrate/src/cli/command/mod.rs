//! One file per command of the `migrate` command line, each with a `run` that does the command
//! and returns its `--json` document.

pub(super) mod check;
pub(super) mod create_table;
pub(super) mod down;
pub(super) mod enable_stream;
pub(super) mod mark;
pub(super) mod new;
pub(super) mod schema;
pub(super) mod status;
pub(super) mod table_definition;
pub(super) mod throttle;
pub(super) mod unlock;
pub(super) mod up;
pub(super) mod validate;
