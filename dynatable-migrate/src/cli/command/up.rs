//! `migrate up`: pending migrations applied in version order, a dry run of them, a follow
//! period after them, or a run shared with other processes (`--join`).

use std::io::IsTerminal as _;

use serde_json::{Value, json};

use crate::cli::args::{GlobalOptions, UpArguments};
use crate::cli::confirm::confirm;
use crate::cli::failure::Failure;
use crate::cli::render::run::{
    applied, describe_plan, followed_document, joined_document, run_document,
};
use crate::cli::render::{Printer, dry_run};
use crate::cli::session::Session;
use crate::cli::stop_signal::stop_signal;

/// Runs `up` with `arguments`; returns the `--json` document.
pub(in crate::cli) async fn run(
    session: &Session,
    global: &GlobalOptions,
    out: &Printer,
    arguments: &UpArguments,
) -> Result<Value, Failure> {
    let fail = |e: crate::Error| Failure::migrate(e, &session.endpoint);
    let migrator = session.guarded(
        session
            .migrator()?
            .allow_changed_checksums(arguments.allow_changed_checksums)
            .catch_up(!arguments.no_catch_up)
            .skip_malformed(arguments.skip_malformed),
        &arguments.safety,
    );
    let plan = migrator
        .up_plan(arguments.to.as_deref())
        .await
        .map_err(fail)?;
    // With nothing to apply, `up` still finishes a replay a killed run left, and
    // `--follow` continues the last follow period.
    if plan.is_empty()
        && (arguments.dry_run
            || arguments.follow.is_none()
                && migrator
                    .unfinished_replays()
                    .await
                    .map_err(fail)?
                    .is_empty())
    {
        out.line("Nothing to apply: every migration is applied.");
        return Ok(json!({"command": "up", "dry_run": arguments.dry_run, "versions": []}));
    }
    if arguments.dry_run {
        let report = session.finish(migrator.up_dry_run(arguments.to.as_deref()).await);
        return Ok(dry_run::document(
            out,
            "up",
            report.map_err(fail)?,
            global.max_rate,
            session.capacity.as_ref(),
        ));
    }
    if !plan.is_empty() && !session.config.is_local() && std::io::stdin().is_terminal() {
        confirm(
            &format!(
                "Apply {} on table {} at {}",
                describe_plan(&plan),
                session.table.name(),
                session.endpoint
            ),
            global.yes,
        )?;
    }
    if arguments.sharing.join {
        let migrator = session.sharing(migrator, &arguments.sharing);
        let report = session
            .finish(migrator.up_joined(arguments.to.as_deref()).await)
            .map_err(fail)?;
        return Ok(joined_document(out, "up", &report));
    }
    let Some(follow) = arguments.follow else {
        let report = session
            .finish(migrator.up(arguments.to.as_deref()).await)
            .map_err(fail)?;
        out.line(&applied(&report));
        return Ok(run_document("up", &report));
    };
    let report = session
        .finish(
            migrator
                .up_follow(arguments.to.as_deref(), follow, stop_signal())
                .await,
        )
        .map_err(fail)?;
    out.line(&applied(&report.run));
    Ok(followed_document(out, "up", &report))
}
