//! Organisations: owners that are not people. They live in the `users` table beside the people
//! (`is_organization`), as Gitea keeps them, so one unique `lower_name` gives users and
//! organisations one namespace and every `owner_id` may name either. `org_members` says who
//! belongs to which organisation, and with which role (`owner`, `write`, `read`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    Id,
    IsOrganization,
    Description,
}

#[derive(Iden)]
enum OrgMembers {
    Table,
    Id,
    OrgId,
    UserId,
    Role,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::IsOrganization)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::Description)
                            .string_len(255)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgMembers::Table)
                    .col(
                        ColumnDef::new(OrgMembers::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OrgMembers::OrgId).big_integer().not_null())
                    .col(ColumnDef::new(OrgMembers::UserId).big_integer().not_null())
                    .col(ColumnDef::new(OrgMembers::Role).string_len(8).not_null())
                    .col(
                        ColumnDef::new(OrgMembers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_members_org")
                            .from(OrgMembers::Table, OrgMembers::OrgId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_members_user")
                            .from(OrgMembers::Table, OrgMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_members_org_user")
                    .table(OrgMembers::Table)
                    .col(OrgMembers::OrgId)
                    .col(OrgMembers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_members_user")
                    .table(OrgMembers::Table)
                    .col(OrgMembers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgMembers::Table).to_owned())
            .await?;
        for column in [Users::Description, Users::IsOrganization] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
