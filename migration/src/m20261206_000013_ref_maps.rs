//! Branch mapping: `repositories.upstream_ref_map` and `push_mirrors.ref_map` (the rules as a
//! JSON list of `{"from","to"}`, `[]`: no renaming), and `mirror_ref_updates.source_ref` (the
//! ref's name on the other side when a map renamed it; null otherwise and on older rows).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Repositories {
    Table,
    UpstreamRefMap,
}

#[derive(Iden)]
enum PushMirrors {
    Table,
    RefMap,
}

#[derive(Iden)]
enum MirrorRefUpdates {
    Table,
    SourceRef,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Repositories::Table)
                    .add_column(
                        ColumnDef::new(Repositories::UpstreamRefMap)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PushMirrors::Table)
                    .add_column(
                        ColumnDef::new(PushMirrors::RefMap)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .add_column(ColumnDef::new(MirrorRefUpdates::SourceRef).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MirrorRefUpdates::Table)
                    .drop_column(MirrorRefUpdates::SourceRef)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PushMirrors::Table)
                    .drop_column(PushMirrors::RefMap)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Repositories::Table)
                    .drop_column(Repositories::UpstreamRefMap)
                    .to_owned(),
            )
            .await
    }
}
