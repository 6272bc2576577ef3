//! `push_mirrors`: the downstream targets of a repository, one row each (URL, credentials, switch,
//! sync on push, ref filter, divergent refs kept, last result). Each repository's existing
//! downstream moves into it, its password still sealed for its old place
//! (`password_sealed_for = 'repository'`) until the server re-seals it at start-up.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    Id,
}

#[derive(Iden)]
enum PushMirrors {
    Table,
    Id,
    RepositoryId,
    RemoteUrl,
    RemoteUsername,
    RemotePassword,
    PasswordSealedFor,
    Enabled,
    SyncOnPush,
    RefFilter,
    KeepDivergentRefs,
    LastSyncedAt,
    LastStatus,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushMirrors::Table)
                    .col(
                        ColumnDef::new(PushMirrors::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PushMirrors::RepositoryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PushMirrors::RemoteUrl).text().not_null())
                    .col(ColumnDef::new(PushMirrors::RemoteUsername).text())
                    .col(ColumnDef::new(PushMirrors::RemotePassword).text())
                    .col(
                        ColumnDef::new(PushMirrors::PasswordSealedFor)
                            .string_len(16)
                            .not_null()
                            .default("push_mirror"),
                    )
                    .col(
                        ColumnDef::new(PushMirrors::Enabled)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(PushMirrors::SyncOnPush)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(PushMirrors::RefFilter)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(
                        ColumnDef::new(PushMirrors::KeepDivergentRefs)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(PushMirrors::LastSyncedAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(PushMirrors::LastStatus)
                            .string_len(16)
                            .not_null()
                            .default("idle"),
                    )
                    .col(ColumnDef::new(PushMirrors::LastError).text())
                    .col(
                        ColumnDef::new(PushMirrors::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_mirrors_repository")
                            .from(PushMirrors::Table, PushMirrors::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_push_mirrors_repository")
                    .table(PushMirrors::Table)
                    .col(PushMirrors::RepositoryId)
                    .to_owned(),
            )
            .await?;
        // Every existing downstream becomes its repository's first push mirror, with what the
        // repository knew of its last push; then the repository forgets it.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO push_mirrors (repository_id, remote_url, remote_username, \
             remote_password, password_sealed_for, enabled, sync_on_push, ref_filter, \
             keep_divergent_refs, last_synced_at, last_status, last_error, created_at) \
             SELECT id, downstream_url, downstream_username, downstream_password, 'repository', \
             TRUE, FALSE, '[]', FALSE, \
             CASE WHEN mirror_direction <> 'upstream' THEN last_synced_at END, \
             CASE WHEN mirror_direction <> 'upstream' AND sync_status IN ('success', 'failed') \
                  THEN sync_status ELSE 'idle' END, \
             CASE WHEN mirror_direction <> 'upstream' THEN sync_error END, \
             updated_at \
             FROM repositories WHERE downstream_url IS NOT NULL ORDER BY id",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE repositories SET downstream_url = NULL, downstream_username = NULL, \
             downstream_password = NULL WHERE downstream_url IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PushMirrors::Table).to_owned())
            .await
    }
}
