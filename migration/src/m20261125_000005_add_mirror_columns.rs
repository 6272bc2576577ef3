//! Mirror settings and scheduler state on `repositories`: the columns of the original design plus
//! what a correct scheduler needs (`next_sync_at` with its index, a claim/heartbeat pair, failures).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    MirrorEnabled,
    MirrorDirection,
    UpstreamUrl,
    UpstreamUsername,
    UpstreamPassword,
    DownstreamUrl,
    DownstreamUsername,
    DownstreamPassword,
    SyncInterval,
    LastSyncedAt,
    SyncStatus,
    SyncError,
    NextSyncAt,
    SyncClaimedBy,
    SyncHeartbeatAt,
    ConsecutiveFailures,
}

fn add(manager_col: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Repositories::Table)
        .add_column(manager_col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement; PostgreSQL accepts the same.
        let columns = [
            ColumnDef::new(Repositories::MirrorEnabled)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Repositories::MirrorDirection)
                .string_len(16)
                .not_null()
                .default("upstream")
                .to_owned(),
            ColumnDef::new(Repositories::UpstreamUrl)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::UpstreamUsername)
                .string_len(255)
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::UpstreamPassword)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::DownstreamUrl)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::DownstreamUsername)
                .string_len(255)
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::DownstreamPassword)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncInterval)
                .big_integer()
                .not_null()
                .default(3600)
                .to_owned(),
            ColumnDef::new(Repositories::LastSyncedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncStatus)
                .string_len(16)
                .not_null()
                .default("idle")
                .to_owned(),
            ColumnDef::new(Repositories::SyncError)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::NextSyncAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncClaimedBy)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::SyncHeartbeatAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::ConsecutiveFailures)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        ];
        for column in columns {
            manager.alter_table(add(column)).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_repositories_mirror_due")
                    .table(Repositories::Table)
                    .col(Repositories::MirrorEnabled)
                    .col(Repositories::NextSyncAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_repositories_mirror_due")
                    .table(Repositories::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Repositories::MirrorEnabled,
            Repositories::MirrorDirection,
            Repositories::UpstreamUrl,
            Repositories::UpstreamUsername,
            Repositories::UpstreamPassword,
            Repositories::DownstreamUrl,
            Repositories::DownstreamUsername,
            Repositories::DownstreamPassword,
            Repositories::SyncInterval,
            Repositories::LastSyncedAt,
            Repositories::SyncStatus,
            Repositories::SyncError,
            Repositories::NextSyncAt,
            Repositories::SyncClaimedBy,
            Repositories::SyncHeartbeatAt,
            Repositories::ConsecutiveFailures,
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
