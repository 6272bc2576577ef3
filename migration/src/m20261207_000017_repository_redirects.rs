//! `repository_redirects`: the paths a repository was known by before a rename or a move
//! (owner and name, lowercased), each leading to the repository it names now, so links,
//! remotes and API scripts that use the old path keep working until a new repository takes it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    Id,
}

#[derive(Iden)]
enum RepositoryRedirects {
    Table,
    Id,
    LowerOwner,
    LowerName,
    RepositoryId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RepositoryRedirects::Table)
                    .col(
                        ColumnDef::new(RepositoryRedirects::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RepositoryRedirects::LowerOwner)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RepositoryRedirects::LowerName)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RepositoryRedirects::RepositoryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RepositoryRedirects::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_repository_redirects_repository")
                            .from(
                                RepositoryRedirects::Table,
                                RepositoryRedirects::RepositoryId,
                            )
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_repository_redirects_path")
                    .table(RepositoryRedirects::Table)
                    .col(RepositoryRedirects::LowerOwner)
                    .col(RepositoryRedirects::LowerName)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_repository_redirects_repository")
                    .table(RepositoryRedirects::Table)
                    .col(RepositoryRedirects::RepositoryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RepositoryRedirects::Table).to_owned())
            .await
    }
}
