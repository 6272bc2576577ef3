//! The `mirror_ref_updates` table: refs a sync created, moved or deleted.

use sea_orm::entity::prelude::*;

use super::mirror_enums::{RefAction, RefSide};

/// One ref changed by one run; `old_id` None means created, `new_id` None means deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mirror_ref_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// `upstream` (changed here by a fetch) or `downstream` (changed on the remote by a push).
    pub side: RefSide,
    pub ref_name: String,
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    /// What happened to the ref (None on rows written before actions were recorded).
    pub action: Option<RefAction>,
    /// The push mirror a pushed ref went to (None for a pull, and on older rows).
    pub push_mirror_id: Option<i64>,
    /// Its old value was kept as a kept ref (`refs/mirrorforge/kept/<run id>/<ref>`).
    pub kept: bool,
    /// The ref's name on the other side when a branch map renamed it (None: the same name).
    pub source_ref: Option<String>,
}

/// A ref update belongs to a run.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The run that made the change.
    #[sea_orm(
        belongs_to = "super::mirror_run::Entity",
        from = "Column::RunId",
        to = "super::mirror_run::Column::Id",
        on_delete = "Cascade"
    )]
    Run,
}

impl Related<super::mirror_run::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Run.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
