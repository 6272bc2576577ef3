//! Mirror settings: what the API and the settings form show, and the one validated code path
//! that changes them (PATCH semantics: left out keeps, `""` clears): checked field by field
//! (`fields`, `validate`), then written in one place (`save`).

mod fields;
mod save;
mod validate;

pub use self::{
    fields::{
        DEFAULT_SYNC_INTERVAL, MAX_PASSWORD_LEN, MAX_SYNC_INTERVAL, MAX_UPSTREAM_DEPTH,
        MAX_USERNAME_LEN, SHALLOW_CANNOT_PUSH, check_depth, check_interval, check_password,
        check_username,
    },
    save::save,
    validate::{Checked, Current, validate},
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::{host_keys, push_mirrors, secrets::SecretBox};
use crate::{
    config::Config,
    entities::{
        mirror_enums::{MirrorDirection, SyncStatus, UpstreamOverwrite},
        push_mirror, repository,
    },
    error::Result,
    git::fetch_push::{
        filter::RefFilter,
        ref_map::{MapRule, RefMap},
    },
    net::ssh_host_key::HostKey,
};

/// True when the repository keeps only part of its history (a push mirror is then refused).
#[must_use]
pub fn is_shallow(repo: &repository::Model) -> bool {
    repo.upstream_depth > 0
}

/// True when pushes to this repository must be refused (it pulls from elsewhere).
#[must_use]
pub fn rejects_push(repo: &repository::Model) -> bool {
    repo.mirror_enabled && repo.mirror_direction.pulls()
}

/// The mirror settings object of the contract; never a password.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MirrorSettings {
    /// Mirroring switched on.
    pub mirror_enabled: bool,
    /// `upstream`, `downstream` or `both`.
    pub mirror_direction: MirrorDirection,
    /// Where to pull from, without credentials ("" when unset).
    pub upstream_url: String,
    /// Username for the upstream ("" when unset).
    pub upstream_username: String,
    /// Whether an upstream password is stored.
    pub upstream_password_set: bool,
    /// The refs a pull carries (`[]`: every branch and tag).
    pub upstream_ref_filter: Vec<String>,
    /// The pull's branch map: the first rule whose `from` matches a ref renames it (`[]`: none).
    pub upstream_ref_map: Vec<MapRule>,
    /// `all` (an exact copy) or `fast_forward`: a ref the upstream moved to a commit that
    /// does not contain ours, or deleted, stays as it is here (listed `diverged`).
    pub upstream_overwrite: UpstreamOverwrite,
    /// A pull that would delete every branch here, or more than half of the refs when there
    /// are more than 10, changes nothing and fails.
    pub mass_delete_guard: bool,
    /// Where to push to ("" when unset).
    pub downstream_url: String,
    /// Username for the downstream ("" when unset).
    pub downstream_username: String,
    /// Whether a downstream password is stored.
    pub downstream_password_set: bool,
    /// Seconds between syncs (when `sync_schedule` is `""`).
    pub sync_interval: i64,
    /// `""` (every `sync_interval`), `manual`, or a 5-field cron expression in UTC.
    pub sync_schedule: String,
    /// Whether a webhook secret is set (the webhook is on).
    pub webhook_secret_set: bool,
    /// The URL a forge's webhook calls.
    pub webhook_url: String,
    /// Where failures and recoveries are POSTed ("" when none).
    pub notify_url: String,
    /// Whether a notification key is set (notifications carry its signature).
    pub notify_secret_set: bool,
    /// Whether syncs carry LFS objects too.
    pub lfs_enabled: bool,
    /// The upstream's LFS server ("": `<upstream_url>/info/lfs`).
    pub lfs_endpoint: String,
    /// Username for the LFS server ("" when unset); without one, the upstream's login goes to
    /// the LFS server only when it is on the upstream's scheme, host and port.
    pub lfs_username: String,
    /// Whether an LFS password is stored.
    pub lfs_password_set: bool,
    /// End of the last successful sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the scheduler will sync next.
    pub next_sync_at: Option<DateTime<Utc>>,
    /// Where the mirror stands.
    pub sync_status: SyncStatus,
    /// The last failure's message ("" when none).
    pub sync_error: String,
    /// Failed syncs in a row.
    pub consecutive_failures: i32,
    /// The SSH host keys the mirrors trust, by host and key type (`[]` until the first SSH
    /// connection records one).
    pub ssh_host_keys: Vec<HostKey>,
    /// Commits of each ref's history a pull fetches, as `git clone --depth` does (`0`: the
    /// full history); a shallow repository has no push mirrors.
    pub upstream_depth: i32,
}

