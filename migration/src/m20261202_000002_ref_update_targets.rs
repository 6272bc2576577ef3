//! `mirror_ref_updates` say what happened to a ref (`action`: create, update, force, delete,
//! diverged) and, for a push, which push mirror it went to (`push_mirror_id`). Rows written
//! before have neither.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum MirrorRefUpdates {
    Table,
    Action,
    PushMirrorId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .add_column(ColumnDef::new(MirrorRefUpdates::Action).string_len(16))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .add_column(ColumnDef::new(MirrorRefUpdates::PushMirrorId).big_integer())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [MirrorRefUpdates::Action, MirrorRefUpdates::PushMirrorId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MirrorRefUpdates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
