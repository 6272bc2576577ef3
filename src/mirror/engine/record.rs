//! A run's life, from its row to the release of its claim: [`Run::start`] inserts the run,
//! [`Run::finish`] writes its end in one transaction (the run's outcome and its ref updates,
//! each part's attempt, the repository's status derived again, its next sync, the release of
//! the claim), and [`release_after_error`] gives a claim back when a run could not start or
//! be recorded. Every ending goes through `claims`' one release.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait,
};

use super::{
    RunResult, Scope, Target,
    claims::{Claims, Release},
};
use crate::{
    entities::{
        mirror_enums::{MirrorDirection, RefSide, RunStatus, SyncStatus, Trigger},
        mirror_ref_update, mirror_run, push_mirror, repository, user,
    },
    error::{Error, Result},
    mirror::{
        push_mirrors,
        runs::action_of,
        schedule::Schedule,
        state::{self, Attempt, Summary},
    },
};

/// First retry delay after a transient failure, doubling with each failure up to the interval.
const FIRST_RETRY_SECS: i64 = 60;

/// Ref updates inserted per statement.
const INSERT_CHUNK: usize = 200;

/// Seconds until the next sync: the interval, or sooner after a transient failure (60 s,
/// doubling with each failure in a row, at most the interval). `retry` is the failures in a
/// row of the part that rules the schedule, when it failed transiently.
fn next_in(retry: Option<i32>, interval: i64) -> i64 {
    match retry {
        Some(failures) => {
            let shift = u32::try_from(failures.saturating_sub(1))
                .unwrap_or(0)
                .min(20);
            FIRST_RETRY_SECS.saturating_mul(1 << shift).min(interval)
        }
        None => interval,
    }
}

/// When the scheduler syncs `repo` next after a whole run that ended `now`: by its schedule,
/// or sooner after a transient failure; never for a mirror switched off or synced by hand only.
fn next_sync(
    retry: Option<i32>,
    repo: &repository::Model,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !repo.mirror_enabled {
        return None;
    }
    let interval = repo.sync_interval.max(1);
    let planned = Schedule::stored(&repo.sync_schedule).next_after(now, interval)?;
    let retry = now + TimeDelta::seconds(next_in(retry, interval));
    Some(planned.min(retry))
}

/// What a run was asked to do, as its end is recorded.
#[derive(Debug, Clone)]
pub(super) struct Asked {
    /// Which way it went.
    pub direction: MirrorDirection,
    /// It did what the schedule does (not a push to some targets only): it sets the next sync.
    pub whole: bool,
    /// The push mirrors it was to push to.
    pub targets: Vec<i64>,
}

impl Asked {
    /// What a run of `repo` by `trigger` in `scope` does, and the enabled push mirrors (of
    /// `targets`) it goes to.
    pub(super) fn plan(
        repo: &repository::Model,
        targets: Vec<push_mirror::Model>,
        trigger: Trigger,
        scope: &Scope,
    ) -> (Self, Vec<push_mirror::Model>) {
        let direction = match scope {
            Scope::OneTime(_) => MirrorDirection::Upstream,
            Scope::PushTo(_) | Scope::PushAll => MirrorDirection::Downstream,
            _ if trigger == Trigger::Push => MirrorDirection::Downstream,
            Scope::Mirror | Scope::Unguarded => repo.mirror_direction,
        };
        // Only a run that does what the schedule does moves the next sync.
        let whole = !matches!(scope, Scope::PushTo(_) | Scope::PushAll) && trigger != Trigger::Push;
        // A push-triggered sync goes to the targets that asked for it, a "Sync now" next to
        // one target to that one.
        let enabled: Vec<push_mirror::Model> = targets
            .into_iter()
            .filter(|t| t.enabled && (trigger != Trigger::Push || t.sync_on_push))
            .filter(|t| match scope {
                Scope::PushTo(id) => t.id == *id,
                _ => true,
            })
            .collect();
        let targets = if direction.pushes() {
            enabled.iter().map(|t| t.id).collect()
        } else {
            Vec::new()
        };
        let asked = Self {
            direction,
            whole,
            targets,
        };
        (asked, enabled)
    }
}

/// The push mirrors a run goes to (enabled, oldest first), and why there is none when the
/// list is empty.
#[derive(Debug)]
pub(super) struct PushTargets {
    /// The enabled push mirrors the run pushes to.
    pub enabled: Vec<push_mirror::Model>,
    /// The sentence for a run that pushes with none of them.
    pub none_because: &'static str,
}

