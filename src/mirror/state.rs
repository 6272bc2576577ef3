//! A mirror's truthful state: the pull and each push mirror keep their own last result, and
//! the repository's status, error, failure count and last success are derived from those parts
//! by [`summarize`], the one rule that the API, the overview, the dashboard, the badges, the
//! metrics and the notifications all read (through the columns [`refresh`] keeps).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany, sea_query::Expr,
};
use serde::Serialize;

use crate::{
    entities::{
        mirror_enums::{RunStatus, SyncStatus},
        mirror_run, push_mirror, repository,
    },
    error::Result,
};

/// What the repository shows, derived from its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `failed` when a part failed its last attempt, else `success` once a part succeeded,
    /// else `idle` (`syncing` is the claim's, not a part's).
    pub status: SyncStatus,
    /// The failing parts' errors, each prefixed (`upstream: …`, `push <URL>: …`), or `None`.
    pub error: Option<String>,
    /// The most failed attempts in a row of a failing part (0 when none fails).
    pub failures: i32,
    /// The pull's last success for a repository that pulls, else the latest push's.
    pub last_synced_at: Option<DateTime<Utc>>,
}

/// Whether `repo`'s pull is one of its parts (its direction pulls; a one-time import's too).
fn pull_counts(repo: &repository::Model) -> bool {
    repo.mirror_direction.pulls()
}

/// The push mirrors that are parts of `repo`'s state: the enabled ones.
fn counted(push_mirrors: &[push_mirror::Model]) -> impl Iterator<Item = &push_mirror::Model> {
    push_mirrors.iter().filter(|m| m.enabled)
}

/// Why a repository that pushes has no target among `push_mirrors`: none is set, or each one
/// set is switched off (it exists, it is off, as Gitea shows it).
#[must_use]
pub fn nowhere_to_push(push_mirrors: &[push_mirror::Model]) -> &'static str {
    match push_mirrors {
        [] => "no push mirror is set",
        [one] if !one.enabled => "the push mirror is disabled",
        all if all.iter().all(|t| !t.enabled) => "every push mirror is disabled",
        _ => "no push mirror is set",
    }
}

/// Derives what `repo` shows from its pull and its `push_mirrors` (all of them; the disabled
/// ones do not count).
#[must_use]
pub fn summarize(repo: &repository::Model, push_mirrors: &[push_mirror::Model]) -> Summary {
    let mut errors = Vec::new();
    let mut failures = 0;
    let mut any_success = false;
    let pull = pull_counts(repo);
    if pull {
        match repo.upstream_status {
            SyncStatus::Failed => {
                let error = repo.upstream_error.as_deref().unwrap_or("the pull failed");
                errors.push(format!("upstream: {error}"));
                failures = failures.max(repo.upstream_failures.max(1));
            }
            SyncStatus::Success => any_success = true,
            SyncStatus::Idle | SyncStatus::Syncing => {}
        }
    }
    for target in counted(push_mirrors) {
        match target.last_status {
            SyncStatus::Failed => {
                let error = target.last_error.as_deref().unwrap_or("the push failed");
                errors.push(format!("push {}: {error}", target.remote_url));
                failures = failures.max(target.consecutive_failures.max(1));
            }
            SyncStatus::Success => any_success = true,
            SyncStatus::Idle | SyncStatus::Syncing => {}
        }
    }
    // A repository that pushes with no target switched on cannot push: that is a failure too.
    if repo.mirror_enabled
        && repo.mirror_direction.pushes()
        && counted(push_mirrors).next().is_none()
    {
        errors.push(format!("push: {}", nowhere_to_push(push_mirrors)));
        failures = failures.max(1);
    }
    let status = if !errors.is_empty() {
        SyncStatus::Failed
    } else if any_success {
        SyncStatus::Success
    } else {
        SyncStatus::Idle
    };
    let last_synced_at = if pull {
        repo.upstream_synced_at
    } else {
        counted(push_mirrors).filter_map(|m| m.last_synced_at).max()
    };
    Summary {
        status,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        failures,
        last_synced_at,
    }
}

/// Reads `repo_id`'s parts on `conn` and derives its summary; `None` when it is gone.
///
/// # Errors
/// The database failed.
pub async fn current(conn: &impl ConnectionTrait, repo_id: i64) -> Result<Option<Summary>> {
    let Some(repo) = repository::Entity::find_by_id(repo_id).one(conn).await? else {
        return Ok(None);
    };
    let targets = super::push_mirrors::list(conn, repo_id).await?;
    Ok(Some(summarize(&repo, &targets)))
}

/// Sets the repository columns that show `summary` on `update`, but for its status, which
/// the caller sets: a claim's end sets it, a refresh leaves a claimed row `syncing`.
#[must_use]
pub fn shown(
    update: UpdateMany<repository::Entity>,
    summary: &Summary,
) -> UpdateMany<repository::Entity> {
    update
        .col_expr(
            repository::Column::SyncError,
            Expr::value(summary.error.clone()),
        )
        .col_expr(
            repository::Column::ConsecutiveFailures,
            Expr::value(summary.failures),
        )
        .col_expr(
            repository::Column::LastSyncedAt,
            Expr::value(summary.last_synced_at),
        )
}

