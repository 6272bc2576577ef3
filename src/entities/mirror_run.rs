//! The `mirror_runs` table: one row per sync.

use sea_orm::entity::prelude::*;

use super::mirror_enums::{MirrorDirection, RunStatus, Trigger};

/// One sync of one repository.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mirror_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    pub trigger: Trigger,
    pub direction: MirrorDirection,
    pub status: RunStatus,
    pub started_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub error: Option<String>,
    pub objects_transferred: i64,
    pub bytes_transferred: i64,
    /// LFS objects moved (downloaded on a pull, uploaded on a push).
    pub lfs_objects_transferred: i64,
    /// Their bytes.
    pub lfs_bytes_transferred: i64,
    /// Instance id of the process that ran it.
    pub claimed_by: String,
    /// For a restore run: the run it put back.
    pub restored_run_id: Option<i64>,
    /// Whether kept refs of this run are still in the repository (until they expire).
    pub holds_kept_refs: bool,
}

/// A run belongs to a repository and has ref updates.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The repository synced.
    #[sea_orm(
        belongs_to = "super::repository::Entity",
        from = "Column::RepositoryId",
        to = "super::repository::Column::Id",
        on_delete = "Cascade"
    )]
    Repository,
    /// Refs this run changed.
    #[sea_orm(has_many = "super::mirror_ref_update::Entity")]
    RefUpdate,
}

impl Related<super::repository::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

impl Related<super::mirror_ref_update::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefUpdate.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