impl MirrorSettings {
    /// The settings of `repo`, its downstream read from its first push mirror and its pinned
    /// SSH host keys with it; `webhook_url` is where its webhook is called.
    ///
    /// # Errors
    /// The database failed.
    pub async fn load(
        db: &DatabaseConnection,
        repo: &repository::Model,
        webhook_url: String,
    ) -> Result<Self> {
        let first = push_mirrors::first(db, repo.id).await?;
        let ssh_host_keys = host_keys::pinned(db, repo.id).await?;
        Ok(Self::of(repo, first.as_ref(), webhook_url, ssh_host_keys))
    }

    /// The settings of `r` with `downstream` as its first push mirror and `ssh_host_keys` as
    /// its pinned host keys.
    #[must_use]
    pub fn of(
        r: &repository::Model,
        downstream: Option<&push_mirror::Model>,
        webhook_url: String,
        ssh_host_keys: Vec<HostKey>,
    ) -> Self {
        Self {
            mirror_enabled: r.mirror_enabled,
            mirror_direction: r.mirror_direction,
            upstream_url: r.upstream_url.clone().unwrap_or_default(),
            upstream_username: r.upstream_username.clone().unwrap_or_default(),
            upstream_password_set: r.upstream_password.is_some(),
            upstream_ref_filter: RefFilter::from_json(&r.upstream_ref_filter)
                .patterns()
                .to_vec(),
            upstream_ref_map: RefMap::from_json(&r.upstream_ref_map).rules().to_vec(),
            upstream_overwrite: r.upstream_overwrite,
            mass_delete_guard: r.mass_delete_guard,
            downstream_url: downstream.map(|d| d.remote_url.clone()).unwrap_or_default(),
            downstream_username: downstream
                .and_then(|d| d.remote_username.clone())
                .unwrap_or_default(),
            downstream_password_set: downstream.is_some_and(|d| d.remote_password.is_some()),
            sync_interval: r.sync_interval,
            sync_schedule: r.sync_schedule.clone(),
            webhook_secret_set: r.webhook_secret.is_some(),
            webhook_url,
            notify_url: r.notify_url.clone(),
            notify_secret_set: r.notify_secret.is_some(),
            lfs_enabled: r.lfs_enabled,
            lfs_endpoint: r.lfs_endpoint.clone(),
            lfs_username: r.lfs_username.clone().unwrap_or_default(),
            lfs_password_set: r.lfs_password.is_some(),
            last_synced_at: r.last_synced_at,
            next_sync_at: r.next_sync_at,
            sync_status: r.sync_status,
            sync_error: r.sync_error.clone().unwrap_or_default(),
            consecutive_failures: r.consecutive_failures,
            ssh_host_keys,
            upstream_depth: r.upstream_depth,
        }
    }
}

/// A change to the settings: `None` keeps a value, `Some("")` clears a text one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// Switch mirroring on or off.
    pub mirror_enabled: Option<bool>,
    /// New direction word (validated).
    pub mirror_direction: Option<String>,
    /// New upstream URL.
    pub upstream_url: Option<String>,
    /// New upstream username.
    pub upstream_username: Option<String>,
    /// New upstream password (write-only).
    pub upstream_password: Option<String>,
    /// New upstream ref filter.
    pub upstream_ref_filter: Option<Vec<String>>,
    /// New branch map of the pull (validated).
    pub upstream_ref_map: Option<Vec<MapRule>>,
    /// `all` or `fast_forward` (validated).
    pub upstream_overwrite: Option<String>,
    /// Switch the mass-deletion guard on or off.
    pub mass_delete_guard: Option<bool>,
    /// New downstream URL.
    pub downstream_url: Option<String>,
    /// New downstream username.
    pub downstream_username: Option<String>,
    /// New downstream password (write-only).
    pub downstream_password: Option<String>,
    /// New interval in seconds.
    pub sync_interval: Option<i64>,
    /// New schedule: `""`, `manual` or a cron expression (validated).
    pub sync_schedule: Option<String>,
    /// New notification URL (`""` clears it).
    pub notify_url: Option<String>,
    /// Carry LFS objects too.
    pub lfs_enabled: Option<bool>,
    /// New LFS endpoint of the upstream (`""`: derived from the upstream URL).
    pub lfs_endpoint: Option<String>,
    /// New username for the LFS server.
    pub lfs_username: Option<String>,
    /// New password for the LFS server (write-only).
    pub lfs_password: Option<String>,
    /// New history depth: `0` (full) or 1–100000 commits; refused while push mirrors exist.
    pub upstream_depth: Option<i64>,
}

/// Validates `patch` against `repo` and saves it; 422 names every bad field and saves nothing.
///
/// # Errors
/// Validation (422) or the database.
pub async fn apply(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: repository::Model,
    patch: SettingsPatch,
) -> Result<repository::Model> {
    let targets = push_mirrors::list(db, repo.id).await?;
    let current = Current::Stored {
        repo: &repo,
        push_mirrors: &targets,
    };
    let checked = validate(config, &current, &patch).await?;
    let first = targets.into_iter().next();
    save(db, secrets, repo, first, patch, checked).await
}
