//! The `lfs_objects` table: which repository references which LFS object.

use sea_orm::entity::prelude::*;

/// One repository's reference to one LFS object (stored once on disk, by its oid).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lfs_objects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    /// The object's SHA-256, 64 lower-case hex digits.
    pub oid: String,
    /// Its size in bytes.
    pub size: i64,
    /// When the repository first got it.
    pub created_at: ChronoDateTimeUtc,
}

/// A reference belongs to its repository.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The repository that references the object.
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
