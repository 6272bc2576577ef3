//! Each part of a mirror keeps its own state: the pull's status, last success, last error and
//! failures in a row on the repository (`upstream_*`), and each push mirror's failures in a
//! row beside the last result it already kept. Existing rows start from what the repository
//! showed: the pull of a repository that pulls takes its status, and a failed push mirror has
//! failed once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    UpstreamStatus,
    UpstreamSyncedAt,
    UpstreamError,
    UpstreamFailures,
}

#[derive(Iden)]
enum PushMirrors {
    Table,
    ConsecutiveFailures,
}

/// Adds one column (SQLite alters one column at a time).
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            Repositories::Table,
            ColumnDef::new(Repositories::UpstreamStatus)
                .string_len(16)
                .not_null()
                .default("idle")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Repositories::Table,
            ColumnDef::new(Repositories::UpstreamSyncedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Repositories::Table,
            ColumnDef::new(Repositories::UpstreamError)
                .text()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Repositories::Table,
            ColumnDef::new(Repositories::UpstreamFailures)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        add(
            manager,
            PushMirrors::Table,
            ColumnDef::new(PushMirrors::ConsecutiveFailures)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE repositories SET \
               upstream_status = CASE WHEN sync_status = 'syncing' THEN \
                 CASE WHEN last_synced_at IS NULL THEN 'idle' ELSE 'success' END \
                 ELSE sync_status END, \
               upstream_synced_at = last_synced_at, \
               upstream_error = sync_error, \
               upstream_failures = consecutive_failures \
             WHERE mirror_direction IN ('upstream', 'both')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE push_mirrors SET consecutive_failures = 1 WHERE last_status = 'failed'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Repositories::UpstreamStatus,
            Repositories::UpstreamSyncedAt,
            Repositories::UpstreamError,
            Repositories::UpstreamFailures,
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
        manager
            .alter_table(
                Table::alter()
                    .table(PushMirrors::Table)
                    .drop_column(PushMirrors::ConsecutiveFailures)
                    .to_owned(),
            )
            .await
    }
}
