//! `ssh_host_keys`: the SSH host keys a repository's mirrors trust, one row per host and key
//! type (pinned on first use; a later different key fails the sync until they are forgotten).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    Id,
}

#[derive(Iden)]
enum SshHostKeys {
    Table,
    Id,
    RepositoryId,
    Host,
    KeyType,
    FingerprintSha256,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SshHostKeys::Table)
                    .col(
                        ColumnDef::new(SshHostKeys::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SshHostKeys::RepositoryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SshHostKeys::Host).text().not_null())
                    .col(ColumnDef::new(SshHostKeys::KeyType).text().not_null())
                    .col(
                        ColumnDef::new(SshHostKeys::FingerprintSha256)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SshHostKeys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ssh_host_keys_repository")
                            .from(SshHostKeys::Table, SshHostKeys::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One pin per host and key type: what "on conflict do nothing" keeps the first of.
        manager
            .create_index(
                Index::create()
                    .name("idx_ssh_host_keys_repository_host_type")
                    .table(SshHostKeys::Table)
                    .col(SshHostKeys::RepositoryId)
                    .col(SshHostKeys::Host)
                    .col(SshHostKeys::KeyType)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SshHostKeys::Table).to_owned())
            .await
    }
}