/// Derives `repo_id`'s summary again after one of its parts changed outside a sync (a push
/// mirror added, switched, changed or removed; the direction changed) and stores it.
///
/// # Errors
/// The database failed.
pub async fn refresh(conn: &impl ConnectionTrait, repo_id: i64) -> Result<()> {
    let Some(summary) = current(conn, repo_id).await? else {
        return Ok(());
    };
    // While a sync holds the row it shows `syncing`; the run's end derives the status again.
    let status = Expr::case(
        repository::Column::SyncClaimedBy.is_null(),
        Expr::value(summary.status),
    )
    .finally(Expr::col(repository::Column::SyncStatus));
    shown(repository::Entity::update_many(), &summary)
        .col_expr(repository::Column::SyncStatus, status.into())
        .filter(repository::Column::Id.eq(repo_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The result of one part's attempt, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// It succeeded at this moment.
    Succeeded(DateTime<Utc>),
    /// It failed with this sentence (free of credentials).
    Failed(String),
    /// The mass-deletion guard stopped it, nothing changed: a failure whose sentence says
    /// how many refs the upstream dropped (the pages then offer "Sync anyway").
    Held(String),
}

/// Records an attempt of `repo_id`'s pull.
///
/// # Errors
/// The database failed.
pub async fn record_pull(
    conn: &impl ConnectionTrait,
    repo_id: i64,
    attempt: &Attempt,
) -> Result<()> {
    use sea_orm::sea_query::ExprTrait as _;
    let update = repository::Entity::update_many().filter(repository::Column::Id.eq(repo_id));
    let update = match attempt {
        Attempt::Succeeded(at) => update
            .col_expr(
                repository::Column::UpstreamStatus,
                Expr::value(SyncStatus::Success),
            )
            .col_expr(repository::Column::UpstreamSyncedAt, Expr::value(*at))
            .col_expr(
                repository::Column::UpstreamError,
                Expr::value(Option::<String>::None),
            )
            .col_expr(repository::Column::UpstreamFailures, Expr::value(0))
            .col_expr(repository::Column::UpstreamHeld, Expr::value(false)),
        Attempt::Failed(sentence) | Attempt::Held(sentence) => update
            .col_expr(
                repository::Column::UpstreamStatus,
                Expr::value(SyncStatus::Failed),
            )
            .col_expr(
                repository::Column::UpstreamError,
                Expr::value(sentence.clone()),
            )
            .col_expr(
                repository::Column::UpstreamFailures,
                Expr::col(repository::Column::UpstreamFailures).add(1),
            )
            .col_expr(
                repository::Column::UpstreamHeld,
                Expr::value(matches!(attempt, Attempt::Held(_))),
            ),
    };
    update.exec(conn).await?;
    Ok(())
}

/// Records an attempt of the push to push mirror `id`.
///
/// # Errors
/// The database failed.
pub async fn record_push(conn: &impl ConnectionTrait, id: i64, attempt: &Attempt) -> Result<()> {
    use sea_orm::sea_query::ExprTrait as _;
    let update = push_mirror::Entity::update_many().filter(push_mirror::Column::Id.eq(id));
    let update = match attempt {
        Attempt::Succeeded(at) => update
            .col_expr(
                push_mirror::Column::LastStatus,
                Expr::value(SyncStatus::Success),
            )
            .col_expr(push_mirror::Column::LastSyncedAt, Expr::value(*at))
            .col_expr(
                push_mirror::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .col_expr(push_mirror::Column::ConsecutiveFailures, Expr::value(0)),
        Attempt::Failed(sentence) | Attempt::Held(sentence) => update
            .col_expr(
                push_mirror::Column::LastStatus,
                Expr::value(SyncStatus::Failed),
            )
            .col_expr(
                push_mirror::Column::LastError,
                Expr::value(sentence.clone()),
            )
            .col_expr(
                push_mirror::Column::ConsecutiveFailures,
                Expr::col(push_mirror::Column::ConsecutiveFailures).add(1),
            ),
    };
    update.exec(conn).await?;
    Ok(())
}

/// When the latest cancelled run of each of `repo_ids` ended (only those that have one): a
/// cancel is no result of its own, so the pages say "Cancelled" with this time beside the
/// last success.
///
/// # Errors
/// The database failed.
pub async fn cancelled_at(
    conn: &impl ConnectionTrait,
    repo_ids: &[i64],
) -> Result<std::collections::HashMap<i64, DateTime<Utc>>> {
    use sea_orm::{QuerySelect, sea_query::Func};
    if repo_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(i64, Option<DateTime<Utc>>)> = mirror_run::Entity::find()
        .select_only()
        .column(mirror_run::Column::RepositoryId)
        .expr(Func::max(Expr::col(mirror_run::Column::FinishedAt)))
        .filter(mirror_run::Column::RepositoryId.is_in(repo_ids.iter().copied()))
        .filter(mirror_run::Column::Status.eq(RunStatus::Cancelled))
        .group_by(mirror_run::Column::RepositoryId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((id, at?)))
        .collect())
}

/// Whether `repo`'s last run was cancelled and nothing failed: then its badge says
/// "Cancelled" rather than what its parts last did ("Not synced yet", "Synced").
#[must_use]
pub fn shows_cancelled(repo: &repository::Model) -> bool {
    matches!(repo.sync_status, SyncStatus::Idle | SyncStatus::Success)
        && repo.last_run_status == Some(RunStatus::Cancelled)
}

/// The pull's own state, as the status API and the settings page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PullState {
    /// `idle` before its first attempt, then `success` or `failed`.
    pub status: SyncStatus,
    /// The end of its last success.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Its last error (`""` when none).
    pub last_error: String,
    /// Its failed attempts in a row.
    pub consecutive_failures: i32,
}

/// One enabled push mirror's own state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PushState {
    /// The push mirror's id.
    pub id: i64,
    /// Where it pushes (never with credentials).
    pub url: String,
    /// `idle` before its first push, then `success` or `failed`.
    pub status: SyncStatus,
    /// The end of its last successful push.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Its last error (`""` when none).
    pub last_error: String,
}

