//! LFS in mirrors: whether a repository's syncs carry LFS objects (`lfs_enabled`), where the
//! upstream's LFS server is when it is not `<upstream>/info/lfs` (`lfs_endpoint`, `""`: derived),
//! and what each run moved (`lfs_objects_transferred`, `lfs_bytes_transferred`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    LfsEnabled,
    LfsEndpoint,
}

#[derive(Iden)]
enum MirrorRuns {
    Table,
    LfsObjectsTransferred,
    LfsBytesTransferred,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Repositories::Table)
                    .add_column(
                        ColumnDef::new(Repositories::LfsEnabled)
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
                    .table(Repositories::Table)
                    .add_column(
                        ColumnDef::new(Repositories::LfsEndpoint)
                            .string_len(500)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            MirrorRuns::LfsObjectsTransferred,
            MirrorRuns::LfsBytesTransferred,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MirrorRuns::Table)
                        .add_column(ColumnDef::new(column).big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Repositories::LfsEnabled, Repositories::LfsEndpoint] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Repositories::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            MirrorRuns::LfsObjectsTransferred,
            MirrorRuns::LfsBytesTransferred,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MirrorRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
