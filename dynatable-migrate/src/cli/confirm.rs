//! Asking before a change that is hard to undo.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use super::failure::Failure;

/// Asks `question` on the terminal; `yes` (from `--yes`) answers it. Without a terminal on stdin
/// there is nobody to ask, so the answer is no.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::NotConfirmed(format!(
            "{question} needs confirmation, and stdin is not a terminal: pass --yes to confirm"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question}? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() {
        return Err(Failure::NotConfirmed(
            "no answer was read: nothing was changed".to_owned(),
        ));
    }
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::NotConfirmed(
            "not confirmed: nothing was changed".to_owned(),
        )),
    }
}