/// A run of one repository, from its row (status running) to its recorded end.
#[derive(Debug)]
pub(super) struct Run {
    /// Its row as inserted.
    pub row: mirror_run::Model,
    /// What it was asked to do.
    pub asked: Asked,
    /// The repository as the run read it when it started.
    pub repo: repository::Model,
    /// The repository's owner.
    pub owner: user::Model,
}

impl Run {
    /// Reads the claimed repository `repo_id` (its settings may have changed while the sync
    /// waited for its slot), plans the run by `trigger` in `scope` and inserts it, held by
    /// `holder`; with the push mirrors it goes to. `None` when the repository or its
    /// owner is gone (the claim went with the row) or the database failed (then the claim is
    /// released, the error logged).
    pub(super) async fn start(
        db: &DatabaseConnection,
        holder: &str,
        repo_id: i64,
        trigger: Trigger,
        scope: &Scope,
    ) -> Option<(Self, PushTargets)> {
        let (repo, owner, targets) = load(db, holder, repo_id).await?;
        let none_because = state::nowhere_to_push(&targets);
        // Every line the sync logs from here on names the repository.
        tracing::Span::current().record(
            "repo",
            tracing::field::display(format!("{}/{}", owner.username, repo.name)),
        );
        let (asked, enabled) = Asked::plan(&repo, targets, trigger, scope);
        let row = mirror_run::ActiveModel {
            repository_id: Set(repo.id),
            trigger: Set(trigger),
            direction: Set(asked.direction),
            status: Set(RunStatus::Running),
            started_at: Set(Utc::now()),
            claimed_by: Set(holder.to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await;
        match row {
            Ok(row) => {
                let run = Self {
                    row,
                    asked,
                    repo,
                    owner,
                };
                Some((
                    run,
                    PushTargets {
                        enabled,
                        none_because,
                    },
                ))
            }
            Err(e) => {
                tracing::error!(error = %Error::from(e), "could not record a mirror run");
                release_after_error(db, holder, repo.id, "the sync could not start").await;
                None
            }
        }
    }

    /// Records the run's end as `result` and releases `holder`'s claim; `None` when that
    /// failed (then the claim is released all the same, the error logged).
    pub(super) async fn finish(
        &self,
        db: &DatabaseConnection,
        holder: &str,
        result: &RunResult,
    ) -> Option<Recorded> {
        match record(db, holder, self, result).await {
            Ok(recorded) => Some(recorded),
            Err(e) => {
                tracing::error!(error = %e, "could not record the end of a mirror sync");
                let what = "the sync's result could not be saved";
                release_after_error(db, holder, self.repo.id, what).await;
                None
            }
        }
    }
}

/// The repository, its owner and its push mirrors; `None` when the repository or its owner
/// is gone or the database failed (then the claim is released, the error logged).
async fn load(
    db: &DatabaseConnection,
    holder: &str,
    repo_id: i64,
) -> Option<(repository::Model, user::Model, Vec<push_mirror::Model>)> {
    let loaded = match repository::Entity::find_by_id(repo_id)
        .find_also_related(user::Entity)
        .one(db)
        .await
    {
        Ok(Some((repo, Some(owner)))) => match push_mirrors::list(db, repo_id).await {
            Ok(targets) => return Some((repo, owner, targets)),
            Err(e) => e,
        },
        Ok(_) => return None,
        Err(e) => Error::from(e),
    };
    tracing::error!(error = %loaded, "could not load a claimed repository");
    release_after_error(db, holder, repo_id, "the sync could not start").await;
    None
}

/// Gives `holder`'s claim on `repo_id` back after an internal error, saying so in the
/// repository's status (the parts it was for failed); the next attempt comes after the first
/// retry delay.
async fn release_after_error(db: &DatabaseConnection, holder: &str, repo_id: i64, what: &str) {
    let message = format!("{what} because of an internal error; it will be retried");
    let released = async {
        let txn = crate::db::begin_write(db).await?;
        let pulled = repository::Entity::find_by_id(repo_id)
            .one(&txn)
            .await?
            .is_some_and(|r| r.mirror_direction.pulls());
        let next_sync_at = Utc::now() + TimeDelta::seconds(FIRST_RETRY_SECS);
        let released =
            Claims::release_failed(&txn, repo_id, holder, pulled, &message, next_sync_at).await?;
        txn.commit().await?;
        Ok::<_, Error>(released)
    };
    if let Err(e) = released.await {
        tracing::error!(error = %e, repo_id, "could not release a mirror claim");
    }
}

/// Records each part's attempt in `result`: what was done succeeded, what failed failed; a
/// failure of the whole run goes to the parts it was for (the pull, else its targets).
/// Returns the repository's summary as it stood before (`None` when it is gone).
async fn record_parts(
    txn: &DatabaseTransaction,
    repo_id: i64,
    asked: &Asked,
    result: &RunResult,
    now: DateTime<Utc>,
) -> Result<Option<Summary>> {
    let before = state::current(txn, repo_id).await?;
    let done = match result {
        RunResult::Done(done) | RunResult::Cancelled(done) | RunResult::Failed { done, .. } => done,
    };
    let succeeded = Attempt::Succeeded(now);
    for (target, _) in done {
        match target {
            Target::Upstream => state::record_pull(txn, repo_id, &succeeded).await?,
            Target::PushMirror(id) => state::record_push(txn, *id, &succeeded).await?,
        }
    }
    let RunResult::Failed {
        message,
        failed_pushes,
        pull_error,
        ..
    } = result
    else {
        return Ok(before);
    };
    for (id, sentence) in failed_pushes {
        state::record_push(txn, *id, &Attempt::Failed(sentence.clone())).await?;
    }
    if let Some(attempt) = pull_error {
        state::record_pull(txn, repo_id, attempt).await?;
    } else if failed_pushes.is_empty() {
        let pulled = done.iter().any(|(t, _)| *t == Target::Upstream);
        let failed = Attempt::Failed(message.clone());
        if asked.direction.pulls() && !pulled {
            state::record_pull(txn, repo_id, &failed).await?;
        } else {
            for id in &asked.targets {
                if !done.iter().any(|(t, _)| *t == Target::PushMirror(*id)) {
                    state::record_push(txn, *id, &failed).await?;
                }
            }
        }
    }
    Ok(before)
}

/// The failures in a row that shorten the wait for the next whole run: the pull's for a
/// repository that pulls (a push target never moves its schedule), else the repository's;
/// `None` unless the part failed transiently.
fn retry_after(result: &RunResult, repo: &repository::Model, summary: &Summary) -> Option<i32> {
    let RunResult::Failed {
        transient: true,
        pull_error,
        failed_pushes,
        ..
    } = result
    else {
        return None;
    };
    if repo.mirror_direction.pulls() {
        let pull_failed = pull_error.is_some() || failed_pushes.is_empty();
        (pull_failed && repo.upstream_status == SyncStatus::Failed)
            .then_some(repo.upstream_failures)
    } else {
        Some(summary.failures)
    }
}

/// What a recorded run ended as: its status word, the bytes it moved, and whether the
/// repository's outcome changed in a way worth announcing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Recorded {
    pub(super) status: RunStatus,
    pub(super) bytes: u64,
    pub(super) change: Option<Change>,
}

/// The two changes of outcome that are announced (never a repeated failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It synced, or had not failed, before; now it failed.
    Failed,
    /// It had failed; now it succeeded.
    Recovered,
}

