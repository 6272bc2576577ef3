//! The `repositories` table: one row per bare repository.

use sea_orm::entity::prelude::*;

use super::mirror_enums::{MirrorDirection, RunStatus, SyncStatus, Trigger, UpstreamOverwrite};

/// One repository.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repositories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub lower_name: String,
    pub description: String,
    pub is_private: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub mirror_enabled: bool,
    pub mirror_direction: MirrorDirection,
    pub upstream_url: Option<String>,
    pub upstream_username: Option<String>,
    /// Ciphertext (see `mirror::secrets`), never the password itself.
    pub upstream_password: Option<String>,
    pub downstream_url: Option<String>,
    pub downstream_username: Option<String>,
    /// Ciphertext (see `mirror::secrets`), never the password itself.
    pub downstream_password: Option<String>,
    pub sync_interval: i64,
    /// The last success shown (derived from the parts by `mirror::state`).
    pub last_synced_at: Option<ChronoDateTimeUtc>,
    /// `syncing` while claimed, else derived from the parts by `mirror::state`.
    pub sync_status: SyncStatus,
    /// The failing parts' errors, derived by `mirror::state`.
    pub sync_error: Option<String>,
    pub next_sync_at: Option<ChronoDateTimeUtc>,
    /// Instance id of the process running this repository's sync, if one runs.
    pub sync_claimed_by: Option<String>,
    /// Refreshed while a sync runs; a stale one means the process died.
    pub sync_heartbeat_at: Option<ChronoDateTimeUtc>,
    /// The most failures in a row of a failing part, derived by `mirror::state`.
    pub consecutive_failures: i32,
    /// The refs a pull carries, as a JSON list of patterns (`[]`: every branch, tag and note).
    pub upstream_ref_filter: String,
    /// The pull's branch map, as a JSON list of `{"from","to"}` rules (`[]`: no renaming).
    pub upstream_ref_map: String,
    /// The webhook secret, sealed (see `mirror::secrets`); `None`: the webhook is off.
    pub webhook_secret: Option<String>,
    /// A trigger that came while a sync ran: one more sync runs right after it.
    pub sync_queued: Option<Trigger>,
    /// Someone asked the running sync to stop.
    pub sync_cancel_requested: bool,
    /// `""` (every `sync_interval`), `manual`, or a 5-field cron expression in UTC.
    pub sync_schedule: String,
    /// How the last run ended (`up_to_date` tells "Sync now" found nothing to do).
    pub last_run_status: Option<RunStatus>,
    /// Where failures and recoveries are POSTed (`""`: nowhere).
    pub notify_url: String,
    /// The mirrors' SSH private key (OpenSSH form), sealed (see `mirror::secrets`).
    pub ssh_private_key: Option<String>,
    /// Its public key, `ssh-ed25519 AAAA… mirrorforge:owner/name`.
    pub ssh_public_key: Option<String>,
    /// Whether syncs carry LFS objects too.
    pub lfs_enabled: bool,
    /// The upstream's LFS server (`""`: `<upstream_url>/info/lfs`).
    pub lfs_endpoint: String,
    /// The pull's own last result: `idle` before its first attempt, then `success` or
    /// `failed` (see `mirror::state`).
    pub upstream_status: SyncStatus,
    /// The end of the pull's last success.
    pub upstream_synced_at: Option<ChronoDateTimeUtc>,
    /// The pull's last error, `None` after a success.
    pub upstream_error: Option<String>,
    /// The pull's failed attempts in a row.
    pub upstream_failures: i32,
    /// Username for an LFS endpoint on another origin than the upstream.
    pub lfs_username: Option<String>,
    /// Its password, sealed (see `mirror::secrets`), never the password itself.
    pub lfs_password: Option<String>,
    /// The key that signs notifications, sealed (see `mirror::secrets`); `None`: unsigned.
    pub notify_secret: Option<String>,
    /// `all` (an exact copy) or `fast_forward` (history rewritten or refs deleted upstream are
    /// left as they are here).
    pub upstream_overwrite: UpstreamOverwrite,
    /// A pull that would delete most refs changes nothing and fails.
    pub mass_delete_guard: bool,
    /// The pull's last attempt was stopped by the mass-deletion guard.
    pub upstream_held: bool,
    /// Commits of each ref's history a pull fetches (`0`: the full history).
    pub upstream_depth: i32,
    /// The account mirror that made this repository, if one did.
    pub account_mirror_id: Option<i64>,
    /// The source forge's id of the repository this one mirrors (set with `account_mirror_id`).
    pub source_id: Option<String>,
    /// The account mirror's source no longer lists (or no longer includes) this repository.
    pub gone_from_source: bool,
}

/// A repository belongs to its owner.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owning user.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    /// Sync runs of this repository.
    #[sea_orm(has_many = "super::mirror_run::Entity")]
    MirrorRun,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
impl Model {
    /// A repository row as a new, plain one is (mirroring off), for unit tests.
    #[must_use]
    pub fn example(owner_id: i64) -> Self {
        use super::mirror_enums::{MirrorDirection, SyncStatus, UpstreamOverwrite};
        let now = chrono::Utc::now();
        Self {
            id: 1,
            owner_id,
            name: "r".into(),
            lower_name: "r".into(),
            description: String::new(),
            is_private: false,
            created_at: now,
            updated_at: now,
            mirror_enabled: false,
            mirror_direction: MirrorDirection::Upstream,
            upstream_url: None,
            upstream_username: None,
            upstream_password: None,
            downstream_url: None,
            downstream_username: None,
            downstream_password: None,
            sync_interval: 3600,
            last_synced_at: None,
            sync_status: SyncStatus::Idle,
            sync_error: None,
            next_sync_at: None,
            sync_claimed_by: None,
            sync_heartbeat_at: None,
            consecutive_failures: 0,
            upstream_ref_filter: "[]".into(),
            upstream_ref_map: "[]".into(),
            webhook_secret: None,
            sync_queued: None,
            sync_cancel_requested: false,
            sync_schedule: String::new(),
            last_run_status: None,
            notify_url: String::new(),
            ssh_private_key: None,
            ssh_public_key: None,
            lfs_enabled: false,
            lfs_endpoint: String::new(),
            upstream_status: SyncStatus::Idle,
            upstream_synced_at: None,
            upstream_error: None,
            upstream_failures: 0,
            lfs_username: None,
            lfs_password: None,
            notify_secret: None,
            upstream_overwrite: UpstreamOverwrite::All,
            mass_delete_guard: true,
            upstream_held: false,
            upstream_depth: 0,
            account_mirror_id: None,
            source_id: None,
            gone_from_source: false,
        }
    }
}
