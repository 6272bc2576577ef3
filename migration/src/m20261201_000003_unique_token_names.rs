//! One name per token of a user: names already used twice get their id appended (`laptop #7`),
//! then a unique index on (user_id, name) keeps it so.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    UserId,
    Name,
}

const INDEX: &str = "idx_access_tokens_user_name";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `||` concatenates on SQLite and PostgreSQL alike.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE access_tokens SET name = name || ' #' || CAST(id AS TEXT) \
                 WHERE id NOT IN (SELECT MIN(id) FROM access_tokens GROUP BY user_id, name)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(AccessTokens::Table)
                    .col(AccessTokens::UserId)
                    .col(AccessTokens::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(AccessTokens::Table)
                    .to_owned(),
            )
            .await
    }
}
