//! `users.first_user`: TRUE on the first account ever, NULL on every other, under a UNIQUE
//! index (NULLs never collide), so the database decides which of simultaneous first
//! registrations becomes the administrator.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    Id,
    FirstUser,
}

/// Name of the unique index that admits one first user.
const INDEX: &str = "idx_users_first_user";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::FirstUser).boolean().null())
                    .to_owned(),
            )
            .await?;
        // An existing instance already has its first account: the lowest id.
        let lowest = Query::select()
            .expr(Expr::col(Users::Id).min())
            .from(Users::Table)
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::FirstUser, true)
                    .and_where(Expr::col(Users::Id).in_subquery(lowest))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Users::Table)
                    .col(Users::FirstUser)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Users::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::FirstUser)
                    .to_owned(),
            )
            .await
    }
}
