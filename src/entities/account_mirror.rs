//! The `account_mirrors` table: one account on another forge whose repositories are kept here,
//! its filters, the settings of the mirrors it makes, and its discoveries' schedule and outcome.

use sea_orm::entity::prelude::*;

/// One account mirror.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_mirrors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Where the mirrors land here: a person or an organisation.
    pub owner_id: i64,
    /// `github`, `gitlab`, `gitea`, `forgejo` or `mirrorforge`.
    pub provider: String,
    /// The forge API's base URL.
    pub api_url: String,
    /// The account's name at the forge (a GitLab group's full path).
    pub account: String,
    /// `org`, `user` or `group`.
    pub account_kind: String,
    /// The forge's token, sealed (see `mirror::secrets`); `None`: anonymous.
    pub token: Option<String>,
    /// Name globs to include, a JSON list.
    pub include_patterns: String,
    /// Name globs to leave out, a JSON list.
    pub exclude_patterns: String,
    /// Forks mirrored too.
    pub forks: bool,
    /// Archived repositories mirrored too.
    pub archived: bool,
    /// The mirrors fetch LFS objects.
    pub lfs: bool,
    /// Seconds between the mirrors' syncs.
    pub sync_interval: i64,
    /// Seconds between discoveries.
    pub discovery_interval: i64,
    /// `pause` or `keep`.
    pub on_removed: String,
    /// Discoveries run on their schedule.
    pub enabled: bool,
    /// Where discoveries that change something, or fail, are announced (`""`: nowhere).
    pub notify_url: String,
    /// When the last discovery ended.
    pub last_discovered_at: Option<ChronoDateTimeUtc>,
    /// When the scheduler discovers next (`None`: not scheduled).
    pub next_discovery_at: Option<ChronoDateTimeUtc>,
    /// `idle`, `discovering`, `success` or `failed`.
    pub last_status: String,
    /// The last discovery's error, or what it waits for (`""`: none).
    pub last_error: String,
    /// The process running its discovery, if one is.
    pub claimed_by: Option<String>,
    /// That process's last sign of life.
    pub heartbeat_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

/// An account mirror belongs to its owner.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owner its mirrors land in.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
