//! An index on `repositories.sync_claimed_by`: every scheduler tick looks for claims left by
//! dead processes, which without it reads the whole table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Repositories {
    Table,
    SyncClaimedBy,
}

const INDEX: &str = "idx_repositories_sync_claimed_by";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Repositories::Table)
                    .col(Repositories::SyncClaimedBy)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Repositories::Table)
                    .to_owned(),
            )
            .await
    }
}
