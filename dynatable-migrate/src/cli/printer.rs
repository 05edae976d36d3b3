//! Human output of the commands, silenced by `--json`.

use super::emit;

/// Human output, silenced by `--json`.
pub(super) struct Printer {
    pub(super) json: bool,
}

impl Printer {
    pub(super) fn line(&self, text: &str) {
        if !self.json {
            emit(&format!("{text}\n"));
        }
    }

    pub(super) fn text(&self, text: &str) {
        if !self.json {
            emit(text);
        }
    }
}
