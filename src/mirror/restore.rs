//! Restoring a run: every ref it changed here goes back to the value it had before (refs it
//! created are deleted, refs it deleted come back). This module reads the run and what a
//! restore would change; the engine claims the repository and does it as a run of its own.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    config::Config,
    entities::{
        mirror_enums::{RefAction, RefSide, RunStatus, Trigger},
        mirror_ref_update, mirror_run,
    },
    error::{Error, Result},
    git::fetch_push::restore::{self as git_restore, RestoreError, Step, Wanted},
    repos::Repo,
};

/// What restoring a run puts back.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    /// The run restored.
    pub run: mirror_run::Model,
    /// Each ref it changed here and the value it goes back to.
    pub wanted: Vec<Wanted>,
    /// What a restore would change now (refs already at their old value left out).
    pub steps: Vec<Step>,
}

/// The run `run_id` of `repo`; 404 when there is none, or it is another repository's.
///
/// # Errors
/// Not found, or the database failed.
pub async fn find_run(
    db: &DatabaseConnection,
    repo: &Repo,
    run_id: i64,
) -> Result<mirror_run::Model> {
    mirror_run::Entity::find_by_id(run_id)
        .filter(mirror_run::Column::RepositoryId.eq(repo.repo.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("run"))
}

/// The refs `run` changed here (not on push mirrors, not those it left diverged), each with
/// the value it goes back to.
///
/// # Errors
/// The database failed.
pub async fn changed_here(db: &DatabaseConnection, run: &mirror_run::Model) -> Result<Vec<Wanted>> {
    let updates = mirror_ref_update::Entity::find()
        .filter(mirror_ref_update::Column::RunId.eq(run.id))
        .filter(mirror_ref_update::Column::Side.eq(RefSide::Upstream))
        .order_by_asc(mirror_ref_update::Column::RefName)
        .all(db)
        .await?;
    Ok(updates
        .into_iter()
        .filter(|u| u.action != Some(RefAction::Diverged) && u.old_id != u.new_id)
        .map(|u| Wanted {
            name: u.ref_name,
            back_to: u.old_id,
        })
        .collect())
}

/// Maps a restore's git error to the contract's answer: 422 when a commit is gone.
#[must_use]
pub fn error_of(e: RestoreError) -> Error {
    match e {
        RestoreError::Gone { .. } => Error::field("run", e.to_string()),
        RestoreError::Git(e) => Error::internal(e),
        RestoreError::Write(said) => Error::internal_msg(said),
    }
}

/// What restoring run `run_id` of `repo` would put back; 404 for an unknown run, 422 when it
/// changed nothing here or a commit it overwrote is no longer kept.
///
/// # Errors
/// As above, or the repository or the database failed.
pub async fn plan(
    db: &DatabaseConnection,
    config: &Config,
    repo: &Repo,
    run_id: i64,
) -> Result<RestorePlan> {
    let run = find_run(db, repo, run_id).await?;
    let wanted = changed_here(db, &run).await?;
    if wanted.is_empty() {
        return Err(Error::field(
            "run",
            format!("run {run_id} changed no ref here; there is nothing to restore"),
        ));
    }
    let path = repo.path(config);
    let asked = wanted.clone();
    let steps = tokio::task::spawn_blocking(move || git_restore::plan(&path, &asked))
        .await
        .map_err(Error::internal)?
        .map_err(error_of)?;
    Ok(RestorePlan { run, wanted, steps })
}

/// Why the pull stays paused: a restore was the last run and mirroring is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PausedBy {
    /// The restore run.
    pub run: i64,
    /// The run it put back (unknown for restores recorded before it was stored).
    pub restored: Option<i64>,
    /// Whether the restore was cut short (the server stopped while it ran).
    pub cut_short: bool,
}

/// What the page says while the pull stays paused after a restore: `Some` when the last run
/// (`last`) was a restore and mirroring is off.
#[must_use]
pub fn paused_because(last: Option<&mirror_run::Model>, mirror_enabled: bool) -> Option<PausedBy> {
    let last = last?;
    (last.trigger == Trigger::Restore && !mirror_enabled).then_some(PausedBy {
        run: last.id,
        restored: last.restored_run_id,
        cut_short: last.status == RunStatus::Interrupted,
    })
}
