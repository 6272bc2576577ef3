//! `mirror_ref_updates`: every ref a sync created, moved or deleted, with old and new ids, so a
//! ref pruned by a sync can always be found and restored.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum MirrorRuns {
    Table,
    Id,
}

#[derive(Iden)]
enum MirrorRefUpdates {
    Table,
    Id,
    RunId,
    Side,
    RefName,
    OldId,
    NewId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MirrorRefUpdates::Table)
                    .col(
                        ColumnDef::new(MirrorRefUpdates::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MirrorRefUpdates::RunId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MirrorRefUpdates::Side)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MirrorRefUpdates::RefName).text().not_null())
                    .col(ColumnDef::new(MirrorRefUpdates::OldId).string_len(64))
                    .col(ColumnDef::new(MirrorRefUpdates::NewId).string_len(64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mirror_ref_updates_run")
                            .from(MirrorRefUpdates::Table, MirrorRefUpdates::RunId)
                            .to(MirrorRuns::Table, MirrorRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mirror_ref_updates_run")
                    .table(MirrorRefUpdates::Table)
                    .col(MirrorRefUpdates::RunId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MirrorRefUpdates::Table).to_owned())
            .await
    }
}