/// `repo`'s pull state, `None` when it does not pull.
#[must_use]
pub fn pull_state(repo: &repository::Model) -> Option<PullState> {
    pull_counts(repo).then(|| PullState {
        status: repo.upstream_status,
        last_synced_at: repo.upstream_synced_at,
        last_error: repo.upstream_error.clone().unwrap_or_default(),
        consecutive_failures: repo.upstream_failures,
    })
}

/// The state of each enabled push mirror among `push_mirrors`, oldest first.
#[must_use]
pub fn push_states(push_mirrors: &[push_mirror::Model]) -> Vec<PushState> {
    counted(push_mirrors)
        .map(|m| PushState {
            id: m.id,
            url: m.remote_url.clone(),
            status: m.last_status,
            last_synced_at: m.last_synced_at,
            last_error: m.last_error.clone().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::mirror_enums::{MirrorDirection, SealedFor};

    fn repo(direction: MirrorDirection, status: SyncStatus) -> repository::Model {
        let now = Utc::now();
        repository::Model {
            mirror_enabled: true,
            mirror_direction: direction,
            upstream_status: status,
            upstream_synced_at: (status == SyncStatus::Success).then_some(now),
            upstream_error: (status == SyncStatus::Failed).then(|| "gone".into()),
            upstream_failures: i32::from(status == SyncStatus::Failed) * 3,
            ..repository::Model::example(1)
        }
    }

    fn target(id: i64, enabled: bool, status: SyncStatus) -> push_mirror::Model {
        push_mirror::Model {
            id,
            repository_id: 1,
            remote_url: format!("http://h/{id}.git"),
            remote_username: None,
            remote_password: None,
            password_sealed_for: SealedFor::PushMirror,
            enabled,
            sync_on_push: false,
            ref_filter: "[]".into(),
            ref_map: "[]".into(),
            keep_divergent_refs: false,
            last_synced_at: (status == SyncStatus::Success).then(Utc::now),
            last_status: status,
            last_error: (status == SyncStatus::Failed).then(|| "refused".into()),
            consecutive_failures: i32::from(status == SyncStatus::Failed),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_failed_pull_shows_whatever_the_pushes_did() {
        let r = repo(MirrorDirection::Both, SyncStatus::Failed);
        let s = summarize(&r, &[target(1, true, SyncStatus::Success)]);
        assert_eq!(s.status, SyncStatus::Failed);
        assert_eq!(s.error.as_deref(), Some("upstream: gone"));
        assert_eq!(s.failures, 3);
        assert_eq!(s.last_synced_at, None);
    }

    #[test]
    fn a_failed_push_fails_the_repository_but_not_its_pull_time() {
        let r = repo(MirrorDirection::Both, SyncStatus::Success);
        let s = summarize(
            &r,
            &[
                target(1, true, SyncStatus::Failed),
                target(2, true, SyncStatus::Success),
            ],
        );
        assert_eq!(s.status, SyncStatus::Failed);
        assert_eq!(s.error.as_deref(), Some("push http://h/1.git: refused"));
        assert_eq!(s.last_synced_at, r.upstream_synced_at);
    }

    #[test]
    fn disabled_push_mirrors_do_not_count_and_nothing_tried_is_idle() {
        let mut r = repo(MirrorDirection::Downstream, SyncStatus::Idle);
        let s = summarize(&r, &[target(1, false, SyncStatus::Failed)]);
        assert_eq!(s.status, SyncStatus::Failed, "it pushes, to nowhere");
        assert_eq!(
            s.error.as_deref(),
            Some("push: the push mirror is disabled")
        );
        r.mirror_enabled = false;
        let s = summarize(&r, &[target(1, false, SyncStatus::Failed)]);
        assert_eq!(s.status, SyncStatus::Idle);
        assert_eq!(s.error, None);
        let both = summarize(&r, &[target(2, true, SyncStatus::Success)]);
        assert_eq!(both.status, SyncStatus::Success);
        assert!(both.last_synced_at.is_some());
    }
}
