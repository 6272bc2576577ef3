//! Two columns on `mirror_runs`: `restored_run_id`, the run a restore run put back (so the
//! pages can say which), and `holds_kept_refs`, whether kept refs of the run are still in the
//! repository (so the daily expiry reads only those runs, through an index, instead of every
//! ref update ever kept). Runs that kept something before are marked from their ref updates.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum MirrorRuns {
    Table,
    RestoredRunId,
    HoldsKeptRefs,
    StartedAt,
}

/// The index the daily expiry reads.
const INDEX: &str = "idx_mirror_runs_holds_kept_refs";

/// Adds one column (SQLite alters one column at a time).
async fn add(manager: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(MirrorRuns::Table)
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
            ColumnDef::new(MirrorRuns::RestoredRunId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            ColumnDef::new(MirrorRuns::HoldsKeptRefs)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE mirror_runs SET holds_kept_refs = TRUE WHERE id IN \
                 (SELECT DISTINCT run_id FROM mirror_ref_updates WHERE kept = TRUE)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(MirrorRuns::Table)
                    .col(MirrorRuns::HoldsKeptRefs)
                    .col(MirrorRuns::StartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(MirrorRuns::Table)
                    .to_owned(),
            )
            .await?;
        for column in [MirrorRuns::HoldsKeptRefs, MirrorRuns::RestoredRunId] {
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
