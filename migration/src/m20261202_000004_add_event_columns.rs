//! Events and control on `repositories`: the webhook secret (sealed like mirror passwords),
//! a trigger waiting for the running sync to end (`sync_queued`: `webhook` or `push`), a cancel
//! asked for the running sync, the schedule (`""` every interval, `manual`, or cron), and how
//! the last run ended (so "Sync now" can say "already up to date").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    WebhookSecret,
    SyncQueued,
    SyncCancelRequested,
    SyncSchedule,
    LastRunStatus,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        let columns = [
            ColumnDef::new(Repositories::WebhookSecret)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncQueued)
                .string_len(16)
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncCancelRequested)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Repositories::SyncSchedule)
                .string_len(200)
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Repositories::LastRunStatus)
                .string_len(16)
                .null()
                .to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Repositories::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // Finding the triggers left waiting (after a restart) reads only the few marked rows.
        manager
            .create_index(
                Index::create()
                    .name("idx_repositories_sync_queued")
                    .table(Repositories::Table)
                    .col(Repositories::SyncQueued)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_repositories_sync_queued")
                    .table(Repositories::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Repositories::WebhookSecret,
            Repositories::SyncQueued,
            Repositories::SyncCancelRequested,
            Repositories::SyncSchedule,
            Repositories::LastRunStatus,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Repositories::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
