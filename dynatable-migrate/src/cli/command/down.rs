//! `migrate down`: applied migrations rolled back newest first, a dry run of it, a rollback
//! shared with other processes (`--join`), or one followed by a follow period (`--follow`).

use serde_json::{Value, json};

use crate::cli::args::{DownArguments, GlobalOptions};
use crate::cli::confirm::confirm;
use crate::cli::failure::Failure;
use crate::cli::render::run::{
    describe_plan, followed_document, joined_document, rolled_back, run_document,
};
use crate::cli::render::{Printer, dry_run};
use crate::cli::session::Session;
use crate::cli::stop_signal::stop_signal;
use crate::migrator::DownTarget;

/// Runs `down` with `arguments`; returns the `--json` document.
pub(in crate::cli) async fn run(
    session: &Session,
    global: &GlobalOptions,
    out: &Printer,
    arguments: &DownArguments,
) -> Result<Value, Failure> {
    let fail = |e: crate::Error| Failure::migrate(e, &session.endpoint);
    let target = match (&arguments.to, arguments.steps) {
        (Some(version), _) => DownTarget::Version(version.clone()),
        (None, Some(steps)) => DownTarget::Steps(steps as usize),
        (None, None) => DownTarget::Steps(1),
    };
    let migrator = session.guarded(
        session
            .migrator()?
            .allow_changed_checksums(arguments.allow_changed_checksums)
            .catch_up(!arguments.no_catch_up)
            .skip_malformed(arguments.skip_malformed),
        &arguments.safety,
    );
    let plan = migrator.down_plan(&target).await.map_err(fail)?;
    // With nothing to roll back, `down` still finishes the replay a killed `down` left.
    if plan.is_empty()
        && (arguments.dry_run
            || migrator
                .unfinished_rollback_replays()
                .await
                .map_err(fail)?
                .is_empty())
    {
        out.line("Nothing to roll back.");
        return Ok(json!({"command": "down", "dry_run": arguments.dry_run, "versions": []}));
    }
    if arguments.dry_run {
        let report = session.finish(migrator.down_dry_run(&target).await);
        return Ok(dry_run::document(
            out,
            "down",
            report.map_err(fail)?,
            global.max_rate,
            session.capacity.as_ref(),
        ));
    }
    if !plan.is_empty() {
        confirm(
            &format!(
                "Roll back {} on table {} at {}",
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
            .finish(migrator.down_joined(&target).await)
            .map_err(fail)?;
        return Ok(joined_document(out, "down", &report));
    }
    let Some(follow) = arguments.follow else {
        let report = session.finish(migrator.down(target).await).map_err(fail)?;
        out.line(&rolled_back(&report));
        return Ok(run_document("down", &report));
    };
    let report = session
        .finish(migrator.down_follow(target, follow, stop_signal()).await)
        .map_err(fail)?;
    out.line(&rolled_back(&report.run));
    Ok(followed_document(out, "down", &report))
}
