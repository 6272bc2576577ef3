//! Protection of a pull: `upstream_overwrite` (`all`, an exact copy, or `fast_forward`: moves
//! that rewrite history and deletions upstream are not applied), `mass_delete_guard` (a pull
//! that would delete most refs changes nothing), and `upstream_held`, set while the pull's last
//! attempt was stopped by that guard (the pages then offer "Sync anyway").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    UpstreamOverwrite,
    MassDeleteGuard,
    UpstreamHeld,
}

/// Adds one column (SQLite alters one column at a time).
async fn add(manager: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Repositories::Table)
                .add_column(column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            ColumnDef::new(Repositories::UpstreamOverwrite)
                .string_len(16)
                .not_null()
                .default("all")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            ColumnDef::new(Repositories::MassDeleteGuard)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
        )
        .await?;
        add(
            manager,
            ColumnDef::new(Repositories::UpstreamHeld)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Repositories::UpstreamOverwrite,
            Repositories::MassDeleteGuard,
            Repositories::UpstreamHeld,
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
