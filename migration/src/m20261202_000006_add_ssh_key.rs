//! The SSH key pair a repository's mirrors authenticate with: the private key sealed like
//! mirror passwords, the public key in OpenSSH form for showing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    SshPrivateKey,
    SshPublicKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [Repositories::SshPrivateKey, Repositories::SshPublicKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Repositories::Table)
                        .add_column(ColumnDef::new(column).text().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Repositories::SshPrivateKey, Repositories::SshPublicKey] {
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
