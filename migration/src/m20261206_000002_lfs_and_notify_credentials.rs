//! Credentials of their own for an LFS endpoint on another origin (`lfs_username`, and
//! `lfs_password` sealed like the mirror passwords), and the key that signs notifications
//! (`notify_secret`, sealed like the webhook secret, which no longer signs them).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    LfsUsername,
    LfsPassword,
    NotifySecret,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        let columns = [
            ColumnDef::new(Repositories::LfsUsername)
                .string_len(255)
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::LfsPassword)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Repositories::NotifySecret)
                .text()
                .null()
                .to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Repositories::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Repositories::LfsUsername,
            Repositories::LfsPassword,
            Repositories::NotifySecret,
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
