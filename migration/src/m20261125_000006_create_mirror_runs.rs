//! `mirror_runs`: one row per sync (manual, scheduled, import) with its outcome and transfer size.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    Id,
}

#[derive(Iden)]
enum MirrorRuns {
    Table,
    Id,
    RepositoryId,
    Trigger,
    Direction,
    Status,
    StartedAt,
    FinishedAt,
    Error,
    ObjectsTransferred,
    BytesTransferred,
    ClaimedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MirrorRuns::Table)
                    .col(
                        ColumnDef::new(MirrorRuns::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MirrorRuns::RepositoryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MirrorRuns::Trigger)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MirrorRuns::Direction)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MirrorRuns::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(MirrorRuns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(MirrorRuns::FinishedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(MirrorRuns::Error).text())
                    .col(
                        ColumnDef::new(MirrorRuns::ObjectsTransferred)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(MirrorRuns::BytesTransferred)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(MirrorRuns::ClaimedBy)
                            .string_len(64)
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mirror_runs_repository")
                            .from(MirrorRuns::Table, MirrorRuns::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mirror_runs_repository_started")
                    .table(MirrorRuns::Table)
                    .col(MirrorRuns::RepositoryId)
                    .col(MirrorRuns::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MirrorRuns::Table).to_owned())
            .await
    }
}
