//! The `push_mirrors` table: one downstream target of a repository.

use sea_orm::entity::prelude::*;

use super::mirror_enums::{SealedFor, SyncStatus};

/// One target a repository pushes to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_mirrors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    /// As parsed, without credentials.
    pub remote_url: String,
    pub remote_username: Option<String>,
    /// Ciphertext (see `mirror::secrets`), never the password itself.
    pub remote_password: Option<String>,
    /// Which associated data `remote_password` was sealed with.
    pub password_sealed_for: SealedFor,
    pub enabled: bool,
    pub sync_on_push: bool,
    /// The ref filter's patterns as a JSON list (`[]`: every branch and tag).
    pub ref_filter: String,
    /// The branch map to the target's names, as a JSON list of `{"from","to"}` (`[]`: none).
    pub ref_map: String,
    pub keep_divergent_refs: bool,
    pub last_synced_at: Option<ChronoDateTimeUtc>,
    /// `idle` until the first push, then `success` or `failed`.
    pub last_status: SyncStatus,
    pub last_error: Option<String>,
    /// Failed pushes to it in a row.
    pub consecutive_failures: i32,
    pub created_at: ChronoDateTimeUtc,
}

/// A push mirror belongs to its repository.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The repository that pushes.
    #[sea_orm(
        belongs_to = "super::repository::Entity",
        from = "Column::RepositoryId",
        to = "super::repository::Column::Id",
        on_delete = "Cascade"
    )]
    Repository,
}

impl Related<super::repository::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
