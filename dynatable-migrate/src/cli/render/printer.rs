//! Where output goes: human text on stdout and notes on stderr (silenced by `--json`), the
//! `--json` document, and a failure (one line on stderr, or the error document).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use crate::cli::failure::Failure;

/// Human output, silenced by `--json`.
pub(in crate::cli) struct Printer {
    /// Whether `--json` was given.
    pub(in crate::cli) json: bool,
}

impl Printer {
    /// `text` and a newline, unless `--json`.
    pub(in crate::cli) fn line(&self, text: &str) {
        if !self.json {
            emit(&format!("{text}\n"));
        }
    }

    /// `text` as it is, unless `--json`.
    pub(in crate::cli) fn text(&self, text: &str) {
        if !self.json {
            emit(text);
        }
    }

    /// `note: text` on stderr, beside output meant to be piped (unless `--json`).
    pub(in crate::cli) fn note(&self, text: &str) {
        if !self.json {
            eprintln!("note: {text}");
        }
    }
}

/// Writes `text` to stdout; a closed stdout (`| head`) is not an error worth a panic.
pub(in crate::cli) fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints the failure (as JSON with `--json`, else one line on stderr) and returns its code.
pub(in crate::cli) fn report(json: bool, failure: &Failure) -> ExitCode {
    let exit = failure.exit();
    if json {
        let mut document = json!({"error": {"kind": exit.name(), "exit_code": exit.code(), "message": failure.to_string()}});
        if let Failure::CheckFailed(problems) = failure {
            document["ok"] = json!(false);
            document["problems"] = json!(problems);
        }
        emit(&format!("{document}\n"));
    } else {
        eprintln!("error: {failure}");
    }
    exit.into()
}

/// A ledger time (milliseconds since the epoch) as RFC 3339.
pub(in crate::cli) fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}