/// The announced change of a repository whose shown status went from `before` to `after`.
fn change_of(before: SyncStatus, after: SyncStatus) -> Option<Change> {
    match (before, after) {
        (SyncStatus::Failed, SyncStatus::Failed) => None,
        (_, SyncStatus::Failed) => Some(Change::Failed),
        (SyncStatus::Failed, SyncStatus::Success) => Some(Change::Recovered),
        _ => None,
    }
}

/// Records `run`'s end and releases `holder`'s claim on the repository, all or nothing: the
/// run and its ref updates, each part's attempt, the repository's summary derived again and,
/// for a whole run, its next sync.
async fn record(
    db: &DatabaseConnection,
    holder: &str,
    run: &Run,
    result: &RunResult,
) -> Result<Recorded> {
    let (asked, repo, run) = (&run.asked, &run.repo, &run.row);
    let now = Utc::now();
    // Writes wait for each other: on SQLite the transaction takes the write lock up front.
    let txn = crate::db::begin_write(db).await?;
    let mut run_row: mirror_run::ActiveModel = run.clone().into();
    run_row.finished_at = Set(Some(now));
    let cancelled = matches!(result, RunResult::Cancelled(_));
    let (transferred, failure) = match result {
        RunResult::Done(done) | RunResult::Cancelled(done) => (done.as_slice(), None),
        RunResult::Failed { message, done, .. } => (done.as_slice(), Some(message)),
    };
    run_row.objects_transferred = Set(transferred.iter().map(|(_, o)| o.objects as i64).sum());
    run_row.bytes_transferred = Set(transferred.iter().map(|(_, o)| o.bytes as i64).sum());
    run_row.lfs_objects_transferred =
        Set(transferred.iter().map(|(_, o)| o.lfs_objects as i64).sum());
    run_row.lfs_bytes_transferred = Set(transferred.iter().map(|(_, o)| o.lfs_bytes as i64).sum());
    let run_status = match failure {
        None if cancelled => RunStatus::Cancelled,
        Some(_) => RunStatus::Failed,
        None if transferred.iter().all(|(_, o)| o.up_to_date) => RunStatus::UpToDate,
        None => RunStatus::Success,
    };
    run_row.status = Set(run_status);
    if let Some(message) = failure {
        tracing::error!(error = %message, "Mirror sync failed");
        run_row.error = Set(Some(message.clone()));
    }
    if cancelled {
        tracing::info!("Mirror sync cancelled");
        run_row.error = Set(Some("the sync was cancelled".to_owned()));
    }
    // Marked so the daily expiry finds the run's kept refs through its index.
    if transferred
        .iter()
        .any(|(_, o)| o.changes.iter().any(|c| c.kept))
    {
        run_row.holds_kept_refs = Set(true);
    }
    let updates: Vec<mirror_ref_update::ActiveModel> = transferred
        .iter()
        .flat_map(|(target, outcome)| {
            let (side, push_mirror_id) = match target {
                Target::Upstream => (RefSide::Upstream, None),
                Target::PushMirror(id) => (RefSide::Downstream, Some(*id)),
            };
            outcome
                .changes
                .iter()
                .map(move |c| mirror_ref_update::ActiveModel {
                    run_id: Set(run.id),
                    side: Set(side),
                    ref_name: Set(c.name.clone()),
                    old_id: Set(c.old.clone()),
                    new_id: Set(c.new.clone()),
                    action: Set(Some(action_of(c))),
                    push_mirror_id: Set(push_mirror_id),
                    kept: Set(c.kept),
                    source_ref: Set(c.source_ref.clone()),
                    ..Default::default()
                })
        })
        .collect();
    for chunk in updates.chunks(INSERT_CHUNK) {
        mirror_ref_update::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    run_row.update(&txn).await?;
    let before = record_parts(&txn, repo.id, asked, result, now).await?;
    // Read the settings again: they may have changed while the sync ran.
    let bytes: u64 = transferred.iter().map(|(_, o)| o.bytes).sum();
    let (Some(before), Some(current)) = (
        before,
        repository::Entity::find_by_id(repo.id).one(&txn).await?,
    ) else {
        txn.commit().await?;
        return Ok(Recorded {
            status: run_status,
            bytes,
            change: None,
        });
    };
    let targets = push_mirrors::list(&txn, repo.id).await?;
    let summary = state::summarize(&current, &targets);
    let next_sync_at = if asked.whole {
        next_sync(retry_after(result, &current, &summary), &current, now)
    } else {
        current.next_sync_at
    };
    let change = change_of(before.status, summary.status);
    Claims::release(
        &txn,
        repo.id,
        holder,
        Release {
            summary,
            next_sync_at,
            run_status: Some(run_status),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        status: run_status,
        bytes,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_retry_sooner_doubling_up_to_the_interval() {
        assert_eq!(next_in(Some(1), 3600), 60);
        assert_eq!(next_in(Some(2), 3600), 120);
        assert_eq!(next_in(Some(7), 3600), 3600);
        assert_eq!(next_in(Some(i32::MAX), 3600), 3600);
        assert_eq!(next_in(None, 3600), 3600);
        assert_eq!(next_in(None, 900), 900);
    }

    #[test]
    fn only_the_first_failure_and_the_recovery_are_announced() {
        use SyncStatus::{Failed, Idle, Success};
        assert_eq!(change_of(Success, Failed), Some(Change::Failed));
        assert_eq!(change_of(Idle, Failed), Some(Change::Failed));
        assert_eq!(change_of(Failed, Failed), None);
        assert_eq!(change_of(Failed, Success), Some(Change::Recovered));
        assert_eq!(change_of(Success, Success), None);
        assert_eq!(change_of(Idle, Success), None);
    }
}
