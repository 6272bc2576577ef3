//! `lfs_objects`: which repository references which LFS object (the content itself lives once
//! on disk under `DATA_DIR/lfs/`, shared by every repository that references it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    Id,
}

#[derive(Iden)]
enum LfsObjects {
    Table,
    Id,
    RepositoryId,
    Oid,
    Size,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LfsObjects::Table)
                    .col(
                        ColumnDef::new(LfsObjects::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LfsObjects::RepositoryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LfsObjects::Oid).text().not_null())
                    .col(ColumnDef::new(LfsObjects::Size).big_integer().not_null())
                    .col(
                        ColumnDef::new(LfsObjects::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lfs_objects_repository")
                            .from(LfsObjects::Table, LfsObjects::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One reference per repository and object: what "on conflict do nothing" keeps.
        manager
            .create_index(
                Index::create()
                    .name("idx_lfs_objects_repository_oid")
                    .table(LfsObjects::Table)
                    .col(LfsObjects::RepositoryId)
                    .col(LfsObjects::Oid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Whether any other repository still references an object, when one lets go of it.
        manager
            .create_index(
                Index::create()
                    .name("idx_lfs_objects_oid")
                    .table(LfsObjects::Table)
                    .col(LfsObjects::Oid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LfsObjects::Table).to_owned())
            .await
    }
}
