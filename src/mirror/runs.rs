//! Reading the sync history: runs newest first, each with the refs it changed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use crate::{
    entities::{
        mirror_enums::{MirrorDirection, RefAction, RefSide, RunStatus, Trigger},
        mirror_ref_update, mirror_run,
    },
    error::Result,
    git::fetch_push::RefChange,
};

/// What a transfer did (or would do) to one ref.
#[must_use]
pub fn action_of(change: &RefChange) -> RefAction {
    match (&change.old, &change.new) {
        _ if change.diverged => RefAction::Diverged,
        (None, _) => RefAction::Create,
        (_, None) => RefAction::Delete,
        _ if change.forced => RefAction::Force,
        _ => RefAction::Update,
    }
}

/// One ref a run changed; `old` null means created, `new` null means deleted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefUpdateView {
    /// Full ref name.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Id before.
    pub old: Option<String>,
    /// Id after.
    pub new: Option<String>,
    /// `upstream` (changed here) or `downstream` (changed on the remote).
    pub side: RefSide,
    /// `create`, `update`, `force`, `delete` or `diverged`.
    pub action: RefAction,
    /// For a push: the push mirror it went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_mirror_id: Option<i64>,
    /// Its old value is kept here (`GET …/mirror/kept`): it was overwritten or deleted.
    pub kept: bool,
    /// Its name on the other side (the upstream's, or ours for a push) when a branch map
    /// renamed it; left out when the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
}

/// One run as the API and the history page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// What started it.
    pub trigger: Trigger,
    /// Which way it synced.
    pub direction: MirrorDirection,
    /// How it ended, or that it runs.
    pub status: RunStatus,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time, if ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Failure message, "" when none (as `sync_error` in the settings).
    pub error: String,
    /// Objects transferred.
    pub objects_transferred: i64,
    /// Bytes transferred.
    pub bytes_transferred: i64,
    /// LFS objects transferred.
    pub lfs_objects_transferred: i64,
    /// LFS bytes transferred.
    pub lfs_bytes_transferred: i64,
    /// For a restore run, the run whose changes it put back (null otherwise).
    pub restored_run_id: Option<i64>,
    /// Refs changed.
    pub ref_updates: Vec<RefUpdateView>,
}

/// The latest `limit` runs of a repository, newest first, without their ref updates: one
/// query, for the run chart.
///
/// # Errors
/// The database failed.
pub async fn latest(
    db: &DatabaseConnection,
    repo_id: i64,
    limit: u64,
) -> Result<Vec<mirror_run::Model>> {
    Ok(mirror_run::Entity::find()
        .filter(mirror_run::Column::RepositoryId.eq(repo_id))
        .order_by_desc(mirror_run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many runs a repository has in its history.
///
/// # Errors
/// The database failed.
pub async fn count(db: &DatabaseConnection, repo_id: i64) -> Result<u64> {
    Ok(mirror_run::Entity::find()
        .filter(mirror_run::Column::RepositoryId.eq(repo_id))
        .count(db)
        .await?)
}

/// Runs of a repository, newest first: `limit` of them after skipping `offset`.
///
/// # Errors
/// The database failed.
pub async fn list(
    db: &DatabaseConnection,
    repo_id: i64,
    limit: u64,
    offset: u64,
) -> Result<Vec<RunView>> {
    let runs = mirror_run::Entity::find()
        .filter(mirror_run::Column::RepositoryId.eq(repo_id))
        .order_by_desc(mirror_run::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    let mut updates: HashMap<i64, Vec<RefUpdateView>> = HashMap::new();
    if !ids.is_empty() {
        for u in mirror_ref_update::Entity::find()
            .filter(mirror_ref_update::Column::RunId.is_in(ids))
            .order_by_asc(mirror_ref_update::Column::Id)
            .all(db)
            .await?
        {
            // Rows written before actions were recorded: what their ids say.
            let action = u.action.unwrap_or(match (&u.old_id, &u.new_id) {
                (None, _) => RefAction::Create,
                (_, None) => RefAction::Delete,
                _ => RefAction::Update,
            });
            updates.entry(u.run_id).or_default().push(RefUpdateView {
                ref_name: u.ref_name,
                old: u.old_id,
                new: u.new_id,
                side: u.side,
                action,
                push_mirror_id: u.push_mirror_id,
                kept: u.kept,
                source_ref: u.source_ref,
            });
        }
    }
    Ok(runs
        .into_iter()
        .map(|r| RunView {
            ref_updates: updates.remove(&r.id).unwrap_or_default(),
            id: r.id,
            trigger: r.trigger,
            direction: r.direction,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            error: r.error.unwrap_or_default(),
            objects_transferred: r.objects_transferred,
            bytes_transferred: r.bytes_transferred,
            lfs_objects_transferred: r.lfs_objects_transferred,
            lfs_bytes_transferred: r.lfs_bytes_transferred,
            restored_run_id: r.restored_run_id,
        })
        .collect())
}
