//! `mirror_ref_updates.kept`: whether the ref's old value was kept here as a kept ref
//! (`refs/mirrorforge/kept/<run id>/<ref>`) when the run overwrote or deleted it. Rows
//! written before are `false`: nothing was kept then.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum MirrorRefUpdates {
    Table,
    Kept,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .add_column(
                        ColumnDef::new(MirrorRefUpdates::Kept)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .drop_column(MirrorRefUpdates::Kept)
                    .to_owned(),
            )
            .await
    }
}
