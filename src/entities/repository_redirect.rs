//! The `repository_redirects` table: a path a repository was known by before it was renamed or
//! moved, leading to the repository (by id, so a second rename needs no update here).

use sea_orm::entity::prelude::*;

/// One old path.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repository_redirects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The old owner's name, lowercased.
    pub lower_owner: String,
    /// The old repository name, lowercased.
    pub lower_name: String,
    /// The repository it leads to.
    pub repository_id: i64,
    pub created_at: ChronoDateTimeUtc,
}

/// A redirect leads to a repository.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The repository the old path leads to.
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
